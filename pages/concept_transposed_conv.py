"""Concepts · transposed convolution: output size, weight count, and which input cells feed which outputs."""
import streamlit as st

from genviz import ui as backend
from genviz.concepts import conv_arith, figures
from genviz.core.errors import GenvizError

backend.sidebar()
st.title("Transposed convolution arithmetic")
st.caption("A transposed convolution places each input cell s cells apart in the output and stamps the kernel "
           "there; overlapping stamps add up. A convolution slides the kernel over the (zero-padded) input. "
           "Type any values — bad ones get a sentence that says what is allowed.")

DEFAULTS = {"tconv_kind": "transposed", "tconv_in_h": 4, "tconv_in_w": 4, "tconv_k1": 3, "tconv_k2": 3,
            "tconv_stride": 2, "tconv_padding": 0, "tconv_output_padding": 0, "tconv_dilation": 1,
            "tconv_d_in": 3, "tconv_d_out": 8, "tconv_cell": 0}
for key, value in DEFAULTS.items():
    if key not in st.session_state:
        st.session_state[key] = value

controls, view = st.columns([1, 3], gap="large")
with controls:
    kind = st.radio("Layer", ["transposed", "regular"], key="tconv_kind", horizontal=True,
                    format_func={"transposed": "ConvTranspose2d", "regular": "Conv2d"}.get)
    transposed = kind == "transposed"
    a, b = st.columns(2)
    in_h = a.number_input("Input height", step=1, key="tconv_in_h")
    in_w = b.number_input("Input width", step=1, key="tconv_in_w")
    k1 = a.number_input("Kernel k1 (rows)", step=1, key="tconv_k1")
    k2 = b.number_input("Kernel k2 (columns)", step=1, key="tconv_k2")
    stride = a.number_input("Stride s", step=1, key="tconv_stride")
    padding = b.number_input("Padding p", step=1, key="tconv_padding")
    dilation = a.number_input("Dilation d", step=1, key="tconv_dilation")
    output_padding = b.number_input("Output padding", step=1, key="tconv_output_padding", disabled=not transposed,
                                    help="Only for transposed convolutions: extra rows/columns at the bottom/right.")
    d_in = a.number_input("d_in (channels in)", step=1, key="tconv_d_in")
    d_out = b.number_input("d_out (channels out)", step=1, key="tconv_d_out")

try:
    layer = conv_arith.ConvLayer(transposed, (in_h, in_w), (k1, k2), stride, padding,
                               output_padding if transposed else 0, dilation, d_in, d_out)
except GenvizError as err:
    view.error(str(err))
    st.stop()

(out_h, out_w), (s, p, d) = layer.out_size, (layer.stride[0], layer.padding[0], layer.dilation[0])
with view:
    m1, m2, m3 = st.columns(3)
    m1.metric("Output size", f"{out_h} × {out_w} × {layer.d_out}")
    m2.metric("Learnable parameters", f"{layer.weight_count:,}")
    m3.metric("Input size", f"{layer.in_size[0]} × {layer.in_size[1]} × {layer.d_in}")
    if transposed:
        st.latex(rf"\begin{{aligned}} n_{{out}} &= (n_{{in}}-1)\,s - 2p + d(k-1) + \text{{output\_padding}} + 1 \\"
                 rf" &= ({layer.in_size[0]}-1)\cdot{s} - 2\cdot{p} + {d}\cdot({layer.kernel[0]}-1)"
                 rf" + {layer.output_padding[0]} + 1 = {out_h} \end{{aligned}}")
    else:
        st.latex(rf"\begin{{aligned}} n_{{out}} &= \left\lfloor \frac{{n_{{in}} + 2p - d(k-1) - 1}}{{s}} \right\rfloor + 1"
                 rf" \\ &= \left\lfloor \frac{{{layer.in_size[0]} + 2\cdot{p} - {d}\cdot({layer.kernel[0]}-1) - 1}}"
                 rf"{{{s}}}\right\rfloor + 1 = {out_h} \end{{aligned}}")
    st.latex(rf"\#\text{{params}} = k_1 k_2\, d_{{in}} d_{{out}} + d_{{out}} = {layer.kernel[0]}\cdot{layer.kernel[1]}"
             rf"\cdot{layer.d_in}\cdot{layer.d_out} + {layer.d_out} = {layer.weight_count:,}")

    n_cells = conv_arith.cell_count(layer)
    if st.session_state.tconv_cell >= n_cells:
        st.session_state.tconv_cell = 0

    def move(delta: int) -> None:
        st.session_state.tconv_cell = (st.session_state.tconv_cell + delta) % n_cells

    walk = "input cell" if transposed else "output cell"
    c1, c2, c3 = st.columns([1, 1, 4], vertical_alignment="center")
    c1.button("Previous", key="tconv_prev", icon=":material/arrow_back:", on_click=move, args=(-1,), width="stretch")
    c2.button("Next", key="tconv_next", icon=":material/arrow_forward:", on_click=move, args=(1,), width="stretch")
    if n_cells > 1:
        c3.slider(f"Step through: {walk} (row-major)", 0, n_cells - 1, key="tconv_cell", label_visibility="collapsed")
    cell = st.session_state.tconv_cell
    if max(layer.canvas_size) <= 96:
        st.plotly_chart(figures.conv_layer_figure(layer, cell), key="tconv_figure", width="stretch")
    else:
        st.info("The picture is drawn for grids up to 96 cells a side; make the input or stride smaller to see it.")

    counts = conv_arith.overlap_counts(layer)[conv_arith.kept_mask(layer)]  # the output cells that are kept
    if transposed:
        st.markdown(
            f"**Orange**: where input cell {cell} writes its {layer.kernel[0]}×{layer.kernel[1]} stamp; **light "
            f"orange**: the next input cell's stamp, **{s} output cells** further — strides are counted in the "
            f"output feature map. **Numbers**: how many stamps add up in each output cell. **Grey**: the {p} "
            f"row(s)/column(s) at each side that padding removes; the framed block is the {out_h}×{out_w} output.")
        interior = conv_arith.interior_overlap_range(layer)
        if interior is not None and interior[0] != interior[1]:
            st.warning(f"Checkerboard: away from the borders, output cells receive between {interior[0]} and "
                       f"{interior[1]} contributions, in a repeating pattern — the stride ({s}) does not divide "
                       f"the kernel evenly. Try k = 4, s = 2 (the DCGAN choice), where every inner cell gets the same.",
                       icon=":material/grid_on:")
        elif counts.size and counts.min() != counts.max():
            st.info(f"Even overlap inside ({interior[0] if interior else counts.max()} contributions per cell); only "
                    "cells near the border get fewer — padding removes some of them.")
    else:
        st.markdown(
            f"**Orange**: the window that output cell {cell} reads; **light orange**: the next output cell's window, "
            f"{s} input cells further. **Numbers**: how many output cells read each input cell — the same picture "
            f"as the transposed conv's overlap counts, since the two layers are each other's adjoint. "
            f"**Grey**: the {p} zero row(s)/column(s) of padding.")

st.subheader("Each other's shape inverse")
inverse = layer.inverse()
exact = inverse.out_size == layer.in_size
name, inv_name = ("ConvTranspose2d", "Conv2d") if transposed else ("Conv2d", "ConvTranspose2d")
st.markdown(f"`{layer.in_size[0]}×{layer.in_size[1]}×{layer.d_in}` → **{name}** → "
            f"`{out_h}×{out_w}×{layer.d_out}` → **{inv_name}** (same k, s, p, d"
            f"{f', output_padding {inverse.output_padding[0]}' if inverse.transposed else ''}) → "
            f"`{inverse.out_size[0]}×{inverse.out_size[1]}×{inverse.d_out}`")
if exact:
    st.success(f"Shapes match: {inv_name} undoes {name}'s shape change (not its values) — which is why decoders "
               "and generators use transposed convolutions to mirror an encoder.")
else:
    st.warning("The shapes do not round-trip here: output_padding ≥ stride adds a row the convolution cannot "
               "give back. Choose output_padding < stride.")
st.code(f"nn.{name}({layer.d_in}, {layer.d_out}, kernel_size={layer.kernel}, stride={layer.stride}, "
        f"padding={layer.padding}{f', output_padding={layer.output_padding}' if transposed else ''}, "
        f"dilation={layer.dilation})\n"
        f"nn.{inv_name}({inverse.d_in}, {inverse.d_out}, kernel_size={inverse.kernel}, stride={inverse.stride}, "
        f"padding={inverse.padding}{f', output_padding={inverse.output_padding}' if inverse.transposed else ''}, "
        f"dilation={inverse.dilation})", language="python", wrap_lines=True)  # long lines wrap, never cut
