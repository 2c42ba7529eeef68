"""StyleGAN's ideas at MNIST scale (Karras et al. 2019, arXiv:1812.04948; StyleGAN2, arXiv:1912.04958).

The generator does not read z directly. A mapping network turns z into w (pixel norm on z, then L
equalised-lr linear layers whose learning rate is multiplied by 0.01); the synthesis network starts
from a learned constant (7×7 for 28×28 images) and each of its layers reads its own copy of w through a
learned affine map — a *style* — as AdaIN (StyleGAN) or as a modulated / demodulated convolution
(StyleGAN2). Two layers per resolution, so 28×28 images have six style slots: two at 7×7 (coarse), two at
14×14 (middle), two at 28×28 (fine). Every layer adds per-pixel noise with a learned per-channel scale.

Training mixes styles (regularisation, p = 0.9): a sample takes w₁ up to a random crossover and w₂ after
it, so that no layer can rely on its neighbours having seen the same w. Sampling may truncate in W:
w' = w̄ + ψ(w − w̄), w̄ an exponential moving average of the mapping's outputs during training.

Progressive growing (StyleGAN 1, from Karras et al. 2018) is not implemented: StyleGAN2 dropped it too;
see `PROGRESSIVE_GROWING` for the explanation the page shows.

The measurements (`style_numbers`) are the claims of the paper, read in the project classifier's
features: style mixing keeps the coarse source's class, w is more linearly separable by class than z,
paths in W are shorter than in Z (perceptual path length), and noise changes details, not the class.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from genviz.core import atomic, data
from genviz.core.config import check_range
from genviz.core.errors import CheckpointError, ConfigError
from genviz.core.paths import SHIPPED_DIR
from genviz.core.scoring import classifier_features, load_scorer
from genviz.core.train import TrainParams, new_run

if TYPE_CHECKING:  # models.py builds this generator; importing it here would be circular
    from genviz.gans.models import GAN, GANConfig

STYLE_BLOCKS = ("modconv", "adain")
# How the synthesis network makes its image: "last" reads only the last layer (StyleGAN 1 without growing); "skip"
# sums a 1×1 "toRGB" image from every resolution, each upsampled (StyleGAN2's skip generator, Karras et al. 2020, §4.1)
STYLE_OUTPUTS = ("last", "skip")
STYLE_OUTPUT_TEXT = {  # what the page says of each, {res} = the resolutions
    "last": "The image is a 1×1 convolution of the last layer's features (StyleGAN).",
    "skip": "The image is the sum of a 1×1 convolution (toRGB) at every resolution ({res}), each upsampled to the "
            "next (StyleGAN2's skip generator): the coarse layers draw the rough digit directly.",
}
W_AVG_BETA = 0.995  # w̄ ← β w̄ + (1 − β) mean(w) at every training forward (StyleGAN2's value)
LRELU_GAIN = math.sqrt(2)  # keeps the activations' second moment through leaky ReLU(0.2) (He init)
PPL_EPS = 1e-4  # the paper's ε: the path length is ‖f(G(t)) − f(G(t + ε))‖² / ε²

PROGRESSIVE_GROWING = (
    "**Progressive growing** (Karras et al. 2018, used by StyleGAN 1) trains the 7×7 stage first, then adds the "
    "14×14 layers and fades them in: the output is (1 − α)·upsample(toRGB₇(h)) + α·toRGB₁₄(h′) with α rising "
    "from 0 to 1 over some thousand steps, then the same for 28×28; D grows in mirror image. Large-scale structure "
    "is learned while the problem is small, then detail is added. It is not implemented here: at 28×28 the whole "
    "network trains in minutes, and StyleGAN2 replaced growing by skip connections because grown networks tie "
    "details to fixed pixel positions (\"phase artefacts\")."
)


# How a layer reads its style s = A_ℓ(w), per `style_block`: the page shows the formula of the model it draws
STYLE_BLOCK_LATEX = {
    "adain": r"\mathrm{AdaIN}(x_c, w) = y_{s,c}\,\frac{x_c - \mu(x_c)}{\sigma(x_c)} + y_{b,c},\; (y_s, y_b) = A_\ell(w)",
    "modconv": r"w'_{ijk} = \frac{s_i\,w_{ijk}}{\sqrt{\sum_{i,k}(s_i w_{ijk})^2+\epsilon}},\; s = A_\ell(w)",
}


def pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """x / sqrt(mean(x²) + ε) along the feature axis (Karras et al. 2018, §4.2): z lands on the √d-sphere."""
    return x * torch.rsqrt(x.square().mean(1, keepdim=True) + eps)


class EqualLinear(nn.Module):
    """y = (c·W) x + lr_mul·b with W ~ N(0, 1/lr_mul²) and c = lr_mul/√fan_in: equalised learning rate
    (Karras et al. 2018, §4.1). With Adam, every weight then moves at the same relative speed, and
    lr_mul scales that speed (0.01 for the mapping network)."""

    def __init__(self, in_dim: int, out_dim: int, *, lr_mul: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init) / lr_mul))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class MappingNetwork(nn.Module):
    """z (B, d) → pixel norm → depth × [EqualLinear(lr × lr_mul) + leaky ReLU] → w (B, d). Depth 0: w = norm(z)."""

    def __init__(self, dim: int, depth: int, lr_mul: float):
        super().__init__()
        self.layers = nn.ModuleList(EqualLinear(dim, dim, lr_mul=lr_mul) for _ in range(depth))

    def forward(self, z: Tensor) -> Tensor:
        w = pixel_norm(z)
        for layer in self.layers:
            w = F.leaky_relu(layer(w), 0.2) * LRELU_GAIN
        return w


class StyleLayer(nn.Module):
    """One synthesis layer: a 3×3 conv (or, to double the size, a 4×4 stride-2 transposed conv, as in
    StyleGAN2's upsampling layers) read through the style of w → + noise·scale → bias, leaky ReLU.

    modconv (StyleGAN2): input channels scaled by s = A(w), the output divided by the norm the modulated
    weights would give (demodulation), i.e. w'_ijk = s_i w_ijk / sqrt(Σ_i,k (s_i w_ijk)² + ε) — computed
    on the activations so one ordinary conv serves the whole batch.
    adain (StyleGAN): after the activation, instance norm then y_s·x̂ + y_b with (y_s, y_b) = A(w).
    """

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, *, up: bool, block: str):
        super().__init__()
        self.up, self.block = up, block
        # conv weights are (out, in, 3, 3); transposed ones (in, out, 4, 4), each output pixel reading 4 taps per input
        self.weight = nn.Parameter(torch.randn(in_ch, out_ch, 4, 4) if up else torch.randn(out_ch, in_ch, 3, 3))
        self.scale = 1 / math.sqrt(in_ch * (4 if up else 9))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.noise_strength = nn.Parameter(torch.zeros(out_ch))  # learned per-channel scale of the noise
        self.affine = EqualLinear(w_dim, in_ch if block == "modconv" else 2 * out_ch, bias_init=1.0)
        if block == "adain":
            with torch.no_grad():
                self.affine.bias[out_ch:] = 0.0  # y_s starts at 1, y_b at 0
        self.register_buffer("fixed_noise", torch.randn(1, 1, resolution, resolution))  # "const" noise
        self.resolution = resolution

    def forward(self, x: Tensor, w: Tensor, noise: Tensor) -> Tensor:
        weight = self.weight * self.scale
        style = self.affine(w)  # (B, in) or (B, 2·out)
        conv = ((lambda h: F.conv_transpose2d(h, weight, stride=2, padding=1)) if self.up
                else (lambda h: F.conv2d(h, weight, padding=1)))
        if self.block == "modconv":
            x = conv(x * style[:, :, None, None])
            energy = weight.square().sum((2, 3))  # (in, out) or (out, in)
            demod = torch.rsqrt(style.square() @ (energy if self.up else energy.T) + 1e-8)  # (B, out)
            x = x * demod[:, :, None, None]
        else:
            x = conv(x)
        x = x + noise * self.noise_strength[None, :, None, None]
        x = F.leaky_relu(x + self.bias[None, :, None, None], 0.2) * LRELU_GAIN
        if self.block == "adain":
            ys, yb = style.chunk(2, 1)
            x = F.instance_norm(x) * ys[:, :, None, None] + yb[:, :, None, None]
        return x


def style_resolutions(image_shape: tuple[int, int, int]) -> list[int]:
    """The synthesis resolutions: a start size 4–8 doubled up to the image size (28 → 7, 14, 28; 8 → 4, 8)."""
    _, h, w = image_shape
    if h != w:
        raise ConfigError(f"The style generator makes square images; got {h}×{w}.")
    for k in range(6, -1, -1):
        if h % 2**k == 0 and 4 <= h // 2**k <= 8:
            return [h // 2**k * 2**i for i in range(k + 1)]
    raise ConfigError(f"The style generator cannot make {h}×{w} images (size must be 4–8 × a power of 2, e.g. 28).")


class StyleGenerator(nn.Module):
    """G(z) = synthesis(mapping(z)): the StyleGAN generator, unconditional.

    `forward(z, generator=None, psi=None)`: with a `generator`, per-pixel noise is drawn from it (and, in
    training mode, styles are mixed with probability `style_mixing`); without one, each layer uses its
    fixed noise map, so the same z always gives the same image (walks, grids). `psi` truncates in W.
    """

    style_based = True  # GAN passes the noise generator and ψ through (truncation happens in W, not in z)

    def __init__(self, config: GANConfig):
        super().__init__()
        self.image_shape = config.image_shape
        self.style_mixing = config.style_mixing
        dim = config.latent_dim
        self.mapping = MappingNetwork(dim, config.mapping_depth, config.mapping_lr_mul)
        res = style_resolutions(config.image_shape)
        top = len(res) - 1
        chans = [min(config.g_width * 2 ** (top - i), 4 * config.g_width) for i in range(len(res))]  # 28: 4w, 2w, w
        self.const = nn.Parameter(torch.randn(1, chans[0], res[0], res[0]))
        layers: list[StyleLayer] = []
        c_in = chans[0]
        for i, r in enumerate(res):
            for j in range(2):
                layers.append(StyleLayer(c_in, chans[i], dim, r, up=(i > 0 and j == 0), block=config.style_block))
                c_in = chans[i]
        self.layers = nn.ModuleList(layers)
        self.to_image = nn.Parameter(torch.randn(config.image_shape[0], c_in, 1, 1))  # 1×1 conv, equalised lr
        self.to_image_bias = nn.Parameter(torch.zeros(config.image_shape[0]))
        # skip: one more toRGB per coarser resolution; their images are upsampled and added to the last one's
        self.skip = config.style_output == "skip"
        c_img = config.image_shape[0]
        self.skip_to_image = nn.ParameterList(
            nn.Parameter(torch.randn(c_img, chans[i], 1, 1)) for i in range(len(res) - 1)) if self.skip else None
        self.skip_to_image_bias = nn.ParameterList(
            nn.Parameter(torch.zeros(c_img)) for _ in range(len(res) - 1)) if self.skip else None
        self.register_buffer("w_avg", torch.zeros(dim))

    @property
    def n_styles(self) -> int:
        return len(self.layers)

    @property
    def slot_resolutions(self) -> list[int]:
        """The resolution each style slot acts at, e.g. [7, 7, 14, 14, 28, 28]."""
        return [layer.resolution for layer in self.layers]

    def truncate(self, w: Tensor, psi: float) -> Tensor:
        """w̄ + ψ(w − w̄): ψ < 1 pulls every style towards the average one."""
        check_psi(psi)
        return torch.lerp(self.w_avg.to(w.dtype), w, psi)

    def synthesis(self, ws: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Images (B, C, H, W) in [0, 1] from per-layer styles ws (B, n_styles, d)."""
        x = self.const.expand(len(ws), -1, -1, -1)
        image, stage = None, 0
        for i, layer in enumerate(self.layers):
            if generator is None:
                noise = layer.fixed_noise
            else:
                r = layer.resolution
                noise = torch.randn(len(ws), 1, r, r, generator=generator, device=generator.device).to(x.device)
            x = layer(x, ws[:, i], noise)
            coarser_stage_ends = i + 1 < len(self.layers) and self.layers[i + 1].resolution != layer.resolution
            if self.skip and coarser_stage_ends:
                rgb = _to_image(x, self.skip_to_image[stage], self.skip_to_image_bias[stage])
                image = rgb if image is None else _upsample(image) + rgb
                stage += 1
        out = _to_image(x, self.to_image, self.to_image_bias)
        if image is not None:
            out = out + _upsample(image)
        return out.sigmoid()

    def forward(self, z: Tensor, generator: torch.Generator | None = None, psi: float | None = None) -> Tensor:
        w = self.mapping(z)
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.detach().float().mean(0), 1 - W_AVG_BETA)
        if psi is not None:
            w = self.truncate(w, psi)
        ws = w[:, None].expand(-1, self.n_styles, -1)
        if self.training and generator is not None and self.style_mixing > 0:
            ws = self._mixed(ws, z, generator)
        return self.synthesis(ws, generator)

    def _mixed(self, ws: Tensor, z: Tensor, generator: torch.Generator) -> Tensor:
        """Style-mixing regularisation: each sample, with probability p, takes a second w from a fresh z
        at the layers from a random crossover 1 … n−1 on."""
        n, dev = len(z), generator.device
        z2 = torch.randn(z.shape, generator=generator, device=dev).to(z.device)
        w2 = self.mapping(z2)
        cut = torch.randint(1, self.n_styles, (n,), generator=generator, device=dev).to(z.device)
        mixed = torch.rand(n, generator=generator, device=dev).to(z.device) < self.style_mixing
        cut = torch.where(mixed, cut, torch.full_like(cut, self.n_styles))
        later = torch.arange(self.n_styles, device=z.device)[None] >= cut[:, None]  # (B, n_styles)
        return torch.where(later[:, :, None], w2[:, None], ws)


def _to_image(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """A 1×1 conv with equalised learning rate: features → image logits."""
    return F.conv2d(x, weight / math.sqrt(weight.shape[1]), bias)


def _upsample(image: Tensor) -> Tensor:
    return F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)


def check_psi(psi: float) -> None:
    if not (isinstance(psi, (int, float)) and 0 < psi <= 10):  # also refuses NaN
        raise ConfigError(f"The truncation ψ must be a number above 0 and at most 10; got {psi}.")


# --- what the pages and `evaluate` read -------------------------------------------------------------------
def style_generator(model: GAN) -> StyleGenerator:
    """The style generator that draws `model`'s samples (the EMA copy when kept); a sentence otherwise."""
    net = model.sampler
    if not isinstance(net, StyleGenerator):
        raise ConfigError(f"This is a {model.config.kind.upper()}: its generator reads z directly and has no "
                          "styles to mix. Pick a StyleGAN checkpoint.")
    return net


def check_crossover(net: StyleGenerator, crossover: int) -> None:
    n = net.n_styles
    if not isinstance(crossover, int) or not 1 <= crossover <= n - 1:
        raise ConfigError(f"The crossover must be a layer boundary between 1 and {n - 1} (this generator has {n} "
                          f"style layers); got {crossover}.")


def default_crossover(net: StyleGenerator) -> int:
    """The boundary after the coarse (start-resolution) layers: styles at 7×7 from one source, the rest from the other."""
    return net.slot_resolutions.count(net.slot_resolutions[0])


def _seeded_w(model: GAN, net: StyleGenerator, seeds: list[int]) -> Tensor:
    z = torch.cat([model.noise(1, torch.Generator().manual_seed(int(s))) for s in seeds])
    return net.mapping(z)


@torch.inference_mode()
def mix(net: StyleGenerator, w_coarse: Tensor, w_fine: Tensor, crossover: int,
        generator: torch.Generator | None = None) -> Tensor:
    """Images whose layers before `crossover` read w_coarse and the others w_fine (both (B, d))."""
    check_crossover(net, crossover)
    coarse = torch.arange(net.n_styles, device=w_coarse.device)[None, :, None] < crossover
    ws = torch.where(coarse, w_coarse[:, None], w_fine[:, None])
    return net.synthesis(ws, generator)


@torch.inference_mode()
def mixing_grid(model: GAN, coarse_seeds: list[int], fine_seeds: list[int], crossover: int) -> Tensor:
    """The paper's figure 3 as (R + 1)·(C + 1) images: a blank corner, the fine sources along the top, the
    coarse sources down the left, and mixed[r, c] = coarse styles of row r + fine styles of column c."""
    net = style_generator(model)
    check_crossover(net, crossover)
    wc, wf = _seeded_w(model, net, coarse_seeds), _seeded_w(model, net, fine_seeds)
    rows = len(coarse_seeds)
    src_c = net.synthesis(wc[:, None].expand(-1, net.n_styles, -1))
    src_f = net.synthesis(wf[:, None].expand(-1, net.n_styles, -1))
    mixed = mix(net, wc.repeat_interleave(len(fine_seeds), 0), wf.repeat(rows, 1), crossover)
    blank = torch.ones_like(src_f[:1])
    out = [torch.cat([blank, src_f])]
    for r in range(rows):
        out.append(torch.cat([src_c[r:r + 1], mixed[r * len(fine_seeds):(r + 1) * len(fine_seeds)]]))
    return torch.cat(out).float().cpu()


@torch.inference_mode()
def noise_variation(model: GAN, seed: int, draws: int = 32) -> tuple[Tensor, Tensor]:
    """One w, `draws` fresh noise draws: (images (draws, C, H, W), per-pixel std over the draws (H, W))."""
    check_range("Noise draws", draws, 2, 256)
    net = style_generator(model)
    w = _seeded_w(model, net, [seed]).expand(draws, -1)
    images = net.synthesis(w[:, None].expand(-1, net.n_styles, -1), torch.Generator().manual_seed(seed + 1))
    images = images.float().cpu()
    return images, images.std(0).mean(0)


@torch.inference_mode()
def w_truncation_grid(model: GAN, seeds: list[int], psis: list[float]) -> Tensor:
    """Rows = ψ, columns = seeds: w̄ + ψ(w − w̄), fixed noise. (len(psis)·len(seeds), C, H, W) on the CPU."""
    for psi in psis:
        check_psi(psi)
    net = style_generator(model)
    w = _seeded_w(model, net, seeds)
    rows = [net.synthesis(net.truncate(w, p)[:, None].expand(-1, net.n_styles, -1)) for p in psis]
    return torch.cat(rows).float().cpu()


def _probe_accuracy(features: Tensor, labels: Tensor, seed: int) -> float:
    """Held-out accuracy of a logistic regression of the labels from standardised features (2/3 train)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y = features.float().cpu().numpy(), labels.cpu().numpy()
    order = np.random.default_rng(seed).permutation(len(x))
    cut = 2 * len(x) // 3
    tr, te = order[:cut], order[cut:]
    if len(np.unique(y[tr])) < 2:  # every sample in one class (an untrained G): the constant guess is all a probe has
        return float((y[te] == y[tr][0]).mean())
    scaler = StandardScaler().fit(x[tr])
    probe = LogisticRegression(max_iter=2000).fit(scaler.transform(x[tr]), y[tr])
    return float(probe.score(scaler.transform(x[te]), y[te]))


@torch.inference_mode()
def style_numbers(model: GAN, data, n: int = 1000, seed: int = 0) -> dict[str, Any] | None:
    """The StyleGAN claims, measured with the dataset's shipped classifier (None when there is none):

    mixing_coarse_agreement  share of mixed images (default crossover) classified as their coarse source
    mixing_fine_agreement    … as their fine source (for reference; chance is about 10 %)
    separability_z / _w      held-out accuracy of a logistic probe predicting the sample's class from z / w
    ppl_z / ppl_w            perceptual path length in classifier features, slerp in Z vs lerp in W (ε = 1e-4,
                             the paper's 1 %–99 % trimmed mean)
    noise_class_change       share of samples whose class changes when the per-pixel noise is redrawn
    """
    try:
        scorer = load_scorer(data.name, data.device)
    except CheckpointError:
        return None
    check_range("Number of samples", n, 20, 20_000)
    net = style_generator(model)
    was_training = net.training
    net.eval()
    gen = torch.Generator().manual_seed(seed)
    cls = lambda images: classifier_features(scorer, images)[1].argmax(1)  # noqa: E731
    feats = lambda images: classifier_features(scorer, images)[0]  # noqa: E731
    expand = lambda w: w[:, None].expand(-1, net.n_styles, -1)  # noqa: E731

    z1, z2 = model.noise(n, gen), model.noise(n, gen)
    w1, w2 = net.mapping(z1), net.mapping(z2)
    y1, y2 = cls(net.synthesis(expand(w1))), cls(net.synthesis(expand(w2)))
    by_crossover = []
    for k in range(1, net.n_styles):
        ym = cls(mix(net, w1, w2, k))
        by_crossover.append({"crossover": k, "coarse": float((ym == y1).float().mean()),
                             "fine": float((ym == y2).float().mean())})
    k0 = default_crossover(net)
    out: dict[str, Any] = {"mixing_crossover": k0,
                           "mixing_coarse_agreement": by_crossover[k0 - 1]["coarse"],
                           "mixing_fine_agreement": by_crossover[k0 - 1]["fine"],
                           "mixing_by_crossover": by_crossover}

    # linear separability: 3n samples, the classifier's label of each image as the class
    z = torch.cat([z1, z2, model.noise(n, gen)])
    w = torch.cat([w1, w2, net.mapping(z[2 * n:])])
    y = torch.cat([y1, y2, cls(net.synthesis(expand(w[2 * n:])))])
    out["separability_z"] = _probe_accuracy(z, y, seed)
    out["separability_w"] = _probe_accuracy(w, y, seed)

    # perceptual path length, in the classifier's feature space, fixed noise
    t = torch.rand(n, 1, generator=gen).to(z1.device)
    za, zb = _slerp(z1, z2, t), _slerp(z1, z2, t + PPL_EPS)
    ppl_z = (feats(net(za)) - feats(net(zb))).square().sum(1) / PPL_EPS**2
    wa, wb = torch.lerp(w1, w2, t), torch.lerp(w1, w2, t + PPL_EPS)
    ppl_w = (feats(net.synthesis(expand(wa))) - feats(net.synthesis(expand(wb)))).square().sum(1) / PPL_EPS**2
    out["ppl_z"], out["ppl_w"] = _trimmed_mean(ppl_z), _trimmed_mean(ppl_w)

    # noise resampling: the same w, two noise draws
    ya = cls(net.synthesis(expand(w1), torch.Generator().manual_seed(seed + 1)))
    yb = cls(net.synthesis(expand(w1), torch.Generator().manual_seed(seed + 2)))
    out["noise_class_change"] = float((ya != yb).float().mean())
    net.train(was_training)
    return out


def _slerp(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation of rows of a and b at fractions t (B, 1) (the paper's Z path)."""
    an, bn = F.normalize(a, dim=1), F.normalize(b, dim=1)
    omega = torch.arccos((an * bn).sum(1, keepdim=True).clamp(-1 + 1e-7, 1 - 1e-7))
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b


def _trimmed_mean(values: Tensor) -> float:
    """Mean of the values between the 1st and 99th percentile (the paper's PPL filter)."""
    v = values.float().cpu()
    lo, hi = torch.quantile(v, 0.01), torch.quantile(v, 0.99)
    return float(v[(v >= lo) & (v <= hi)].mean())


# --- the mapping-depth experiment (L = 0 is the control) ---------------------------------------------------
def depth_results_path(dataset: str, out_dir: Path | None = None) -> Path:
    return (out_dir or SHIPPED_DIR) / f"stylegan-depth-{dataset}.json"


def load_depth_results(dataset: str) -> dict | None:
    """The recorded mapping-depth runs (checkpoints/stylegan-depth-<dataset>.json), or None when not built."""
    path = depth_results_path(dataset)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def build_depth_results(spec, device: str, out_dir: Path, log: Callable[[str], None]) -> Path:
    """Train one StyleGAN per mapping depth in spec.train["depths"] with the same settings and seed, measure
    `style_numbers` of each, and write them as JSON (`python -m genviz pretrain --only stylegan-depth-mnist`)."""
    settings = dict(spec.train)
    depths = settings.pop("depths")
    imgs = data.load(spec.dataset, device)
    runs, start = [], time.perf_counter()
    for depth in depths:
        run = new_run(spec.kind, imgs, {**spec.config, "mapping_depth": depth}, TrainParams(**settings), device)
        for rec in run.fit():
            log(f"{spec.name} L={depth}: step {rec.step}/{rec.total_steps}")
        numbers = style_numbers(run.model, imgs) or {}
        runs.append({"mapping_depth": depth, "steps": run.steps, "seconds": round(run.seconds, 1),
                     **{k: v for k, v in numbers.items() if k != "mixing_by_crossover"}})
        log(f"{spec.name} L={depth}: {runs[-1]}")
    result = {"dataset": spec.dataset, "config": spec.config, "train": settings, "runs": runs,
              "threads": torch.get_num_threads(), "seconds": round(time.perf_counter() - start, 1)}
    path = depth_results_path(spec.dataset, out_dir)
    atomic.atomic_write(path, json.dumps(result, indent=1).encode())
    return path
