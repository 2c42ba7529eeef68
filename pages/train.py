"""Train: pick a model, set its hyperparameters, train it live, stop, save."""
import streamlit as st

from genviz import ui as backend
from genviz.core import figures, registry
from genviz.core.config import PRECISIONS
from genviz.core.errors import AlreadyExists, GenvizError
from genviz.ui import downloads, training
from genviz.ui.widgets import inline_image, param_widget

settings = backend.sidebar()
st.title("Train a model")

specs = [s for s in registry.kinds() if s.trainable_in_app]
titles = {s.kind: s.title for s in specs}
left, right = st.columns([1, 2])
if st.session_state.get(backend.TRAIN_KIND_REQUEST) in titles:  # from a page's "Train one now" button
    st.session_state["train_kind"] = st.session_state.pop(backend.TRAIN_KIND_REQUEST)
with left:
    kind = st.selectbox("Model", list(titles), format_func=titles.get, key="train_kind")
    spec = registry.get(kind)
    st.caption(spec.description)
    values = {p.name: param_widget(p, f"train_{kind}_{p.name}") for p in spec.params}
    defaults = {"epochs": 10, "batch_size": 128, "lr": 1e-3, **spec.default_train}
    train_values = {
        "epochs": st.number_input("Epochs", 1, 1000, int(defaults["epochs"]), key="train_epochs"),
        "batch_size": st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], int(defaults["batch_size"]),
                                       key="train_batch"),
        "lr": st.number_input("Learning rate", min_value=1e-6, max_value=10.0, value=float(defaults["lr"]),
                              format="%.5f", key="train_lr"),
        "precision": st.segmented_control(
            "Arithmetic", PRECISIONS, default="auto", key="train_precision",
            help="bf16 mixed precision: matrix products and convolutions in bfloat16, weights, losses and "
                 "evaluation in float32 — about 1.3–1.8× faster here (CPUs and GPUs with native bf16). auto uses it where "
                 "this machine has it.") or "auto",
    }
    pace = st.segmented_control(
        "Pace", list(training.PACES), default=training.default_pace(settings.dataset), key="train_pace",
        help="Watchable: 20 training steps a second; slow motion: 4. Holds training back so that the curves and previews can be "
             "watched as the model learns (digits trains 20 epochs in under a second at full speed).") or "full speed"
    if st.button("Train", type="primary", key="train_start", width="stretch"):
        try:
            training.start(settings, kind, values, train_values, pace=training.PACES[pace])
        except GenvizError as err:
            st.error(str(err))
    slots, busy, waiting = backend.training_slots()
    st.caption(f"This server trains at most {slots} model{'s' if slots > 1 else ''} at once (one per core); "
               f"further runs wait in a queue and start in turn. Now: {busy} training, {waiting} waiting. "
               "A run stops when its tab is closed.")

run = training.current()
with right:
    if run is None:
        st.info("Choose a model and press **Train**. Training runs in the background of this session: "
                "the curves and reconstructions below refresh while it runs, and other pages stay usable.")


@st.fragment(run_every=0.5 if run is not None and run.job.snapshot().running else None)
def progress() -> None:
    run = training.current()
    if run is None:
        return
    snap = run.job.snapshot()
    last = snap.latest
    st.subheader(f"{registry.get(run.kind).title} on {run.dataset}")
    st.progress(last.progress if last else 0.0,
                text=f"{snap.status} · step {last.step if last else 0}/{last.total_steps if last else '?'}"
                     f" · {snap.elapsed:.1f} s" + (f" · {last.examples_per_s:,.0f} images/s" if last else ""))
    if snap.error:
        st.error(snap.error)
    if snap.queued:
        st.info(f"Waiting for a training slot: number {snap.queue_position or '?'} in the queue. This server "
                f"trains {snap.queue_capacity or 1} model(s) at once, one per core; yours starts when one ends.")
        if st.button("Cancel", key="train_cancel"):
            run.job.stop()
            st.rerun()
        return
    curve = [{"step": r.step, **r.metrics, **{f"test_{k}": v for k, v in r.test_metrics.items()}} for r in snap.history]
    if last is not None and last.preview is not None:
        recipe = registry.get(run.kind).recipe
        nrow = getattr(recipe, "preview_nrow", None) or len(last.preview) // 2
        caption = getattr(recipe, "preview_caption", "Fixed held-out images (top) and their reconstructions (bottom)")
        # Drawn at its own size (tiles of 56 px), never shrunk into a column: 8×8 digits stay visible.
        with st.container(key="train_preview"):
            inline_image(figures.image_grid(last.preview, nrow=nrow, scale=figures.pixel_scale(last.preview.shape, 56)),
                         caption)
    if curve:
        with st.container(key="train_chart"):  # a test-id for the browser test
            st.plotly_chart(figures.training_panels(curve), key="train_curve", width="stretch")
    if snap.running:
        if st.button("Stop", key="train_stop"):
            run.job.stop()
            st.rerun()
    else:
        if not st.session_state.get("train_ended_seen"):
            st.session_state["train_ended_seen"] = True
            st.rerun()  # drop the refresh timer now that the job is over
        summary = training.final_summary(snap.history)
        if summary is not None:
            final, held_out, first = summary
            with st.container(key="train_summary"):
                st.markdown(f"**Held-out numbers at the end** — step {final.step:,}, {final.epoch:.1f} epochs "
                            f"(change since the first evaluation below each)")
                for col, (k, v) in zip(st.columns(min(4, len(held_out))), list(held_out.items())[:4]):
                    col.metric(figures.metric_label(f"test_{k}"), f"{v:.4g}",
                               delta=f"{v - first[k]:+.3g}" if k in first else None, delta_color="off")
        with st.form("train_save_form"):
            name = st.text_input("Checkpoint name", training.default_name(run), key="train_save_name")
            replace = st.checkbox("Replace a saved checkpoint of this name", key="train_save_replace")
            if st.form_submit_button("Save"):
                try:
                    with st.spinner("Saving: scoring the model on the held-out images, then writing the file "
                                    "(a few seconds; up to ~10 s on MNIST)…", show_time=True):
                        path = training.save(run, name, overwrite=replace)
                    ran = snap.latest
                    st.success(f"Saved to {path}" + (f" ({ran.step:,} steps, {ran.epoch:.1f} epochs)" if ran else "")
                               + "; it now appears in every model picker.")
                except AlreadyExists as err:
                    st.warning(f"{err} Tick “Replace a saved checkpoint of this name” and save again to "
                               "overwrite it, or choose another name.")
                except GenvizError as err:
                    st.error(str(err))
        if run.saved_to is not None and run.saved_to.exists():
            downloads.checkpoint_download(run.saved_to, "train_saved_download")
        if run.unsaved is not None:
            st.download_button("Download the checkpoint instead", run.unsaved[1], file_name=run.unsaved[0],
                               key="train_download")
            st.caption("The trained model stays in this session until you train another: download it, or "
                       "save it again once there is room.")
    if snap.running:
        st.session_state["train_ended_seen"] = False


with right:
    progress()
