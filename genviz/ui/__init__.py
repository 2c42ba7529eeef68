"""The Streamlit side of genviz: cached loaders, the sidebar, per-session jobs.

This package is the only place that imports streamlit. Cached objects are created here:
`st.cache_resource` for read-only shared things (datasets, loaded checkpoints), `st.cache_data`
for derived arrays. Nobody mutates a cached object; training works on its own model.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import streamlit as st
import torch

from genviz.core import atomic, checkpoints, data, memory, paths, registry
from genviz.core import device as devices
from genviz.core.errors import GenvizError
from genviz.core.jobs import BackgroundJob, SessionJobs, training_queue
from genviz.ui import uploads as own_images
from genviz.ui.downloads import checkpoint_download


@st.cache_resource(show_spinner=False)
def _configure_once() -> int:
    return devices.configure_threads()


@st.cache_resource(show_spinner=False)
def _remove_stale_temp_files_once() -> int:
    """Once per server: delete our own temporary files left by killed saves (older than 10 minutes)."""
    return len(atomic.remove_stale_temp_files([paths.user_checkpoint_dir(), paths.SHIPPED_DIR]))


@dataclass(frozen=True)
class Settings:
    """What the sidebar chose: dataset name, device and seed."""

    dataset: str
    device: str
    seed: int


def _query_default(key: str, options: list[str] | None, fallback: Any) -> Any:
    value = st.query_params.get(key)
    if value is None:
        return fallback
    if options is not None:
        return value if value in options else fallback
    try:
        return type(fallback)(value)
    except (TypeError, ValueError):
        return fallback


def _through_app_py() -> None:
    """Make a first visit to a sub-page URL go through app.py's navigation.

    Until some session has run app.py's `st.navigation`, Streamlit 1.67 treats `pages/` as a v1
    multipage folder and runs a sub-page's file alone (flat file-name nav, no page config). Clearing
    that flag (a class attribute of the pinned version's PagesManager) and rerunning fixes it for
    the whole server.
    """
    if "gv_pages" not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        if PagesManager.uses_pages_directory:
            PagesManager.uses_pages_directory = False
            st.rerun()
    _session_jobs()  # every session, with a job or not, gets the release hook (its memory is trimmed when it ends)


def _remember(key: str) -> None:
    st.session_state[f"gv_keep_{key}"] = st.session_state[f"gv_{key}"]


def sidebar() -> Settings:
    """Draw the shared sidebar controls (mirrored in the URL) and return their values."""
    _through_app_py()
    _configure_once()
    _remove_stale_temp_files_once()
    names = list(data.DATASETS) + own_images.names()  # this session's uploads last
    device_names = devices.available()
    for key, options, fallback in (("dataset", names, data.DEFAULT), ("device", device_names, device_names[0]),
                                   ("seed", None, 0)):
        # Streamlit drops a widget's state when another page runs, so the choice lives in a plain key
        # (updated by on_change) and is handed back to the widget on every page; the URL seeds it.
        keep = f"gv_keep_{key}"
        if keep not in st.session_state or (options is not None and st.session_state[keep] not in options):
            st.session_state[keep] = _query_default(key, options, fallback)
        st.session_state[f"gv_{key}"] = st.session_state[keep]
    with st.sidebar:
        st.selectbox("Dataset", names, key="gv_dataset", format_func={n: dataset_title(n) for n in names}.get,
                     on_change=_remember, args=("dataset",),
                     help="Digits ships with scikit-learn and works offline. The others come through "
                          f"torchvision under {data.data_dir()} (GENVIZ_DATA_DIR). Your own images: below.")
        own_images.upload_widget("gv_keep_dataset")
        st.selectbox("Device", device_names, key="gv_device", on_change=_remember, args=("device",))
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="gv_seed", on_change=_remember,
                        args=("seed",), help="The same seed gives the same pictures.")
    settings = Settings(st.session_state.gv_dataset, st.session_state.gv_device, int(st.session_state.gv_seed))
    st.query_params.update({"dataset": settings.dataset, "device": settings.device, "seed": str(settings.seed)})
    return settings


def dataset_title(name: str) -> str:
    """What the dataset called `name` is, for people: a built-in one's title, an upload's file and size."""
    return data.DATASETS[name].title if name in data.DATASETS else own_images.title(name) or name


@st.cache_resource(show_spinner="Loading dataset…", max_entries=4)
def _load_shared_dataset(name: str, device: str) -> data.ImageData:
    return data.load(name, device)


def _load_dataset(name: str, device: str) -> data.ImageData:
    """The dataset `name` on `device`: one uploaded in this session, else a built-in one (cached, shared)."""
    own = own_images.dataset(name, device)
    return own if own is not None else _load_shared_dataset(name, device)


@st.cache_data(show_spinner=False, ttl=60, max_entries=16)
def _unavailable(name: str, device: str) -> str | None:
    """Why dataset `name` does not load, or None. Remembered for a minute: a missing torchvision dataset
    costs seconds of failed downloads on every try."""
    try:
        _load_dataset(name, device)
        return None
    except GenvizError as err:
        return str(err)


def shown_dataset(settings: Settings) -> str:
    """The name of the dataset the pages show: the sidebar's, or digits when its files are missing."""
    return data.DEFAULT if _unavailable(settings.dataset, settings.device) else settings.dataset


def dataset(settings: Settings) -> data.ImageData:
    """The sidebar's dataset on its device; falls back to digits with a visible warning."""
    reason = _unavailable(settings.dataset, settings.device)
    if reason is None:
        try:
            return _load_dataset(settings.dataset, settings.device)
        except GenvizError as err:
            reason = str(err)
    st.warning(f"{reason} Showing the bundled digits instead.", icon=":material/warning:")
    return _load_dataset(data.DEFAULT, settings.device)


def checkpoint_id(ckpt: checkpoints.Checkpoint) -> str:
    """What identifies a loaded checkpoint for caching: its file, when it was written, its weights."""
    return f"{ckpt.path}|{ckpt.meta.get('created', '')}|{ckpt.meta.get('weights_sha256', '')}"


def dataset_id(imgs: data.ImageData) -> str:
    return f"{imgs.name}|{imgs.device}|{len(imgs.x_train)}|{len(imgs.x_test)}"


def cached_view(show_spinner: bool | str = False, max_entries: int = 64) -> Callable:
    """`st.cache_data` for views of a checkpoint: a Checkpoint or an ImageData argument is keyed by
    its id (`checkpoint_id`, `dataset_id`), so a view is one function taking the objects themselves."""
    return st.cache_data(show_spinner=show_spinner, max_entries=max_entries,
                         hash_funcs={checkpoints.Checkpoint: checkpoint_id, data.ImageData: dataset_id})


@st.cache_data(show_spinner=False, ttl=30)
def catalogue() -> list[checkpoints.CheckpointInfo]:
    return checkpoints.catalogue()


@st.cache_resource(show_spinner="Loading checkpoint…", max_entries=32)
def _load_checkpoint(path: str, mtime: float, device: str) -> checkpoints.Checkpoint:
    return checkpoints.load(path, device)


def load_checkpoint(path: str | Path, device: str) -> checkpoints.Checkpoint:
    """A cached, shared, read-only checkpoint (the file's mtime is part of the key)."""
    p = Path(path)
    mtime = p.stat().st_mtime if p.exists() else 0.0
    return _load_checkpoint(str(p), mtime, device)


def pick_checkpoint(label: str, key: str, settings: Settings, *, families: tuple[str, ...] = (),
                    kinds: tuple[str, ...] = (), prefer: str | None = None,
                    check: Callable[[checkpoints.Checkpoint], None] | None = None) -> checkpoints.Checkpoint | None:
    """A model picker over the catalogue's checkpoints of the sidebar's dataset (a model of another
    dataset cannot be chosen); returns the loaded checkpoint or None (with a message).

    Starts on `prefer` ("{dataset}" filled in), else on the dataset's reference model (`<kind>-<dataset>`).
    The selection is kept across reruns and mirrored as `?<key>=name`. A file that fails to load
    shows its one-line reason and the previously loaded model stays in use.
    """
    shown = shown_dataset(settings)
    if shown != settings.dataset:
        st.caption(f"The {settings.dataset} files are missing, so these are the {shown} models.")
    settings = replace(settings, dataset=shown)
    entries = [c for c in catalogue()
               if (not families or family_of(c.kind) in families) and (not kinds or c.kind in kinds)
               and c.dataset == settings.dataset]
    if not entries:
        what = ", ".join(kinds or families) or "model"
        no_checkpoint(what, settings, key, kind=kinds[0] if kinds else None)
        return None
    return choose_checkpoint(label, key, settings, entries, prefer=prefer, check=check)


TRAIN_KIND_REQUEST = "gv_train_kind_request"  # a "Train one now" button asks the Train page to start on a kind


def no_checkpoint(what: str, settings: Settings, key: str, kind: str | None = None) -> None:
    """Say that the sidebar's dataset has no `what` checkpoint yet, with a button to the Train page
    (starting on `kind` when given)."""
    title = dataset_title(settings.dataset)
    st.info(f"No {what} checkpoint for {title} yet. Train one on the Train page (a few minutes on a laptop), "
            "or pick another dataset in the sidebar.", icon=":material/info:")
    if "gv_pages" in st.session_state:  # only under app.py's navigation can a page link be followed
        if st.button("Train one now", key=f"{key}__train", icon=":material/model_training:"):
            if kind is not None:
                st.session_state[TRAIN_KIND_REQUEST] = kind
            st.switch_page("pages/train.py")


def reference_name(entries: list[checkpoints.CheckpointInfo], dataset: str) -> str | None:
    """The best fitting default among `entries`: a shipped `<kind>-<dataset>` model (not a 2-D variant)."""
    return next((c.name for c in entries if c.shipped and c.name == f"{c.kind}-{dataset}"), None)


def choose_checkpoint(label: str, key: str, settings: Settings, entries: list[checkpoints.CheckpointInfo], *,
                      prefer: str | None = None,
                      check: Callable[[checkpoints.Checkpoint], None] | None = None) -> checkpoints.Checkpoint | None:
    """A keyed selectbox over `entries` (non-empty) that loads the choice, mirrored as `?<key>=name`.

    Starts on the URL's choice, else on the checkpoint named `prefer` ("{dataset}" filled in). A file
    that fails to load, or fails `check`, shows its one-line reason and the last good model stays in use.
    """
    labels = [c.label for c in entries]
    if key not in st.session_state or st.session_state[key] not in labels:
        names = [c.name for c in entries]
        wanted = next((w for w in (st.query_params.get(key), prefer.format(dataset=settings.dataset) if prefer else None,
                                   reference_name(entries, settings.dataset)) if w in names), names[0])
        st.session_state[key] = labels[names.index(wanted)]
    choice = st.selectbox(label, labels, key=key)
    info = entries[labels.index(choice)]
    st.query_params[key] = info.name
    good_key = f"{key}__last_good"
    try:
        ckpt = load_checkpoint(info.path, settings.device)
        if check is not None:
            check(ckpt)
        st.session_state[good_key] = (str(info.path), settings.device)
        checkpoint_download(info.path, f"{key}__download")
        return ckpt
    except GenvizError as err:
        last = st.session_state.get(good_key)
        st.error(f"{err} Still showing {Path(last[0]).stem}, the last model that loaded." if last else str(err))
        return load_checkpoint(*last) if last else None


def seed_sidebar() -> Settings:
    """The sidebar of pages that use no images (team ability): only the seed; the dataset and device
    chosen on other pages are kept, not shown."""
    _through_app_py()
    _configure_once()
    device_names = devices.available()
    for key, options, fallback in (("dataset", list(data.DATASETS), data.DEFAULT), ("device", device_names, device_names[0]),
                                   ("seed", None, 0)):
        keep = f"gv_keep_{key}"
        if keep not in st.session_state:
            st.session_state[keep] = _query_default(key, options, fallback)
    st.session_state["gv_seed"] = st.session_state["gv_keep_seed"]
    with st.sidebar:
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="gv_seed", on_change=_remember,
                        args=("seed",), help="The same seed gives the same training run and default teams.")
        st.caption("The image dataset and device chosen on other pages do not apply here.")
    settings = Settings(st.session_state.gv_keep_dataset, st.session_state.gv_keep_device, int(st.session_state.gv_seed))
    st.query_params["seed"] = str(settings.seed)
    return settings


def family_of(kind: str) -> str:
    try:
        return registry.get(kind).family
    except GenvizError:
        return "?"


def _release_jobs(jobs: SessionJobs) -> None:
    jobs.release()
    memory.trim_soon()  # once the jobs' threads have ended, hand their memory back (core/memory.py)


@st.cache_resource(scope="session", on_release=_release_jobs, show_spinner=False)
def _session_jobs() -> SessionJobs:
    """This session's jobs. Streamlit clears a session-scoped cache when the session disconnects (tab
    closed, connection lost, session expired) and calls `on_release`, which stops every job at once; a
    job kept only in `st.session_state` would train on, since Streamlit keeps a closed session's state
    for a reconnect. Every job therefore starts through `start_job`."""
    return SessionJobs()


def session_job(name: str) -> BackgroundJob | None:
    """This session's job called `name`, if any."""
    return _session_jobs().get(name)


def start_job(name: str, job: BackgroundJob) -> BackgroundJob:
    """Stop this session's previous job of that name, then start `job` in its place (stopped with the session)."""
    return _session_jobs().start(name, job)


def training_slots() -> tuple[int, int, int]:
    """The server-wide cap on jobs that train: (slots, jobs training now, jobs waiting)."""
    queue = training_queue()
    return (queue.capacity, *queue.counts())


def show_error(fn: Callable[[], Any]) -> Any:
    """Run `fn`; a GenvizError becomes an st.error box with its sentence and None is returned."""
    try:
        return fn()
    except GenvizError as err:
        st.error(str(err))
        return None


def pages_in_group(group: str) -> list:
    """The st.Page objects app.py registered under `group` (for links on the home page)."""
    return list(st.session_state.get("gv_pages", {}).get(group, []))


def torch_device(settings: Settings) -> torch.device:
    return devices.pick(settings.device)
