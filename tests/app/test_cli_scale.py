"""The CLI at scale: the result cache command, multiruns on Ray, Optuna tuning."""

from __future__ import annotations

import re

import pytest

from aisfolio.app.cli import main
from aisfolio.app.composition import build, load_config
from aisfolio.portfolio.errors import ConfigError
from aisfolio.strategies import Momentum, WalkForward
from aisfolio.strategies.execution import Executor
from tests.app.test_cli import SMALL, aisfolio

CHEAP = "generators=[buy_and_hold,momentum]"  # the launchers are under test, not the LSTM


def test_the_cache_command_shows_and_clears_the_cache(tmp_path, sp500, capsys):
    cache = tmp_path / "cache"
    walk = WalkForward(refit="monthly", min_train=20)
    Executor(cache=True, cache_dir=str(cache), progress="off").run(Momentum(), walk, [sp500])
    where = f"execution.cache_dir={cache}"
    with pytest.raises(SystemExit) as shown:
        main(["cache", "info", where])
    assert shown.value.code == 0
    entries = int(re.search(r"holds (\d+) entries", capsys.readouterr().out).group(1))
    assert entries == len(list(cache.rglob("*.entry"))) > 10
    with pytest.raises(SystemExit) as cleared:
        main(["cache", "clear", where])
    assert cleared.value.code == 0 and f"removed {entries} entries" in capsys.readouterr().out
    assert not list(cache.rglob("*.entry"))
    with pytest.raises(SystemExit) as bogus:
        main(["cache", "bogus"])
    assert bogus.value.code == 2


def test_a_multirun_on_a_ray_head_completes(ray_head, tmp_path):
    done = aisfolio(
        "-m",
        "launcher=ray",
        f"hydra.launcher.ray.init.address={ray_head}",
        "generators.momentum.generator.lookback=5,10",
        CHEAP,
        *SMALL,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    jobs = sorted(tmp_path.glob("multirun/*/*/*/metrics.csv"))
    assert len(jobs) == 2
    overrides = {(job.parent / ".hydra" / "overrides.yaml").read_text() for job in jobs}
    assert {any(f"lookback={n}" in text for text in overrides) for n in (5, 10)} == {True}


def test_optuna_tunes_on_the_validation_period(tmp_path):
    done = aisfolio(
        "-m",
        "tuning=momentum",
        "hydra.sweeper.n_trials=2",
        "validation_end=2003-12-31",
        "data.start=2000-01-01",
        CHEAP,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    best = next(tmp_path.glob("multirun/*/*/optimization_results.yaml")).read_text()
    assert "generators.momentum.generator.lookback" in best and "best_value" in best
    configs = list(tmp_path.glob("multirun/*/*/*/config.yaml"))
    assert len(configs) == 2
    assert all("end: '2003-12-31'" in c.read_text() for c in configs)


def test_an_objective_naming_no_line_is_refused(tmp_path):
    done = aisfolio(
        "+objective.line=NOPE/momentum", "+objective.metric=IR*", CHEAP, *SMALL, cwd=tmp_path
    )
    assert done.returncode == 2 and "objective.line" in done.stderr


@pytest.mark.parametrize(
    "override", ["execution.backend=dask", "execution.n_jobs=0", "execution.progress=loud"]
)
def test_bad_execution_settings_name_the_key(override):
    with pytest.raises(ConfigError, match="execution"):
        build(load_config([override]))
