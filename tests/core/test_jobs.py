from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, replace

import pytest
import torch

from genviz.core.errors import GenvizError
from genviz.core.jobs import (
    BackgroundJob,
    BoundedHistory,
    JobQueue,
    LRUStore,
    Previews,
    SessionJobs,
    default_capacity,
)


def test_job_publishes_items_and_finishes():
    job = BackgroundJob(lambda stop: iter(range(5))).start()
    snap = job.join(5)
    assert snap.status == "done" and snap.latest == 4 and snap.history == (0, 1, 2, 3, 4)


def test_stop_ends_a_running_job_quickly():
    def forever(stop):
        i = 0
        while not stop.is_set():
            i += 1
            time.sleep(0.01)
            yield i

    job = BackgroundJob(forever).start()
    time.sleep(0.1)
    t = time.perf_counter()
    job.stop()
    assert time.perf_counter() - t < 1.0
    assert job.snapshot().status == "stopped" and job.snapshot().latest >= 1


def test_user_error_becomes_a_failed_status_with_its_sentence():
    def bad(stop):
        yield 1
        raise GenvizError("Training diverged; try a smaller learning rate.")

    snap = BackgroundJob(bad).start().join(5)
    assert snap.status == "failed" and snap.error.startswith("Training diverged") and snap.latest == 1


# ---- what a job keeps ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    step: int
    epoch_end: bool = False
    preview: torch.Tensor | None = None


PREVIEWS = Previews(has=lambda r: r.preview is not None, strip=lambda r: replace(r, preview=None), keep=24, recent=4)


def test_a_long_job_keeps_at_most_n_previews_and_m_history_points():
    """10,000 records, each with a preview: the history stays within its bounds and evenly spread."""
    def records(stop):
        for step in range(1, 10_001):
            yield Record(step, epoch_end=step % 100 == 0, preview=torch.zeros(16, 1, 8, 8))

    job = BackgroundJob(records, keep_history=500, lane=lambda r: r.epoch_end, previews=PREVIEWS).start()
    snap = job.join(60)
    assert snap.status == "done" and snap.latest.step == 10_000 and snap.latest.preview is not None
    history = snap.history
    regular = [r for r in history if not r.epoch_end]
    ends = [r for r in history if r.epoch_end]
    assert len(regular) <= 501 and len(ends) <= 501 and len(history) <= 1002
    assert len(ends) == 100, "the 100 epoch-end records are a lane of their own and under its bound"
    steps = [r.step for r in regular]
    assert steps == sorted(steps) and steps[0] == 1 and steps[-1] == 9_999, "first and latest kept"
    plain = [r.step for r in regular if r.preview is None]  # not pinned by a kept preview
    gaps = Counter(b - a for a, b in zip(plain, plain[1:]))
    stride = min(gaps, key=lambda g: -gaps[g])
    even = gaps[stride] + gaps[stride + 1]  # +1 where an epoch end (the other lane) lies between
    assert even >= 0.9 * sum(gaps.values()) and stride >= 16, f"thinned evenly, one stride: {gaps.most_common(4)}"
    kept = [r.step for r in history if r.preview is not None]
    assert len(kept) <= PREVIEWS.keep, len(kept)
    assert kept[-4:] == [r.step for r in history][-4:], "the latest few keep their preview"
    assert kept[0] < 50 and any(1_000 < s < 5_000 for s in kept), f"geometrically spaced over the run: {kept}"


def test_history_of_one_keeps_only_the_latest():
    h = BoundedHistory(points=1)
    for i in range(10):
        h.add(i)
    assert h.items() == (9,)


def test_bounded_history_memory_stays_flat():
    h = BoundedHistory(points=100, previews=PREVIEWS)
    for step in range(20_000):
        h.add(Record(step, preview=torch.zeros(4)))
    assert len(h) <= 101 and sum(r.preview is not None for r in h.items()) <= PREVIEWS.keep


# ---- the training queue ----------------------------------------------------------------------------
def _forever(stop):
    while not stop.is_set():
        time.sleep(0.01)
        yield 1


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_queue_runs_at_most_capacity_jobs_and_reports_positions():
    queue = JobQueue(1)
    first = BackgroundJob(_forever, queue=queue).start()
    second = BackgroundJob(_forever, queue=queue).start()
    third = BackgroundJob(_forever, queue=queue).start()
    _wait_for(lambda: first.snapshot().status == "running")
    _wait_for(lambda: third.snapshot().queue_position == 2)
    assert second.snapshot().queued and second.snapshot().queue_position == 1 and second.snapshot().running
    assert second.snapshot().queue_capacity == 1 and queue.counts() == (1, 2)
    first.stop()
    _wait_for(lambda: second.snapshot().status == "running")
    _wait_for(lambda: third.snapshot().queue_position == 1)
    assert third.snapshot().queued and queue.counts() == (1, 1)
    second.stop(), third.stop()
    assert queue.counts() == (0, 0)


def test_a_queued_job_can_be_cancelled_and_gives_way():
    queue = JobQueue(1)
    first = BackgroundJob(_forever, queue=queue).start()
    second = BackgroundJob(_forever, queue=queue).start()
    third = BackgroundJob(_forever, queue=queue).start()
    _wait_for(lambda: third.snapshot().queue_position == 2)
    t = time.perf_counter()
    second.stop()
    assert time.perf_counter() - t < 1.0
    snap = second.snapshot()
    assert snap.status == "stopped" and snap.latest is None and not snap.running
    _wait_for(lambda: third.snapshot().queue_position == 1)
    first.stop()
    _wait_for(lambda: third.snapshot().status == "running")
    third.stop()


def test_a_failing_job_frees_its_slot():
    queue = JobQueue(1)

    def bad(stop):
        yield 1
        raise RuntimeError("boom")

    assert BackgroundJob(bad, queue=queue).start().join(5).status == "failed"
    assert queue.counts() == (0, 0)
    assert BackgroundJob(lambda stop: iter([1]), queue=queue).start().join(5).status == "done"


def test_default_capacity_is_one_per_usable_core(monkeypatch):
    monkeypatch.delenv("GENVIZ_MAX_TRAINING_JOBS", raising=False)
    assert default_capacity() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("GENVIZ_MAX_TRAINING_JOBS", "3")
    assert default_capacity() == 3


# ---- one session's jobs ----------------------------------------------------------------------------
def test_release_stops_every_job_of_the_session_without_waiting():
    jobs = SessionJobs()
    a = jobs.start("train", BackgroundJob(_forever))
    b = jobs.start("map", BackgroundJob(_forever))
    t = time.perf_counter()
    jobs.release()
    assert time.perf_counter() - t < 0.1, "release runs on the server's event loop: it must not wait"
    _wait_for(lambda: not a.alive() and not b.alive(), timeout=2)
    assert a.snapshot().status == b.snapshot().status == "stopped"
    with pytest.raises(RuntimeError):
        jobs.start("train", BackgroundJob(_forever))


def test_starting_a_job_stops_the_previous_one_of_that_name():
    jobs = SessionJobs()
    old = jobs.start("train", BackgroundJob(_forever))
    new = jobs.start("train", BackgroundJob(_forever))
    assert not old.alive() and old.snapshot().status == "stopped" and jobs.get("train") is new
    jobs.release()


def test_lru_store_drops_the_least_recently_used():
    store = LRUStore(capacity=2)
    store.put("a", 1), store.put("b", 2)
    assert store.get("a") == 1
    store.put("c", 3)
    assert store.get("b") is None and store.get("a") == 1 and store.get("c") == 3 and len(store) == 2


def test_report_publishes_progress_from_a_callback():
    def run(stop):
        for i in range(3):
            job.report(("callback", i))
        yield "end"

    job = BackgroundJob(run, keep_history=10)
    snap = job.start().join(5)
    assert snap.history == (("callback", 0), ("callback", 1), ("callback", 2), "end")
