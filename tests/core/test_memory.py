import threading
import time

from genviz.core import memory


def test_release_free_memory_collects_and_trims_on_glibc():
    import platform

    ran = memory.release_free_memory()
    assert ran == (memory._TRIM is not None)
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert ran, "malloc_trim is found on glibc"


def test_trim_soon_runs_once_for_many_calls_in_a_row():
    done = []
    event = threading.Event()

    def after():
        done.append(time.monotonic())
        event.set()

    t0 = time.monotonic()
    for _ in range(20):  # twenty sessions ending together
        memory.trim_soon(0.2, after=after)
    assert event.wait(5)
    time.sleep(0.4)
    assert len(done) == 1, "one trim for the burst"
    assert done[0] - t0 >= 0.2
