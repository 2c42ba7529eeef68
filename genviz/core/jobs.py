"""Background jobs: run a generator in a worker thread, publish what it yields, keep a bounded history.

One job type serves every page: training runs, live experiments, embedding maps. A job belongs to one
Streamlit session (the ui keeps a session's jobs in a `SessionJobs`, released when the session ends)
but knows nothing of Streamlit: the worker never calls `st.*`. The page reads `job.snapshot()` from a
fragment that reruns every half second while the job runs. Stop is a `threading.Event`.

What a job keeps is bounded, however long it runs: `keep_history` items (thinned evenly once there
are more), and the heavy part of an item (a preview image) on a few of them only (`Previews`). Jobs
that train wait for one of a few server-wide slots (`JobQueue`, one per core) and say where they are
in the queue. Finished results shared by sessions go into an `LRUStore`.
"""
from __future__ import annotations

import atexit
import math
import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Hashable, Iterator

import torch

from genviz.core.errors import GenvizError

# A job function receives the stop event and yields progress items until done or stopped.
JobFn = Callable[[threading.Event], Iterator[Any]]

DEFAULT_HISTORY = 2_000  # items a job keeps (thinned evenly beyond); a loss curve needs no more
QUEUE_POLL_S = 0.25  # how often a queued job looks at its stop flag and its place in the queue


@dataclass(frozen=True)
class JobSnapshot:
    """An immutable view of a job, safe to read from any thread."""

    status: str  # "idle" | "queued" | "running" | "done" | "stopped" | "failed"
    latest: Any = None
    history: tuple[Any, ...] = ()
    error: str | None = None
    started: float = 0.0  # when it started running (while queued: when it was queued)
    finished: float | None = None
    queue_position: int | None = None  # while queued: 1 = the next to start
    queue_capacity: int | None = None  # while queued: how many jobs run at once

    @property
    def running(self) -> bool:
        """Not over yet: running, or waiting in the queue (Stop cancels either)."""
        return self.status in ("queued", "running")

    @property
    def queued(self) -> bool:
        return self.status == "queued"

    @property
    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started


# ---- what a job keeps ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Previews:
    """Which items keep their heavy part (a preview image): at most `keep` of them — the `recent` latest
    and the others geometrically spaced over the run (early training changes fastest). `has(item)`
    says whether an item carries one; `strip(item)` returns the item without it."""

    has: Callable[[Any], bool]
    strip: Callable[[Any], Any]
    keep: int = 24
    recent: int = 4

    def __post_init__(self) -> None:
        if not 0 <= self.recent < self.keep:
            raise ValueError("Previews needs 0 <= recent < keep")


def _on_grid(position: int, base: float) -> bool:
    """Whether `position` (1, 2, …) is the first at or above some power of `base`: base**k in (p-1, p].
    The positions on the grid of base² are a subset of those on the grid of base."""
    if position == 1:
        return True
    return math.floor(math.log(position, base) + 1e-9) > math.floor(math.log(position - 1, base) + 1e-9)


@dataclass
class _Lane:
    kept: list[int] = field(default_factory=list)  # sequence numbers kept, every `stride`-th item offered
    stride: int = 1
    offered: int = 0
    tail: int | None = None  # the lane's latest item when the stride would not keep it


class BoundedHistory:
    """The items of a run, at most `points` per lane (+ its latest) and `previews.keep` previews.

    Thinning a lane: once it holds more than `points`, every other kept item is dropped and from then
    on only every 2nd (4th, …) new one is kept, so the kept items stay evenly spaced over the whole run.
    `lane(item)` separates items thinned independently (e.g. records with held-out metrics from the
    others). Previews: the `recent` latest, plus those at the k-th preview for k on a geometric grid
    (1, 2, 3, 4, 6, 9, …); when there are too many, the grid's ratio is squared, which keeps every
    other one. An item holding a kept preview stays in the history. `points <= 1` keeps only the
    latest item. Used by one thread (the job's worker); `items()` is a tuple safe to hand to others.
    """

    GRID_RATIO = 1.25  # the preview grid's first ratio; squared whenever it holds too many

    def __init__(self, points: int = DEFAULT_HISTORY, lane: Callable[[Any], Hashable] | None = None,
                 previews: Previews | None = None) -> None:
        self.points, self.lane, self.previews = points, lane, previews
        self._items: dict[int, Any] = {}  # sequence number → item, in order
        self._lanes: dict[Hashable, _Lane] = {}
        self._in_lane: set[int] = set()  # kept by its lane
        self._spaced: dict[int, int] = {}  # kept for its preview on the grid: seq → preview position
        self._recent: deque[int] = deque()  # the latest items with a preview
        self._base = self.GRID_RATIO
        self._n_previews = 0
        self._seq = 0

    def add(self, item: Any) -> None:
        seq, self._seq = self._seq, self._seq + 1
        if self.points <= 1:
            self._items = {seq: item}
            return
        self._items[seq] = item
        lane = self._lanes.setdefault(self.lane(item) if self.lane else None, _Lane())
        if lane.tail is not None:
            self._let_go(lane.tail)
            lane.tail = None
        self._in_lane.add(seq)
        if lane.offered % lane.stride == 0:
            lane.kept.append(seq)
            if len(lane.kept) > self.points:
                for dropped in lane.kept[1::2]:
                    self._let_go(dropped)
                lane.kept = lane.kept[::2]
                lane.stride *= 2
        else:
            lane.tail = seq
        lane.offered += 1
        p = self.previews
        if p is not None and p.has(item):
            self._n_previews += 1
            if _on_grid(self._n_previews, self._base):
                self._spaced[seq] = self._n_previews
            while len(self._spaced) > p.keep - p.recent:
                self._base *= self._base
                for s, position in list(self._spaced.items()):
                    if not _on_grid(position, self._base):
                        del self._spaced[s]
                        self._drop_preview(s)
            self._recent.append(seq)
            while len(self._recent) > p.recent:
                self._drop_preview(self._recent.popleft())

    def _let_go(self, seq: int) -> None:
        """Its lane no longer keeps `seq`: forget it unless its preview is kept."""
        self._in_lane.discard(seq)
        if seq not in self._spaced and seq not in self._recent:
            self._items.pop(seq, None)

    def _drop_preview(self, seq: int) -> None:
        if seq in self._spaced or seq in self._recent or seq not in self._items:
            return
        if seq in self._in_lane:
            self._items[seq] = self.previews.strip(self._items[seq])
        else:
            del self._items[seq]

    def items(self) -> tuple[Any, ...]:
        return tuple(self._items.values())

    def __len__(self) -> int:
        return len(self._items)


# ---- a server-wide cap on jobs that train --------------------------------------------------------

def default_capacity() -> int:
    """Training jobs that run at once on this server: GENVIZ_MAX_TRAINING_JOBS, else one per core
    this process may use (two trainers on one core slow each other several times over)."""
    wanted = os.environ.get("GENVIZ_MAX_TRAINING_JOBS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class JobQueue:
    """At most `capacity` jobs hold a slot at once; the others wait first come, first served (thread-safe)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a job queue needs at least one slot")
        self.capacity = capacity
        self._cond = threading.Condition()
        self._waiting: list[object] = []
        self._holding: set[object] = set()

    def acquire(self, ticket: object, stop: threading.Event,
                on_wait: Callable[[int], None] = lambda position: None) -> bool:
        """Wait for a slot; True once `ticket` holds one, False if `stop` was set first (it leaves the
        queue). `on_wait(position)` is called whenever its place in the queue (1 = next) changes."""
        with self._cond:
            self._waiting.append(ticket)
            told = None
            try:
                while True:
                    if stop.is_set():
                        return False
                    position = self._waiting.index(ticket) + 1
                    if position == 1 and len(self._holding) < self.capacity:
                        self._holding.add(ticket)
                        return True
                    if position != told:
                        told = position
                        on_wait(position)
                    self._cond.wait(QUEUE_POLL_S)
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()

    def release(self, ticket: object) -> None:
        with self._cond:
            self._holding.discard(ticket)
            self._cond.notify_all()

    def counts(self) -> tuple[int, int]:
        """(jobs holding a slot, jobs waiting)."""
        with self._cond:
            return len(self._holding), len(self._waiting)


_training_queue: JobQueue | None = None
_training_queue_lock = threading.Lock()


def training_queue() -> JobQueue:
    """The server-wide queue of jobs that train (created on first use with `default_capacity()`)."""
    global _training_queue
    with _training_queue_lock:
        if _training_queue is None:
            _training_queue = JobQueue(default_capacity())
        return _training_queue


# ---- the job ---------------------------------------------------------------------------------------

_LIVE: weakref.WeakSet[BackgroundJob] = weakref.WeakSet()


@atexit.register
def _stop_live_jobs() -> None:
    """Stop job threads before the interpreter goes away (native t-SNE / UMAP code must not be cut off)."""
    jobs = list(_LIVE)
    for job in jobs:
        job.stop(timeout=0)
    deadline = time.monotonic() + 10
    for job in jobs:
        job.join(max(0.0, deadline - time.monotonic()))


@dataclass(eq=False)
class BackgroundJob:
    """Runs `fn(stop_event)` in a daemon thread; every yielded item becomes `latest` and joins the history.

    The history is a `BoundedHistory` of `keep_history` items per `lane` (thinned evenly beyond that),
    whose `previews` policy keeps the heavy part of a few items only. With a `queue`, the thread first
    waits for a slot (status "queued", with its position) and gives it back when it ends. A
    `GenvizError` raised by the generator ends the job as "failed" with its sentence; any other
    exception too, with its type named (that one is a bug).
    """

    fn: JobFn
    name: str = "job"
    keep_history: int = DEFAULT_HISTORY
    threads: int | None = 1
    lane: Callable[[Any], Hashable] | None = None
    previews: Previews | None = None
    queue: JobQueue | None = None
    stop_wait_s: float = 5.0  # how long `stop()` waits for the thread by default
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _snapshot: JobSnapshot = field(default=JobSnapshot(status="idle"), init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _history: BoundedHistory | None = field(default=None, init=False)
    _history_lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def start(self) -> BackgroundJob:
        if self._thread is not None:
            raise RuntimeError("a job can be started once")
        self._snapshot = JobSnapshot(status="queued" if self.queue else "running", started=time.time())
        self._thread = threading.Thread(target=self._run, name=f"genviz-{self.name}", daemon=True)
        _LIVE.add(self)
        self._thread.start()
        return self

    def _publish(self, **changes: Any) -> None:
        with self._lock:
            self._snapshot = replace(self._snapshot, **changes)

    def _run(self) -> None:
        if self.queue is not None:
            capacity = self.queue.capacity
            if not self.queue.acquire(self, self._stop, lambda pos: self._publish(queue_position=pos,
                                                                                  queue_capacity=capacity)):
                self._publish(status="stopped", queue_position=None, finished=time.time())
                return
            self._publish(status="running", queue_position=None, queue_capacity=None, started=time.time())
        try:
            self._train()
        finally:
            if self.queue is not None:
                self.queue.release(self)

    def _train(self) -> None:
        if self.threads is not None:
            # Leave the other core to the UI; 1 thread is also faster than 2 contending ones.
            torch.set_num_threads(self.threads)
        self._history = BoundedHistory(self.keep_history, self.lane, self.previews)
        try:
            for item in self.fn(self._stop):
                self.report(item)
                if self._stop.is_set():
                    break
            status = "stopped" if self._stop.is_set() else "done"
            self._publish(status=status, finished=time.time())
        except GenvizError as err:
            self._publish(status="failed", error=str(err), finished=time.time())
        except Exception as err:  # a bug, but the UI must say so rather than hang
            self._publish(status="failed", error=f"{type(err).__name__}: {err}", finished=time.time())

    def report(self, item: Any) -> None:
        """Publish `item` as if the job's generator had yielded it: for progress reported by a callback
        from inside a long library call, between two yields (thread-safe)."""
        with self._history_lock:
            if self._history is None:
                return
            self._history.add(item)
            self._publish(latest=item, history=self._history.items())

    def stop(self, timeout: float | None = None) -> None:
        """Ask the worker to stop (it checks the flag between steps, or while queued) and wait up to
        `timeout` seconds for it (default `stop_wait_s`; 0 does not wait)."""
        self._stop.set()
        wait = self.stop_wait_s if timeout is None else timeout
        if self._thread is not None and wait > 0 and self._thread is not threading.current_thread():
            self._thread.join(wait)

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> JobSnapshot:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot()

    def alive(self) -> bool:
        """Whether the worker thread still runs (a stopped job's thread ends within a step)."""
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            return self._snapshot


# ---- one session's jobs ----------------------------------------------------------------------------

class SessionJobs:
    """One session's jobs by name. Starting a job stops the session's previous job of that name;
    `release()` (the session ended: tab closed, connection lost, session expired) stops them all.

    `release` only sets the stop flags: it runs on the server's event loop, which must not wait for
    threads. Each job's thread ends within one step; the jobs' bounded snapshots stay readable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, BackgroundJob] = {}
        self.released = False

    def get(self, name: str) -> BackgroundJob | None:
        with self._lock:
            return self._jobs.get(name)

    def start(self, name: str, job: BackgroundJob) -> BackgroundJob:
        with self._lock:
            if self.released:
                raise RuntimeError("this session has ended; its jobs were released")
            old = self._jobs.get(name)
            self._jobs[name] = job
        if old is not None:
            old.stop()
        return job.start()

    def release(self) -> None:
        with self._lock:
            self.released = True
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop(timeout=0)

    def jobs(self) -> dict[str, BackgroundJob]:
        with self._lock:
            return dict(self._jobs)


# ---- finished results shared by sessions -----------------------------------------------------------

class LRUStore:
    """Finished, read-only results shared by every session, the least recently used dropped first
    once there are more than `capacity` (thread-safe)."""

    def __init__(self, capacity: int = 64) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self.capacity = capacity

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
