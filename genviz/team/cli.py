"""`python -m genviz team [--dataset D | --csv FILE] [--dim d ...] [--out PATH]`.

Trains ability-only, all-pairs and the factorised team model on one split and prints one JSON
object with their held-out accuracy and log-loss (see `TeamResult.summary`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from genviz.core import device
from genviz.team.matches import game_roster, load_csv, load_matches
from genviz.team.selection import select_settings
from genviz.team.training import TeamProgress, default_settings, save_result, train_models


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_team(args: argparse.Namespace) -> int:
    """Train ability-only, all-pairs and the factorised team model on one split; print one JSON object."""
    device.configure_threads(args.threads)
    if args.csv:
        roster = game_roster(args.dataset) if args.dataset else None
        matches = load_csv(Path(args.csv), roster=roster, name=Path(args.csv).stem)
    else:
        matches = load_matches(args.dataset or "hots-tournament")
    overrides = {k: getattr(args, k) for k in ("dim", "l2", "epochs", "lr", "batch_size", "seed")
                 if getattr(args, k) is not None}
    settings = default_settings(matches.name, **overrides)
    selection = None
    if args.select:
        settings, selection = select_settings(matches, settings, log=_progress if args.verbose else lambda s: None)
    import torch._dynamo  # noqa: F401  (torch.optim imports it on first use, ≈3 s once: keep it out of "seconds")

    result = None
    for item in train_models(matches, settings, selection=selection):
        if isinstance(item, TeamProgress) and item.record.test_metrics and args.verbose:
            m = item.record.test_metrics
            _progress(f"{item.label}: epoch {item.record.epoch:.0f} test accuracy {m['accuracy']:.4f} "
                      f"log-loss {m['logloss']:.4f}")
        result = item
    summary = result.summary()
    if args.out:
        summary["path"] = str(save_result(args.out, result))
    print(json.dumps(summary))
    return 0


def add_team_command(sub: Any) -> None:
    """Register `team` on the CLI's subparsers (listed in genviz.cli.EXTRA_COMMANDS)."""
    p = sub.add_parser("team", help="train the team-ability model and its baselines on match data")
    p.add_argument("--dataset", choices=["hots-tournament", "hots-public", "dota2"],
                   help="match data (default hots-tournament); with --csv: the game whose hero ids the CSV uses")
    p.add_argument("--csv", help="your own matches: team1_1..team1_K, team2_1..team2_K, winner (1/2)[, split]")
    p.add_argument("--dim", type=int, help="teamwork dimension d (default: per dataset)")
    p.add_argument("--l2", type=float, help="L2 weight λ on w and v")
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", dest="batch_size", type=int)
    p.add_argument("--seed", type=int)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--select", action="store_true",
                   help="choose d and λ (and the baselines' λ) on a seeded validation split of the training matches "
                        "first (a small grid; --dim/--l2 are then ignored), then report the test split once")
    p.add_argument("--out", help="also save the model (+ baselines) as a checkpoint here")
    p.add_argument("-v", "--verbose", action="store_true", help="per-epoch progress on stderr")
    p.set_defaults(fn=cmd_team)
