"""GAN modules: a generator G(z[, y]) and a discriminator / critic D(x[, y]) in one `GAN` module.

Images cross every public boundary in [0, 1] (as the datasets give them): G ends in a sigmoid
and D maps its input to [−1, 1] first, which is the DCGAN convention (tanh output, data in
[−1, 1]) written so pages and metrics never rescale. Bodies follow Radford et al. 2015
(arXiv:1511.06434): G = ConvTranspose2d + BatchNorm + ReLU, D = strided convs + LeakyReLU(0.2),
no pooling; an MLP pair for small images (the 8×8 digits).

A GAN is described by three axes, not by a kind (`PRESETS` names the five shipped combinations):
  objective     how D and G are scored: a row of genviz.gans.objectives.OBJECTIVES
  conditioning  none | input (the label enters G and D, Mirza & Osindero 2014) | auxiliary (D also
                classifies, Odena et al. 2017) | projection (D's score adds ⟨embed(y), φ(x)⟩, Miyato & Koyama 2018)
  d_norm        batch (Radford et al.) | none (WGAN-GP's critic: the penalty is per example) |
                spectral (every D layer has σ(W) = 1, Miyato et al. 2018)
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from genviz.core import latent
from genviz.core.config import bounded, check_choice, check_fields, check_range
from genviz.core.errors import ConfigError
from genviz.gans.objectives import OBJECTIVES
from genviz.gans.stylegan import STYLE_BLOCKS, STYLE_OUTPUTS, StyleGenerator, check_psi, style_resolutions

CONDITIONINGS = ("none", "input", "auxiliary", "projection")
D_NORMS = ("batch", "none", "spectral")

# The shipped kinds as points on the axes. `kind` in a config names the preset it started from;
# axes given explicitly override the preset's.
PRESETS: dict[str, dict[str, Any]] = {
    "dcgan": {"objective": "bce-non-saturating", "conditioning": "none", "d_norm": "batch", "g_conditioning": "input"},
    "cgan": {"objective": "bce-non-saturating", "conditioning": "input", "d_norm": "batch", "g_conditioning": "input"},
    "acgan": {"objective": "bce-non-saturating", "conditioning": "auxiliary", "d_norm": "batch",
              "g_conditioning": "input"},
    "wgan-gp": {"objective": "wgan-gp", "conditioning": "none", "d_norm": "none", "g_conditioning": "input"},
    "sngan": {"objective": "hinge", "conditioning": "none", "d_norm": "spectral", "g_conditioning": "input"},
    # BigGAN's ideas at MNIST scale (Brock et al. 2018): G with class-conditional BatchNorm from one shared
    # embedding and hierarchical z, D with spectral norm and a projection head, hinge loss, EMA of G.
    "biggan": {"objective": "hinge", "conditioning": "projection", "d_norm": "spectral", "g_conditioning": "cbn"},
    # StyleGAN's ideas (Karras et al. 2019): a mapping network z → w, a synthesis network from a learned constant
    # that reads w as per-layer styles, per-pixel noise, style mixing, truncation in W (genviz/gans/stylegan.py).
    "stylegan": {"objective": "bce-non-saturating", "conditioning": "none", "d_norm": "none",
                 "g_conditioning": "input", "g_arch": "style"},
}
GAN_KINDS = tuple(PRESETS)
_AXES = ("objective", "conditioning", "d_norm", "g_conditioning")
G_CONDITIONINGS = ("input", "cbn")
# Adam's (β₁, β₂) by name; None = the objective's. Papers: DCGAN (0.5, 0.999); WGAN-GP, SN-GAN, BigGAN (0, 0.9);
# StyleGAN (0, 0.99)
ADAM_BETAS: dict[str, tuple[float, float] | None] = {
    "objective": None, "0.5, 0.999": (0.5, 0.999), "0, 0.9": (0.0, 0.9), "0, 0.99": (0.0, 0.99)}
G_ARCHS = ("direct", "style")  # direct: z enters G's first layer (DCGAN, MLP, cBN); style: see StyleGenerator


@dataclass(frozen=True)
class GANConfig:
    """One GAN: the preset it started from, its three axes, image shape, latent size and widths."""

    kind: str = "dcgan"
    image_shape: tuple[int, int, int] = (1, 8, 8)
    n_classes: int = 10
    latent_dim: int = bounded(64, 1, 256, "Latent size")
    g_width: int = bounded(64, 4, 256, "Generator width")  # conv: channels of G's last stage; mlp: hidden = 4·g_width
    d_width: int = bounded(32, 4, 256, "Discriminator width")  # conv: D's first stage; mlp: hidden = 4·d_width
    # conv D: strided 4×4 stages after those that reach G's start size (28 px: 28 → 14 → 7, then 7 → 3 with one
    # more). The DCGAN way to give D a non-linear view of the whole digit before its linear head; mlp: ignored.
    d_extra_stages: int = bounded(0, 0, 2, "Extra discriminator stages")
    # conv D: minibatch standard deviation (Karras et al. 2018, §3; StyleGAN's D): before D's last stage, one more
    # feature map holding the spread of the features across groups of this many images, so D sees how varied a batch
    # is. 0 = off; StyleGAN uses 4. mlp: ignored.
    d_mbstd: int = bounded(0, 0, 16, "Minibatch-stddev group size")
    body: str = "auto"  # "auto" (mlp below 16 px, else conv) | "conv" | "mlp"
    objective: str = ""  # "" = the preset's; see genviz.gans.objectives
    conditioning: str = ""  # "" = the preset's; one of CONDITIONINGS
    d_norm: str = ""  # "" = the preset's; one of D_NORMS
    n_critic: int = bounded(1, 1, 10, "Discriminator steps per generator step (n_critic)")
    gp_lambda: float = bounded(10.0, 0.0, 100.0, "Gradient-penalty weight λ")  # with objective wgan-gp
    aux_weight: float = bounded(1.0, 0.0, 10.0, "Auxiliary class-loss weight")  # with conditioning auxiliary
    # generator options
    g_conditioning: str = ""  # "" = the preset's; "input" (one-hot y concatenated to z) | "cbn" (see CBNGenerator)
    ema: float = bounded(0.0, 0.0, 0.9999, "EMA decay of G's weights")  # 0 = off; sampling uses the average
    # two time scales (Heusel et al. 2017): D's learning rate is this multiple of G's
    d_lr_scale: float = bounded(1.0, 0.1, 10.0, "D's learning rate ÷ G's")
    ortho_reg: float = bounded(0.0, 0.0, 0.01, "Orthogonal regularisation β")  # BigGAN's off-diagonal form
    r1_gamma: float = bounded(0.0, 0.0, 100.0, "R1 penalty γ")  # γ/2 E‖∇ₓD(x)‖² on real images; 0 = off
    # lazy regularisation (StyleGAN2, Karras et al. 2020, §B): R1 on every k-th D step only, weighted by k
    r1_every: int = bounded(1, 1, 64, "R1 every k D steps")
    # discriminator option: "free" adversarial training of D (Zhong et al. 2020, Fast-GAN); ε on [−1, 1] images
    adv_eps: float = bounded(0.0, 0.0, 0.5, "Adversarial ε of D")  # 0 = off; the step τ equals ε, as in their code
    adv_replays: int = bounded(2, 1, 8, "Adversarial replays m per batch")
    # generator architecture: "" = the preset's (direct for all but stylegan); the style options below
    g_arch: str = ""
    mapping_depth: int = bounded(8, 0, 8, "Mapping network depth L")  # StyleGAN: 8; 0 gives w = pixelnorm(z)
    mapping_lr_mul: float = bounded(0.01, 0.001, 1.0, "Mapping learning-rate multiplier")
    style_mixing: float = bounded(0.9, 0.0, 1.0, "Style-mixing probability")
    style_block: str = "adain"  # "adain" (StyleGAN) | "modconv" (StyleGAN2; its activations grow here, see BENCHMARKS)
    style_output: str = "last"  # "last" (one toRGB at the end) | "skip" (StyleGAN2: a toRGB per resolution, summed)
    # G's learning rate = lr × g_lr_mul. The style generator stores every weight at unit scale (equalised lr), so
    # an Adam step moves it by lr relative to its size: it needs StyleGAN's larger rate (≈ 2e-3) while D keeps lr.
    g_lr_mul: float = bounded(1.0, 0.1, 100.0, "Generator learning-rate multiplier")
    # Adam's (β₁, β₂) for both networks, a key of ADAM_BETAS: "objective" = the objective's (its paper's); StyleGAN
    # trained with (0, 0.99)
    adam_betas: str = "objective"

    def __post_init__(self) -> None:
        check_choice("GAN kind", self.kind, GAN_KINDS)
        for axis in _AXES:
            if not getattr(self, axis):
                object.__setattr__(self, axis, PRESETS[self.kind][axis])
        check_choice("GAN objective", self.objective, OBJECTIVES)
        check_choice("Conditioning", self.conditioning, CONDITIONINGS)
        check_choice("Discriminator normalisation", self.d_norm, D_NORMS)
        check_choice("Generator conditioning", self.g_conditioning, G_CONDITIONINGS)
        if not self.g_arch:
            object.__setattr__(self, "g_arch", PRESETS[self.kind].get("g_arch", "direct"))
        check_choice("Generator architecture", self.g_arch, G_ARCHS)
        check_choice("Style block", self.style_block, STYLE_BLOCKS)
        check_choice("Style output", self.style_output, STYLE_OUTPUTS)
        check_choice("Adam betas", self.adam_betas, ADAM_BETAS)
        if self.g_arch == "style":
            if self.conditional:
                raise ConfigError("The style generator is unconditional (its classes come from the styles it "
                                  "learns): use conditioning 'none'.")
            style_resolutions(self.image_shape)  # raises ConfigError for sizes it cannot make
        c, h, w = self.image_shape
        check_range("Image channels", c, 1, 4)
        check_range("Image height", h, 4, 256)
        check_range("Image width", w, 4, 256)
        check_range("Number of classes", self.n_classes, 1, 1000)
        check_fields(self)
        check_choice("Body", self.body, ("auto", "conv", "mlp"))
        if self.resolved_body == "conv":
            conv_stages(self.image_shape)  # raises ConfigError for sizes the conv body cannot make

    @classmethod
    def upgrade(cls, data: dict[str, Any]) -> dict[str, Any]:
        """A config saved before the axes existed (`generator_loss`, behaviour implied by `kind`)."""
        data = dict(data)
        betas = data.get("adam_betas")
        if isinstance(betas, (list, tuple)):  # the first files that set betas stored the pair itself
            data["adam_betas"] = next((k for k, v in ADAM_BETAS.items() if v is not None and list(v) == list(betas)),
                                      str(betas))
        loss = data.pop("generator_loss", None)
        if loss is not None and "objective" not in data:
            preset = PRESETS.get(data.get("kind", "dcgan"), {}).get("objective", "")
            data["objective"] = f"bce-{loss}" if preset.startswith("bce") else preset
        return data

    @property
    def conditional(self) -> bool:
        """True when G draws a chosen class (every conditioning but "none")."""
        return self.conditioning != "none"

    @property
    def d_takes_labels(self) -> bool:
        """True when D reads the label of the image it judges (input concatenation, projection)."""
        return self.conditioning in ("input", "projection")

    @property
    def resolved_body(self) -> str:
        if self.body != "auto":
            return self.body
        return "mlp" if min(self.image_shape[1:]) < 16 else "conv"

    @property
    def n_pixels(self) -> int:
        return math.prod(self.image_shape)


def conv_stages(image_shape: tuple[int, int, int]) -> int:
    """Number of stride-2 stages k so that H = s·2^k with a start size 4 ≤ s ≤ 8 (28 → 2, 32 → 3)."""
    _, h, w = image_shape
    if h != w:
        raise ConfigError(f"The convolutional GAN needs square images; got {h}×{w}. Use body 'mlp'.")
    for k in range(6, 0, -1):
        if h % 2**k == 0 and 4 <= h // 2**k <= 8:
            return k
    raise ConfigError(f"The convolutional GAN cannot make {h}×{w} images (size must be 4–8 × a power of 2, "
                      "e.g. 28 or 32); use body 'mlp'.")


class DiscriminatorOutput(NamedTuple):
    logit: Tensor  # (B,) D's raw score: a logit (BCE objectives) or a critic value
    class_logits: Tensor | None  # (B, K) with the auxiliary-classifier conditioning, else None


class GANOutput(NamedTuple):
    images: Tensor  # (B, C, H, W) in [0, 1]
    logit: Tensor  # (B,) D's score of those images
    class_logits: Tensor | None


def one_hot(labels: Tensor, n_classes: int) -> Tensor:
    return F.one_hot(labels.long(), n_classes).float()


class ConvGenerator(nn.Module):
    """z (B, d) → ConvTranspose2d(d, c0, s) to s×s → k × [ConvT(4, stride 2) + BN + ReLU] → sigmoid."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int], width: int):
        super().__init__()
        k = conv_stages(image_shape)
        start = image_shape[1] // 2**k
        chans = [width * 2 ** (k - 1 - i) for i in range(k)]  # e.g. 28×28, width 64: [128, 64]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(in_dim, chans[0], start, 1, 0, bias=False),  # (c0) × s × s
            nn.BatchNorm2d(chans[0]), nn.ReLU(True),
        ]
        for i in range(k - 1):
            layers += [nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=False),  # doubles H and W
                       nn.BatchNorm2d(chans[i + 1]), nn.ReLU(True)]
        layers.append(nn.ConvTranspose2d(chans[-1], image_shape[0], 4, 2, 1))  # C × H × W logits
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z[:, :, None, None]).sigmoid()


class MLPGenerator(nn.Module):
    """z → Linear + BN + ReLU (×2) → Linear → sigmoid, reshaped to (C, H, W)."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int], width: int):
        super().__init__()
        hidden = 4 * width
        self.image_shape = image_shape
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(True),
            nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(True),
            nn.Linear(hidden, math.prod(image_shape)),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).sigmoid().view(-1, *self.image_shape)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own affine; gain = 1 + W_g·c and bias = W_b·c from a conditioning vector c
    (de Vries et al. 2017; BigGAN feeds c = [shared class embedding, a chunk of z])."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(cond_dim, channels, bias=False)
        self.bias = nn.Linear(cond_dim, channels, bias=False)
        nn.init.zeros_(self.gain.weight)  # starts as plain BatchNorm; the class then learns its gain and bias
        nn.init.zeros_(self.bias.weight)

    def forward(self, h: Tensor, cond: Tensor) -> Tensor:
        flat = h.dim() == 2  # (B, C) from an MLP: normalised as (B, C, 1, 1)
        h = self.bn(h[:, :, None, None] if flat else h)
        h = h * (1 + self.gain(cond))[:, :, None, None] + self.bias(cond)[:, :, None, None]
        return h[:, :, 0, 0] if flat else h


def split_sizes(total: int, parts: int) -> list[int]:
    """`total` as `parts` near-equal chunk sizes (the first ones larger)."""
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


class CBNGenerator(nn.Module):
    """G(z, y) with class-conditional BatchNorm and hierarchical z (Brock et al. 2018, §3 and appendix B).

    z is split into one chunk per block plus one for the input; each BN layer is conditioned on
    [shared embedding e(y), its chunk of z]. Conv body: the DCGAN stages of `ConvGenerator`; MLP body
    (8×8 digits): the two hidden layers of `MLPGenerator`.
    """

    takes_labels = True

    def __init__(self, config: GANConfig, embed_dim: int = 32):
        super().__init__()
        self.image_shape = config.image_shape
        self.conv = config.resolved_body == "conv"
        self.embed = nn.Embedding(config.n_classes, embed_dim)  # shared by every BN layer
        if self.conv:
            k = conv_stages(config.image_shape)
            self.start = config.image_shape[1] // 2**k
            widths = [config.g_width * 2 ** (k - 1 - i) for i in range(k)]
        else:
            widths = [4 * config.g_width] * 2
        self.chunks = split_sizes(config.latent_dim, len(widths) + 1)
        first, *rest = self.chunks
        if self.conv:
            self.input = nn.ConvTranspose2d(first + embed_dim, widths[0], self.start, 1, 0, bias=False)
            self.blocks = nn.ModuleList(nn.ConvTranspose2d(widths[i], widths[i + 1], 4, 2, 1, bias=False)
                                        for i in range(len(widths) - 1))
            self.out = nn.ConvTranspose2d(widths[-1], config.image_shape[0], 4, 2, 1)
        else:
            self.input = nn.Linear(first + embed_dim, widths[0])
            self.blocks = nn.ModuleList([nn.Linear(widths[0], widths[1])])
            self.out = nn.Linear(widths[1], math.prod(config.image_shape))
        self.norms = nn.ModuleList(ConditionalBatchNorm(w, c + embed_dim) for w, c in zip(widths, rest))

    def forward(self, z: Tensor, labels: Tensor) -> Tensor:
        e = self.embed(labels.long())
        zs = torch.split(z, self.chunks, 1)
        h = torch.cat([zs[0], e], 1)
        h = self.input(h[:, :, None, None] if self.conv else h)
        for i, norm in enumerate(self.norms):
            h = F.relu(norm(h, torch.cat([zs[i + 1], e], 1)))
            if i < len(self.blocks):
                h = self.blocks[i](h)
        return self.out(h).sigmoid().view(-1, *self.image_shape)


def orthogonal_penalty(module: nn.Module) -> Tensor:
    """Σ_W ‖WᵀW ⊙ (1 − I)‖²_F over the weight matrices of `module` (BigGAN's off-diagonal form: it
    asks filters to be orthogonal without fixing their norms); conv kernels are read as (out, in·k·k)."""
    total = torch.zeros((), device=next(module.parameters()).device)
    for name, w in module.named_parameters():
        if name.endswith("weight") and w.dim() >= 2 and "embed" not in name:
            m = w.flatten(1)
            gram = m @ m.T
            total = total + (gram * (1 - torch.eye(len(gram), device=gram.device))).square().sum()
    return total


class ConvDiscriminator(nn.Module):
    """x (in [0,1], plus K label planes for cgan) → k strided 4×4 convs + LeakyReLU(0.2) → features.

    BatchNorm after every conv but the first for the BCE kinds (Radford et al.); none for the
    WGAN-GP critic (the penalty is per example) or SN-GAN (spectral norm replaces it).
    """

    def __init__(self, in_channels: int, image_shape: tuple[int, int, int], width: int, batch_norm: bool,
                 extra_stages: int = 0, mbstd_group: int = 0):
        super().__init__()
        layers: list[nn.Module] = []
        c, s = in_channels, image_shape[1]
        stages = conv_stages(image_shape) + extra_stages
        self.mbstd_group, self.mbstd_at = mbstd_group, -1
        for i in range(stages):
            out = width * 2**i
            if mbstd_group and i == stages - 1:  # the statistic enters the last stage as one more input map
                self.mbstd_at, c = len(layers), c + 1
            layers.append(nn.Conv2d(c, out, 4, 2, 1, bias=not (batch_norm and i > 0)))  # s → ⌊s / 2⌋
            if batch_norm and i > 0:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.LeakyReLU(0.2, True))
            c, s = out, s // 2
        self.net = nn.Sequential(*layers, nn.Flatten())
        self.out_dim = c * s * s

    def forward(self, x: Tensor) -> Tensor:
        if self.mbstd_at < 0:
            return self.net(x)
        for i, layer in enumerate(self.net):
            if i == self.mbstd_at:
                x = minibatch_stddev(x, self.mbstd_group)
            x = layer(x)
        return x


def minibatch_stddev(x: Tensor, group: int) -> Tensor:
    """x (B, C, H, W) plus one map: for each image, the standard deviation of every feature across its group
    (images i, i + B/G, i + 2B/G, ... as in StyleGAN's code), averaged over features and pixels. The group is the
    largest divisor of B that is ≤ `group`, so any batch size works (a single image sees 0)."""
    b, c, h, w = x.shape
    g = max(d for d in range(1, min(group, b) + 1) if b % d == 0)
    y = x.float().reshape(g, -1, c, h, w)  # (G, B/G, C, H, W)
    std = (y.var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (B/G,)
    stat = std.to(x.dtype).repeat(g)[:, None, None, None].expand(b, 1, h, w)  # image i gets its group's value
    return torch.cat([x, stat], 1)


class MLPDiscriminator(nn.Module):
    def __init__(self, in_dim: int, width: int):
        super().__init__()
        hidden = 4 * width
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.LeakyReLU(0.2, True),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2, True))
        self.out_dim = hidden

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1))


class Discriminator(nn.Module):
    """Body + a real/fake head, plus what the conditioning asks for: K label planes at the input
    (input), a class head (auxiliary) or a class embedding whose dot product with the features is
    added to the score (projection). Spectral norm on every layer with d_norm "spectral"."""

    def __init__(self, config: GANConfig):
        super().__init__()
        self.config = config
        c = config.image_shape[0]
        label_in = config.n_classes if config.conditioning == "input" else 0
        if config.resolved_body == "conv":
            self.body = ConvDiscriminator(c + label_in, config.image_shape, config.d_width,
                                          batch_norm=config.d_norm == "batch", extra_stages=config.d_extra_stages,
                                          mbstd_group=config.d_mbstd)
        else:
            self.body = MLPDiscriminator(config.n_pixels + label_in, config.d_width)
        self.head = nn.Linear(self.body.out_dim, 1)
        self.class_head = (nn.Linear(self.body.out_dim, config.n_classes)
                           if config.conditioning == "auxiliary" else None)
        self.embed = (nn.Embedding(config.n_classes, self.body.out_dim)
                      if config.conditioning == "projection" else None)
        if config.d_norm == "spectral":
            for module in list(self.modules()):
                if isinstance(module, (nn.Conv2d, nn.Linear, nn.Embedding)):
                    spectral_norm(module)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> DiscriminatorOutput:
        h = x * 2 - 1  # [0, 1] → [−1, 1]
        if self.config.conditioning == "input":
            y = one_hot(labels, self.config.n_classes)  # (B, K)
            if self.config.resolved_body == "conv":
                h = torch.cat([h, y[:, :, None, None].expand(-1, -1, *h.shape[2:])], 1)  # K label planes
            else:
                h = torch.cat([h.flatten(1), y], 1)
        f = self.body(h)
        score = self.head(f).squeeze(1)
        if self.embed is not None:
            score = score + (self.embed(labels.long()) * f).sum(1)  # ⟨embed(y), φ(x)⟩
        class_logits = self.class_head(f) if self.class_head is not None else None
        return DiscriminatorOutput(score, class_logits)


class GAN(nn.Module):
    """Generator and discriminator of one GAN. `sample` draws images; `forward` draws and scores them."""

    def __init__(self, config: GANConfig):
        super().__init__()
        self.config = config
        if config.g_arch == "style":
            self.generator: nn.Module = StyleGenerator(config)
        elif config.conditional and config.g_conditioning == "cbn":
            self.generator = CBNGenerator(config)
        else:
            in_dim = config.latent_dim + (config.n_classes if config.conditional else 0)
            make = ConvGenerator if config.resolved_body == "conv" else MLPGenerator
            self.generator = make(in_dim, config.image_shape, config.g_width)
        self.discriminator = Discriminator(config)
        # An exponential moving average of G's weights, used for sampling (Karras et al. 2018; BigGAN):
        # it averages out the last steps' oscillation around the generator D is chasing.
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False) if config.ema > 0 else None

    @property
    def sampler(self) -> nn.Module:
        """The generator that draws samples: the EMA copy when the config keeps one, else G itself."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def ema_decay(self, updates: int) -> float:
        """The decay of update number `updates` (0-based): config.ema, warmed up as min(d, (1 + t) / (10 + t))
        (TensorFlow's ExponentialMovingAverage with num_updates). Without the warm-up an average with
        d = 0.999 still holds 0.999^2000 ≈ 13 % of the random initial weights after 2,000 steps: measured on
        MNIST DCGAN at 2,000 steps, FD 1,919 with 3 classes vs 271 for the live G."""
        return min(self.config.ema, (1 + updates) / (10 + updates))

    @torch.no_grad()
    def update_ema(self) -> None:
        """θ_ema ← d·θ_ema + (1 − d)·θ_G (d = `ema_decay`), BatchNorm running statistics alike. The update
        count lives on the model object (a resumed run warms up again)."""
        if self.generator_ema is None:
            return
        updates = getattr(self, "_ema_updates", 0)
        weight = 1.0 - self.ema_decay(updates)
        self._ema_updates = updates + 1
        ema, live = list(self.generator_ema.parameters()), list(self.generator.parameters())
        torch._foreach_lerp_(ema, live, weight)
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers()):
            if b.is_floating_point():  # running statistics averaged like the weights they normalise
                b_ema.lerp_(b, weight)
            else:
                b_ema.copy_(b)

    @torch.no_grad()
    def ship_ema(self) -> None:
        """Set the live G to its EMA copy before a file is shipped: sampling is unchanged (it reads the EMA), the
        checkpoint stores G's weights once (identical weights are stored once), and training resumed from the
        file continues from the averaged weights. A user's own saves keep both."""
        if self.generator_ema is not None:
            self.generator.load_state_dict(self.generator_ema.state_dict())

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def noise(self, n: int, generator: torch.Generator | None = None, psi: float | None = None) -> Tensor:
        """n latent vectors z ~ N(0, I) drawn from `generator` (any device), on the model's device.

        `psi`: the truncation trick (Brock et al. 2018, §3.1): every entry whose magnitude would exceed ψ
        is resampled, i.e. z is drawn from N(0, 1) truncated to [−ψ, ψ] — sampled exactly in one pass
        by the inverse CDF. Smaller ψ trades variety for typical, cleaner samples.
        """
        dev = generator.device if generator is not None else self.device
        if psi is None:
            return torch.randn(n, self.config.latent_dim, generator=generator, device=dev).to(self.device)
        return truncated_normal((n, self.config.latent_dim), psi, generator, dev).to(self.device)

    def random_labels(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        dev = generator.device if generator is not None else self.device
        return torch.randint(self.config.n_classes, (n,), generator=generator, device=dev).to(self.device)

    def generate(self, z: Tensor, labels: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """G(z) or G(z, y): images (B, C, H, W) in [0, 1]. `generator` feeds a style generator's per-pixel
        noise and style mixing (other generators draw nothing)."""
        return self._draw(self.generator, z, labels, generator)

    def _draw(self, net: nn.Module, z: Tensor, labels: Tensor | None, generator: torch.Generator | None = None,
              psi: float | None = None) -> Tensor:
        if getattr(net, "style_based", False):
            return net(z, generator, psi)
        if not self.config.conditional:
            return net(z)
        if labels is None:
            raise ConfigError("A class-conditional generator draws a chosen class: give it class labels.")
        labels = labels.to(z.device)
        if getattr(net, "takes_labels", False):
            return net(z, labels)
        return net(torch.cat([z, one_hot(labels, self.config.n_classes)], 1))

    def discriminate(self, x: Tensor, labels: Tensor | None = None) -> DiscriminatorOutput:
        if self.config.d_takes_labels and labels is None:
            raise ConfigError("A conditional discriminator needs the labels of the images it judges.")
        return self.discriminator(x, labels)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> GANOutput:
        images = self.generate(z, labels)
        d = self.discriminate(images, labels)
        return GANOutput(images, d.logit, d.class_logits)

    @torch.inference_mode()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None,
               psi: float | None = None) -> Tensor:
        """n images from fresh noise (truncated at ψ when given; labels drawn uniformly for conditional
        GANs unless given), drawn by `sampler` (the EMA generator when there is one)."""
        in_w = getattr(self.sampler, "style_based", False)  # StyleGAN truncates in W: w̄ + ψ(w − w̄)
        if in_w and psi is not None:
            check_psi(psi)
        z = self.noise(n, generator, None if in_w else psi)
        if self.config.conditional and labels is None:
            labels = self.random_labels(n, generator)
        return self._draw(self.sampler, z, labels if self.config.conditional else None, generator,
                          psi if in_w else None)

    @torch.inference_mode()
    def decode_noise(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """The sampler's images of given latent vectors (for walks and class grids)."""
        z = z.to(self.device)
        if self.config.conditional and labels is None:
            labels = torch.zeros(len(z), dtype=torch.long, device=self.device)
        return self._draw(self.sampler, z, labels.to(self.device) if self.config.conditional else None)


def truncated_normal(shape: tuple[int, ...], psi: float, generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu") -> Tensor:
    """Draws of N(0, 1) truncated to [−ψ, ψ]: u ~ U(Φ(−ψ), Φ(ψ)), z = Φ⁻¹(u)."""
    if not (isinstance(psi, (int, float)) and 0 < psi <= 10):  # also refuses NaN
        raise ConfigError(f"The truncation ψ must be a number above 0 and at most 10; got {psi}.")
    lo = float(torch.special.ndtr(torch.tensor(-float(psi), dtype=torch.float64)))
    u = torch.rand(shape, generator=generator, device=device, dtype=torch.float64) * (1 - 2 * lo) + lo
    return torch.special.ndtri(u).clamp_(-psi, psi).float()


interpolate_noise = latent.interpolate  # noise paths for latent walks (see genviz.core.latent)
walk_direction = latent.walk
