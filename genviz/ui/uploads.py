"""Your own images in the sidebar: an uploaded file becomes a dataset of this session only.

The datasets live in `st.session_state` (never in a shared cache: they are one user's), on the CPU,
moved to a device once per (dataset, device). The sidebar's dataset picker lists them after the
built-in ones; the pages get them through the same `genviz.ui` dataset calls as any other.
"""
from __future__ import annotations

import streamlit as st

from genviz.core import uploads
from genviz.core.data import ImageData
from genviz.core.errors import GenvizError

UPLOADS = "gv_uploads"  # name -> UploadedImages, the newest last
ON_DEVICE = "gv_uploads_on_device"  # (name, device) -> ImageData
RESULT = "gv_upload_result"  # (file_id, dataset name or None, sentence) of the last file read
WIDGET = "gv_upload"
KEEP = 3  # uploads kept per session (the oldest one not selected goes first)


def names() -> list[str]:
    """This session's uploaded datasets, oldest first."""
    return list(st.session_state.get(UPLOADS, {}))


def title(name: str) -> str | None:
    upload = st.session_state.get(UPLOADS, {}).get(name)
    return upload.title if upload is not None else None


def dataset(name: str, device: str) -> ImageData | None:
    """This session's upload called `name` on `device`, or None when `name` is not one of them."""
    upload = st.session_state.get(UPLOADS, {}).get(name)
    if upload is None:
        return None
    if device == "cpu":
        return upload.data
    moved = st.session_state.setdefault(ON_DEVICE, {})
    if (name, device) not in moved:
        d = upload.data
        moved[(name, device)] = ImageData(d.name, d.x_train.to(device), d.y_train.to(device), d.x_test.to(device),
                                          d.y_test.to(device), d.classes)
    return moved[(name, device)]


def add(upload: uploads.UploadedImages, selected: str | None = None) -> str:
    """Keep `upload` in this session (dropping the oldest unselected one beyond KEEP); returns its name."""
    kept = st.session_state.setdefault(UPLOADS, {})
    kept.pop(upload.data.name, None)
    kept[upload.data.name] = upload
    while len(kept) > KEEP:
        oldest = next(n for n in kept if n not in (selected, upload.data.name))
        del kept[oldest]
        for key in [k for k in st.session_state.get(ON_DEVICE, {}) if k[0] == oldest]:
            del st.session_state[ON_DEVICE][key]
    return upload.data.name


def read(file_name: str, payload: bytes, selected: str | None = None) -> str:
    """Read an uploaded file into this session's datasets; returns its dataset name (DataFormatError else)."""
    return add(uploads.read_upload(file_name, payload), selected)


def upload_widget(keep_key: str) -> None:
    """The sidebar's "Your own images" uploader. A good file becomes the selected dataset (`keep_key`
    holds the picker's choice); a bad one is one sentence and the dataset in use stays selected."""
    with st.expander("Your own images", icon=":material/upload_file:",
                     expanded=bool(st.session_state.get(WIDGET))):
        file = st.file_uploader(
            "A .npz (x, optional y) or a .zip of PNG folders", type=["npz", "zip"], key=WIDGET,
            max_upload_size=uploads.MAX_BYTES // 2**20,
            help="A .npz from numpy.savez(file, x=images, y=labels): x is N×H×W or N×C×H×W (C = 1 or 3), uint8 "
                 "or float in [0, 1]; y (optional) one integer or name per image. Or a .zip with one folder of PNG "
                 "images per class. It becomes a dataset of this session: every page and the Train page use it; "
                 "20% of the images are held out for testing.")
        st.caption(f"Limits: {uploads.LIMITS}. It stays in this session only (until the tab is closed).")
        if file is None:
            return
        result = st.session_state.get(RESULT)
        if result is None or result[0] != file.file_id:
            slow = " (PNGs take about 3 s per 10,000 here)" if file.name.lower().endswith(".zip") else ""
            with st.spinner(f"Reading {file.name}…{slow}"):
                try:
                    name = read(file.name, file.getvalue(), st.session_state.get(keep_key))
                    st.session_state[RESULT] = (file.file_id, name, "")
                    st.session_state[keep_key] = name
                    st.rerun()  # the dataset picker above shows the new dataset
                except GenvizError as err:
                    st.session_state[RESULT] = result = (file.file_id, None, str(err))
        if result is not None and result[0] == file.file_id:
            if result[1] is None:
                st.error(result[2], icon=":material/block:")
            elif result[1] in names():
                st.success(f"Now using {title(result[1])}, selected in the Dataset box above.",
                           icon=":material/check_circle:")
