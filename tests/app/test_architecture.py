"""The layout's rules, checked: import-linter contracts (.importlinter), Streamlit only in ui modules, ruff."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess:
    exe = BIN / tool if (BIN / tool).exists() else shutil.which(tool)
    if exe is None:
        pytest.fail(f"{tool} is missing: it is pinned in requirements-dev.txt (scripts/setup.sh --dev installs it).")
    return subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_linter_contracts_hold():
    done = _run("lint-imports", "--no-cache")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "broken" in done.stdout and " 0 broken" in done.stdout


def _is_ui(module: str) -> bool:
    parts = module.split(".")
    return "ui" in parts


def test_only_ui_modules_import_streamlit():
    graph = grimp.build_graph("genviz", include_external_packages=True)
    offenders = sorted(m for m in graph.find_modules_that_directly_import("streamlit") if not _is_ui(m))
    assert offenders == [], f"these modules import streamlit but are not ui modules: {offenders}"
    # and the rule is not vacuous: the ui modules really are where Streamlit is used
    assert "genviz.ui" in graph.find_modules_that_directly_import("streamlit")


def test_every_family_is_a_folder_and_core_is_below_all():
    graph = grimp.build_graph("genviz")
    for family in ("classifier", "autoencoders", "gans", "embeddings", "team", "concepts", "translation"):
        assert (ROOT / "genviz" / family / "__init__.py").exists(), family
    core_imports = {imp for m in graph.find_children("genviz.core") for imp in graph.find_modules_directly_imported_by(m)}
    # `genviz` itself (its __version__) is the only module above core that core may read
    assert all(i.startswith("genviz.core") or i == "genviz" for i in core_imports), sorted(core_imports)


def test_ruff_lint_and_import_order_are_clean():
    done = _run("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout[-4000:]


def test_the_pages_directory_patch_lives_in_one_place_and_still_fits_streamlit():
    """genviz keeps `pages/` beside `st.navigation`; Streamlit 1.67 offers no supported switch for a first
    visit to a sub-page URL, so genviz.ui clears one class attribute. This fails when Streamlit renames
    or drops it (then remove the patch or adapt it), or when a second place starts patching it."""
    from streamlit.runtime.pages_manager import PagesManager

    assert isinstance(PagesManager.__dict__.get("uses_pages_directory"), (bool, type(None))), (
        "Streamlit changed PagesManager.uses_pages_directory: revisit genviz.ui._through_app_py")
    users = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("genviz/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
                   if "uses_pages_directory" in p.read_text(encoding="utf-8"))
    assert users == ["genviz/ui/__init__.py"], users


def test_no_code_reseeds_the_servers_global_rng():
    """torch.manual_seed changes the RNG every session of the server shares; genviz draws from its own
    generators and builds models through genviz.core.train.seeded_build."""
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("genviz/**/*.py") if "torch.manual_seed(" in p.read_text(encoding="utf-8")]
    assert offenders == []
