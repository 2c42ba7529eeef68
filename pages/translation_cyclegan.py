"""CycleGAN: unpaired translation between two domains, its numbers, the ablations and the steganography probe."""
import streamlit as st

from genviz import ui as backend
from genviz.core.errors import GenvizError
from genviz.translation import analysis
from genviz.translation import ui as tr
from genviz.translation.pairs import PAIRS

settings = backend.sidebar()
st.title("CycleGAN: unpaired image-to-image translation")
# Three lines (aligned): on one line the formula is wider than the page and KaTeX clips it at the right.
st.latex(r"\begin{aligned}\mathcal{L} ={} & \mathcal{L}_{\text{LSGAN}}(G_{AB}, D_B) + \mathcal{L}_{\text{LSGAN}}(G_{BA}, D_A) \\"
         r" & + \lambda\big(\lVert G_{BA}(G_{AB}(a)) - a\rVert_1 + \lVert G_{AB}(G_{BA}(b)) - b\rVert_1\big) \\"
         r" & + \lambda_{id}\lambda\big(\lVert G_{AB}(b) - b\rVert_1 + \lVert G_{BA}(a) - a\rVert_1\big)\end{aligned}")
entries = tr.cyclegan_entries()
if not entries:
    st.info("No CycleGAN checkpoint yet: rebuild the shipped ones with `python -m genviz pretrain --only cyclegan`, "
            "or train one on the Train page (model: CycleGAN).", icon=":material/info:")
    st.stop()
ckpt = backend.choose_checkpoint("Model (domain pair)", "cg_model", settings, entries, prefer="cyclegan-mnist-digits")
if ckpt is None:
    st.stop()
pair = PAIRS[ckpt.config.pair]
shifted = "; D judged images shifted by up to 1/8 of their side (DiffAugment)" if ckpt.config.d_augment == "translation" else ""
st.caption(f"**{pair.title}** — {pair.lesson} A = {pair.a.title}, B = {pair.b.title}, {pair.size}×{pair.size} px; "
           f"λ = {ckpt.config.cycle_lambda:g}, λ_id = {ckpt.config.identity_weight:g}·λ{shifted}; trained "
           f"{ckpt.meta.get('extra', {}).get('train_steps', 0):,} steps.")
try:
    tr.pair_data(ckpt.config.pair, str(ckpt.model.device))
    missing = None
except GenvizError as err:
    missing = str(err)
    st.warning(f"{missing} The pictures need it; the numbers recorded with the model follow.", icon=":material/warning:")
left, right = st.columns([3, 1])
with right:
    n = st.slider("Test images", 4, 16, 8, key="cg_n")
    seed = st.number_input("Image seed", 0, 10_000, settings.seed, key="cg_seed",
                           help="Which held-out images are shown; the same seed always shows the same ones.")
with left:
    for direction, caption in () if missing else (("ab", "A → B → A: rows a, G_AB(a), G_BA(G_AB(a))"),
                               ("ba", "B → A → B: rows b, G_BA(b), G_AB(G_BA(b))")):
        image = backend.show_error(lambda d=direction: tr.round_trip_grid(ckpt, n, int(seed), d))
        if image is not None:
            st.image(image, caption=caption, width="stretch")

st.subheader("Numbers per direction (held-out images, recorded when the model was saved)")
st.caption("Label preservation: a classifier trained on the target domain names the source's digit. Domain score: "
           "its mean confidence. Fréchet distance: translations vs real target images in its features. PSNR: "
           "against the true map, where the pair knows it. Purity: share of each class's translations on its most "
           "common target class. The untranslated row is the floor: the same classifier reading the source images "
           "as they are.")
floor = None if missing else backend.show_error(lambda: tr.untranslated(ckpt.config.pair, str(ckpt.model.device)))
rows = analysis.number_table(ckpt.metrics, floor)
if rows:
    st.dataframe(rows, hide_index=True, width="stretch", key="cg_numbers")
    verdict = analysis.floor_verdict(ckpt.metrics, floor)
    if verdict:
        st.caption(verdict)
else:
    st.caption("This checkpoint has no recorded numbers: `python -m genviz evaluate FILE` computes them.")

st.subheader("Ablations side by side")
same_pair = [c for c in entries if c.dataset == ckpt.dataset and c.path != ckpt.path]
if not same_pair:
    st.caption("No other model of this pair is shipped (ablations ship for MNIST ↔ digits, λ = 0, and for inverted "
               "MNIST, λ_id = 0).")
else:
    ablation = next((c.name for c in same_pair if c.name.startswith(f"{ckpt.name}-")), None)  # e.g. …-no-cycle
    other = backend.choose_checkpoint("Compare with", "cg_other", settings, same_pair, prefer=ablation)
    if other is not None:
        cols = st.columns(2)
        for col, model in zip(cols, (ckpt, other)):
            with col:
                st.markdown(f"**{model.name}** (λ = {model.config.cycle_lambda:g}, "
                            f"λ_id = {model.config.identity_weight:g}·λ)")
                image = None if missing else backend.show_error(lambda m=model: tr.round_trip_grid(m, n, int(seed), "ab"))
                if image is not None:
                    st.image(image, caption="A → B → A", width="stretch")
                st.dataframe(analysis.number_table(model.metrics), hide_index=True, width="stretch",
                             key=f"cg_numbers_{col is cols[0]}")
        st.caption(analysis.ablation_note(ckpt.config, other.config, ckpt.metrics, other.metrics))

st.subheader("The steganography probe")
st.caption("Chu et al. (2017): a CycleGAN can hide its input in faint patterns of the translation and read it "
           "back. Adding N(0, (2/255)²) noise to G(x) barely changes the picture; if the reconstruction then gets "
           "much worse, the low cycle error came from the hidden signal, not from a faithful translation.")
direction = st.segmented_control("Direction", ["ab", "ba"], default="ab", key="cg_stego_dir",
                                 format_func=lambda d: "A → B → A" if d == "ab" else "B → A → B") or "ab"
probe = None if missing else backend.show_error(lambda: tr.stego(ckpt, n, int(seed), direction))
if probe is not None:
    clean, noisy, image = probe
    a, b = st.columns(2)
    a.metric("cycle L1", f"{clean:.4f}")
    b.metric("cycle L1 with noise on G(x)", f"{noisy:.4f}", delta=f"{noisy - clean:+.4f}", delta_color="inverse")
    st.image(image, caption="Rows: x, G(x), F(G(x)), F(G(x) + noise), 5 × |difference of the reconstructions|",
             width="stretch")
