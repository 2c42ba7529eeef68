"""Give memory back to the operating system once a session's work is over.

glibc's malloc keeps freed memory inside its arenas (one per thread that allocated, up to 8 per core):
after many sessions each ran their scripts in their own threads, the server's RSS stays high even when
every tensor of theirs is gone. `trim_soon()` collects Python's cycles and then asks malloc to return
its free pages (`malloc_trim(0)`), once, a few seconds after the last call (sessions ending together
trigger one trim), in a daemon thread so the caller, the server's event loop, never waits.
Elsewhere than glibc it only collects.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from typing import Callable

DEFAULT_DELAY_S = 3.0  # long enough for a stopped job's thread to finish its step and drop its tensors


def _load_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_TRIM = _load_trim()
_lock = threading.Lock()
_timer: threading.Timer | None = None


def release_free_memory() -> bool:
    """Collect garbage now and hand malloc's free pages back; True when malloc_trim ran."""
    gc.collect()
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def trim_soon(delay_s: float = DEFAULT_DELAY_S, after: Callable[[], None] | None = None) -> None:
    """`release_free_memory()` in `delay_s` seconds; a later call before then moves it back (one trim for
    many sessions ending together). `after` (tests) runs once the trim is done."""
    global _timer

    def run() -> None:
        release_free_memory()
        if after is not None:
            after()

    with _lock:
        if _timer is not None:
            _timer.cancel()
        _timer = threading.Timer(delay_s, run)
        _timer.daemon = True
        _timer.name = "genviz-trim"
        _timer.start()
