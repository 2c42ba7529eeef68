"""A session's jobs end with the session; the Train page queues runs beyond the server's cap; the
server's defaults keep it to this machine (the browser test checks the same against a real server)."""
from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from streamlit.runtime.caching import cache_resource_api
from streamlit.testing.v1 import AppTest

from genviz.core import jobs

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate, timeout=30.0, step=None):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        if step is not None:
            step()
        time.sleep(0.2)


def _end_every_session() -> None:
    """What Streamlit does when a session disconnects (AppSession.clear_session_caches): clear its
    session-scoped resource caches, which calls their on_release."""
    caches = cache_resource_api._resource_caches
    with caches._caches_lock:
        sessions = [sid for sid in caches._function_caches if sid is not None]
    for sid in sessions:
        caches.clear_session(sid)


@pytest.fixture()
def one_slot(monkeypatch):
    """A server-wide training queue of one slot (the real one is created on first use)."""
    queue = jobs.JobQueue(1)
    monkeypatch.setattr(jobs, "_training_queue", queue)
    return queue


def _train_page(epochs: int) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_kind").set_value("ae").run()
    at.number_input(key="train_epochs").set_value(epochs)
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    return at


def test_the_end_of_a_session_stops_its_training_job(one_slot):
    at = _train_page(1000)
    job = at.session_state["training_run"].job
    _wait_for(lambda: job.snapshot().latest is not None)
    assert job.alive() and job.snapshot().status == "running"
    t0 = time.monotonic()
    _end_every_session()
    _wait_for(lambda: not job.alive(), timeout=5)
    print(f"training thread ended {time.monotonic() - t0:.2f} s after the session's release")
    assert job.snapshot().status == "stopped" and one_slot.counts() == (0, 0)
    # The tab that reconnects still has the stopped run (to save it); a new run starts normally.
    at.run()
    assert not at.exception and "stopped" in at.get("progress")[0].proto.text


def test_train_page_queues_a_run_beyond_the_cap_and_cancels_it(one_slot):
    other = jobs.BackgroundJob(lambda stop: iter(lambda: stop.wait(0.05) or 1, None), queue=one_slot).start()
    try:
        _wait_for(lambda: other.snapshot().status == "running", timeout=5)
        at = _train_page(2)
        job = at.session_state["training_run"].job
        _wait_for(lambda: job.snapshot().queue_position == 1, timeout=5)
        at.run()
        info = " ".join(i.value for i in at.info)
        assert "Waiting for a training slot: number 1 in the queue" in info and "1 model(s) at once" in info
        assert any("at most 1 model at once" in c.value for c in at.caption), [c.value for c in at.caption]
        at.button(key="train_cancel").click().run()
        assert job.snapshot().status == "stopped" and not job.alive() and one_slot.counts() == (1, 0)
    finally:
        other.stop()
        _end_every_session()


def test_a_queued_run_starts_when_the_slot_frees(one_slot):
    other = jobs.BackgroundJob(lambda stop: iter(lambda: stop.wait(0.05) or 1, None), queue=one_slot).start()
    at = _train_page(1)
    job = at.session_state["training_run"].job
    try:
        _wait_for(lambda: job.snapshot().queued, timeout=5)
        other.stop()
        snap = job.join(60)
        assert snap.status == "done" and snap.latest is not None
        at.run()
        assert not at.exception and any(b.label == "Save" for b in at.get("form_submit_button"))
    finally:
        other.stop()
        _end_every_session()


def test_server_defaults_keep_it_to_this_machine():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]
    assert config["address"] == "localhost", "else streamlit listens on every interface"
    assert config["enableXsrfProtection"] is True
    assert 1 <= config["maxUploadSize"] <= 50, "uploads are your own images (≤ 50 MB) or CSVs of matches or points"
