import logging
import re

import numpy as np
import pandas as pd
import pytest

import aisfolio.portfolio as pf
from aisfolio.app.composition import pipeline_from_config
from aisfolio.app.outputs import OutputWriter
from aisfolio.ensemble import EqualWeight, PaperEnsembles
from aisfolio.portfolio.winners import SignificanceSettings
from aisfolio.strategies import BuyAndHold, Contrarian, Generator, Momentum, SignalRule, Strategy
from aisfolio.strategies.execution import Executor


def test_default_run_has_every_line_of_the_paper_tables(default_run):
    kinds = default_run.metrics["kind"].value_counts().to_dict()
    assert kinds == {"AIS": 12, "hedge": 10, "ensemble_I": 3, "ensemble_II": 3}
    assert default_run.table("ais").shape == (12, 11)  # the paper's 8 and 3 significance columns
    assert list(default_run.table("hedges").index.get_level_values("asset").unique()) == [
        "SP500+NASDAQ",
        "SP500+WTI",
    ]
    labels = ["aRC", "aSD", "MD", "MLD", "IR*"]
    assert np.isfinite(default_run.metrics[labels].to_numpy(dtype=float)).all()


def test_buy_and_hold_row_equals_an_independent_computation(default_run, us_markets):
    prices = us_markets["SP500"].dropna()
    start = default_run.metrics.loc["SP500/buy_and_hold", "start"]
    window = prices.loc[start:]
    # Entering at the first close costs 0.05%, charged in the first return.
    simple = window.pct_change().dropna().to_numpy().copy()
    simple[0] -= 0.0005
    terminal = np.prod(1 + simple)
    row = default_run.metrics.loc["SP500/buy_and_hold"]
    assert row["aRC"] == pytest.approx(terminal ** (252 / len(window)) - 1, rel=1e-12)
    assert row["aSD"] == pytest.approx(simple.std(ddof=1) * np.sqrt(252), rel=1e-12)
    assert row["trades"] == 1


def _independent_mix(a: pd.Series, b: pd.Series, cost_rate: float) -> pd.Series:
    """50/50 dollar holdings, reset on the first trading day of each quarter."""
    dates = a.index.union(b.index)
    ra = a.reindex(dates).ffill().fillna(1.0).pct_change().fillna(0.0).to_numpy()
    rb = b.reindex(dates).ffill().fillna(1.0).pct_change().fillna(0.0).to_numpy()
    quarters = dates.to_period("Q")
    hold_a, hold_b, pending = 0.5, 0.5, 0.0
    values = [1.0]
    for i in range(1, len(dates)):
        before = hold_a + hold_b
        hold_a, hold_b = hold_a * (1 + ra[i]), hold_b * (1 + rb[i])
        scale = (hold_a + hold_b - pending * before) / (hold_a + hold_b)
        hold_a, hold_b = hold_a * scale, hold_b * scale
        value = hold_a + hold_b
        pending = 0.0
        if quarters[i] != quarters[i - 1] and i < len(dates) - 1:
            pending = cost_rate * (abs(value / 2 - hold_a) + abs(value / 2 - hold_b)) / value
            hold_a = hold_b = value / 2
        values.append(value)
    return pd.Series(values, index=dates)


@pytest.mark.parametrize("strategy", ["momentum", "buy_and_hold", "ensemble_I"])
def test_hedge_equals_a_hand_computed_fifty_fifty_quarterly_mix(default_run, strategy):
    base, partner = default_run.lines[f"SP500/{strategy}"], default_run.lines[f"WTI/{strategy}"]
    expected = _independent_mix(base.equity, partner.equity, 0.0005)
    hedge = default_run.line(f"hedge/SP500+WTI/{strategy}")
    pd.testing.assert_series_equal(hedge, expected, check_names=False, rtol=1e-10)


def test_runs_are_reproducible(us_markets_short):
    pipeline = pipeline_from_config()
    first, second = pipeline.run(us_markets_short), pipeline.run(us_markets_short)
    pd.testing.assert_frame_equal(first.metrics, second.metrics)
    pd.testing.assert_frame_equal(first.equity, second.equity)


def test_mixed_calendars_keep_their_own_periods_per_year(us_markets_short):
    sp500 = us_markets_short["SP500"].dropna().loc["2004":"2005"]
    days = pd.date_range(sp500.index[0], sp500.index[-1], freq="D")
    rng = np.random.default_rng(7)
    crypto = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.03, len(days)))), index=days)
    prices = pd.concat({"SP500": sp500, "COIN": crypto}, axis=1, sort=True)
    pipeline = pf.Pipeline(
        {
            "buy_and_hold": Strategy(BuyAndHold()),
            "momentum": Strategy(Momentum(1), SignalRule(on_tie="long")),
            "contrarian": Strategy(Momentum(1), SignalRule(rule="long_only")),
        },
        ensembles=PaperEnsembles(),
    )
    result = pipeline.run(prices)
    s = result.metrics["periods_per_year"]
    assert s["SP500/momentum"] == 252 and s["COIN/momentum"] == 365
    assert s["hedge/SP500+COIN/momentum"] == 365 and s["SP500/ensemble_I"] == 252
    # Positions are decided on the asset's own calendar only: no S&P 500 decision on a Sunday.
    sundays = result.positions.index.day_of_week == 6
    assert result.positions.loc[sundays, ("SP500", "momentum")].isna().all()
    assert result.positions.loc[sundays, ("COIN", "momentum")].notna().all()


def test_start_and_end_cut_the_evaluation(us_markets):
    pipeline = pf.Pipeline(
        {"momentum": Strategy(Momentum(1))},
        backtest=pf.BacktestSettings(start="2005-01-01", end="2006-12-31"),
    )
    result = pipeline.run(us_markets)
    line = result.line("SP500/momentum")
    assert line.index[0] == pd.Timestamp("2005-01-03") and line.index[-1] == pd.Timestamp(
        "2006-12-29"
    )


def test_per_asset_starts_keep_each_assets_history(us_markets_short):
    """An asset with a shorter history does not cut the others' (align: per_asset)."""
    prices = us_markets_short.copy()
    prices.loc[:"2004-06-30", "WTI"] = np.nan
    strategies = {"buy_and_hold": Strategy(BuyAndHold()), "momentum": Strategy(Momentum(1))}
    settings = pf.BacktestSettings(align="per_asset")
    result = pf.Pipeline(strategies, settings, PaperEnsembles()).run(prices)
    starts = result.metrics["start"]
    assert starts["WTI/momentum"] == prices["WTI"].dropna().index[1]
    assert starts["SP500/momentum"] == starts["NASDAQ/momentum"] < starts["WTI/momentum"]
    # Each asset's lines are those of a run on that asset alone.
    alone = pf.Pipeline(strategies, settings, None).run(prices[["SP500"]])
    pd.testing.assert_series_equal(result.line("SP500/momentum"), alone.line("SP500/momentum"))
    # A group starts with its last member: a 50/50 quarterly mix of the member lines
    # from the later start on, each restarted at 1.0 there.
    assert starts["hedge/SP500+NASDAQ/momentum"] == starts["SP500/momentum"]
    assert starts["hedge/SP500+WTI/momentum"] == starts["ensemble_II/momentum"]
    assert starts["hedge/SP500+WTI/momentum"] == starts["WTI/momentum"]
    members = pf.union_equity({m: result.line(m) for m in ("SP500/momentum", "WTI/momentum")}).loc[
        starts["WTI/momentum"] :
    ]
    expected = pf.rebalance_streams(
        members / members.iloc[0], EqualWeight(), "quarterly", cost_rate=0.0005
    ).equity
    np.testing.assert_allclose(
        result.line("hedge/SP500+WTI/momentum").to_numpy(), expected.to_numpy(), rtol=1e-12
    )
    common = pf.Pipeline(strategies, pf.BacktestSettings(), PaperEnsembles()).run(prices)
    assert common.metrics["start"].nunique() == 1


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"cost_rate": -0.1}, "cost_rate"),
        ({"start": "someday"}, "start"),
        ({"align": "each"}, "align"),
        ({"accounting": "gross"}, "accounting"),
    ],
)
def test_bad_backtest_settings_name_their_key(settings, key):
    # Their own parameter; the CLI reports it under backtest. (tests/app)
    with pytest.raises(pf.ConfigError, match=f"config key '{key}'"):
        pf.BacktestSettings(**settings)


def test_too_short_data_is_named(us_markets):
    pipeline = pf.Pipeline({"momentum": Strategy(Momentum(50))})
    with pytest.raises(pf.DataError, match="too short for strategy 'momentum'"):
        pipeline.run(us_markets.iloc[:30])


class FirstComponent(Generator):
    """Second stage for tests: repeats the first component's forecast."""

    def predict_block(self, history, n):
        return history.iloc[-n:, 1].to_numpy()


def test_stacked_strategies_see_prices_and_component_forecasts(us_markets_short):
    components = {
        "buy_and_hold": Strategy(BuyAndHold()),
        "momentum": Strategy(Momentum(1), SignalRule(on_tie="long")),
        "contrarian": Strategy(Contrarian(1)),
    }
    pipeline = pf.Pipeline(
        components, stacked={"copy": Strategy(FirstComponent(), SignalRule(on_tie="long"))}
    )
    result = pipeline.run(us_markets_short)
    copied, momentum = result.positions["SP500"]["copy"], result.positions["SP500"]["momentum"]
    pd.testing.assert_series_equal(copied, momentum, check_names=False)
    assert (
        "SP500/copy" in result.metrics.index and result.metrics.loc["SP500/copy", "kind"] == "AIS"
    )
    with pytest.raises(pf.ConfigError, match="labels used twice") as caught:
        pf.Pipeline(components, stacked={"momentum": Strategy(FirstComponent())})
    assert caught.value.key == "stacked"  # the pipeline's parameter (the CLI: stacking)


def test_combinations_hold_the_components_per_asset_and_across_assets(us_markets_short):
    pipeline = pipeline_from_config(
        [
            "generators=[buy_and_hold,momentum,contrarian]",
            "combiners=[equal_weight]",
            "ensemble=none",
        ]
    )
    result = pipeline.run(us_markets_short)
    assert set(result.metrics.index[result.metrics["kind"] == "combiner"]) == {
        "SP500/equal_weight",
        "NASDAQ/equal_weight",
        "WTI/equal_weight",
        "all/equal_weight",
    }
    assert list(result.weights["all/equal_weight"].columns) == [
        f"{asset}/{strategy}"
        for asset in ["SP500", "NASDAQ", "WTI"]
        for strategy in ["momentum", "contrarian"]
    ]
    members = pf.union_equity({m: result.line(m) for m in ["SP500/momentum", "SP500/contrarian"]})
    expected = pf.rebalance_streams(members, EqualWeight(), "every_bar", cost_rate=0.0005)
    pd.testing.assert_series_equal(result.line("SP500/equal_weight"), expected.equity)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("ensemble_II", "type II ensembles"),
        ("hedge", "hedges"),
        ("all", "every asset"),
    ],
)
def test_asset_names_that_collide_with_line_names_are_refused(name, fragment):
    from aisfolio.portfolio.errors import DataError

    prices = pf.load_dataset("us_markets").loc[:"2001-12-31"].rename(columns={"NASDAQ": name})
    pipeline = pipeline_from_config(["generators=[buy_and_hold,momentum]"])
    with pytest.raises(DataError, match=re.escape(fragment)) as caught:
        pipeline.run(prices)
    assert f"column '{name}'" in str(caught.value)


def test_the_meta_learners_refits_reach_the_outputs_and_the_report(us_markets_short, tmp_path):
    pipeline = pipeline_from_config(
        [
            "generators=[buy_and_hold,momentum,contrarian]",
            "stacking=[meta_learner]",
            "significance.enabled=false",
            "ensemble=none",
        ]
    )
    result = pipeline.run(us_markets_short)
    stacking = result.stacking
    assert list(stacking.columns[:3]) == ["strategy", "asset", "date"]
    assert set(stacking["asset"]) == set(us_markets_short.columns)
    assert (stacking["strategy"] == "meta_learner").all()
    fitted = stacking[stacking["abstained"] == ""]
    assert not fitted.empty and fitted["kept"].str.contains("momentum|contrarian").all()
    written = OutputWriter(plot=False).write(result, tmp_path)
    assert tmp_path / "stacking.csv" in written
    assert len(pd.read_csv(tmp_path / "stacking.csv")) == len(stacking)
    html = (tmp_path / "report.html").read_text()
    assert "Meta-learner" in html and "Last refit per strategy and asset" in html


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_prices_at_the_edges_of_floating_point_give_the_same_finite_metrics(
    us_markets_short, scale
):
    pipeline = pipeline_from_config(
        ["generators=[buy_and_hold,momentum]", "significance.enabled=false", "ensemble=none"]
    )
    plain = pipeline.run(us_markets_short).metrics
    scaled = pipeline.run(us_markets_short * scale).metrics
    numbers = plain.select_dtypes("number").columns
    assert np.isfinite(scaled[numbers].to_numpy(dtype=float)).all()
    pd.testing.assert_frame_equal(scaled[numbers], plain[numbers], rtol=1e-9)


def _accounting_runs(prices, strategies):
    return {
        accounting: pf.Pipeline(
            strategies, pf.BacktestSettings(accounting=accounting), PaperEnsembles()
        ).run(prices)
        for accounting in ("per_ais", "net")
    }


def test_net_accounting_of_legs_that_cancel_costs_nothing(us_markets):
    """Momentum and contrarian of the same lookback hold opposite positions: their type I
    ensemble holds nothing on the asset. Per AIS both legs pay their trades; netted the
    line neither earns nor pays anything, as its orders say."""
    strategies = {
        "momentum": Strategy(Momentum(1), SignalRule(on_tie="long")),
        "contrarian": Strategy(Contrarian(1), SignalRule(on_tie="short")),
    }
    runs = _accounting_runs(us_markets, strategies)
    per_ais, net = runs["per_ais"], runs["net"]
    name = "SP500/ensemble_I"
    assert per_ais.metrics.loc[name, "aRC"] < -0.05  # costs paid by legs that cancel
    assert (net.line(name) == 1.0).all()
    assert net.metrics.loc[name, "trades"] == 0 and net.metrics.loc[name, "aRC"] == 0.0
    targets = pf.LineTargets(name).targets(net)
    assert (targets.assets == 0.0).all()
    # The AIS lines are their own net positions: the same either way.
    for line in ("SP500/momentum", "WTI/contrarian"):
        pd.testing.assert_series_equal(per_ais.line(line), net.line(line))
    assert set(per_ais.metrics["accounting"]) == {"per_ais"}
    assert set(net.metrics["accounting"]) == {"net"} and net.accounting == "net"


@pytest.mark.parametrize("name", ["ensemble_II/momentum", "hedge/SP500+WTI/ensemble_I"])
def test_a_netted_group_is_the_backtest_of_its_net_position_per_asset(us_markets_short, name):
    """The netted line equals backtest_positions of its net exposure per asset (members'
    positions times the rule's equal or 50/50 targets, through the nested type I
    ensembles), summed over the assets; its last row is the exposure its orders trade to."""
    strategies = {
        "buy_and_hold": Strategy(BuyAndHold()),
        "momentum": Strategy(Momentum(1), SignalRule(on_tie="long")),
        "contrarian": Strategy(Contrarian(5), SignalRule(on_tie="short")),
    }
    result = pf.Pipeline(strategies, pf.BacktestSettings(accounting="net"), PaperEnsembles()).run(
        us_markets_short
    )
    line = result.line(name)
    if name.startswith("ensemble_II"):
        weights = {(asset, "momentum"): 1 / 3 for asset in ("SP500", "NASDAQ", "WTI")}
    else:  # 50/50 of two type I ensembles of momentum and contrarian
        weights = {(a, s): 0.25 for a in ("SP500", "WTI") for s in ("momentum", "contrarian")}
    decided = result.positions.ffill().loc[line.index]
    exposure = pd.DataFrame(0.0, index=line.index, columns=sorted({a for a, _ in weights}))
    for (asset, strategy), weight in weights.items():
        exposure[asset] += weight * decided[(asset, strategy)]
    returns = pd.Series(0.0, index=line.index)
    for asset in exposure.columns:
        calendar = us_markets_short[asset].dropna()
        alone = pf.backtest_positions(
            calendar, exposure[asset].reindex(calendar.index), 0.0005, line.index[0]
        )
        returns = returns.add(alone.returns, fill_value=0.0)
    np.testing.assert_allclose(line.to_numpy(), (1.0 + returns).cumprod().to_numpy(), rtol=1e-12)
    assert result.metrics.loc[name, "aRC"] != 0.0
    # The orders of the line trade to the net position decided at the last close.
    targets = pf.LineTargets(name).targets(result)
    assert targets.date == line.index[-1]
    np.testing.assert_allclose(
        targets.assets.reindex(exposure.columns).to_numpy(), exposure.iloc[-1].to_numpy()
    )
    # The weights it held are the targets, decided at the previous close.
    held = result.weights[name]
    assert held.iloc[0].isna().all()
    np.testing.assert_allclose(held.iloc[1:].sum(axis=1), 1.0)


def test_every_long_stage_of_a_run_logs_its_progress_and_its_end(us_markets_short, caplog):
    """Without a terminal, each stage after the walk-forward (backtest, ensembles, hedges,
    significance) logs its count as it goes and a closing line with time and memory."""
    caplog.set_level(logging.INFO, logger="aisfolio.strategies.execution")
    pipeline = pf.Pipeline(
        {"buy_and_hold": Strategy(BuyAndHold()), "momentum": Strategy(Momentum(20))},
        ensembles=PaperEnsembles(),
        execution=Executor(progress="log", log_interval=1e-9),
        significance=SignificanceSettings(reps=20),
    )
    pipeline.run(us_markets_short)
    messages = [r.getMessage() for r in caplog.records]
    for name, total, unit in [
        ("backtest", 6, "line"),
        ("ensembles", 1, "group"),
        ("hedges", 4, "group"),
        ("significance", 5, "group"),
    ]:
        counted = f"{total} {unit}" + ("s" if total > 1 else "")
        assert f"{name}: {total}/{counted}, " in "\n".join(messages), name
        assert any(re.fullmatch(rf"{name}: {counted} in .* GB", m) for m in messages), name


def test_the_pipelines_errors_name_its_parameters_and_the_cli_the_config_keys(us_markets_short):
    from aisfolio.app.config_keys import run_configured

    pipeline = pf.Pipeline(
        {"buy_and_hold": Strategy(BuyAndHold()), "momentum": Strategy(Momentum(20))},
        ensembles=PaperEnsembles(hedge_base="GOLD"),
    )
    with pytest.raises(pf.ConfigError, match="GOLD") as from_python:
        pipeline.run(us_markets_short)
    assert from_python.value.key == "ensembles.hedge_base"
    with pytest.raises(pf.ConfigError, match="GOLD") as from_the_cli:
        run_configured(pipeline, us_markets_short)
    assert from_the_cli.value.key == "ensemble.hedge_base"
    assert str(from_the_cli.value).startswith("config key 'ensemble.hedge_base': ")
