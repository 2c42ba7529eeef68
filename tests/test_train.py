from __future__ import annotations

import threading

import pytest
import torch

from genviz import registry
from genviz.errors import ConfigError, TrainingDiverged
from genviz.train import TensorSplit, TrainParams, fit


def _ae(digits, **values):
    spec = registry.get("ae")
    config = spec.make_config(digits.image_shape, digits.n_classes, **{"latent_dim": 8, "hidden": 32, **values})
    torch.manual_seed(0)
    return spec.build(config), spec.recipe(config)


def _split(d):
    return TensorSplit((d.x_train, d.y_train), (d.x_test, d.y_test))


def test_loss_decreases_on_digits(digits):
    model, recipe = _ae(digits)
    records = list(fit(model, recipe, _split(digits), TrainParams(epochs=3, lr=3e-3, log_every=5)))
    assert records[-1].metrics["loss"] < 0.8 * records[0].metrics["loss"]
    ends = [r for r in records if r.test_metrics]
    assert len(ends) == 3 and ends[-1].test_metrics["loss"] < ends[0].test_metrics["loss"]
    assert records[-1].step == records[-1].total_steps == 36


def test_seeded_runs_are_identical(digits):
    runs = []
    for _ in range(2):
        model, recipe = _ae(digits)
        runs.append([r.metrics["loss"] for r in fit(model, recipe, _split(digits), TrainParams(max_steps=10, log_every=2))])
    assert runs[0] == runs[1]


def test_max_steps_is_a_dry_run_and_preview_is_drawn(digits):
    model, recipe = _ae(digits)
    records = list(fit(model, recipe, _split(digits), TrainParams(max_steps=2), preview_data=(digits.x_test[:4],)))
    assert records[-1].step == 2 and records[-1].preview.shape == (8, 1, 8, 8)


def test_stop_event_ends_training(digits):
    model, recipe = _ae(digits)
    stop = threading.Event()
    stop.set()
    records = list(fit(model, recipe, _split(digits), TrainParams(epochs=50), stop=stop))
    assert len(records) == 1 and records[0].step == 1


class _LinearRegression:
    """A real divergence: plain SGD on a quadratic with a step size far past 2/L blows up."""

    def optimizers(self, model, params):
        return {"sgd": torch.optim.SGD(model.parameters(), lr=params.lr)}

    def step(self, model, optimizers, batch, generator):
        loss = ((model(batch[0].flatten(1)) - 1.0) ** 2).mean()
        optimizers["sgd"].zero_grad()
        loss.backward()
        optimizers["sgd"].step()
        return {"loss": loss.detach()}

    def evaluate(self, model, data, generator):
        return {"loss": float(((model(data[0].flatten(1)) - 1.0) ** 2).mean())}

    def preview(self, model, data, generator):
        return None


def test_nan_guard_stops_with_a_sentence_and_keeps_last_good_weights(digits):
    torch.manual_seed(0)
    model = torch.nn.Linear(64, 1)
    seen = []
    with pytest.raises(TrainingDiverged, match="smaller learning rate than 5"):
        for rec in fit(model, _LinearRegression(), _split(digits), TrainParams(epochs=20, lr=5.0, log_every=1)):
            seen.append({k: v.clone() for k, v in model.state_dict().items()})
    assert len(seen) >= 2, "it should train a few finite steps first"
    for k, v in model.state_dict().items():
        assert torch.isfinite(v).all()
        assert torch.equal(v, seen[-1][k]), "restored weights are those of the last good record"


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 10**9}, "Batch size must be between 1 and 65536"),
    ({"lr": 1e9}, "Learning rate must be between"),
    ({"epochs": 0}, "Epochs must be between"),
    ({"lr": float("nan")}, "Learning rate"),
])
def test_absurd_hyperparameters_are_rejected_before_allocation(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainParams(**kwargs)


def test_absurd_model_settings_are_rejected(digits):
    with pytest.raises(ConfigError, match="Latent size must be between 1 and 1024"):
        _ae(digits, latent_dim=0)
    with pytest.raises(ConfigError, match="Hidden width"):
        _ae(digits, hidden=10**7)
