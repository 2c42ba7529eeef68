"""Where genviz reads and writes, resolved in one place.

`GENVIZ_HOME` (default `~/.cache/genviz`) holds what users save (`checkpoints/`) and caches;
`GENVIZ_DATA_DIR` (default `$GENVIZ_HOME/data`) is the torchvision / match-data root. Both are
read at call time, so tests and servers can point them elsewhere without re-importing.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DIR = REPO_ROOT / "checkpoints"  # the small pretrained models the app ships with


def genviz_home() -> Path:
    return Path(os.environ.get("GENVIZ_HOME", Path.home() / ".cache" / "genviz"))


def user_checkpoint_dir() -> Path:
    """Where checkpoints saved from the app and CLI go by default (`$GENVIZ_HOME/checkpoints`)."""
    return genviz_home() / "checkpoints"


def data_dir() -> Path:
    return Path(os.environ.get("GENVIZ_DATA_DIR", genviz_home() / "data"))


def data_cache_dir() -> Path:
    """A writable copy of read-only dataset archives (torchvision extracts next to them)."""
    return genviz_home() / "data-cache"
