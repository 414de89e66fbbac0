"""Allocations inside the pipeline: the hedge experiment, exposures, bad settings."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aisfolio import conf
from aisfolio.app.composition import build, load_config, pipeline_from_config
from aisfolio.app.config_keys import run_configured
from aisfolio.portfolio import ConfigError

ALLOCATOR_CONFIGS = sorted(
    p.stem for p in (Path(conf.__file__).parent / "allocator").glob("*.yaml") if p.stem != "none"
)


@pytest.fixture(scope="module")
def hedges(us_markets_short):
    # Without the LSTM, whose first training year would leave few rebalances in 2003-2006.
    overrides = ["experiment=hedges", "generators=[buy_and_hold,momentum,contrarian]"]
    return pipeline_from_config(overrides).run(us_markets_short)


def test_the_default_run_has_no_allocator():
    assert build(load_config()).pipeline.allocations == {}


def test_the_hedge_experiment_puts_fixed_and_optimized_hedges_in_one_table(hedges):
    table = hedges.table("allocations")
    methods = ["hedge", "min_variance", "min_cvar", "risk_parity"]
    for partner in ("NASDAQ", "WTI"):
        rows = table.loc[("ensemble_I", f"SP500+{partner}")]
        assert list(rows.index) == methods
        assert (
            rows.loc["hedge", "aRC"]
            == hedges.table("hedges").loc[("ensemble_I", f"SP500+{partner}"), "aRC"]
        )
        assert (rows.loc[methods[1:], "rebalances"] >= 15).all()
    assert table["failures"].fillna(0).eq(0).all()  # the preset runs clean
    decisions = hedges.allocations["min_cvar/SP500+WTI/ensemble_I"]
    assert set(decisions["solver"]) <= {"CLARABEL", "HIGHS", "SCS", "warm_up"}
    assert decisions.index.is_monotonic_increasing


def test_allocation_weights_are_fully_invested_and_long_only(hedges):
    for name in hedges.allocations:
        held = hedges.weights[name].dropna()
        np.testing.assert_allclose(held.sum(axis=1), 1.0, atol=1e-6)
        assert (held >= -1e-8).all().all()


def test_risk_parity_respects_its_beta_bound_when_it_solves(hedges):
    decisions = hedges.allocations["risk_parity/SP500+WTI/ensemble_I"]
    solved = decisions[decisions["solver"] == "CLARABEL"]
    assert len(solved) >= 10
    assert (decisions.loc[decisions["failed"], "reason"].str.contains("beta_upper")).all()


def test_net_exposure_is_the_sum_of_weight_times_position(hedges):
    name = "min_variance/SP500+WTI/ensemble_I"
    exposure = hedges.exposures[name]
    assert list(exposure.columns) == ["SP500", "WTI"]
    held = hedges.weights[name]  # row t: weights over the return of bar t
    bar = held.index[301]
    for asset in ("SP500", "WTI"):
        inner = hedges.weights[f"{asset}/ensemble_I"]
        decided = hedges.positions[asset].loc[:bar].dropna().iloc[-2]  # previous close
        mix = inner.loc[:bar].iloc[-1]
        member = sum(mix[f"{asset}/{s}"] * decided[s] for s in ("momentum", "contrarian"))
        expected = held.loc[bar, f"{asset}/ensemble_I"] * member
        assert exposure.loc[bar, asset] == pytest.approx(expected, abs=1e-12)
    assert np.isnan(exposure.iloc[0]).all()
    assert exposure.iloc[1:].notna().all().all()


def test_every_shipped_allocator_config_runs(us_markets_short):
    overrides = [f"allocator=[{','.join(ALLOCATOR_CONFIGS)}]", "backtest.end=2005-06-30"]
    result = pipeline_from_config(overrides).run(us_markets_short)
    labels = {name.split("/")[0] for name in result.allocations}
    assert labels == set(ALLOCATOR_CONFIGS)
    portfolio = result.weights["portfolio_min_variance/all/momentum+contrarian"].dropna()
    assert portfolio.shape[1] == 6 and (portfolio.max(axis=1) <= 0.4 + 0.05).all()


@pytest.mark.parametrize(
    ("override", "parameter", "key"),
    [
        (
            "allocator.min_variance.allocator.lower=0.6",
            "allocations.min_variance.allocator.budget",
            "allocator.min_variance.allocator.budget",
        ),
        (
            "allocator.min_variance.lines=[nope]",
            "allocations.min_variance",
            "allocator.min_variance",
        ),
        (
            "allocator.min_variance.hedge_base=GOLD",
            "allocations.min_variance",
            "allocator.min_variance",
        ),
        (
            "allocator.min_variance.allocator.hedge_target=GOLD/*",
            "allocations.min_variance.allocator.hedge_target",
            "allocator.min_variance.allocator.hedge_target",
        ),
    ],
)
def test_bad_allocation_settings_name_the_key(override, parameter, key, us_markets_short):
    """Run from Python, the pipeline names its own parameter; run as the app runs it, the
    config key that built it."""
    pipeline = pipeline_from_config(["allocator=min_variance", override])
    prices = us_markets_short.loc[:"2004-06-30"]
    with pytest.raises(ConfigError) as from_python:
        pipeline.run(prices)
    assert from_python.value.key == parameter
    with pytest.raises(ConfigError) as from_the_app:
        run_configured(pipeline, prices)
    assert from_the_app.value.key == key


def test_constructor_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"allocator\.objective"):
        build(
            load_config(["allocator=min_variance", "allocator.min_variance.allocator.objective=x"])
        )
    with pytest.raises(ConfigError, match=r"allocator\.min_variance\.allocator\.upperr"):
        build(load_config(["allocator=min_variance", "+allocator.min_variance.allocator.upperr=1"]))


def test_outputs_of_an_allocation_run(hedges, tmp_path):
    from aisfolio.app.outputs import OutputWriter

    written = {p.name for p in OutputWriter(plot=False).write(hedges, tmp_path)}
    assert {"allocations.csv", "allocations.md", "allocation_decisions.csv",
            "allocation_exposures.parquet"} <= written  # fmt: skip
    decisions = pd.read_csv(tmp_path / "allocation_decisions.csv")
    assert {"line", "date", "solver", "failed", "reason"} <= set(decisions.columns)
