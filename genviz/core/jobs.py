"""Background jobs: run a generator in a worker thread, publish what it yields.

A job belongs to one Streamlit session (kept in its session state) but knows nothing of
Streamlit: the worker never calls `st.*`. The page reads `job.snapshot()` from a fragment
that reruns every half second while the job runs. Stop is a `threading.Event`.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import torch

from genviz.core.errors import GenvizError

# A job function receives the stop event and yields progress items until done or stopped.
JobFn = Callable[[threading.Event], Iterator[Any]]


@dataclass(frozen=True)
class JobSnapshot:
    """An immutable view of a job, safe to read from any thread."""

    status: str  # "running" | "done" | "stopped" | "failed"
    latest: Any = None
    history: tuple[Any, ...] = ()
    error: str | None = None
    started: float = 0.0
    finished: float | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started


@dataclass
class BackgroundJob:
    """Runs `fn(stop_event)` in a daemon thread; every yielded item becomes `latest`.

    `keep_history` items (the most recent) are kept in `history`. A `GenvizError` raised by
    the generator ends the job as "failed" with its sentence; any other exception too, with
    its type named (that one is a bug).
    """

    fn: JobFn
    name: str = "job"
    keep_history: int = 10_000
    threads: int | None = 1
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _snapshot: JobSnapshot = field(default=JobSnapshot(status="idle"), init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> BackgroundJob:
        if self._thread is not None:
            raise RuntimeError("a job can be started once")
        self._snapshot = JobSnapshot(status="running", started=time.time())
        self._thread = threading.Thread(target=self._run, name=f"genviz-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _publish(self, **changes: Any) -> None:
        with self._lock:
            current = self._snapshot
            self._snapshot = JobSnapshot(**{**current.__dict__, **changes})

    def _run(self) -> None:
        if self.threads is not None:
            # Leave the other core to the UI; 1 thread is also faster than 2 contending ones.
            torch.set_num_threads(self.threads)
        history: list[Any] = []
        try:
            for item in self.fn(self._stop):
                history.append(item)
                if len(history) > self.keep_history:
                    del history[: len(history) - self.keep_history]
                self._publish(latest=item, history=tuple(history))
                if self._stop.is_set():
                    break
            status = "stopped" if self._stop.is_set() else "done"
            self._publish(status=status, finished=time.time())
        except GenvizError as err:
            self._publish(status="failed", error=str(err), finished=time.time())
        except Exception as err:  # a bug, but the UI must say so rather than hang
            self._publish(status="failed", error=f"{type(err).__name__}: {err}", finished=time.time())

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to stop and wait for it (it checks the flag between steps)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> JobSnapshot:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return self._snapshot

    @property
    def stop_event(self) -> threading.Event:
        return self._stop
