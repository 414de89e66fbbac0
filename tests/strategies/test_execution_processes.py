"""Worker processes granted to jobs: the order searches spread over them, same results."""

from __future__ import annotations

import random
import sys
from functools import partial

import numpy as np
import pytest

from aisfolio.strategies.arima_garch.fitting import search_orders
from aisfolio.strategies.arima_garch.model import Window
from aisfolio.strategies.execution import Executor
from aisfolio.strategies.execution.processes import (
    granted_processes,
    process_dataflow,
    run_in_process,
)
from tests.strategies.execution_helpers import (
    PoolReportingArima,
    assets,
    quarterly_from,
    same,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the pools fork: Linux only"
)


def _square(x: float, offset: float = 0.0) -> float:
    return x * x + offset


def _chain(limit: int):
    """A dataflow whose pieces release more: each result x < limit releases x + 1 and
    x + 2 (so most numbers come twice, by two paths)."""
    results: list[tuple[int, float]] = []

    def finished(key, value):
        results.append((key, value))
        return [(key + step, key + step, key + step) for step in (1, 2) if key + step <= limit]

    return results, finished


def test_process_dataflow_runs_in_process_unless_processes_are_granted():
    assert process_dataflow() is run_in_process
    with granted_processes(1):
        assert process_dataflow() is run_in_process
    expected, finished = _chain(9)
    run_in_process(partial(_square, offset=1.0), [(0, 0, 0)], finished)
    with granted_processes(3):  # this process and two more
        dataflow = process_dataflow()
        assert dataflow is not run_in_process
        pooled, finished = _chain(9)
        dataflow(partial(_square, offset=1.0), [(0, 0, 0)], finished)
    assert process_dataflow() is run_in_process
    assert sorted(pooled) == sorted(expected)
    assert all(value == key * key + 1 for key, value in expected)
    assert len(expected) == 143  # 1 + 1 + 2 + 3 + ... + 55: one piece per path to each x
    with pytest.raises(ValueError, match="processes"):
        with granted_processes(0):
            pass


def test_the_in_process_dataflow_runs_smaller_priorities_first():
    order = []
    pieces = [(3, "c", 3), (1, "a", 1), (2, "b", 2), (1, "a2", 1)]
    run_in_process(lambda x: x, pieces, lambda key, value: order.append(key) or [])
    assert order == ["a", "a2", "b", "c"]


def _same_fits(left, right) -> bool:
    def same_fit(a, b):
        return (
            a.spec == b.spec
            and np.array_equal(a.u, b.u)
            and np.array_equal(a.hinv, b.hinv)
            and a.nll == b.nll
            and (a.converged, a.iterations, a.evaluations)
            == (b.converged, b.iterations, b.evaluations)
            and len(a.modes) == len(b.modes)
            and all(same_fit(m, n) for m, n in zip(a.modes, b.modes, strict=True))
        )

    return list(left) == list(right) and all(same_fit(left[k], right[k]) for k in left)


def _shuffled(seed: int):
    """A dataflow that runs the ready pieces in a random order (seeded)."""
    generator = random.Random(seed)

    def dataflow(function, pieces, finished):
        ready = list(pieces)
        while ready:
            _, key, item = ready.pop(generator.randrange(len(ready)))
            ready.extend(finished(key, function(item)))

    return dataflow


def test_a_search_over_processes_equals_the_sequential_search(sp500):
    returns = 100 * np.diff(np.log(sp500.loc["2012":"2015"].to_numpy()))
    first, second = Window.of(returns[:750], 3), Window.of(returns[60:810], 3)
    sequential = search_orders(first, 3, 3)
    warm = search_orders(second, 3, 3, previous=sequential)
    with granted_processes(2):
        pooled = search_orders(first, 3, 3, dataflow=process_dataflow())
        pooled_warm = search_orders(second, 3, 3, previous=pooled, dataflow=process_dataflow())
    assert _same_fits(sequential, pooled)
    assert _same_fits(warm, pooled_warm)
    assert sum(len(fit.modes) for fit in warm.values()) > 0  # the modes were compared too
    for seed in range(3):  # fits finishing in any order that the dependencies allow
        shuffled = search_orders(first, 3, 3, dataflow=_shuffled(seed))
        assert _same_fits(sequential, shuffled)
        again = search_orders(second, 3, 3, previous=shuffled, dataflow=_shuffled(seed))
        assert _same_fits(warm, again)


def test_a_job_alone_here_gets_every_worker_with_loky():
    assert Executor(backend="sequential", n_jobs=4)._processes_alone() == 1
    assert Executor(backend="loky", n_jobs=1)._processes_alone() == 1
    assert Executor(backend="ray", n_jobs=2)._processes_alone() == 1
    assert Executor(backend="loky", n_jobs=2)._processes_alone() == 2
    assert Executor(backend="loky", n_jobs=2, processes_per_job=3)._processes_alone() == 3
    with pytest.raises(ValueError, match="processes_per_job"):
        Executor(processes_per_job=0)


def test_chains_with_pooled_searches_give_the_sequential_forecasts():
    inputs = assets()
    walk = quarterly_from(inputs, "2003-07-01")
    # A long chain and a short one on two workers: which of the long one's chunks are
    # offered both cores depends on when the short one ends (the shares themselves are
    # tested on pool_dataflow in test_execution_pool.py), the forecasts never do. One
    # chain alone runs in this process, its searches spread over both cores.
    chains = [inputs[0], inputs[1].loc[:"2004-01-15"]]
    sequential = PoolReportingArima()
    expected = Executor(backend="sequential", progress="off").run(sequential, walk, chains)
    assert not any(sequential.pooled_)
    for inputs in (chains, chains[:1]):
        generator = PoolReportingArima()
        executor = Executor(backend="loky", n_jobs=2, progress="off")
        outputs = executor.run(generator, walk, inputs)
        assert same(expected[: len(inputs)], outputs)
    assert generator.pooled_ and all(generator.pooled_)


def _fail_on_three(x: int) -> int:
    if x == 3:
        raise ArithmeticError("three")
    return x


def test_an_error_in_a_piece_is_raised_here_and_the_next_dataflow_starts_clean():
    with granted_processes(2):
        dataflow = process_dataflow()
        with pytest.raises(ArithmeticError, match="three"):
            dataflow(_fail_on_three, [(x, x, x) for x in range(8)], lambda key, value: [])
        seen = []
        dataflow(_square, [(x, x, x) for x in range(8)], lambda key, v: seen.append((key, v)) or [])
    assert sorted(seen) == [(x, x * x) for x in range(8)]
