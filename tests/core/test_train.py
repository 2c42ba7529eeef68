from __future__ import annotations

import threading

import pytest
import torch

from genviz.core import registry
from genviz.core.errors import ConfigError, TrainingDiverged
from genviz.core.train import RunState, TensorSplit, TrainParams, fit


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

    def step(self, model, optimizers, batch, generator, run):
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
        for _rec in fit(model, _LinearRegression(), _split(digits), TrainParams(epochs=20, lr=5.0, log_every=1)):
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


def test_precision_setting_picks_the_autocast_dtype(digits):
    from genviz.core.optim import native_bf16, step_dtype

    cpu = torch.device("cpu")
    assert step_dtype(cpu, "fp32") is None
    assert step_dtype(cpu, "bf16") is torch.bfloat16
    assert step_dtype(cpu, "auto") is (torch.bfloat16 if native_bf16(cpu) else None)
    with pytest.raises(ConfigError, match="Precision must be one of"):
        TrainParams(precision="fp8")
    for precision in ("fp32", "bf16"):  # both train; evaluation numbers stay fp32
        model, recipe = _ae(digits)
        records = list(fit(model, recipe, _split(digits), TrainParams(epochs=2, lr=3e-3, log_every=6, precision=precision)))
        assert records[-1].metrics["loss"] < records[0].metrics["loss"]
        assert all(p.dtype == torch.float32 for p in model.parameters())


def test_autoencoder_steps_backpropagate_the_batch_total(digits):
    """The gradient is that of the summed loss (Σ over images), the reported loss the per-image mean."""
    model, recipe = _ae(digits)
    x = digits.x_train[:32]
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    terms = recipe.step(model, {"model": opt}, (x,), torch.Generator(), RunState())
    grad = model.decoder[0][-1].bias.grad.clone()
    model.zero_grad()
    mean_loss = recipe.objective(model, x, torch.Generator())["loss"]
    mean_loss.backward()
    assert torch.allclose(grad, 32 * model.decoder[0][-1].bias.grad, rtol=1e-4, atol=1e-6)
    assert torch.isclose(terms["loss"], mean_loss.detach())


def test_fused_adam_shortcut_steps_exactly_like_torch_adam():
    """genviz's Adam skips torch's per-step bookkeeping; weights, state and state dict stay torch's own."""
    import copy

    from genviz.core.optim import FusedAdam, adam

    torch.manual_seed(0)
    ours = torch.nn.Sequential(torch.nn.Linear(7, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3), torch.nn.Linear(3, 2))
    theirs = copy.deepcopy(ours)
    opt = adam(ours.parameters(), 3e-3, (0.5, 0.99))
    ref = torch.optim.Adam(theirs.parameters(), lr=3e-3, betas=(0.5, 0.99), fused=True)
    assert isinstance(opt, FusedAdam)
    for step in range(6):
        x = torch.randn(16, 7)
        for net, o in ((ours, opt), (theirs, ref)):
            o.zero_grad(set_to_none=True)
            head = net[:3] if step % 2 else net  # the last layer gets no gradient every other step
            head(x).square().sum().backward()
            o.step()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)
    mine, torch_state = opt.state_dict(), ref.state_dict()
    assert mine["param_groups"] == torch_state["param_groups"]
    for k, v in torch_state["state"].items():
        assert all(torch.equal(v[name], mine["state"][k][name]) for name in ("step", "exp_avg", "exp_avg_sq"))
    assert int(mine["state"][5]["step"]) == 3  # skipped when it had no gradient, as torch does


def test_fused_adam_runs_step_hooks_once_and_accepts_closures():
    from genviz.core.optim import adam

    net = torch.nn.Linear(3, 1)
    opt = adam(net.parameters(), 1e-2)
    calls = []
    opt.register_step_post_hook(lambda *_: calls.append(1))
    for _ in range(3):
        opt.zero_grad()
        net(torch.ones(2, 3)).sum().backward()
        opt.step()
    assert len(calls) == 3 and all(p.grad is not None for p in net.parameters())
    opt.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    loss = opt.step(lambda: net(torch.ones(2, 3)).sum().backward() or torch.tensor(1.0))
    assert float(loss) == 1.0 and len(calls) == 4


def test_images_per_second_counts_training_steps_only(digits):
    """A caller that takes a second between records (a page redrawing, say) does not lower the rate shown;
    the elapsed time stays the wall clock."""
    import time

    PAUSE = 3.0

    model, recipe = _ae(digits)
    records = []
    for rec in fit(model, recipe, _split(digits), TrainParams(epochs=2, log_every=10**6)):
        records.append(rec)
        time.sleep(PAUSE)
    window = (records[1].step - records[0].step) * 128  # images trained between the two epoch-end records
    assert records[1].elapsed > PAUSE
    # Had the pause counted, the rate would be below window / PAUSE whatever the training speed (the 12
    # steps of this tiny model take well under PAUSE even on a busy machine).
    assert records[1].examples_per_s > window / PAUSE


def test_fused_adam_shortcut_only_on_allowlisted_torch(monkeypatch, caplog):
    """Outside the tested torch versions the private kernel is never called: torch's Adam(fused=True)."""
    from genviz.core import optim

    assert optim.fused_shortcut_supported("2.14.1+cu130") and not optim.fused_shortcut_supported("2.99.0")
    monkeypatch.setattr(optim, "FUSED_SHORTCUT_TORCH", ("0.0.0",))
    optim._notice_once.cache_clear()
    with caplog.at_level("WARNING", logger="genviz.core.optim"):
        opt = optim.adam(torch.nn.Linear(3, 1).parameters(), 1e-2)
    assert type(opt) is torch.optim.Adam and opt.param_groups[0]["fused"]
    assert "not in the FusedAdam allowlist" in caplog.text
    optim._notice_once.cache_clear()


@pytest.mark.parametrize("kind", ["vae", "dcgan", "classifier"])
def test_new_run_builds_from_the_users_seed_and_leaves_the_global_rng_alone(kind, digits):
    from genviz.core.train import new_run

    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = new_run(kind, digits, {}, TrainParams(seed=7))
    assert torch.equal(torch.random.get_rng_state(), before), "building must not move the server's RNG"
    b = new_run(kind, digits, {}, TrainParams(seed=7))
    c = new_run(kind, digits, {}, TrainParams(seed=8))
    sa, sb, sc = a.model.state_dict(), b.model.state_dict(), c.model.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa if sa[k].is_floating_point())


def test_save_run_records_the_steps_and_epochs_actually_run(digits, tmp_path):
    import threading

    from genviz.core import checkpoints
    from genviz.core.train import new_run, save_run

    run = new_run("ae", digits, {"latent_dim": 4}, TrainParams(epochs=50, batch_size=64, log_every=5))
    stop = threading.Event()
    for rec in run.fit(stop=stop):
        if rec.step >= 10:
            stop.set()
    path = save_run(run, tmp_path / "stopped", digits)
    ckpt = checkpoints.load(path, "cpu")
    steps = run.curve[-1]["step"]  # the step after the stop request finishes, then fit returns
    assert ckpt.meta["extra"]["train_steps"] == run.steps == steps == 11
    assert float(ckpt.meta["epochs"]) == pytest.approx(11 / 23, abs=1e-3)  # 1,437 images / 64 = 23 steps an epoch
    assert "test_loss" in run.metrics


def test_precision_recall_separate_realism_from_coverage():
    from genviz.core.scoring import precision_recall

    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 4, generator=g)
    same = torch.randn(500, 4, generator=g)
    p, r = precision_recall(real, same)
    assert p > 0.8 and r > 0.8
    collapsed = torch.randn(500, 4, generator=g) * 0.1  # realistic (inside the data) but one small mode
    p, r = precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.3
    far = torch.randn(500, 4, generator=g) + 10.0
    assert precision_recall(real, far) == (0.0, 0.0)


def test_save_run_reuses_the_held_out_loss_fit_computed_after_the_last_step(digits, tmp_path, monkeypatch):
    from genviz.core import registry
    from genviz.core.train import new_run, save_run

    run = new_run("ae", digits, {"latent_dim": 4}, TrainParams(epochs=2, batch_size=64))
    recipe_cls = type(registry.get("ae").recipe(run.config))
    calls = []
    original = recipe_cls.evaluate
    monkeypatch.setattr(recipe_cls, "evaluate", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    records = list(run.fit())
    assert len(calls) == 2, "one held-out evaluation per epoch"
    save_run(run, tmp_path / "ae", digits, sample_scores=False)
    assert len(calls) == 2, "saving does not evaluate the held-out split again"
    assert run.metrics["test_loss"] == records[-1].test_metrics["loss"]
    # Another test split (or a stopped run with no final evaluation) is evaluated afresh.
    run.last_test = (run.steps - 1, run.last_test[1])
    save_run(run, tmp_path / "ae2", digits, sample_scores=False)
    assert len(calls) == 3
