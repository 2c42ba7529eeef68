"""The match CSV's size limits (issue 15: a 10⁶-row CSV was accepted with 1 GB of RSS)."""
from __future__ import annotations

import pytest

from genviz.core.errors import DataFormatError
from genviz.team import matches


def _csv(rows: int) -> str:
    body = "".join(f"h{k % 7},h{(k + 1) % 7},h{(k + 2) % 7},h{(k + 3) % 7},{1 + k % 2}\n" for k in range(rows))
    return "team1_1,team1_2,team2_1,team2_2,winner\n" + body


def test_a_csv_with_too_many_rows_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(matches, "MAX_CSV_ROWS", 50)
    assert matches.load_csv(_csv(50).encode()).team_a.shape == (50, 2)
    path = tmp_path / "many.csv"
    path.write_text(_csv(51))
    monkeypatch.setattr(matches.csv, "reader", lambda *a, **k: pytest.fail("parsed a CSV over the row limit"))
    for source in (path, path.read_bytes()):
        with pytest.raises(DataFormatError, match="51 rows; genviz reads at most 50 matches"):
            matches.load_csv(source)


def test_a_csv_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(matches, "MAX_CSV_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_text(_csv(100))
    for source in (path, path.read_bytes()):
        with pytest.raises(DataFormatError, match="MB; genviz reads at most"):
            matches.load_csv(source)


def test_the_default_limits_admit_a_dataset_the_size_of_dota2():  # 92,650 training matches
    assert matches.MAX_CSV_ROWS >= 100_000 and matches.MAX_CSV_BYTES >= 20 * 2**20
