"""Cached autoencoder computations for the pages (read-only use of shared checkpoints)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from genviz import losses
from genviz.checkpoints import Checkpoint
from genviz.data import ImageData
from genviz.errors import CheckpointError
from genviz.evaluation import evaluate_model


@dataclass(frozen=True)
class Reconstructions:
    images: torch.Tensor  # inputs then reconstructions (2n, C, H, W), CPU
    per_image: np.ndarray  # loss per shown image (nats)
    test_loss: float


def check_fits(ckpt: Checkpoint, imgs: ImageData) -> None:
    if ckpt.family != "autoencoder":
        raise CheckpointError(f"{ckpt.name} is a '{ckpt.kind}' model ({ckpt.family}); this page needs an autoencoder.")
    if tuple(ckpt.config.image_shape) != imgs.image_shape:
        raise CheckpointError(f"{ckpt.name} was trained on {ckpt.dataset} images of shape {tuple(ckpt.config.image_shape)}; "
                              f"the '{imgs.name}' dataset has {imgs.image_shape}. Pick a matching dataset.")


@st.cache_data(show_spinner=False, max_entries=64)
def _reconstructions(path: str, created: str, dataset: str, n: int, seed: int, _ckpt: Checkpoint,
                     _imgs: ImageData) -> Reconstructions:
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(_imgs.x_test), generator=g)[:n].to(_imgs.device)
    x = _imgs.x_test[idx]
    with torch.inference_mode():
        logits = _ckpt.model(x)[0]
        per_image = losses.reconstruction_loss(logits, x, getattr(_ckpt.config, "loss", "bce"), reduction="none")
        test_loss = evaluate_model(_ckpt.kind, _ckpt.model, _ckpt.config, _imgs)["test_loss"]
    return Reconstructions(torch.cat([x, logits.sigmoid()]).cpu(), per_image.cpu().numpy(), float(test_loss))


def reconstructions(ckpt: Checkpoint, imgs: ImageData, n: int, seed: int) -> Reconstructions:
    check_fits(ckpt, imgs)
    return _reconstructions(str(ckpt.path), ckpt.meta.get("created", ""), imgs.name, n, seed, ckpt, imgs)
