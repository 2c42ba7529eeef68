"""The Train page's session job: build a model from widget values, train it in a thread, save it."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import streamlit as st
from torch import Tensor, nn

from genviz.core import atomic, checkpoints, registry, snapshots
from genviz.core.data import ImageData, fixed_examples
from genviz.core.errors import AlreadyExists, ConfigError, SaveError
from genviz.core.evaluation import evaluate_model
from genviz.core.jobs import BackgroundJob, Previews, training_queue
from genviz.core.train import TrainParams, TrainRecord, new_run
from genviz.ui import Settings, catalogue, dataset, start_job, torch_device

JOB = "train"
# Steps per second of each pace; None trains as fast as it can. Digits trains 20 epochs in under a
# second at full speed, too fast to see the curve, the previews or Stop: it starts "watchable".
PACES: dict[str, float | None] = {"full speed": None, "watchable": 20.0, "slow motion": 4.0}  # short: the control sits in a narrow column
HISTORY_POINTS = 2_000  # records kept per lane (with / without held-out metrics), thinned evenly beyond
# Previews kept in the history: the latest few and geometrically spaced ones, enough for the GAN
# Training-dynamics scrubber and for save's GRID_SNAPSHOTS progress grids; the others are dropped.
PREVIEWS = Previews(has=lambda r: r.preview is not None, strip=lambda r: replace(r, preview=None),
                    keep=2 * snapshots.GRID_SNAPSHOTS + 4, recent=4)


def training_job(run) -> BackgroundJob:
    """A Train-page job: waits for a server-wide training slot, keeps a bounded history of `TrainRecord`s."""
    return BackgroundJob(run, name=JOB, keep_history=HISTORY_POINTS, lane=_has_test_metrics, previews=PREVIEWS,
                         queue=training_queue())


def _has_test_metrics(record: TrainRecord) -> bool:
    return bool(record.test_metrics)


@dataclass
class TrainingRun:
    """What the Train page needs after the job ends: the model it trained and how."""

    kind: str
    config: Any
    dataset: str
    params: TrainParams
    model: nn.Module
    data: ImageData
    job: BackgroundJob
    saved_to: Path | None = None
    unsaved: tuple[str, bytes] | None = None  # (file name, checkpoint bytes) after a failed save: offered as a download


def default_pace(dataset_name: str) -> str:
    """The pace a Train page starts with: watchable on the tiny bundled digits, full speed elsewhere."""
    return "watchable" if dataset_name == "digits" else "full speed"


def start(settings: Settings, kind: str, values: dict[str, Any], train_values: dict[str, Any],
          pace: float | None = None) -> TrainingRun:
    """Validate everything, then start a training job for this session (replacing any previous one).

    `pace` (steps per second) holds the run back to that speed, with a record and a preview about four
    times a second, so a run on tiny data can be watched (and stopped) as it learns."""
    if pace:
        train_values = {**train_values, "log_every": max(1, round(pace / 4))}
    params = TrainParams(seed=settings.seed, **train_values)  # validated before anything is allocated
    spec = registry.get(kind)  # a kind may bring its own data (cyclegan: its domain pair), else the sidebar's
    imgs = spec.load_data(values, torch_device(settings)) if spec.load_data is not None else dataset(settings)
    run = new_run(kind, imgs, values, params, torch_device(settings))  # weights seeded by the sidebar's seed
    # 8 images a row: at 56-px tiles the grid (≈ 460 px) fits the Train page's column unshrunk.
    preview = fixed_examples(imgs, n=8, seed=settings.seed)

    def train(stop: threading.Event):
        began = time.monotonic()
        for rec in run.fit(stop=stop, preview_data=preview):
            yield rec
            if pace:  # wait until this step's time on the schedule; Stop ends the wait at once
                stop.wait(max(0.0, began + rec.step / pace - time.monotonic()))

    job = training_job(train)
    training = TrainingRun(kind, run.config, imgs.name, params, run.model, imgs, job)
    st.session_state["training_run"] = training
    start_job(JOB, job)
    return training


def current() -> TrainingRun | None:
    """This session's latest run. After a lost connection its job was stopped with the session, but the
    model it trained is still here to be saved."""
    return st.session_state.get("training_run")


def final_summary(history) -> tuple[Any, dict[str, float], dict[str, float]] | None:
    """(last record with held-out numbers, those numbers, the first held-out numbers) of a run, or None."""
    evaluated = [r for r in history if r.test_metrics]
    if not evaluated:
        return None
    return evaluated[-1], evaluated[-1].test_metrics, evaluated[0].test_metrics


def progress_grids(history) -> tuple[list[int], Tensor | None]:
    """About GRID_SNAPSHOTS of a run's fixed-noise previews (geometrically spaced steps) as uint8."""
    records = [r for r in history if r.preview is not None]
    if not records:
        return [], None
    steps, grids = snapshots.keep_snapshots([r.step for r in records], [r.preview for r in records])
    return steps, snapshots.grids_to_uint8(grids)


def default_name(training: TrainingRun) -> str:
    """`{kind}-{dataset}-<tag>`, the tag random per session, so sessions on one server do not share names."""
    tag = st.session_state.setdefault("train_name_tag", secrets.token_hex(2))
    return f"{training.kind}-{training.dataset}-{tag}"


def save(training: TrainingRun, name: str, *, overwrite: bool = False) -> Path:
    """Save the finished (or stopped) model under the user's checkpoint folder; refreshes pickers.

    Refuses a bad or shipped name, and an existing checkpoint unless `overwrite` (AlreadyExists).
    When the disk or folder refuses the write, `training.unsaved` keeps the file's bytes for a
    download and the SaveError sentence is raised; the trained model stays in this session.
    """
    if training.job.snapshot().running:
        raise ConfigError("Stop the training (or let it finish) before saving.")
    payload = None
    try:
        path = checkpoints.user_path(name, overwrite=overwrite)
        payload = _checkpoint_bytes(training)
        atomic.atomic_write(path, payload)
    except AlreadyExists:
        raise
    except SaveError:
        file_name = name.strip().removesuffix(checkpoints.SUFFIX) + checkpoints.SUFFIX
        training.unsaved = (file_name, payload if payload is not None else _checkpoint_bytes(training))
        raise
    training.saved_to, training.unsaved = path, None
    catalogue.clear()
    return path


def _checkpoint_bytes(training: TrainingRun) -> bytes:
    snap = training.job.snapshot()
    metrics = evaluate_model(training.kind, training.model, training.config, training.data, seed=training.params.seed)
    last = snap.latest
    extra: dict[str, Any] = {
        "train_seconds": round(snap.elapsed, 2), "train_params": training.params.__dict__,
        "train_steps": last.step if last else 0,  # what ran: a stopped run has fewer steps than asked
        "train_epochs": round(last.epoch, 3) if last else 0,
        "curve": [{"step": r.step, **r.metrics, **{f"test_{k}": v for k, v in r.test_metrics.items()}} for r in snap.history],
    }
    tensors = {}
    if registry.get(training.kind).family == "gan":  # the Training-dynamics page scrubs these grids
        steps, grids = progress_grids(snap.history)
        if grids is not None:
            extra["progress_steps"], tensors["progress_grids"] = steps, grids
    return checkpoints.encode(
        training.model, training.config, dataset=training.dataset, metrics=metrics,
        epochs=round(last.epoch, 3) if last else 0, extra=extra, extra_tensors=tensors,
    )
