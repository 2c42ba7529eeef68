"""The domain pairs CycleGAN translates between, all built from data on hand and unpaired by construction.

A pair names two domains A and B at one image size. A domain is a dataset of genviz.core.data, resized,
and optionally transformed (thick strokes = 3×3 grey dilation, colour inversion). When both domains come
from the same source, A and B are its two disjoint halves (a seeded permutation), so no image of A has its
own translation in B. When the transform is known, the true map A → B is known too, and the page can
measure the translation against it (PSNR).

For the generic trainer a pair is packed as one `ImageData` with two channels: channel 0 is an image of A,
channel 1 an (unrelated) image of B, and the labels are (N, 2). The unpacked sets are kept beside it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from genviz.core import data as datasets
from genviz.core.errors import ConfigError, DatasetUnavailable


def dilate(x: Tensor) -> Tensor:
    """3×3 grey dilation: each pixel becomes the maximum of its 3×3 neighbourhood (thicker strokes)."""
    return F.max_pool2d(x, 3, stride=1, padding=1)


def invert(x: Tensor) -> Tensor:
    """Colour inversion 1 − x (its own inverse)."""
    return 1 - x


def resize(x: Tensor, size: int) -> Tensor:
    """(N, C, H, W) → (N, C, size, size): area averaging when shrinking, bilinear when enlarging."""
    if x.shape[-1] == size:
        return x
    if x.shape[-1] > size:
        return F.interpolate(x, size=(size, size), mode="area")
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)


@dataclass(frozen=True)
class Transform:
    name: str
    apply: Callable[[Tensor], Tensor]
    inverse: Callable[[Tensor], Tensor] | None  # known exactly (inversion) or not (dilation)


TRANSFORMS = {
    "none": Transform("none", lambda x: x, lambda x: x),
    "dilate": Transform("dilate", dilate, None),
    "invert": Transform("invert", invert, invert),
}


@dataclass(frozen=True)
class Domain:
    name: str
    title: str
    dataset: str  # a genviz.core.data dataset name
    transform: str = "none"
    # The shipped classifier (checkpoints/classifier-<scorer>) that names this domain's classes, trained on
    # the domain at the pair's size (an invertible transform is undone first: inverted MNIST is read by
    # the MNIST classifier after 1 − x, which is exact).
    scorer: str | None = None
    # Pixels cut from each border of the source before resizing. MNIST centres a 20×20 digit box in 28×28, while
    # the scikit-learn digits fill their 8×8 frame: cut to the box, both draw the digit at one scale.
    crop: int = 0

    def prepare(self, x: Tensor, size: int) -> Tensor:
        """Source images (N, C, H, W) → this domain's images: cropped, resized to `size`, transformed."""
        if self.crop:
            x = x[..., self.crop:x.shape[-2] - self.crop, self.crop:x.shape[-1] - self.crop]
        return TRANSFORMS[self.transform].apply(resize(x, size))


@dataclass(frozen=True)
class DomainPair:
    name: str
    title: str
    a: Domain
    b: Domain
    size: int
    lesson: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (1, self.size, self.size)

    @property
    def shared_source(self) -> bool:
        return self.a.dataset == self.b.dataset

    def true_map(self, direction: str) -> Callable[[Tensor], Tensor] | None:
        """The map A → B ("ab") or B → A ("ba") when it is known (a transform of the same source)."""
        if not self.shared_source or self.a.transform != "none":
            return None
        t = TRANSFORMS[self.b.transform]
        return t.apply if direction == "ab" else t.inverse


MNIST = Domain("mnist", "MNIST", "mnist", scorer="mnist-16")
# MNIST cut to its 20×20 digit box for the digits pair: uncut, an MNIST digit is 72 % of the frame's height at 16 px
# and a digits digit 100 %, so G had to rescale every digit, and it swapped classes instead (BENCHMARKS, CycleGAN).
MNIST_BOX = Domain("mnist-box", "MNIST (its 20×20 digit box)", "mnist", scorer="mnist-box-16", crop=4)
PAIRS: dict[str, DomainPair] = {p.name: p for p in (
    DomainPair("mnist-digits", "MNIST ↔ scikit-learn digits", MNIST_BOX,
               Domain("digits", "scikit-learn digits (8×8, enlarged)", "digits", scorer="digits-16"), 16,
               "A real dataset shift with labels on both sides: does the digit survive the trip? MNIST is cut "
               "to its 20×20 digit box, so both domains draw a digit at one scale."),
    DomainPair("mnist-thick", "MNIST ↔ thick-stroke MNIST", MNIST,
               Domain("mnist-thick", "thick-stroke MNIST (3×3 grey dilation)", "mnist", "dilate", scorer="mnist-thick-16"), 16,
               "The true map is known (dilation), so the translation can be checked pixel by pixel (PSNR)."),
    DomainPair("mnist-inverted", "MNIST ↔ colour-inverted MNIST", MNIST,
               Domain("mnist-inverted", "colour-inverted MNIST", "mnist", "invert", scorer="mnist-16"), 16,
               "The identity loss asks G(inverted) = inverted, while the true map turns it back into the digit: "
               "compare λ_id = 0 with 0.5·λ."),
    DomainPair("mnist-fashion", "MNIST ↔ Fashion-MNIST", MNIST,
               Domain("fashion", "Fashion-MNIST", "fashion-mnist", scorer="fashion-mnist-16"), 16,
               "No semantic correspondence: which garment does each digit become, and how consistently?"),
)}


def pair(name: str) -> DomainPair:
    try:
        return PAIRS[name]
    except KeyError:
        raise ConfigError(f"Unknown domain pair '{name}'; choose one of: {', '.join(PAIRS)}.") from None


@dataclass(frozen=True)
class PairData(datasets.ImageData):
    """A pair packed for the trainer (x: (N, 2, H, W), y: (N, 2)) plus each domain's own sets."""

    pair: str = ""
    a_train: Tensor | None = None
    ya_train: Tensor | None = None
    b_train: Tensor | None = None
    yb_train: Tensor | None = None
    a_test: Tensor | None = None
    ya_test: Tensor | None = None
    b_test: Tensor | None = None
    yb_test: Tensor | None = None
    classes_b: tuple[str, ...] = ()

    @property
    def spec(self) -> DomainPair:
        return pair(self.pair)

    def domain(self, side: str, split: str = "test") -> tuple[Tensor, Tensor]:
        """(images, labels) of domain "a" or "b" in the "train" or "test" split."""
        x = getattr(self, f"{side}_{split}")
        y = getattr(self, f"y{side}_{split}")
        return x, y


def _halves(n: int, seed: int) -> tuple[Tensor, Tensor]:
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return perm[: n // 2], perm[n // 2:]


def _source(domain: Domain, pair_name: str, device, root) -> datasets.ImageData:
    try:
        return datasets.load(domain.dataset, device, root=root)
    except DatasetUnavailable as err:
        raise DatasetUnavailable(f"The pair '{pair_name}' needs {domain.title}, which is not available: {err}") from None


def _pack(xa: Tensor, ya: Tensor, xb: Tensor, yb: Tensor, *, cycle: bool) -> tuple[Tensor, Tensor]:
    """Two channels (A, B) per row; the shorter set is repeated (`cycle`) or the longer cut to its length."""
    n = max(len(xa), len(xb)) if cycle else min(len(xa), len(xb))
    ia = torch.arange(n, device=xa.device) % len(xa)
    ib = torch.arange(n, device=xb.device) % len(xb)
    return torch.cat([xa[ia], xb[ib]], 1), torch.stack([ya[ia], yb[ib]], 1)


def load_pair(name: str, device: torch.device | str = "cpu", root=None, seed: int = 0) -> PairData:
    """Both domains of pair `name` on `device`, resized to the pair's size (DatasetUnavailable / ConfigError
    with one sentence when a source is missing or a size does not fit)."""
    spec = pair(name)
    src_a = _source(spec.a, name, device, root)
    src_b = src_a if spec.shared_source else _source(spec.b, name, device, root)
    sets: dict[str, Tensor] = {}
    for split in ("train", "test"):
        xa, ya = getattr(src_a, f"x_{split}"), getattr(src_a, f"y_{split}")
        xb, yb = getattr(src_b, f"x_{split}"), getattr(src_b, f"y_{split}")
        if spec.shared_source:  # disjoint halves: unpaired by construction
            ia, ib = (i.to(xa.device) for i in _halves(len(xa), seed + (split == "test")))
            xa, ya, xb, yb = xa[ia], ya[ia], xb[ib], yb[ib]
        xa, xb = spec.a.prepare(xa, spec.size), spec.b.prepare(xb, spec.size)
        if xa.shape[1:] != xb.shape[1:]:
            raise ConfigError(f"The domains of '{name}' have different image sizes ({tuple(xa.shape[1:])} and "
                              f"{tuple(xb.shape[1:])}); a CycleGAN needs one size for both.")
        sets.update({f"a_{split}": xa, f"ya_{split}": ya, f"b_{split}": xb, f"yb_{split}": yb})
    x_train, y_train = _pack(sets["a_train"], sets["ya_train"], sets["b_train"], sets["yb_train"], cycle=True)
    x_test, y_test = _pack(sets["a_test"], sets["ya_test"], sets["b_test"], sets["yb_test"], cycle=False)
    return PairData(name=name, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                    classes=src_a.classes, pair=name, classes_b=src_b.classes, **sets)


def check_images(images: Tensor, image_shape: tuple[int, ...], what: str = "These images") -> None:
    """ConfigError unless `images` are (N, *image_shape)."""
    if images.dim() != 4 or tuple(images.shape[1:]) != tuple(image_shape):
        got = "×".join(str(s) for s in images.shape[1:])
        want = "×".join(str(s) for s in image_shape)
        raise ConfigError(f"{what} are {got} but this CycleGAN translates {want} images; pick test images of its pair.")
