"""How autoencoders train, evaluate and preview; registers the autoencoder kinds."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from genviz import losses
from genviz.models.autoencoders import AEConfig, Autoencoder
from genviz.registry import KindSpec, ParamSpec, register
from genviz.train import TrainParams, batched


def interleave_rows(top: Tensor, bottom: Tensor) -> Tensor:
    """Stack two image batches so a grid with nrow=len(top) shows `top` above `bottom`."""
    return torch.cat([top, bottom], 0)


class AutoencoderRecipe:
    """Minimise the reconstruction loss with Adam."""

    def __init__(self, config: AEConfig):
        self.config = config

    def optimizers(self, model: nn.Module, params: TrainParams) -> dict[str, torch.optim.Optimizer]:
        return {"model": torch.optim.Adam(model.parameters(), lr=params.lr)}

    def step(self, model, optimizers, batch, generator) -> dict[str, Tensor]:
        x = batch[0]
        out = model(x)
        loss = losses.reconstruction_loss(out.recon_logits, x, self.config.loss)
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss.detach()}

    @torch.inference_mode()
    def evaluate(self, model, data, generator) -> dict[str, float]:
        total = sum(batched(lambda x, *_: losses.reconstruction_loss(model(x).recon_logits, x, self.config.loss,
                                                                      reduction="none").sum(), data))
        return {"loss": float(total) / len(data[0])}

    @torch.inference_mode()
    def preview(self, model, data, generator) -> Tensor:
        x = data[0]
        return interleave_rows(x, model.reconstruct(x)).cpu()


def _ae_config(image_shape, n_classes, **values) -> AEConfig:
    hidden = values.pop("hidden", None)
    if isinstance(hidden, (int, float)):
        hidden = (int(hidden),)
    kw = {"hidden": tuple(hidden)} if hidden else {}
    return AEConfig(image_shape=tuple(image_shape), **kw, **values)


register(KindSpec(
    kind="ae", family="autoencoder", title="Vanilla autoencoder",
    config_cls=AEConfig, build=Autoencoder, recipe=AutoencoderRecipe, make_config=_ae_config,
    params=(
        ParamSpec("latent_dim", "Latent size d", "int", 16, 1, 256, help="Bottleneck size; d < number of pixels."),
        ParamSpec("hidden", "Hidden width", "int", 128, 8, 1024),
        ParamSpec("body", "Body", "choice", "mlp", options=("mlp", "conv")),
        ParamSpec("loss", "Reconstruction loss", "choice", "bce", options=("bce", "mse")),
    ),
    description="x → z = E(x) → x̂ = D(z), trained to minimise ‖x − D(E(x))‖² (or BCE for [0,1] pixels).",
))
