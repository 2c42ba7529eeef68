"""StyleGAN's ideas at MNIST scale: style mixing, noise, truncation in W, and the numbers behind each claim."""
import streamlit as st

from genviz import ui
from genviz.core import figures
from genviz.gans import figures as gan_figures
from genviz.gans import stylegan
from genviz.gans import ui as gan_ui

settings = ui.sidebar()
st.title("StyleGAN: styles, noise and W")
st.caption("Karras et al. 2019 (StyleGAN) and 2020 (StyleGAN2) at 28×28 on this machine's CPU. Each claim comes "
           "with the number that tests it; where it does not hold at this scale, the page says so.")
ckpt = ui.pick_checkpoint("StyleGAN", "sg_model", settings, kinds=("stylegan",), check=gan_ui.check_stylegan)
if ckpt is None:
    st.stop()
net = stylegan.style_generator(ckpt.model)
slots = net.slot_resolutions
cfg = ckpt.config
st.latex(r"w = f(z/\lVert z\rVert_{\mathrm{rms}}),\qquad " + stylegan.STYLE_BLOCK_LATEX[cfg.style_block])
with st.expander("The model", icon=":material/account_tree:"):
    st.markdown(f"Mapping network: {cfg.mapping_depth} linear layers, learning rate × {cfg.mapping_lr_mul:g} "
                f"(equalised lr). Synthesis from a learned {slots[0]}×{slots[0]} constant; {len(slots)} style "
                f"layers at {', '.join(f'{r}×{r}' for r in slots)} ({cfg.style_block}), each adding per-pixel "
                f"noise with a learned per-channel scale. Trained with style mixing p = {cfg.style_mixing:g}. "
                + stylegan.STYLE_OUTPUT_TEXT[cfg.style_output].format(res=", ".join(f"{r}×{r}" for r in
                                                                                 dict.fromkeys(slots))))
    st.markdown(stylegan.PROGRESSIVE_GROWING)

st.header("Style mixing")
st.caption("Rows give the coarse styles (layers before the crossover), columns the fine ones (from the crossover "
           "on). The top row and left column are the two sources drawn alone.")
default = stylegan.default_crossover(net)
crossover = st.slider("Crossover: first layer that reads the column's w", 1, len(slots) - 1, default,
                      key="sg_crossover")
st.caption(f"Layers 1–{crossover} ({', '.join(f'{r}×{r}' for r in slots[:crossover])}) from the row; layers "
           f"{crossover + 1}–{len(slots)} ({', '.join(f'{r}×{r}' for r in slots[crossover:])}) from the column.")
seed = settings.seed
grid = ui.show_error(lambda: gan_ui.style_mixing_grid(ckpt, tuple(range(seed, seed + 5)),
                                                       tuple(range(seed + 100, seed + 107)), crossover))
if grid is not None:
    st.image(figures.image_grid(grid, nrow=8, scale=figures.pixel_scale(grid.shape, 56)), width=520)

st.header("Noise: details, not the digit")
left, right = st.columns(2)
noise_seed = left.number_input("Sample seed", 0, 10_000, seed, key="sg_noise_seed")
draws = ui.show_error(lambda: gan_ui.style_noise(ckpt, int(noise_seed), 32))
if draws is not None:
    images, std = draws
    left.image(figures.image_grid(images[:16], nrow=8, scale=figures.pixel_scale(images.shape, 48)),
               caption="One w, 16 of 32 noise draws")
    right.plotly_chart(gan_figures.pixel_std_map(std.numpy()), key="sg_std_map", width="stretch")
    right.caption(f"Per-pixel standard deviation over 32 draws (max {float(std.max()):.3f} on a 0–1 scale): "
                  "the noise moves stroke edges, not the digit's shape.")

st.header("Truncation in W")
st.latex(r"w' = \bar w + \psi\,(w - \bar w)")
psi = st.slider("ψ", 0.0, 1.5, 0.5, step=0.05, key="sg_psi",
                help="ψ < 1 pulls every style towards the average w̄ (an EMA of training w's); 0 is refused.")
trunc = ui.show_error(lambda: gan_ui.style_truncation(ckpt, tuple(range(seed, seed + 10)), (1.0, float(psi))))
if trunc is not None:
    st.image(figures.image_grid(trunc, nrow=10, scale=figures.pixel_scale(trunc.shape, 48)),
             caption=f"Top row ψ = 1 (no truncation); bottom row ψ = {psi:g}, the same ten w.", width=520)

st.header("The numbers")
imgs = ui.dataset(settings)
numbers = ui.show_error(lambda: gan_ui.style_numbers(ckpt, imgs))
if numbers is None:
    st.info(f"No classifier is shipped for '{imgs.name}', so the claims cannot be measured here.",
            icon=":material/info:")
    st.stop()
cols = st.columns(4)
cols[0].metric("Mixing: coarse class kept", f"{numbers['mixing_coarse_agreement']:.0%}", help="Target ≥ 70%.")
cols[1].metric("Probe accuracy z → w", f"{numbers['separability_z']:.0%} → {numbers['separability_w']:.0%}")
cols[2].metric("PPL Z → W", f"{gan_ui.short_number(numbers['ppl_z'])} → {gan_ui.short_number(numbers['ppl_w'])}",
               help="Perceptual path length in the classifier's features; lower is smoother.")
cols[3].metric("Class changed by noise", f"{numbers['noise_class_change']:.1%}", help="Target ≤ 1%.")
depth = gan_ui.style_depth_results(imgs.name)
for sentence in gan_ui.style_verdicts(numbers, cfg.mapping_depth, (depth or {}).get("runs"), cfg.style_mixing):
    st.markdown(sentence)
st.caption(f"{ckpt.name}: 1,000 samples, seed 0, in the shipped {imgs.name} classifier's features.")
runs = ckpt.meta.get("extra", {}).get("runs")
if runs:
    st.subheader("The same recipe, other training runs")
    rows, sentence = gan_ui.recorded_runs(runs)
    st.dataframe(rows, key="sg_runs", hide_index=True, width="stretch")
    st.caption(sentence + " Recorded with the file (scripts/repack_shipped.py --record-runs); BENCHMARKS.md, "
               "StyleGAN, has how each was trained.")
if depth:
    st.subheader("Mapping depth L, equal budget")
    st.dataframe(gan_figures.depth_table(depth["runs"]), key="sg_depth", hide_index=True, width="stretch")
    st.caption(f"{depth['train'].get('max_steps')} steps per depth, one seed, {depth['threads']} thread(s); "
               f"{depth['seconds']:.0f} s in all.")
