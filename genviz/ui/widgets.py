"""Widgets drawn from a kind's ParamSpecs, so a new model needs no page changes; an inlined live picture."""
from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from genviz.core.registry import ParamSpec

WIDE = 256  # integer ranges wider than this get a number box instead of a slider


def inline_image(picture: np.ndarray, caption: str = "") -> None:
    """Draw a uint8 (H, W, 3) picture at its own size (smaller only when the column is narrower), inlined
    as a PNG data URI. A live view redrawn every half second with `st.image` has the browser ask for
    media files the server has already replaced (a 404 in the console); an inlined picture has none."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(picture, dtype=np.uint8)).save(buf, format="PNG")
    src = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    st.markdown(f'<figure style="margin:0"><img src="{src}" alt="{html.escape(caption)}" '
                'style="max-width:100%;image-rendering:pixelated">'
                f'<figcaption style="font-size:0.875rem;opacity:0.6">{html.escape(caption)}</figcaption></figure>',
                unsafe_allow_html=True)


def param_widget(param: ParamSpec, key: str) -> Any:
    """One keyed widget for `param`; returns its current value."""
    if param.kind == "choice":
        options = list(param.options)
        return st.selectbox(param.label, options, index=options.index(param.default), key=key, help=param.help or None)
    if param.kind == "bool":
        return st.checkbox(param.label, value=bool(param.default), key=key, help=param.help or None)
    if param.kind == "int":
        if param.high - param.low > WIDE:  # a slider over 1 … 1024 cannot pick one value
            return int(st.number_input(param.label, int(param.low), int(param.high), int(param.default), step=1,
                                       key=key, help=param.help or None))
        return st.slider(param.label, int(param.low), int(param.high), int(param.default), key=key,
                         help=param.help or None)
    if param.kind == "log":
        # A slider over exponents keeps small values (1e-4 … 10) equally reachable; a range that
        # starts at 0 starts the slider five decades below its top, with 0 ("off") as its first stop.
        lo, hi = math.log10(max(param.low, param.high * 1e-5)), math.log10(param.high)
        exps: list[float | None] = [round(lo + i * (hi - lo) / 40, 3) for i in range(41)]
        if param.low <= 0:
            exps.insert(0, None)
        default = None if param.default <= 0 else min(
            (e for e in exps if e is not None), key=lambda e: abs(e - math.log10(param.default)))
        exp = st.select_slider(param.label, exps, value=default, key=key,
                               format_func=lambda e: "0 (off)" if e is None else f"{10 ** e:.3g}",
                               help=param.help or None)
        return 0.0 if exp is None else float(f"{10 ** exp:.4g}")
    return st.slider(param.label, float(param.low), float(param.high), float(param.default), key=key,
                     help=param.help or None)
