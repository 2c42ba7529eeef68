"""Concepts · the Gaussian generator x = G(z) = Σ^½ z, and a tiny MLP as the generator."""
import streamlit as st

from genviz import ui as backend
from genviz.concepts import figures, gaussian
from genviz.core.errors import GenvizError

settings = backend.sidebar()
st.title("The Gaussian generator z → Σ^½ z")
st.markdown("Draw z ~ N(0, I) and map it by a matrix A with A Aᵀ = Σ: then x = A z ~ N(0, Σ). "
            "Two different A do it — the symmetric square root Σ^½ and the Cholesky factor L — they move each "
            "point differently (follow the colours) but give the same cloud.")
st.latex(r"x = A z,\quad z \sim \mathcal N(0, I) \;\Rightarrow\; \operatorname{Cov}[x] = A\,\operatorname{Cov}[z]\,A^\top"
         r" = A A^\top = \Sigma, \qquad A \in \{\Sigma^{1/2} = V \Lambda^{1/2} V^\top,\; L \text{ (Cholesky)}\}")

DEFAULTS = {"gauss_mode": "2×2: σ1, σ2, ρ", "gauss_sigma1": 1.5, "gauss_sigma2": 0.7, "gauss_rho": 0.6,
            "gauss_matrix": "2.0, 0.8, 0.3\n0.8, 1.0, -0.2\n0.3, -0.2, 0.5", "gauss_n": 1000}
for key, value in DEFAULTS.items():
    if key not in st.session_state:
        st.session_state[key] = value

controls, view = st.columns([1, 3], gap="large")
with controls:
    mode = st.radio("Σ", ["2×2: σ1, σ2, ρ", "Type Σ (2×2 or 3×3)"], key="gauss_mode")
    if mode.startswith("2×2"):
        sigma1 = st.slider("σ1", 0.1, 3.0, step=0.05, key="gauss_sigma1")
        sigma2 = st.slider("σ2", 0.1, 3.0, step=0.05, key="gauss_sigma2")
        rho = st.slider("correlation ρ", -0.99, 0.99, step=0.01, key="gauss_rho")
        make_cov = lambda: gaussian.covariance_2d(sigma1, sigma2, rho)  # noqa: E731
    else:
        text = st.text_area("Σ, one row per line", key="gauss_matrix", height=110,
                            help="Entries separated by commas; it must be symmetric and positive definite.")
        make_cov = lambda: gaussian.check_covariance(gaussian.parse_matrix(text))  # noqa: E731
    n = st.select_slider("Samples n", [10, 30, 100, 300, 1000, 3000, 10000, 30000], key="gauss_n")


def sigma_section() -> None:
    """Samples of z and of both maps, Σ and its estimate; a bad Σ shows its reason and skips the rest."""
    try:
        cov = make_cov()
        z = gaussian.standard_normal(30000, cov.shape[0], settings.seed)
        a_sym, a_chol = gaussian.symmetric_sqrt(cov), gaussian.cholesky_factor(cov)
        x_all = gaussian.gaussian_generator(z, cov, "symmetric")
        x_sym, x_chol = x_all[:n], gaussian.gaussian_generator(z[:n], cov, "cholesky")
    except GenvizError as err:
        st.error(str(err))
        return
    estimate = gaussian.sample_covariance(x_sym)
    error = gaussian.covariance_convergence(x_all, cov, [n], max_repeats=1)[0]["relative error"]
    show = min(n, 1500)
    if cov.shape[0] == 2:
        st.plotly_chart(figures.gaussian_maps_figure(
            z[:show].numpy(), [("Σ^½ z (symmetric root)", x_sym[:show].numpy(), a_sym.numpy()),
                               ("L z (Cholesky)", x_chol[:show].numpy(), a_chol.numpy())], cov.numpy()),
            key="gauss_maps", width="stretch")
        st.caption(f"Showing {show:,} of n = {n:,} samples; dashed: the 2σ ellipse of Σ (circle of N(0, I)); "
                   "arrows: the columns A e₁, A e₂ — where each map sends the axes of z.")
    else:
        left, right = st.columns(2)
        left.markdown("**Σ^½ z** (symmetric root)")
        left.plotly_chart(figures.gaussian_3d_figure(z[:show].numpy(), x_sym[:show].numpy(), a_sym.numpy()),
                          key="gauss_3d_sym", width="stretch")
        right.markdown("**L z** (Cholesky)")
        right.plotly_chart(figures.gaussian_3d_figure(z[:show].numpy(), x_chol[:show].numpy(), a_chol.numpy()),
                           key="gauss_3d_chol", width="stretch")
    # Two matrices a row: four 3×3 matrices side by side were cut at the right edge.
    m1, m2 = st.columns(2)
    m3, m4 = st.columns(2)
    m1.latex(r"\Sigma = " + figures.matrix_latex(cov.numpy()))
    m2.latex(r"\Sigma^{1/2} = " + figures.matrix_latex(a_sym.numpy()))
    m3.latex(r"L = " + figures.matrix_latex(a_chol.numpy()))
    m4.latex(rf"\hat\Sigma_{{{n}}} = " + figures.matrix_latex(estimate.numpy()))
    st.metric(f"Sample covariance from n = {n:,} samples: relative error ‖Σ̂ − Σ‖ / ‖Σ‖", f"{error:.3f}",
              help="Both maps give the same Σ̂ up to sampling noise; the error shrinks like 1/√n.")
    rows = gaussian.covariance_convergence(x_all, cov, [10, 30, 100, 300, 1000, 3000, 10000, 30000])
    st.plotly_chart(figures.convergence_figure(rows), key="gauss_convergence", width="stretch")
    st.caption("Each point averages the error over up to 50 independent samples of that size.")


with view:
    sigma_section()

st.subheader("A neural network as the generator")
st.markdown("Replace A by a small MLP G: R² → R² with random weights. Without a nonlinearity it is still "
            "A z + b — a Gaussian; with one it bends the plane, and G(z) can take any shape. A GAN learns that bend.")
knobs, picture = st.columns([1, 3], gap="large")
with knobs:
    width = st.slider("Width", 2, 64, 16, key="gauss_mlp_width")
    depth = st.slider("Hidden layers", 1, 4, 2, key="gauss_mlp_depth")
    activation = st.radio("Activation", list(gaussian.ACTIVATIONS), index=2, key="gauss_mlp_activation")
    scale = st.slider("Weight scale", 0.1, 4.0, 1.5, step=0.1, key="gauss_mlp_scale",
                      help="Larger weights bend more (and saturate tanh).")
net = gaussian.random_mlp_generator(gaussian.MLPGeneratorConfig(width, depth, activation, scale, settings.seed))
z2 = gaussian.standard_normal(1500, 2, settings.seed)
lines = gaussian.grid_lines(2.5, 11, 40)
x2, warped = gaussian.warp_lines(net, z2[None])[0], gaussian.warp_lines(net, lines)
ellipse = None
if activation.startswith("none"):
    a_lin, b_lin = gaussian.affine_equivalent(net)
    ellipse = gaussian.map_ellipse(a_lin, b_lin)
with picture:
    st.plotly_chart(figures.warped_grid_figure(z2.numpy(), x2, lines.numpy(), warped, ellipse),
                    key="gauss_mlp", width="stretch")
    if ellipse is not None:
        st.caption("Linear G: G(z) = A z + b ~ N(b, A Aᵀ) — the dashed 2σ ellipse — whatever the width or depth.")
