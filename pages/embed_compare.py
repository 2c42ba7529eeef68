"""Compare two maps of the same points side by side — e.g. a vanilla AE's codes vs a VAE's, or t-SNE vs
UMAP of one encoder — with one legend, the numbers under each map, and the images behind a selection."""
import streamlit as st

from genviz import ui as backend
from genviz.core.errors import GenvizError
from genviz.embeddings import ui as emb
from genviz.embeddings.metrics import compactness_verdict

settings = backend.sidebar()
emb.umap_warmup()  # starts compiling UMAP in the background, once per server process
st.title("Compare two maps")
st.caption("Both maps show the same images. The lecture says a VAE's codes are *more compact* than a vanilla "
           "autoencoder's; the numbers under the maps test it, and the sentence below them says what they show. "
           "Clicking a class in the legend hides it in both maps. Click a point in either map for its nearest "
           "neighbours in both code spaces, or lasso a group (toolbar) to see its images.")
with st.expander("What “compactness” measures here"):
    st.markdown("The **class compactness** C is the mean spread of each class around its centre, divided by the mean "
                "distance between class centres. It has no units, so a 2-D map and a 16-D code space compare; "
                "**lower = tighter, better separated classes**. **Spread** R: the RMS distance of all codes to "
                "their mean, in the code space's own units — a VAE's KL term pulls its codes towards N(0, I), "
                "so its whole cloud can be small and hole-free even where its classes are not tighter.")
    st.latex(r"C = \frac{\operatorname{mean}_c\, s_c}{\operatorname{mean}_{c \ne c'} \lVert \mu_c - \mu_{c'} \rVert},"
             r"\quad s_c = \sqrt{\operatorname{mean}_{i \in c} \lVert x_i - \mu_c \rVert^2},"
             r"\qquad R = \sqrt{\operatorname{mean}_i \lVert x_i - \bar x \rVert^2}")
imgs = backend.dataset(settings)
split, n = emb.choose_points("cmp", imgs)

SLOTS = {"a": ("Left map", "ae"), "b": ("Right map", "vae")}
requests: dict[str, emb.MapSpec] = {}
columns = dict(zip(SLOTS, st.columns(2, gap="large")))
for slot, (title, kind) in SLOTS.items():
    with columns[slot]:
        st.subheader(title)
        source, ckpt = emb.choose_source(f"cmp_{slot}", settings, imgs, default="encoder", prefer_kind=kind)
        method, params = emb.choose_method(f"cmp_{slot}", n_points=n)
        ps = emb.PointSet(source, imgs.name, split, n, settings.seed)
        try:
            spec = emb.make_spec(ps, method, params)
            outcome = emb.request(f"cmp_{slot}", spec, lambda ps=ps, ckpt=ckpt: emb.points(ps, ckpt, imgs))
            if isinstance(outcome, emb.MapResult):
                st.session_state[f"cmp_last_{slot}"] = spec
            elif outcome.running:
                emb.progress_panel(f"cmp_{slot}")
            elif outcome.status == "failed":
                st.error(outcome.error)
                st.session_state.pop(f"cmp_last_{slot}", None)
        except GenvizError as err:
            st.error(str(err))
            st.session_state.pop(f"cmp_last_{slot}", None)  # no stale map under the error

# The last good map of each side (a failed or running request keeps the previous one on screen).
shown = {slot: st.session_state.get(f"cmp_last_{slot}") for slot in SLOTS}
for slot in SLOTS:  # a UMAP side still compiling shows the PCA map of its points meanwhile
    stand_in = emb.stand_in(f"cmp_{slot}") if shown[slot] is None else None
    if stand_in is not None:
        shown[slot] = stand_in[0]
        columns[slot].info(emb.stand_in_note())
results = {slot: emb.map_store().get(spec) for slot, spec in shown.items() if spec is not None}
ready = [slot for slot in SLOTS if results.get(slot) is not None and shown[slot].points.dataset == imgs.name]
if not ready:
    st.info("The maps appear here when they are ready.")
    st.stop()
if len(ready) == 2 and (shown["a"].points.split, shown["a"].points.n) != (shown["b"].points.split,
                                                                            shown["b"].points.n):
    ready = [s for s in ready if (shown[s].points.split, shown[s].points.n) == (split, n)] or ready[:1]

first = shown[ready[0]].points
labels, indices = emb.labels_and_indices(first, imgs)
st.toggle("Images on the map", value=True, key="cmp_thumbs",
          help="Draws the image of one point in each cell of a 12 × 12 grid over each map.")
fig = emb.figure([shown[s] for s in ready], [results[s] for s in ready], [(0, 1)] * len(ready), labels, indices,
                 imgs, thumbs=st.session_state.cmp_thumbs, height=600)
event = st.plotly_chart(fig, key="cmp_map", on_select="rerun", selection_mode=("points", "box", "lasso"),
                        width="stretch")
for slot, col in zip(ready, st.columns(len(ready), gap="large")):
    with col:
        spec, result = shown[slot], results[slot]
        st.markdown(f"**{spec.title}** · {result.projection.engine}")
        emb.show_scores(result.scores, result.space, result.seconds, per_row=2, shipped=result.shipped)
if len(ready) == 2:
    kind_of = {c.name: c.kind for c in backend.catalogue()}
    sources = [shown[s].points.source for s in ready]
    st.info(compactness_verdict(tuple(s.title for s in sources), tuple(results[s].scores for s in ready),
                                tuple(results[s].space for s in ready),
                                tuple("" if s.pixels else kind_of.get(s.name, "") for s in sources)),
            icon=":material/balance:")

rows = emb.selected_rows(event)
if len(rows) == 1:
    st.subheader("The clicked image and its nearest neighbours in each code space")
    emb.show_selection(rows, shown[ready[0]].points, settings, imgs)
    if len(ready) == 2:
        emb.show_neighbours(rows[0], shown[ready[1]].points, settings, imgs)
elif rows:
    st.subheader("Selection")
    emb.show_selection(rows, first, settings, imgs)
else:
    st.caption("Click a point, or lasso a group (toolbar), to see the images.")
