from __future__ import annotations

import time

from genviz.core.errors import GenvizError
from genviz.core.jobs import BackgroundJob


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
