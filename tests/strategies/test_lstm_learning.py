"""The LSTM learns where there is something to learn, and its diagnostics say so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from aisfolio.strategies import ChunkTask, WalkForward
from aisfolio.strategies.lstm import LSTMGenerator
from aisfolio.strategies.lstm.generator import TEST_COLUMNS, _test_block, _training_log
from aisfolio.strategies.lstm.network import initial_state
from aisfolio.strategies.lstm.training import TRAINING_COLUMNS, resolve_precision
from aisfolio.strategies.walk_forward import chunk_task

#: The default `lstm` config's training settings, without logging.
DEFAULT = {
    "hidden_sizes": (16, 8),
    "epochs": 50,
    "learning_rate": 0.03,
    "loss": "madl",
    "madl_slope": 1.0,
    "logger": "none",
    "accelerator": "cpu",
}


def _prices(returns: np.ndarray, name: str, start: str = "2000-01-03") -> pd.Series:
    index = pd.bdate_range(start, periods=len(returns) + 1)
    levels = 100 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    return pd.Series(levels, index=index, name=name)


def _ar1(phi: float, bars: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=0.01, size=bars)
    returns = np.zeros(bars)
    for t in range(1, bars):
        returns[t] = phi * returns[t - 1] + noise[t]
    return returns


def _tasks(prices: pd.Series, generator: LSTMGenerator, source: int = 0) -> list[ChunkTask]:
    walk = WalkForward(window="expanding", min_train=252, refit="every_k", every=252)
    return [chunk_task(prices, chunk, source) for chunk in walk.plan(prices.index, generator)]


def test_on_a_strong_ar1_the_lstm_beats_the_constant_forecast_and_changes_sign():
    prices = _prices(_ar1(-0.6, 252 * 4 - 10, seed=3), "AR1")
    generator = LSTMGenerator(**DEFAULT, seeds=(0, 1))
    forecasts = np.concatenate(generator.fit_predict_batch(_tasks(prices, generator)))
    log = generator.training_log_
    assert list(log.columns) == ["asset", "window", "seed", *TRAINING_COLUMNS, *TEST_COLUMNS]
    assert len(log) == 3 * 2  # three windows, two seeds
    assert log["beats_constant"].all(), log
    assert log["learned"].all(), log
    assert (log["best_validation_loss"] < log["initial_validation_loss"]).all()
    assert (log["sign_changes"] > 0.3).all()  # a negative phi: the sign alternates often
    assert (log["directional_accuracy"] > 0.6).all()
    realized = np.log(prices).diff().shift(-1).to_numpy()[-len(forecasts) :]
    scored = np.isfinite(realized) & np.isfinite(forecasts)
    assert np.mean(np.sign(forecasts[scored]) == np.sign(realized[scored])) > 0.6
    # Forecasts are in return units (the targets were scaled for training only).
    assert 1e-4 < np.nanstd(forecasts) < 0.05


def test_on_white_noise_the_diagnostics_are_computed_and_nothing_breaks():
    rng = np.random.default_rng(11)
    prices = _prices(rng.normal(scale=0.01, size=252 * 3 - 10), "NOISE")
    generator = LSTMGenerator(**{**DEFAULT, "epochs": 10})
    forecasts = generator.fit_predict_batch(_tasks(prices, generator))
    assert all(np.isfinite(block).all() for block in forecasts)
    log = generator.training_log_
    assert len(log) == 2
    numeric = log[[*TRAINING_COLUMNS, "forecast_std", "directional_accuracy"]]
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()
    assert log["learned"].dtype == bool
    assert (log["zero_validation_loss"] == 0).all()  # MADL of a zero forecast
    # The best constant is never worse than the zero forecast (zero is on the grid).
    assert (log["constant_validation_loss"] <= log["zero_validation_loss"]).all()


def test_the_verdict_flags_a_constant_sign_and_a_loss_no_better_than_a_constant(sp500):
    # A block of 10 bars: the next returns of its first 9 (the 10th's lies beyond it).
    next_returns = np.log(sp500.iloc[:40]).diff().to_numpy()[-9:]
    realized = np.sign(next_returns)
    steady = _test_block(np.full(10, 0.5), next_returns)
    assert steady["constant_sign"] and steady["sign_changes"] == 0.0
    assert steady["directional_accuracy"] == pytest.approx(np.mean(realized == 1.0))
    alternating = _test_block(np.tile([0.1, -0.1], 5), next_returns)
    assert not alternating["constant_sign"] and alternating["sign_changes"] == 1.0
    assert not _test_block(np.array([0.3]), np.array([]))["constant_sign"]
    summary = dict.fromkeys(TRAINING_COLUMNS, 0.0)
    rows = [
        {**summary, "best_validation_loss": -0.2, "constant_validation_loss": -0.1, **alternating},
        {**summary, "best_validation_loss": -0.2, "constant_validation_loss": -0.1, **steady},
        {**summary, "best_validation_loss": -0.1, "constant_validation_loss": -0.1, **alternating},
    ]
    log = _training_log([{"asset": "A", "window": 0, "seed": 0, **row} for row in rows])
    assert list(log["beats_constant"]) == [True, True, False]
    assert list(log["learned"]) == [True, False, False]


def test_natural_gas_gets_its_own_activation_and_is_trained_apart():
    rng = np.random.default_rng(5)
    gas = _prices(rng.normal(scale=0.02, size=252 * 2 - 10), "NATGAS")
    index = _prices(rng.normal(scale=0.01, size=252 * 2 - 10), "SP500")
    generator = LSTMGenerator(
        **{**DEFAULT, "epochs": 5},
        activation="relu",
        asset_activations={"NATGAS": "inverted_relu"},
    )
    tasks = _tasks(index, generator, 0) + _tasks(gas, generator, 1)
    fitted = generator.fit_batch([task.train for task in tasks])
    assert [model.activation_ for model in fitted] == ["relu", "inverted_relu"]
    forecasts = generator.predict_batch(tasks, fitted)
    assert (forecasts[0] >= 0).all() and (forecasts[1] <= 0).all()
    assert generator.activation_of("NATGAS") == "inverted_relu"
    assert generator.activation_of("GOLD") == "relu"
    # Trained apart: the same window alone gives the same model.
    alone = generator.fit_batch([tasks[1].train])[0]
    for a, b in zip(alone.states_[0], fitted[1].states_[0], strict=True):
        assert torch.equal(a, b)


def test_bf16_and_fp32_forecasts_agree_on_a_small_network():
    prices = _prices(_ar1(0.3, 252 * 2, seed=2), "AR1")
    generator = LSTMGenerator(**{**DEFAULT, "epochs": 10})
    tasks = _tasks(prices, generator)
    fitted = generator.fit_batch([tasks[0].train])[0]
    inputs = fitted.prediction_inputs(tasks[0].history, tasks[0].n)
    fp32 = fitted._predict(fitted.states_[0], inputs)
    fitted.precision = "bf16-mixed"
    bf16 = fitted._predict(fitted.states_[0], inputs)
    assert not np.array_equal(fp32, bf16)  # the bf16 path really ran
    # bf16 keeps 8 significant bits: within 2% of the forecasts' spread.
    assert np.max(np.abs(fp32 - bf16)) < 0.02 * np.std(fp32) + 1e-6
    assert np.corrcoef(fp32, bf16)[0, 1] > 0.999


def test_training_in_bf16_gives_finite_forecasts_that_follow_the_fp32_ones():
    prices = _prices(_ar1(-0.6, 252 * 2, seed=4), "AR1")
    results = {}
    for precision in ("32-true", "bf16-mixed"):
        generator = LSTMGenerator(**{**DEFAULT, "epochs": 20}, precision=precision)
        results[precision] = np.concatenate(generator.fit_predict_batch(_tasks(prices, generator)))
    assert np.isfinite(results["bf16-mixed"]).all()
    agree = np.mean(np.sign(results["32-true"]) == np.sign(results["bf16-mixed"]))
    assert agree > 0.8


def test_precision_auto_follows_the_hardware(monkeypatch):
    import aisfolio.strategies.lstm.training as training

    monkeypatch.setattr(training, "_cpu_computes_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16-mixed"
    monkeypatch.setattr(training, "_cpu_computes_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "32-true"
    assert resolve_precision("32-true", "cpu") == "32-true"
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp8", "cpu")


def test_keras_biases_start_the_output_at_zero_for_a_zero_input():
    from aisfolio.strategies.lstm.network import SingleLSTM

    keras = SingleLSTM(0, 1, [6, 3], state=initial_state(0, 1, [6, 3], "keras"))
    torch_init = SingleLSTM(0, 1, [6, 3], state=initial_state(0, 1, [6, 3], "torch"))
    zero = torch.zeros(1, 10, 1)
    with torch.no_grad():
        assert keras(zero).item() == 0.0
        assert torch_init(zero).item() != 0.0
    forget = initial_state(0, 1, [6], "keras")[2][6:12]
    assert torch.equal(forget, torch.ones(6))


def test_raw_targets_stay_in_return_units(sp500):
    generator = LSTMGenerator(**DEFAULT, scale_targets=False)
    samples = generator.samples(sp500.iloc[:300])
    assert samples.target_scale == 1.0
    assert np.abs(samples.fit[1]).max() < 0.2


def test_the_default_lstm_differs_from_buy_and_hold_on_every_embedded_asset(default_run):
    result = default_run
    metrics = result.metrics.set_index(["asset", "strategy"])
    for asset in ("SP500", "NASDAQ", "WTI"):
        lstm, held = metrics.loc[(asset, "lstm")], metrics.loc[(asset, "buy_and_hold")]
        assert lstm["trades"] > 20, (asset, lstm["trades"])
        assert lstm["aRC"] != pytest.approx(held["aRC"])
        positions = result.positions[(asset, "lstm")].dropna()
        assert (positions > 0).any() and (positions < 0).any()
    training = result.training
    assert set(training["asset"]) == {"SP500", "NASDAQ", "WTI"}
    # Most windows' best validation loss beats the best constant forecast.
    assert training["beats_constant"].mean() > 0.5
