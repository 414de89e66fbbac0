"""The loky job dataflow (aisfolio.strategies.execution.pool): released jobs, priorities, shares."""

from __future__ import annotations

import os

import pytest

from aisfolio.strategies.execution.pool import pool_dataflow, worker_environment


def _step(item: tuple[str, int], share: int) -> tuple[str, int, int, int]:
    """A job: its name, its value plus one, the processes it was offered, its pid."""
    name, value = item
    if value < 0:
        raise ArithmeticError(f"negative value in {name}")
    return name, value + 1, share, os.getpid()


def _chain_release(length: int):
    """Each finished step of chain ``c`` releases its next step, from its result."""

    def release(key, result):
        name, value, _, _ = result
        if name.startswith("c") and value < length:
            return [((0, value), (name, value), (name, value))]
        return []

    return release


def test_released_jobs_run_in_order_from_their_predecessors_results():
    pieces = [((0, 0), ("c1", 0), ("c1", 0)), ((0, 0), ("c2", 0), ("c2", 0))]
    pieces += [((1, 0), (f"i{k}", 0), (f"i{k}", 10 * k)) for k in range(3)]
    finished = list(pool_dataflow(_step, pieces, _chain_release(5), workers=2, threads=1))
    chains = {
        name: [result[1] for key, result in finished if key[0] == name] for name in ("c1", "c2")
    }
    assert chains == {"c1": [1, 2, 3, 4, 5], "c2": [1, 2, 3, 4, 5]}
    independent = sorted(result[1] for key, result in finished if key[0].startswith("i"))
    assert independent == [1, 11, 21]
    assert len({result[3] for _, result in finished}) <= 2  # two workers
    assert os.getpid() not in {result[3] for _, result in finished}


def test_waiting_jobs_go_out_by_priority():
    # One worker: one job at a time, the smallest priority first, released jobs included.
    pieces = [((2, 0), ("late", 0), ("late", 0)), ((0, 0), ("c", 0), ("c", 0))]
    pieces.append(((1, 0), ("middle", 0), ("middle", 0)))
    order = [key for key, _ in pool_dataflow(_step, pieces, _chain_release(3), 1, 1)]
    assert order == [("c", 0), ("c", 1), ("c", 2), ("middle", 0), ("late", 0)]


def test_jobs_are_offered_their_share_of_the_workers():
    alone = pool_dataflow(_step, [((0, 0), ("c", 0), ("c", 0))], _chain_release(4), 2, 1)
    assert [result[2] for _, result in alone] == [2, 2, 2, 2]  # a lone chain: both cores
    # Eight jobs on two workers: the first two go out while six wait, one process each
    # (a later one may find the others done and get both).
    crowded = [((0, k), k, (f"i{k}", k)) for k in range(8)]
    finished = pool_dataflow(_step, crowded, _chain_release(0), 2, 1)
    shares = {key: result[2] for key, result in finished}
    assert shares[0] == shares[1] == 1
    assert set(shares.values()) <= {1, 2}
    pair = [((0, k), k, (f"i{k}", k)) for k in range(2)]
    shares = [result[2] for _, result in pool_dataflow(_step, pair, _chain_release(0), 4, 1)]
    assert shares == [2, 2]  # two jobs on four workers: two processes each


def test_an_error_in_a_job_is_raised_here_and_the_next_dataflow_starts_clean():
    pieces = [((0, k), k, (f"i{k}", -1 if k == 3 else k)) for k in range(6)]
    with pytest.raises(ArithmeticError, match="negative value in i3"):
        list(pool_dataflow(_step, pieces, _chain_release(0), 2, 1))
    again = [((0, k), k, (f"i{k}", k)) for k in range(6)]
    finished = pool_dataflow(_step, again, _chain_release(0), 2, 1)
    assert sorted(result[1] for _, result in finished) == [1, 2, 3, 4, 5, 6]


def _threads(item: str, share: int) -> tuple[str | None, int]:
    import threadpoolctl

    limits = {pool["internal_api"]: pool["num_threads"] for pool in threadpoolctl.threadpool_info()}
    return os.environ.get(item), limits.get("openblas", limits.get("mkl", 0))


def test_workers_run_with_the_threads_asked_whatever_this_process_sets(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert set(worker_environment(2).values()) == {"2"}
    [(_, (variable, blas))] = pool_dataflow(
        _threads, [(0, 0, "OMP_NUM_THREADS")], lambda key, result: [], 2, 1
    )
    assert (variable, blas) == ("1", 1)
