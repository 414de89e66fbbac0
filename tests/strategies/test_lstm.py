"""The LSTM generator: losses, data protocol, batching, determinism, divergence."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from aisfolio.strategies import ChunkTask, WalkForward
from aisfolio.strategies.lstm import LSTMGenerator, gmadl, madl, mse
from aisfolio.strategies.lstm.network import BatchedLSTM, LSTMList, SingleLSTM, initial_state
from aisfolio.strategies.lstm.training import LAYOUTS, ListedPart, PaddedPart, train_models
from aisfolio.strategies.run_context import logging_into

TINY = {"hidden_sizes": (4,), "epochs": 3, "logger": "none", "accelerator": "cpu"}


def _tensors(*rows):
    return tuple(
        torch.tensor([row], dtype=torch.float64, requires_grad=i == 0) for i, row in enumerate(rows)
    )


@pytest.mark.parametrize("k", [1e4, 1.0, 30.0])
def test_madl_value_and_gradient_by_hand(k):
    predicted, realized, mask = _tensors([0.5, -0.2, 0.1], [0.02, 0.01, -0.03], [1.0, 1.0, 1.0])
    loss = madl(predicted, realized, mask, slope=k)
    # Right direction on the first, wrong on the other two: (-0.02 + 0.01 + 0.03) / 3.
    assert loss.item() == pytest.approx((-0.02 + 0.01 + 0.03) / 3)
    loss.backward()
    # d/dp of -tanh(k p R) |R| / 3 at p: -k |R| R (1 - tanh^2) / 3, vanishing away from 0.
    expected = [
        -k * abs(r) * r * (1 - np.tanh(k * p * r) ** 2) / 3
        for p, r in [(0.5, 0.02), (-0.2, 0.01), (0.1, -0.03)]
    ]
    np.testing.assert_allclose(predicted.grad[0].numpy(), expected, atol=1e-12)


def test_exact_madl_has_no_gradient_and_the_surrogate_has_one_where_the_steep_sign_saturates():
    # Standardized targets and outputs: |R * R_hat| of about 1, far past tanh(1e4 x)'s knee.
    rows = ([0.8, -1.2, 0.5], [1.1, 0.7, -1.5], [1.0, 1.0, 1.0])
    steep, exact, surrogate = (_tensors(*rows) for _ in range(3))
    madl(*steep, slope=1e4).backward()
    madl(*exact, slope=None).backward()
    madl(*surrogate, slope=1.0).backward()
    assert torch.all(steep[0].grad.abs() < 1e-12)
    assert torch.all(exact[0].grad == 0)
    gradient = surrogate[0].grad[0].numpy()
    assert np.all(np.abs(gradient) > 1e-3)
    # Each step lowers the loss by moving R_hat toward the sign of R.
    assert np.all(np.sign(-gradient) == np.sign(rows[1]))
    values = [madl(*t, slope=s).item() for t, s in [(steep, 1e4), (exact, None), (surrogate, 1.0)]]
    assert values[0] == values[1] == values[2]


def test_madl_gradient_points_toward_the_right_sign_near_zero():
    predicted, realized, mask = _tensors([1e-6, -1e-6], [0.02, 0.02], [1.0, 1.0])
    madl(predicted, realized, mask).backward()
    assert (predicted.grad < 0).all()  # raising the forecast of a positive return lowers the loss


def test_gmadl_value_and_gradient_by_hand():
    predicted, realized, mask = _tensors([0.5, -0.2], [0.02, 0.01], [1.0, 1.0])
    a, b = 100.0, 2.0
    loss = gmadl(predicted, realized, mask, slope=a, power=b)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    values = [-(sig(a * p * r) - 0.5) * abs(r) ** b for p, r in [(0.5, 0.02), (-0.2, 0.01)]]
    assert loss.item() == pytest.approx(np.mean(values))
    loss.backward()
    grads = [
        -sig(a * p * r) * (1 - sig(a * p * r)) * a * r * abs(r) ** b / 2
        for p, r in [(0.5, 0.02), (-0.2, 0.01)]
    ]
    np.testing.assert_allclose(predicted.grad[0].numpy(), grads)


def test_losses_ignore_masked_samples():
    predicted, realized = _tensors([0.5, -0.2], [0.02, 0.5])
    mask = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    assert mse(predicted, realized, mask).item() == pytest.approx((0.5 - 0.02) ** 2)
    assert madl(predicted, realized, mask).item() == pytest.approx(-0.02)


def test_training_window_split_is_chronological_and_targets_stay_inside(sp500):
    train = sp500.iloc[:300]
    generator = LSTMGenerator(sequence_length=10, validation_fraction=0.33, **TINY)
    samples = generator.samples(train)
    returns = np.log(train / train.shift(1)).to_numpy()
    fit_x, fit_y = samples.fit
    _, val_y = samples.validation
    assert len(fit_y) + len(val_y) == 300 - 1 - 10
    assert len(val_y) == round(0.33 * 289)
    # Targets: next returns divided by the fitting returns' standard deviation.
    fitted = returns[1 : len(fit_y) + 10]
    assert samples.target_scale == pytest.approx(fitted.std())
    fit_y, val_y = fit_y * samples.target_scale, val_y * samples.target_scale
    # The last validation target is the return into the window's last bar, not beyond it.
    assert val_y[-1] == pytest.approx(returns[-1])
    assert fit_y[0] == pytest.approx(returns[11])
    # Every validation sample comes after every fitting sample.
    np.testing.assert_allclose(np.concatenate([fit_y, val_y]), returns[11:])
    # Inputs: standardized with the fitting part's statistics only.
    np.testing.assert_allclose(fit_x[0, :, 0], (returns[1:11] - fitted.mean()) / fitted.std())
    changed = train.copy()
    changed.iloc[-50:] *= 1.5  # inside the validation part only
    assert generator.samples(changed).mean == samples.mean


def test_prediction_uses_the_last_returns_up_to_each_decision(sp500):
    history = sp500.iloc[:40]
    generator = LSTMGenerator(sequence_length=5, **TINY)
    sample = generator.samples(sp500.iloc[:30])
    generator.mean_, generator.scale_ = sample.mean, sample.scale
    inputs = generator.prediction_inputs(history, 3)
    returns = np.log(history / history.shift(1)).to_numpy()
    np.testing.assert_allclose(inputs[-1, :, 0], (returns[-5:] - sample.mean) / sample.scale)
    np.testing.assert_allclose(inputs[0, :, 0], (returns[-7:-2] - sample.mean) / sample.scale)


def _tasks(prices: pd.Series) -> list[ChunkTask]:
    from aisfolio.strategies.walk_forward import chunk_task

    plan = WalkForward(min_train=120, refit="every_k", every=120).plan(
        prices.index, LSTMGenerator(**TINY)
    )
    return [chunk_task(prices, chunk) for chunk in plan]


def test_batched_training_equals_one_by_one(sp500):
    tasks = _tasks(sp500.iloc[:480])
    single = LSTMGenerator(seeds=(0, 1), batching="none", **TINY).fit_predict_batch(tasks)
    listed = LSTMGenerator(seeds=(0, 1), batching="list", **TINY).fit_predict_batch(tasks)
    padded = LSTMGenerator(seeds=(0, 1), batching="padded", **TINY).fit_predict_batch(tasks)
    assert len(single) == len(tasks) == 4
    for one, many, stacked in zip(single, listed, padded, strict=True):
        assert np.isfinite(one).all()
        # Same kernels and the same per-model gradients: bit for bit.
        np.testing.assert_array_equal(many, one)
        # Other kernels (batched matrix products): equal within float rounding.
        np.testing.assert_allclose(stacked, one, rtol=1e-5, atol=1e-6)


def test_a_window_fit_does_not_depend_on_the_windows_fitted_with_it(sp500):
    """What lets the execution layer cache each window's models on their own."""
    trains = [task.train for task in _tasks(sp500.iloc[:480])]
    together = LSTMGenerator(seeds=(0, 1), **TINY).fit_batch(trains)
    alone = LSTMGenerator(seeds=(0, 1), **TINY).fit_batch(trains[2:3])[0]
    assert (alone.mean_, alone.scale_) == (together[2].mean_, together[2].scale_)
    for mine, theirs in zip(alone.states_, together[2].states_, strict=True):
        for a, b in zip(mine, theirs, strict=True):
            assert torch.equal(a, b)


def test_same_seed_same_forecasts_and_seeds_are_averaged(sp500):
    tasks = _tasks(sp500.iloc[:360])
    first = LSTMGenerator(seeds=(3,), **TINY).fit_predict_batch(tasks)
    again = LSTMGenerator(seeds=(3,), **TINY).fit_predict_batch(tasks)
    other = LSTMGenerator(seeds=(4,), **TINY).fit_predict_batch(tasks)
    both = LSTMGenerator(seeds=(3, 4), **TINY).fit_predict_batch(tasks)
    for a, b, c, d in zip(first, again, other, both, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)
        np.testing.assert_allclose(d, (a + c) / 2, rtol=1e-5, atol=1e-7)


def test_a_diverging_fit_falls_back_to_the_previous_window(sp500, caplog):
    tasks = _tasks(sp500.iloc[:480])
    generator = LSTMGenerator(**TINY)
    healthy = generator.fit_predict_batch(tasks)
    poisoned = [
        tasks[0],
        tasks[1],
        ChunkTask(tasks[2].train * np.inf, tasks[2].history, tasks[2].n),
    ]
    with caplog.at_level("WARNING"):
        fallen = generator.fit_predict_batch(poisoned)
    assert "1 of 3 models diverged" in caplog.text
    assert generator.failure_log_.to_dict("records") == [
        {"asset": str(tasks[2].history.name), "date": tasks[2].train.index[-1],
         "kind": "previous_window", "count": 1}
    ]  # fmt: skip
    np.testing.assert_allclose(fallen[1], healthy[1], rtol=1e-5, atol=1e-7)
    # The third window is forecast by the second window's model on its own history.
    second_model = LSTMGenerator(**TINY).fit(tasks[1].train)
    np.testing.assert_allclose(
        fallen[2], second_model.predict_block(tasks[2].history, tasks[2].n), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_nan_loss_stops_only_that_model(layout):
    rng = np.random.default_rng(0)
    fit = [(rng.normal(size=(20, 4, 1)), rng.normal(size=20) * 0.01) for _ in range(2)]
    val = [(rng.normal(size=(5, 4, 1)), rng.normal(size=5) * 0.01) for _ in range(2)]
    fit[1] = (fit[1][0], np.full(20, np.nan))
    outcome = train_models(
        fit,
        val,
        [0, 0],
        [3],
        "linear",
        "mse",
        3,
        0.01,
        0.0,
        accelerator="cpu",
        logger="none",
        layout=layout,
    )
    assert list(outcome.diverged) == [False, True]
    assert list(outcome.usable) == [True, False]
    assert all(torch.isfinite(w).all() for w in outcome.states[0])


def test_single_and_batched_networks_compute_the_same_function():
    state = initial_state(7, 1, [5, 3])
    single = SingleLSTM(0, 1, [5, 3], "relu", state=state)
    batched = BatchedLSTM([1, 7], 1, [5, 3], "relu")
    inputs = torch.randn(30, 10, 1, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        np.testing.assert_allclose(
            batched(torch.stack([inputs, inputs]))[1].numpy(), single(inputs).numpy(), atol=1e-6
        )
    assert all(torch.equal(a, b) for a, b in zip(single.state(), state, strict=True))


def test_unpadded_and_padded_batches_give_the_same_losses():
    rng = np.random.default_rng(2)
    parts = [(rng.normal(size=(n, 4, 1)), rng.normal(size=n) * 0.01) for n in (7, 12)]
    padded = PaddedPart.from_pairs(parts).as_batch()
    listed = ListedPart.from_pairs(parts).as_batch()
    with torch.no_grad():
        a = BatchedLSTM([3, 4], 1, [6]).losses(padded, madl)
        b = LSTMList([3, 4], 1, [6]).losses(listed, madl)
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-7)


def test_auto_batching_is_padded_on_a_gpu_only():
    assert LSTMGenerator(batching="auto", accelerator="cpu").layout == "list"
    assert LSTMGenerator(batching="auto", accelerator="gpu").layout == "padded"
    assert LSTMGenerator(batching="none").layout == "list"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "mae"}, "loss"),
        ({"activation": "sigmoid"}, "activation"),
        ({"dropout": 0.2}, "dropout"),
        ({"batching": "yes"}, "batching"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LSTMGenerator(**kwargs)


def test_tensorboard_logs_go_to_the_log_directory(sp500, tmp_path):
    tasks = _tasks(sp500.iloc[:360])
    with logging_into(str(tmp_path)):
        LSTMGenerator(**{**TINY, "logger": "tensorboard"}).fit_predict_batch(tasks)
    assert list((tmp_path / "lightning_logs").glob("version_0/events.out.tfevents.*"))


def test_an_executors_log_dir_reaches_the_lstm_in_its_worker(sp500, tmp_path):
    """The run's log directory travels with the job, not in this process's environment."""
    from aisfolio.strategies import WalkForward
    from aisfolio.strategies.execution import Executor

    executor = Executor(backend="loky", n_jobs=2, progress="off", log_dir=str(tmp_path))
    generator = LSTMGenerator(**{**TINY, "logger": "csv"})
    walk = WalkForward(window="expanding", min_train=252, refit="every_k", every=60)
    executor.run(generator, walk, [sp500.iloc[:400], sp500.iloc[400:800]])
    assert list((tmp_path / "lightning_logs").glob("version_*/metrics.csv"))
    assert "AISFOLIO_RUN_DIR" not in os.environ


def test_a_logger_without_its_package_is_refused_with_the_fix(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a)
    )
    with pytest.raises(
        ValueError, match=r"needs the mlflow package: pip install 'aisfolio\[mlflow\]'"
    ):
        LSTMGenerator(logger="mlflow")
    with pytest.raises(ValueError, match="logger must be one of"):
        LSTMGenerator(logger="wandb")


def test_the_choices_checked_without_torch_are_those_of_the_networks_and_losses():
    from aisfolio.strategies.lstm import ACTIVATIONS, LOSSES
    from aisfolio.strategies.lstm.options import ACTIVATION_NAMES, LOSS_NAMES

    assert tuple(LOSSES) == LOSS_NAMES
    assert tuple(ACTIVATIONS) == ACTIVATION_NAMES


def test_building_the_generator_does_not_import_torch():
    """A run whose LSTM forecasts all come from the cache never needs torch (seconds)."""
    code = (
        "import sys\n"
        "import portfolio\n"
        "from aisfolio.strategies.lstm import LSTMGenerator\n"
        "LSTMGenerator(logger='csv', batching='auto')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'pytorch_lightning', 'lightning')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
