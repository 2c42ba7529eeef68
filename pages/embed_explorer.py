"""Embedding explorer: PCA, t-SNE or UMAP of raw pixels or an autoencoder's codes, with its numbers
and the images behind the points (hover, click, lasso)."""
import streamlit as st

from genviz import ui as backend
from genviz.core.errors import GenvizError
from genviz.embeddings import projections
from genviz.embeddings import ui as emb
from genviz.embeddings.figures import explained_variance_figure

settings = backend.sidebar()
emb.umap_warmup()  # starts compiling UMAP in the background, once per server process
st.title("Embedding explorer")
st.caption("Each point is one image. Nearby points have similar codes — if the map is trustworthy. "
           "Thumbnails show the images behind the points; click a point for its image, reconstruction and "
           "nearest neighbours, lasso a group to see it.")
imgs = backend.dataset(settings)

controls, main = st.columns([1, 3], gap="large")
with controls:
    source, ckpt = emb.choose_source("emb", settings, imgs)
    split, n = emb.choose_points("emb", imgs)
    method, params = emb.choose_method("emb", n_points=n)
    st.toggle("Images on the map", value=True, key="emb_thumbs",
              help="Draws the image of one point in each cell of a 12 × 12 grid over the map.")

ps = emb.PointSet(source, imgs.name, split, n, settings.seed)
outcome = None
try:
    spec = emb.make_spec(ps, method, params)
    outcome = emb.request("explorer", spec, lambda: emb.points(ps, ckpt, imgs))
except GenvizError as err:
    main.error(str(err))
    st.session_state.pop("emb_last", None)  # no stale map under the error: it would look like the answer

if isinstance(outcome, emb.MapResult):
    st.session_state["emb_last"] = spec
shown = st.session_state.get("emb_last")
result = emb.map_store().get(shown) if shown is not None and shown.points.dataset == imgs.name else None

with main:
    state = emb.job_state("explorer")
    if state is not None and state.status == "failed" and not isinstance(outcome, emb.MapResult):
        st.error(state.error)
        st.stop()  # the previous map would read as this request's answer
    if not isinstance(outcome, emb.MapResult) and state is not None and state.running:
        emb.progress_panel("explorer")
        if result is not None:
            st.caption("Showing the previous map until the new one is ready.")
        elif (stand_in := emb.stand_in("explorer")) is not None:
            shown, result = stand_in
            st.info(emb.stand_in_note())
    if result is None:
        if state is None or not state.running:
            st.info("Choose the points and a method on the left.")
        st.stop()

    proj = result.projection
    pair = (0, 1)
    if shown.method == "pca":
        k = proj.coords.shape[1]
        names = [f"PC{i + 1}" for i in range(k)]
        emb.url_default("emb_pc_x", "emb_pc_x", "PC1", names)
        emb.url_default("emb_pc_y", "emb_pc_y", "PC2", names)
        c1, c2, c3 = st.columns([1, 1, 3])
        px = c1.selectbox("x axis", names, key="emb_pc_x")
        py = c2.selectbox("y axis", names, key="emb_pc_y")
        st.query_params.update({"emb_pc_x": px, "emb_pc_y": py})
        pair = (names.index(px), names.index(py))
        with c3:
            st.plotly_chart(explained_variance_figure(proj.explained_variance), key="emb_variance", width="stretch")

    labels, indices = emb.labels_and_indices(shown.points, imgs)
    fig = emb.figure([shown], [result], [pair], labels, indices, imgs, thumbs=st.session_state.emb_thumbs)
    st.markdown(f"**{shown.title}** — {shown.points.n:,} {emb.SPLITS[shown.points.split]} images of "
                f"{imgs.name}, {proj.engine}"
                + (f", input reduced to {proj.prereduced_to} principal components" if proj.prereduced_to else ""))
    event = st.plotly_chart(fig, key="emb_map", on_select="rerun", selection_mode=("points", "box", "lasso"),
                            width="stretch")
    scores = emb.pair_scores(shown, result, *pair, lambda: emb.points(shown.points, emb.checkpoint_of(
        shown.points.source, settings), imgs))
    emb.show_scores(scores, result.space, result.seconds, shipped=result.shipped)
    columns = ("x", "y") if shown.method != "pca" else (f"pc{pair[0] + 1}", f"pc{pair[1] + 1}")
    st.download_button("Download map (CSV)", projections.map_csv(proj.pair(*pair), labels, indices, imgs.classes,
                                                                  columns),
                       file_name=f"map-{imgs.name}-{shown.method}-{shown.points.source.name.replace(' ', '-')}.csv",
                       mime="text/csv", key="emb_download")

    rows = emb.selected_rows(event)
    if rows:
        st.subheader("Selection")
        emb.show_selection(rows, shown.points, settings, imgs)
    else:
        st.caption("Click a point (or use the lasso / box tools in the chart's toolbar) to see the images.")
