"""Issue 19 item 14: nothing on the Concepts pages is cut off at the edge."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from genviz.concepts import ui as concepts_ui

ROOT = Path(__file__).resolve().parents[2]


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_layer_code_wraps_instead_of_being_cut():
    at = _page("concept_transposed_conv")
    assert at.code and all(c.proto.wrap_lines for c in at.code)


def test_gaussian_matrices_two_a_row():
    at = _page("concept_gaussian_generator")
    matrices = [m for m in at.latex if "bmatrix" in m.value]
    assert len(matrices) == 4
    # two a row: the innermost columns holding a matrix come in pairs, never four side by side
    holders = [c for c in at.columns if any("bmatrix" in m.value for m in c.latex)
               and not any(isinstance(k, type(c)) for k in c.children.values())]
    weights = [c.weight for c in holders]
    assert weights.count(0.5) == 4 and 0.25 not in weights, weights


def test_gan2d_loss_names_fit_the_dropdown():
    assert all(len(title) <= 24 for title in concepts_ui.LOSS_TITLES.values())
    assert set(concepts_ui.LOSS_FORMULAS) == set(concepts_ui.LOSS_TITLES)
