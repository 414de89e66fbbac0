"""Every line tested against its benchmark: known answers, the tables and the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisfolio.app.composition import pipeline_from_config
from aisfolio.portfolio.errors import ConfigError
from aisfolio.portfolio.report import build_report, write_report
from aisfolio.portfolio.winners import (
    SIGNIFICANCE_COLUMNS,
    SignificanceSettings,
    significance_table,
)


def _metrics(lines: dict[str, tuple[str, str, str]]) -> pd.DataFrame:
    rows = [{"line": n, "kind": k, "asset": a, "strategy": s} for n, (k, a, s) in lines.items()]
    return pd.DataFrame(rows).set_index("line")


def test_a_copy_of_the_benchmark_is_not_significant_and_an_oracle_is(sp500):
    returns = sp500.pct_change().dropna().iloc[-1500:]
    rng = np.random.default_rng(1)
    lines = {
        "SP500/buy_and_hold": returns,
        "SP500/copy": returns.copy(),
        "SP500/oracle": returns.abs(),  # long before every up day, short before every down day
        "SP500/coin": returns * rng.choice([-1.0, 1.0], size=len(returns)),
        "WTI/buy_and_hold": returns * 0.5,
        "WTI/copy": returns * 0.5,
    }
    metrics = _metrics({n: ("AIS", n.split("/")[0], n.split("/")[1]) for n in lines})
    table = significance_table(metrics, lines, SignificanceSettings(reps=200))
    assert list(table.index) == ["SP500/copy", "SP500/oracle", "SP500/coin", "WTI/copy"]
    assert set(table["benchmark"]) == {"SP500/buy_and_hold", "WTI/buy_and_hold"}
    sp500_group = table.loc[table["group"] == "SP500"]
    assert (sp500_group["SPA p"] < 0.01).all()  # the best of the group, the oracle, wins
    assert sp500_group["beats benchmark"].to_dict() == {
        "SP500/copy": False,
        "SP500/oracle": True,
        "SP500/coin": False,
    }
    assert sp500_group["in MCS"].to_dict() == {
        "SP500/copy": False,
        "SP500/oracle": True,
        "SP500/coin": False,
    }
    assert sp500_group.loc["SP500/oracle", "PSR"] > 0.999
    # A group whose only line equals its benchmark: nothing to find.
    assert table.loc["WTI/copy", "SPA p"] == 1.0
    assert not table.loc["WTI/copy", "beats benchmark"]


def test_lines_without_a_benchmark_are_left_out_with_a_warning(sp500, caplog):
    returns = sp500.pct_change().dropna().iloc[-300:]
    metrics = _metrics({"SP500/momentum": ("AIS", "SP500", "momentum")})
    table = significance_table(metrics, {"SP500/momentum": returns}, SignificanceSettings(reps=50))
    assert table.empty and list(table.columns) == ["group", "benchmark", *SIGNIFICANCE_COLUMNS]
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "1 lines not tested" in warning and "'SP500/buy_and_hold'" in warning
    assert "significance.benchmark" in warning


def test_runs_test_their_lines_in_the_tables_and_the_report(us_markets_short, tmp_path):
    overrides = ["generators=[buy_and_hold,momentum,contrarian]", "significance.reps=100"]
    result = pipeline_from_config(overrides).run(us_markets_short)
    metrics = result.metrics
    benchmarks = (metrics["kind"] == "AIS") & (metrics["strategy"] == "buy_and_hold")
    tested = list(metrics.index[~benchmarks])
    assert sorted(result.significance.index) == sorted(tested)
    table = result.table("ais")
    assert {"SPA p", "beats benchmark", "in MCS"} <= set(table.columns)
    assert (
        table.loc[("SP500", "buy_and_hold"), "SPA p"]
        != table.loc[("SP500", "buy_and_hold"), "SPA p"]
    )
    assert (
        table.loc[("SP500", "momentum"), "SPA p"]
        == result.significance.loc["SP500/momentum", "SPA p"]
    )
    write_report(build_report(result), tmp_path)
    assert "Are the winners real?" in (tmp_path / "report.html").read_text()
    written = pd.read_csv(tmp_path / "report" / "significance.csv", index_col="line")
    np.testing.assert_allclose(written["MCS p"], result.significance["MCS p"])
    skipped = pipeline_from_config([*overrides, "significance.enabled=false"])
    assert "SPA p" not in skipped.run(us_markets_short).metrics.columns


@pytest.mark.parametrize(
    ("override", "key"),
    [("reps=5", "significance.reps"), ("size=1.5", "significance.size"),
     ("block_size=0", "significance.block_size")],
)  # fmt: skip
def test_bad_settings_name_the_key(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        pipeline_from_config([f"significance.{override}"])


def test_groups_tested_before_are_read_from_the_cache(sp500, tmp_path, monkeypatch):
    from aisfolio.portfolio import winners
    from aisfolio.strategies.execution import ChunkCache

    returns = sp500.pct_change().dropna().iloc[-500:]
    lines = {"SP500/buy_and_hold": returns, "SP500/short": -returns}
    metrics = _metrics({n: ("AIS", "SP500", n.split("/")[1]) for n in lines})
    store = ChunkCache(tmp_path)
    settings = SignificanceSettings(reps=50)
    first = significance_table(metrics, lines, settings, store)
    monkeypatch.setattr(winners, "spa_test", lambda *a, **k: pytest.fail("tested again"))
    pd.testing.assert_frame_equal(significance_table(metrics, lines, settings, store), first)
    changed = {**lines, "SP500/short": -returns * 1.01}
    with pytest.raises(pytest.fail.Exception, match="tested again"):
        significance_table(metrics, changed, settings, store)  # other returns: a new key
