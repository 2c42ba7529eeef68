"""Match data for the team-ability model: Heroes of the Storm, Dota 2 and a user's CSV as index tensors.

A match is two teams of roster indices (padded with `n_heroes` where a hero is unknown, as in the
HotS public files) and whether team A won, with the dataset's own train/test split:

- `hots-tournament`, `hots-public`: the data of Li, Cheng, Fujii, Hsieh & Hsieh (NeurIPS 2018),
  GitHub liyao880/Group-Comparison (winners' and losers' hero ids per line, `spl*.txt` split);
  the public files are tab-separated with bare-CR line ends and empty fields for unknown heroes.
- `dota2`: UCI "Dota2 Games Results" (CC BY 4.0): no header, column 1 the winner ±1, three context
  columns, 113 hero columns in {−1, 0, 1}; ids 24 and 108 never occur and are left out.
- a CSV with team1_1 … team1_K, team2_1 … team2_K, winner [, split], checked strictly: any problem
  is one `DataFormatError` sentence naming it and the expected columns, and nothing is half-loaded.

Files live under `GENVIZ_DATA_DIR` (see shared/data/SOURCES.md).
"""
from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from genviz.core.data import data_dir
from genviz.core.errors import DataFormatError, DatasetUnavailable
from genviz.core.train import TensorSplit


@dataclass(frozen=True)
class Roster:
    """The heroes of a game: roster index → the game's own id, name, role (for colour), details."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    roles: tuple[str, ...]
    details: tuple[str, ...] = ()  # hover text: all roles, melee/ranged, ...

    def __post_init__(self) -> None:
        if not (len(self.ids) == len(self.names) == len(self.roles)):
            raise ValueError("ids, names and roles must have the same length")
        if not self.details:
            object.__setattr__(self, "details", tuple("" for _ in self.ids))

    def __len__(self) -> int:
        return len(self.ids)

    def to_json(self) -> dict[str, list[str]]:
        return {"ids": list(self.ids), "names": list(self.names), "roles": list(self.roles),
                "details": list(self.details)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Roster:
        return cls(tuple(data["ids"]), tuple(data["names"]), tuple(data["roles"]), tuple(data.get("details", ())))


@dataclass(frozen=True)
class Matches:
    """Matches between two teams as index tensors, with their train/test split.

    `team_a`, `team_b`: (N, team_size) int64 roster indices, padded with `len(roster)` for an
    unknown hero. `a_won`: (N,) float 1/0. `is_test`: (N,) bool.
    """

    name: str
    team_a: Tensor
    team_b: Tensor
    a_won: Tensor
    is_test: Tensor
    roster: Roster
    side_advantage: bool  # does being team A mean something (e.g. Dota's Radiant)?
    source: str = ""  # where the data came from, one line

    @property
    def n_heroes(self) -> int:
        return len(self.roster)

    @property
    def team_size(self) -> int:
        return int(self.team_a.shape[1])

    @property
    def n_train(self) -> int:
        return int((~self.is_test).sum())

    @property
    def n_test(self) -> int:
        return int(self.is_test.sum())

    def pair_counts(self) -> np.ndarray:
        """(H, H) int: in how many training matches heroes i and j were teammates."""
        h = self.n_heroes
        counts = torch.zeros((h + 1) * (h + 1), dtype=torch.int64)
        t = self.team_size
        i, j = torch.triu_indices(t, t, offset=1)
        for team in (self.team_a[~self.is_test], self.team_b[~self.is_test]):
            a, b = team[:, i].reshape(-1), team[:, j].reshape(-1)
            ones = torch.ones_like(a)
            counts.index_add_(0, a * (h + 1) + b, ones).index_add_(0, b * (h + 1) + a, ones)
        return counts.view(h + 1, h + 1)[:h, :h].numpy()

    def validation_split(self, fraction: float = 0.15, seed: int = 0) -> Matches:
        """The training matches only, a seeded `fraction` of them held out in place of the test split.

        For choosing settings (d, λ) without looking at the test matches: train on the rest, score on
        these, then train once more on all training matches and report the test split once.
        """
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"validation fraction must be in (0, 1); got {fraction}")
        train_idx = torch.nonzero(~self.is_test).squeeze(1)
        n_val = max(1, round(fraction * len(train_idx)))
        if n_val >= len(train_idx):
            raise DataFormatError(f"{len(train_idx)} training matches are too few to hold out a validation split.")
        order = torch.randperm(len(train_idx), generator=torch.Generator().manual_seed(seed))
        is_val = torch.zeros(len(train_idx), dtype=torch.bool)
        is_val[order[:n_val]] = True
        pick = lambda t: t[train_idx]  # noqa: E731
        return Matches(self.name, pick(self.team_a), pick(self.team_b), pick(self.a_won), is_val, self.roster,
                       self.side_advantage, f"{self.source}; validation split: {fraction:.0%} of its training "
                       f"matches, seed {seed}")

    def split(self, device: torch.device | str = "cpu") -> TensorSplit:
        """(team_a, team_b, a_won) train and test tensors on `device`, for `genviz.core.train.fit`."""
        tr, te = ~self.is_test, self.is_test
        parts = (self.team_a, self.team_b, self.a_won)
        return TensorSplit(tuple(t[tr].to(device) for t in parts), tuple(t[te].to(device) for t in parts))


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    title: str
    files: tuple[str, ...]  # relative to the data folder; all must exist
    loader: Callable[[Path], Matches]
    note: str


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DataFormatError(f"{path.name} is not a UTF-8 text file.") from None


def _lines(text: str) -> list[str]:
    """Lines of a file with LF, CRLF or bare-CR line ends (the HotS public files use CR)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def _hots_roster(root: Path, which: str) -> tuple[Roster, dict[str, int]]:
    """Roster of the HotS character ids (`which` = tournament | public), sorted by id."""
    roles = json.loads(_read(root / "hots" / "hero_roles.json"))[which]
    ids = sorted(roles, key=int)
    roster = Roster(
        ids=tuple(ids),
        names=tuple(html.unescape(roles[i]["name"]) for i in ids),
        roles=tuple(roles[i]["role"] for i in ids),
        details=tuple(f"{roles[i]['role']}, {roles[i].get('type', '')}".rstrip(", ") for i in ids),
    )
    return roster, {hid: k for k, hid in enumerate(ids)}


def _team_rows(path: Path, sep: str | None, index: dict[str, int], pad: int, size: int) -> np.ndarray:
    """(N, size) roster indices from a file of one team per line; empty / NA fields are padding."""
    rows = _lines(_read(path))
    out = np.full((len(rows), size), pad, dtype=np.int64)
    for r, line in enumerate(rows):
        fields = [f for f in (line.split(sep) if sep else line.split()) if f.strip() not in ("", "NA")]
        if len(fields) > size:
            raise DataFormatError(f"{path.name} line {r + 1} lists {len(fields)} heroes; a team has at most {size}.")
        for c, f in enumerate(fields):
            k = index.get(f.strip())
            if k is None:
                raise DataFormatError(f"{path.name} line {r + 1}: hero id '{f.strip()}' is not in the hero list.")
            out[r, c] = k
    return out


def _split_flags(path: Path, n: int) -> np.ndarray:
    """is_test flags from a file of TRUE (train) / FALSE (test) lines."""
    flags = [s.strip().upper() for s in _lines(_read(path))]
    if len(flags) != n or not set(flags) <= {"TRUE", "FALSE"}:
        raise DataFormatError(f"{path.name} should hold {n} lines of TRUE/FALSE (the train/test split).")
    return np.array([f == "FALSE" for f in flags])


def _hots(root: Path, which: str) -> Matches:
    roster, index = _hots_roster(root, which)
    folder = root / "hots" / which
    if which == "tournament":
        winners = _team_rows(folder / "chW.txt", None, index, len(roster), 5)
        losers = _team_rows(folder / "chL.txt", None, index, len(roster), 5)
        split = folder / "spl.txt"
    else:
        winners = _team_rows(folder / "chW_public", "\t", index, len(roster), 5)
        losers = _team_rows(folder / "chL_public.txt", "\t", index, len(roster), 5)
        split = folder / "spl_public.txt"
    if len(winners) != len(losers):
        raise DataFormatError(f"The HotS {which} files disagree on the number of games ({len(winners)} vs {len(losers)}).")
    is_test = _split_flags(split, len(winners))
    # The files list the winner first; with no side advantage in the model the order is irrelevant.
    return Matches(
        name=f"hots-{which}", team_a=torch.from_numpy(winners), team_b=torch.from_numpy(losers),
        a_won=torch.ones(len(winners)), is_test=torch.from_numpy(is_test), roster=roster, side_advantage=False,
        source="Heroes of the Storm, Li et al. (NeurIPS 2018) data, liyao880/Group-Comparison; paper's split",
    )


def _dota_roster(root: Path, used: np.ndarray) -> Roster:
    names = {h["id"]: h["localized_name"] for h in json.loads(_read(root / "dota2" / "heroes.json"))["heroes"]}
    roles_path = root / "dota2" / "hero_roles.json"
    info = json.loads(_read(roles_path)) if roles_path.exists() else {}
    ids, labels, roles, details = [], [], [], []
    for hid in used:
        hid = int(hid)
        entry = info.get(str(hid), {})
        hero_roles = entry.get("roles") or ["Unknown"]
        ids.append(str(hid))
        labels.append(names.get(hid, entry.get("localized_name", f"hero {hid}")))
        roles.append(hero_roles[0])
        details.append(", ".join(hero_roles) + (f"; {entry['primary_attr']}" if entry.get("primary_attr") else ""))
    return Roster(tuple(ids), tuple(labels), tuple(roles), tuple(details))


def _dota_table(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(winner ±1, hero matrix (N, 113) in {-1, 0, 1}) of one UCI Dota 2 file (no header)."""
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as err:
        raise DataFormatError(f"{path.name} is not the UCI Dota 2 format (comma-separated integers): {err}.") from None
    if table.shape[1] != 117:
        raise DataFormatError(f"{path.name} has {table.shape[1]} columns; the UCI Dota 2 files have 117 "
                              "(winner, cluster, mode, type, 113 heroes).")
    return table[:, 0], table[:, 4:]


def _dota(root: Path) -> Matches:
    w_train, h_train = _dota_table(root / "dota2" / "dota2Train.csv")
    w_test, h_test = _dota_table(root / "dota2" / "dota2Test.csv")
    heroes = np.concatenate([h_train, h_test])
    winner = np.concatenate([w_train, w_test])
    if not (((heroes == 1).sum(1) == 5).all() and ((heroes == -1).sum(1) == 5).all()):
        raise DataFormatError("Every Dota 2 row must have exactly five +1 and five -1 hero entries.")
    used = np.flatnonzero((heroes != 0).any(0))  # column c is hero id c+1; ids 24 and 108 never occur
    heroes = heroes[:, used]
    # np.nonzero walks row by row, so the 5 columns of each row come out together.
    team_1 = np.nonzero(heroes == 1)[1].reshape(-1, 5)
    team_2 = np.nonzero(heroes == -1)[1].reshape(-1, 5)
    is_test = np.zeros(len(heroes), dtype=bool)
    is_test[len(h_train):] = True
    return Matches(
        name="dota2", team_a=torch.from_numpy(team_1), team_b=torch.from_numpy(team_2),
        a_won=torch.from_numpy((winner == 1).astype(np.float32)), is_test=torch.from_numpy(is_test),
        roster=_dota_roster(root, used + 1), side_advantage=True,
        source="Dota 2 Games Results, UCI ML Repository (CC BY 4.0); UCI train/test files",
    )


DATASETS: dict[str, DatasetEntry] = {
    "hots-tournament": DatasetEntry(
        "hots-tournament", "Heroes of the Storm — tournament (9,610 games)",
        ("hots/hero_roles.json", "hots/tournament/chW.txt", "hots/tournament/chL.txt", "hots/tournament/spl.txt"),
        lambda root: _hots(root, "tournament"), "54 heroes; the paper's 80/20 split"),
    "hots-public": DatasetEntry(
        "hots-public", "Heroes of the Storm — public games (139,426 games)",
        ("hots/hero_roles.json", "hots/public/chW_public", "hots/public/chL_public.txt", "hots/public/spl_public.txt"),
        lambda root: _hots(root, "public"), "62 heroes, some unknown; the paper's 80/20 split"),
    "dota2": DatasetEntry(
        "dota2", "Dota 2 — UCI games (102,944 games)",
        ("dota2/dota2Train.csv", "dota2/dota2Test.csv", "dota2/heroes.json"),
        _dota, "111 heroes played; UCI train/test files"),
}


def missing_files(name: str, root: Path | None = None) -> list[str]:
    """The files of dataset `name` not found under `root` (default: the data folder)."""
    root = Path(root) if root is not None else data_dir()
    return [f for f in _entry(name).files if not (root / f).is_file()]


def available(root: Path | None = None) -> list[str]:
    """Names of the match datasets whose files are all present."""
    return [name for name in DATASETS if not missing_files(name, root)]


def _entry(name: str) -> DatasetEntry:
    try:
        return DATASETS[name]
    except KeyError:
        raise DatasetUnavailable(f"Unknown match dataset '{name}'; choose one of: {', '.join(DATASETS)}.") from None


def load_matches(name: str, root: Path | None = None) -> Matches:
    """Load a named match dataset from `root` (default: `GENVIZ_DATA_DIR`), or say which files to put where."""
    root = Path(root) if root is not None else data_dir()
    missing = missing_files(name, root)
    if missing:
        raise DatasetUnavailable(
            f"The {name} data is not in {root}: put {', '.join(missing)} there (see shared/data/SOURCES.md), "
            "or upload your own CSV of matches."
        )
    return _entry(name).loader(root)


def game_roster(name: str, root: Path | None = None) -> Roster:
    """The heroes of a game (for checking the ids in a user's CSV), without loading its matches."""
    root = Path(root) if root is not None else data_dir()
    entry = _entry(name)
    needed = [f for f in entry.files if f.endswith(".json")]
    missing = [f for f in needed if not (root / f).is_file()]
    if missing:
        raise DatasetUnavailable(f"The {name} hero list is not in {root}: put {', '.join(missing)} there.")
    if name.startswith("hots-"):
        return _hots_roster(root, name.removeprefix("hots-"))[0]
    ids = sorted(h["id"] for h in json.loads(_read(root / "dota2" / "heroes.json"))["heroes"])
    return _dota_roster(root, np.array(ids))


# --- the user's CSV ---------------------------------------------------------------------------

MAX_CSV_ROWS = 200_000  # matches read from a user's CSV; each row costs ~1 KB while it is parsed
MAX_CSV_BYTES = 50 * 1024 * 1024
CSV_HELP = ("Expected columns: team1_1 … team1_K, team2_1 … team2_K (one hero or player per cell, both teams of "
            "the same size K), winner (1 or 2), and optionally split (train or test).")


def _csv_columns(header: list[str]) -> tuple[list[int], list[int], int, int | None]:
    """Column positions of team 1, team 2, winner and split, or a DataFormatError naming the problem."""
    names = [h.strip().lower() for h in header]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataFormatError(f"The CSV names column '{dupes[0]}' twice. {CSV_HELP}")
    teams: dict[int, dict[int, int]] = {1: {}, 2: {}}
    other = []
    for pos, n in enumerate(names):
        team, sep, member = n.partition("_")
        if team in ("team1", "team2") and sep and member.isdigit():
            teams[int(team[-1])][int(member)] = pos
        elif n not in ("winner", "split"):
            other.append(header[pos].strip() or f"#{pos + 1} (no name)")
    if other:
        raise DataFormatError(f"The CSV has unexpected column(s) {', '.join(other[:3])}. {CSV_HELP}")
    if "winner" not in names:
        raise DataFormatError(f"The CSV has no 'winner' column. {CSV_HELP}")
    positions = []
    for t in (1, 2):
        k = len(teams[t])
        if k == 0:
            raise DataFormatError(f"The CSV has no team{t}_… columns. {CSV_HELP}")
        if sorted(teams[t]) != list(range(1, k + 1)):
            raise DataFormatError(f"The team{t} columns must be numbered team{t}_1 … team{t}_{k} without gaps. {CSV_HELP}")
        positions.append([teams[t][m] for m in range(1, k + 1)])
    if len(positions[0]) != len(positions[1]):
        raise DataFormatError(f"Team 1 has {len(positions[0])} columns and team 2 has {len(positions[1])}; "
                              f"both teams must have the same size. {CSV_HELP}")
    if len(positions[0]) > 50:
        raise DataFormatError(f"Teams of {len(positions[0])} are too large; genviz handles up to 50 per team.")
    return positions[0], positions[1], names.index("winner"), names.index("split") if "split" in names else None


def _roster_lookup(roster: Roster) -> dict[str, int]:
    """Cell text → roster index: a game's own id or a hero name (case-insensitive)."""
    lookup = {name.strip().lower(): k for k, name in enumerate(roster.names)}
    lookup.update({hid.lower(): k for k, hid in enumerate(roster.ids)})
    return lookup


def _check_csv_size(size: int) -> None:
    if size > MAX_CSV_BYTES:
        raise DataFormatError(f"The CSV is {size / 2**20:,.0f} MB; genviz reads at most {MAX_CSV_BYTES // 2**20} MB "
                              f"({MAX_CSV_ROWS:,} matches). Keep a sample of the rows.")


def load_csv(source: str | Path | bytes, *, roster: Roster | None = None, name: str = "csv",
             test_fraction: float = 0.2, seed: int = 0, min_matches: int = 10) -> Matches:
    """Read a user's CSV of matches (see `CSV_HELP`), all or nothing.

    With a `roster` (e.g. a game's heroes) every cell must be one of its ids or names, else the
    file is refused; without one, the distinct cell values become the roster. Without a `split`
    column a seeded `test_fraction` of the rows is held out.
    """
    if isinstance(source, (bytes, bytearray)):
        _check_csv_size(len(source))
        try:
            text = bytes(source).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataFormatError(f"The CSV is not UTF-8 text. {CSV_HELP}") from None
    else:
        path = Path(source)
        if not path.is_file():
            raise DataFormatError(f"No CSV file at {path}.")
        _check_csv_size(path.stat().st_size)
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DataFormatError(f"{path.name} is not UTF-8 text. {CSV_HELP}") from None
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > MAX_CSV_ROWS + 1:
        raise DataFormatError(f"The CSV has {lines - 1:,} rows; genviz reads at most {MAX_CSV_ROWS:,} matches. "
                              f"Keep a sample of them (e.g. the first {MAX_CSV_ROWS:,} after the header).")
    try:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    except csv.Error as err:
        raise DataFormatError(f"The CSV cannot be parsed ({err}). {CSV_HELP}") from None
    if not rows:
        raise DataFormatError(f"The CSV is empty. {CSV_HELP}")
    cols_1, cols_2, col_winner, col_split = _csv_columns(rows[0])
    body = rows[1:]
    if len(body) < min_matches:
        raise DataFormatError(f"The CSV has {len(body)} match row(s); at least {min_matches} are needed to train and test.")
    k = len(cols_1)
    lookup = _roster_lookup(roster) if roster is not None else {}
    names: dict[str, int] = {}
    teams = np.zeros((len(body), 2, k), dtype=np.int64)
    a_won = np.zeros(len(body), dtype=np.float32)
    is_test = np.zeros(len(body), dtype=bool)
    has_split = col_split is not None
    for r, row in enumerate(body, start=2):  # row numbers as a spreadsheet shows them
        if len(row) != len(rows[0]):
            raise DataFormatError(f"CSV row {r} has {len(row)} fields; the header has {len(rows[0])}. {CSV_HELP}")
        seen: set[int] = set()
        for t, cols in enumerate((cols_1, cols_2)):
            cells = [row[c].strip() for c in cols]
            if any(c == "" for c in cells):
                have = sum(1 for c in cells if c)
                raise DataFormatError(f"CSV row {r}: team {t + 1} has {have} member(s); every team must have {k}.")
            for m, cell in enumerate(cells):
                if roster is not None:
                    idx = lookup.get(cell.lower())
                    if idx is None:
                        raise DataFormatError(f"CSV row {r}: '{cell}' is not a known hero id or name of this game.")
                else:
                    idx = names.setdefault(cell, len(names))
                if idx in seen:
                    raise DataFormatError(f"CSV row {r} lists '{cell}' twice; a hero plays once per match.")
                seen.add(idx)
                teams[r - 2, t, m] = idx
        winner = row[col_winner].strip()
        if winner not in ("1", "2"):
            raise DataFormatError(f"CSV row {r}: winner is '{winner}'; it must be 1 or 2.")
        a_won[r - 2] = 1.0 if winner == "1" else 0.0
        if has_split:
            s = row[col_split].strip().lower()
            if s not in ("train", "test"):
                raise DataFormatError(f"CSV row {r}: split is '{row[col_split].strip()}'; it must be train or test.")
            is_test[r - 2] = s == "test"
    if not has_split:
        order = np.random.default_rng(seed).permutation(len(body))
        is_test[order[: max(1, round(test_fraction * len(body)))]] = True
    if is_test.all() or not is_test.any():
        raise DataFormatError("The CSV's split column must mark some rows train and some test.")
    if roster is None:
        labels = tuple(names)
        roster = Roster(labels, labels, tuple("—" for _ in labels))
    return Matches(
        name=name, team_a=torch.from_numpy(teams[:, 0].copy()), team_b=torch.from_numpy(teams[:, 1].copy()),
        a_won=torch.from_numpy(a_won), is_test=torch.from_numpy(is_test), roster=roster, side_advantage=True,
        source=f"your CSV ({len(body)} matches, teams of {k})",
    )
