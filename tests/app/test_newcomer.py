"""Issue 19 (a newcomer's walk): pickers only offer models of the dataset shown, every page is one click
away, icons are Material symbols, and the pages say what to do when a checkpoint or data are missing."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
# Pictographs, dingbats and other symbols that need an emoji font (arrows such as → are ordinary text).
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u231A\u231B\u23E9-\u23FA\uFE0F]")


def _ui_files() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "genviz").glob("*/ui.py")),
            *sorted((ROOT / "genviz" / "ui").glob("*.py"))]


def test_no_emoji_in_the_app_pages_or_ui_modules():
    found = [f"{f.relative_to(ROOT)}:{i}: {m.group()!r}" for f in _ui_files()
             for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) for m in EMOJI.finditer(line)]
    assert not found, "use :material/name: icons (emoji show as empty boxes without an emoji font): " + ", ".join(found)


def test_every_page_icon_is_a_material_symbol_and_navigation_is_expanded():
    source = (ROOT / "app.py").read_text(encoding="utf-8")
    icons = re.findall(r"(?<!page_)icon=\"([^\"]*)\"", source)
    assert len(icons) == source.count("st.Page(") and all(re.fullmatch(r":material/[a-z0-9_]+:", i) for i in icons), icons
    # The favicon is a file of ours: a :material/ page icon is fetched from fonts.gstatic.com (console error).
    assert '"genviz-icon.png"' in source and (ROOT / "assets" / "genviz-icon.png").is_file()
    assert re.search(r"st\.navigation\([^)]*expanded=True", source), "no 'View N more': every page one click away"


def _app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_app_registers_every_page_file():
    at = _app()
    registered = {Path(p._page).name for pages in at.session_state["gv_pages"].values() for p in pages}
    assert registered == {p.name for p in (ROOT / "pages").glob("*.py")}


def test_missing_mnist_leaves_no_empty_page_and_pickers_follow_the_digits_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("GENVIZ_DATA_DIR", str(tmp_path / "no-data"))
    at = _app(dataset="mnist")
    at.switch_page("pages/gan_samples.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Showing the bundled digits instead" in w.value for w in at.warning), "a sentence saying what happened"
    assert all(", digits, " in o for o in at.selectbox(key="gans_model").options), "no MNIST model for digits images"
    assert at.get("imgs") or at.get("image") or at.get("plotly_chart")
    at.switch_page("pages/ae_reconstructions.py").run()
    assert not at.exception and any("pick **Digits** in the sidebar" in w.value for w in at.warning)


def test_no_checkpoint_box_has_a_train_button_that_opens_the_train_page_on_that_kind(shared_data, monkeypatch):
    from genviz import ui as backend

    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    backend.catalogue.clear()
    at = _app(dataset="fashion-mnist")
    at.switch_page("pages/ae_sparsity.py").run()  # no sparse autoencoder ships for Fashion-MNIST
    assert not at.exception, [e.message for e in at.exception]
    assert any("No sae-l1 checkpoint for Fashion-MNIST" in i.value for i in at.info), [i.value for i in at.info]
    at.button(key="sp_l1__train").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="train_kind").value == "sae-l1", "the Train page opens on the missing kind"


def test_fashion_mnist_gan_pages_start_from_the_shipped_conditional_gan(shared_data, monkeypatch):
    from genviz import ui as backend

    monkeypatch.setenv("GENVIZ_DATA_DIR", str(shared_data))
    backend.catalogue.clear()
    at = _app(dataset="fashion-mnist")
    at.switch_page("pages/gan_samples.py").run()
    assert not at.exception, [e.message for e in at.exception]
    options = at.selectbox(key="gans_model").options
    assert options and all("fashion-mnist" in o.lower() or "fashion" in o.lower() for o in options), options
    assert any("cgan-fashion-mnist" in o for o in options), options


def test_home_page_links_every_page_of_every_group():
    """The home page's map: a box per navigation group (the "genviz" group, Home and Train, is the sidebar's top)
    with a link to each of its pages; a new group in app.py without a box on Home fails here."""
    at = _app()
    linked = {link.proto.page for link in at.get("page_link")}  # the page's URL path: its file's stem
    wanted = {Path(p._page).stem for group, pages in at.session_state["gv_pages"].items() if group != "genviz"
              for p in pages}
    assert wanted and not wanted - linked, f"not linked from Home: {sorted(wanted - linked)}"
