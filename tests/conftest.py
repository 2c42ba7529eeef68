"""Shared fixtures: the bundled digits, and a writable copy of ../shared/data when it exists."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("GENVIZ_SHARED_DATA", ROOT.parent / "shared" / "data"))

# Keep tests light on the 2-core machine and independent of the user's own files.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "realdata: uses ../shared/data (skipped when it is absent)")
    config.addinivalue_line("markers", "e2e: drives a real browser against `streamlit run`")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Saved checkpoints go to a temp GENVIZ_HOME, never the user's ~/.cache."""
    home = tmp_path_factory.mktemp("genviz_home")
    monkeypatch.setenv("GENVIZ_HOME", str(home))
    if "GENVIZ_DATA_DIR" not in os.environ:
        monkeypatch.setenv("GENVIZ_DATA_DIR", str(home / "data"))


@pytest.fixture
def one_torch_thread():
    """Tiny models: one torch thread is faster than two contending ones on a shared 2-core machine.
    A module opts in with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def digits():
    from genviz.core import data

    return data.load("digits")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (read-only; genviz copies what torchvision must extract); skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not present at {SHARED_DATA} (see shared/data/SOURCES.md)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def mnist(shared_data: Path):
    from genviz.core import data

    return data.load("mnist", root=shared_data)


def rerun_until(at, done, timeout_s: float = 60.0, every_s: float = 0.5):
    """Rerun an AppTest every `every_s` seconds until `done(at)` is true, an error box shows, or `timeout_s`
    passes (a background job's progress reaches the page only on reruns); returns `at`."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not at.error:
        time.sleep(every_s)
        at.run()
        if done(at):
            break
    return at
