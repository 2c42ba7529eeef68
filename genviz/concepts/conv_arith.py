"""Convolution arithmetic, small enough to compute instantly: pure math, no Streamlit.

Output sizes and weight counts of `nn.Conv2d` / `nn.ConvTranspose2d` (the same numbers torch
computes), which output cells each input cell feeds, and how many kernel taps overlap on each
output cell (the checkerboard when the stride does not divide k). Used by the transposed-convolution page.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from genviz.core.config import check_range
from genviz.core.errors import ConfigError

Pair = tuple[int, int]
MAX_INPUT = 64
MAX_KERNEL = 11
MAX_STRIDE = 8
MAX_DILATION = 4
MAX_CHANNELS = 4096


def _pair(name: str, value: int | tuple[int, int]) -> Pair:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or float(v) != int(v) for v in pair):
        raise ConfigError(f"{name} must be a whole number (or a pair of them); got {value!r}.")
    return int(pair[0]), int(pair[1])


@dataclass(frozen=True)
class ConvLayer:
    """The shape settings of one `nn.Conv2d` (transposed=False) or `nn.ConvTranspose2d` (transposed=True).

    Every field takes an int or a (height, width) pair; pairs are stored. Validation refuses what torch
    refuses and a little more: padding is limited to d·(k−1) so every output cell touches the input.
    """

    transposed: bool
    in_size: Pair
    kernel: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    output_padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    d_in: int = 1
    d_out: int = 1

    def __post_init__(self) -> None:
        for name, label in (("in_size", "Input size"), ("kernel", "Kernel size"), ("stride", "Stride"),
                            ("padding", "Padding"), ("output_padding", "Output padding"), ("dilation", "Dilation")):
            object.__setattr__(self, name, _pair(label, getattr(self, name)))
        for axis, side in enumerate(("height", "width")):
            def which(name: str) -> str:  # name the axis only when the two differ
                pair = getattr(self, name)
                return f" ({side})" if pair[0] != pair[1] else ""  # noqa: B023 (called inside this iteration)

            check_range(f"Input {side}", self.in_size[axis], 1, MAX_INPUT)
            check_range(f"Kernel {side}", self.kernel[axis], 1, MAX_KERNEL)
            check_range(f"Stride{which('stride')}", self.stride[axis], 1, MAX_STRIDE)
            check_range(f"Dilation{which('dilation')}", self.dilation[axis], 1, MAX_DILATION)
            k, s, p, d, op = (self.kernel[axis], self.stride[axis], self.padding[axis], self.dilation[axis],
                              self.output_padding[axis])
            reach = d * (k - 1)
            if not 0 <= p <= reach:
                raise ConfigError(f"Padding{which('padding')} {p} does not fit a kernel of {k} with dilation {d}: "
                                  f"it must be between 0 and d·(k−1) = {reach}.")
            if not self.transposed and op != 0:
                raise ConfigError("Output padding only exists for transposed convolutions; set it to 0.")
            if self.transposed and not 0 <= op < max(s, d):
                raise ConfigError(f"Output padding{which('output_padding')} must be smaller than the stride or the "
                                  f"dilation: between 0 and {max(s, d) - 1}; got {op}.")
            out = self.out_size[axis]
            if out < 1:
                raise ConfigError(f"These settings give an output {side} of {out}; make the input larger, or the "
                                  "padding, kernel or dilation smaller, so that it is at least 1.")
        for name, value in (("d_in (input channels)", self.d_in), ("d_out (output channels)", self.d_out)):
            if float(value) != int(value):
                raise ConfigError(f"{name} must be a whole number; got {value!r}.")
            check_range(name, value, 1, MAX_CHANNELS)

    @property
    def out_size(self) -> Pair:
        """Output (height, width), per axis (torch's formulas):

        conv:            ⌊(n + 2p − d(k−1) − 1) / s⌋ + 1
        transposed conv: (n − 1)·s − 2p + d(k−1) + output_padding + 1
        """
        return tuple(  # type: ignore[return-value]
            conv_output_length(n, k, s, p, d) if not self.transposed else transposed_output_length(n, k, s, p, op, d)
            for n, k, s, p, op, d in zip(self.in_size, self.kernel, self.stride, self.padding, self.output_padding,
                                         self.dilation))

    @property
    def weight_count(self) -> int:
        """Learnable parameters: k1·k2·d_in·d_out weights + d_out biases (the same for both layers)."""
        return self.kernel[0] * self.kernel[1] * self.d_in * self.d_out + self.d_out

    @property
    def canvas_size(self) -> Pair:
        """The grid the picture draws: the padded input (conv) or the output before cropping (transposed).

        A transposed conv first writes (n−1)s + d(k−1) + 1 rows, then drops `padding` rows at each end;
        output_padding rows past that canvas (if any) only receive the bias.
        """
        if not self.transposed:
            return tuple(n + 2 * p for n, p in zip(self.in_size, self.padding))  # type: ignore[return-value]
        return tuple(full + max(0, op - p) for full, op, p in  # type: ignore[return-value]
                     zip(self._uncropped, self.output_padding, self.padding))

    @property
    def _uncropped(self) -> Pair:
        return tuple((n - 1) * s + d * (k - 1) + 1 for n, s, d, k in  # type: ignore[return-value]
                     zip(self.in_size, self.stride, self.dilation, self.kernel))

    def inverse(self) -> ConvLayer:
        """The other kind of layer, with the same k, s, p, d, that maps this output shape back to this input.

        conv → transposed: output_padding = (n + 2p − d(k−1) − 1) mod s restores the rows that the conv's
        floor dropped. transposed → conv: exact whenever output_padding < stride.
        """
        if self.transposed:
            return ConvLayer(False, self.out_size, self.kernel, self.stride, self.padding, (0, 0), self.dilation,
                             self.d_out, self.d_in)
        extra = tuple((n + 2 * p - d * (k - 1) - 1) % s for n, p, d, k, s in
                      zip(self.in_size, self.padding, self.dilation, self.kernel, self.stride))
        return ConvLayer(True, self.out_size, self.kernel, self.stride, self.padding, extra, self.dilation,
                         self.d_out, self.d_in)

    def to_torch(self) -> nn.Module:
        """The matching torch module (used by the tests to check the arithmetic)."""
        kw = dict(kernel_size=self.kernel, stride=self.stride, padding=self.padding, dilation=self.dilation)
        if self.transposed:
            return nn.ConvTranspose2d(self.d_in, self.d_out, output_padding=self.output_padding, **kw)
        return nn.Conv2d(self.d_in, self.d_out, **kw)


def conv_output_length(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """⌊(n + 2p − d(k−1) − 1) / s⌋ + 1: positions of a kernel of reach d(k−1)+1 sliding by s over n+2p cells."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_output_length(n: int, k: int, s: int = 1, p: int = 0, op: int = 0, d: int = 1) -> int:
    """(n − 1)·s − 2p + d(k−1) + op + 1: input cells placed s apart in the output, each stamping a kernel."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def _axis_taps(n: int, k: int, s: int, d: int) -> np.ndarray:
    """Canvas positions i·s + a·d for every cell i < n and tap a < k, shape (n, k)."""
    return np.arange(n)[:, None] * s + np.arange(k)[None, :] * d


def cell_count(layer: ConvLayer) -> int:
    """How many cells the step-through walks over: input cells (transposed) or output cells (conv)."""
    h, w = layer.in_size if layer.transposed else layer.out_size
    return h * w


def footprint(layer: ConvLayer, cell: int) -> np.ndarray:
    """Boolean canvas mask of the cells linked to step `cell` (row-major index).

    transposed: the output cells (before cropping) that input cell `cell` writes to — a k1×k2 stamp at
    (i·s, j·s), taps d apart. conv: the padded-input cells that output cell `cell` reads.
    """
    steps_h, steps_w = layer.in_size if layer.transposed else layer.out_size
    if not 0 <= cell < steps_h * steps_w:
        raise ConfigError(f"Cell must be between 0 and {steps_h * steps_w - 1}; got {cell}.")
    i, j = divmod(cell, steps_w)
    mask = np.zeros(layer.canvas_size, dtype=bool)
    rows = i * layer.stride[0] + np.arange(layer.kernel[0]) * layer.dilation[0]
    cols = j * layer.stride[1] + np.arange(layer.kernel[1]) * layer.dilation[1]
    mask[np.ix_(rows, cols)] = True
    return mask


def overlap_counts(layer: ConvLayer) -> np.ndarray:
    """How many (cell, kernel tap) pairs land on each canvas cell, shape `canvas_size`, ints.

    transposed: contributions summed into each output cell — uneven (a checkerboard) when s does not
    divide d·k. conv: how many output cells read each padded-input cell (the transposed conv of ones:
    the two layers are each other's adjoint). Separable, so it is the outer product of two 1-D counts.
    """
    steps = layer.in_size if layer.transposed else layer.out_size
    per_axis = [np.bincount(_axis_taps(n, k, s, d).ravel(), minlength=size)[:size]
                for n, k, s, d, size in zip(steps, layer.kernel, layer.stride, layer.dilation, layer.canvas_size)]
    return np.outer(per_axis[0], per_axis[1])


def interior_overlap_range(layer: ConvLayer) -> tuple[int, int] | None:
    """(fewest, most) contributions to a transposed conv's output cells away from the borders, or None.

    The interior is where every kernel tap can land (d(k−1) ≤ x ≤ (n−1)s on each axis), so border
    effects do not count: min < max there is the checkerboard, which happens when the taps' offsets
    a·d (a < k) do not cover the residues mod s evenly — e.g. k = 3, s = 2; k = 4, s = 2 is even.
    """
    ranges = []
    for n, k, s, d in zip(layer.in_size, layer.kernel, layer.stride, layer.dilation):
        counts = np.bincount(_axis_taps(n, k, s, d).ravel())[d * (k - 1):(n - 1) * s + 1]
        if counts.size == 0:
            return None
        ranges.append((int(counts.min()), int(counts.max())))
    return ranges[0][0] * ranges[1][0], ranges[0][1] * ranges[1][1]


def kept_mask(layer: ConvLayer) -> np.ndarray:
    """Boolean canvas mask: True where a cell survives into the output (transposed) or is real input (conv).

    transposed: output = uncropped[p : p + n_out] — padding removes p rows/columns at each side and
    output_padding adds rows back at the bottom/right. conv: the original cells inside the zero padding.
    """
    mask = np.zeros(layer.canvas_size, dtype=bool)
    n = layer.out_size if layer.transposed else layer.in_size
    p = layer.padding
    mask[p[0]:p[0] + n[0], p[1]:p[1] + n[1]] = True
    return mask

