"""The execution layer: identical results on every backend, the cache, resuming."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aisfolio.strategies import Momentum, WalkForward
from aisfolio.strategies.execution import ChunkCache, Executor, WalkForwardSpec, chunk_dependency
from aisfolio.strategies.execution.keys import chunk_key, generator_digest
from aisfolio.strategies.lstm import LSTMGenerator
from aisfolio.strategies.walk_forward import chunk_task
from tests.strategies.execution_helpers import (
    CountingMomentum,
    MeanOfBatch,
    ThreadReporting,
    assets,
    quarterly_from,
    same,
    small_arima,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def inputs() -> list[pd.Series]:
    return assets()


@pytest.fixture(scope="module")
def walk(inputs) -> WalkForward:
    return quarterly_from(inputs, "2004-07-01")


def _specs(inputs, walk) -> list[WalkForwardSpec]:
    return [
        WalkForwardSpec(small_arima(), walk, inputs, "arima"),
        WalkForwardSpec(Momentum(lookback=20), WalkForward(refit="monthly"), inputs, "momentum"),
        WalkForwardSpec(MeanOfBatch(), walk, inputs, "batch"),
        WalkForwardSpec(_tiny_lstm(), WalkForward(refit="yearly"), inputs, "lstm"),
    ]


def _tiny_lstm() -> LSTMGenerator:
    """A batch generator whose windows are fitted together and cached one by one."""
    return LSTMGenerator(hidden_sizes=(4,), epochs=3, logger="none", accelerator="cpu")


def _reference(inputs, walk) -> list[list[pd.Series]]:
    """The uninterrupted sequential run: WalkForward.run_many, no execution layer."""
    return [spec.walk_forward.run_many(spec.generator, inputs) for spec in _specs(inputs, walk)]


def test_dependencies_are_read_from_the_generators():
    assert chunk_dependency(small_arima()) == "carry"
    assert chunk_dependency(Momentum()) == "independent"
    assert chunk_dependency(MeanOfBatch()) == "batch"
    assert chunk_dependency(_tiny_lstm()) == "batch"


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_backends_give_the_forecasts_of_an_uninterrupted_run(backend, inputs, walk, tmp_path):
    reference = _reference(inputs, walk)  # on this process's one torch thread
    executor = Executor(
        backend=backend, n_jobs=2, progress="off", min_parallel_seconds=0, threads_per_job=1
    )
    outputs = executor.run_specs(_specs(inputs, walk))
    assert all(same(a, b) for a, b in zip(reference, outputs, strict=True))
    assert executor.stats.jobs > 3  # chains, chunks and the batch were split into jobs
    cached = Executor(
        backend=backend,
        n_jobs=2,
        progress="off",
        cache=True,
        cache_dir=str(tmp_path),
        threads_per_job=1,
    )
    assert all(
        same(a, b) for a, b in zip(reference, cached.run_specs(_specs(inputs, walk)), strict=True)
    )
    assert cached.stats.computed == cached.stats.chunks > 0


@pytest.mark.parametrize("backend", ["sequential", "loky"])
def test_jobs_run_with_the_threads_asked_whatever_this_process_has(
    backend, inputs, walk, monkeypatch
):
    import torch

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    own = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        executor = Executor(backend=backend, n_jobs=2, progress="off", threads_per_job=1)
        [outputs] = executor.run_specs([WalkForwardSpec(ThreadReporting(), walk, inputs, "t")])
        assert torch.get_num_threads() == 2  # this process's own count is given back
    finally:
        torch.set_num_threads(own)
    assert os.environ["OMP_NUM_THREADS"] == "3"
    assert {value for series in outputs for value in series.dropna()} == {101.0}


def test_loky_sends_a_chain_one_chunk_at_a_time_with_its_state(inputs, walk, monkeypatch):
    from aisfolio.strategies.execution import dispatch as module

    sent, original = [], module.pool_dataflow

    def recording(function, pieces, release, workers, threads):
        def recorded(key, output):
            released = list(release(key, output))
            sent.extend(item for _, _, item in released)
            return released

        first = list(pieces)
        sent.extend(item for _, _, item in first)
        return original(function, first, recorded, workers, threads)

    monkeypatch.setattr(module, "pool_dataflow", recording)
    executor = Executor(backend="loky", n_jobs=2, progress="off")
    outputs = executor.run(small_arima(), walk, inputs)
    assert same(outputs, walk.run_many(small_arima(), inputs))
    chunks = sum(len(walk.plan(series.index, small_arima())) for series in inputs)
    assert [len(job.tasks) for job in sent] == [1] * chunks
    firsts = {id(job) for job in {job.tasks[0].source: job for job in reversed(sent)}.values()}
    assert len(firsts) == len(inputs)
    # each chain's first chunk starts afresh, every later one from the state returned
    assert all((job.carry is None) == (id(job) in firsts) for job in sent)


def test_ray_backend_gives_the_same_forecasts(ray_head, inputs, walk):
    reference = _reference(inputs, walk)
    executor = Executor(backend="ray", n_jobs=2, progress="off", min_parallel_seconds=0)
    outputs = executor.run_specs(_specs(inputs, walk))
    assert all(same(a, b) for a, b in zip(reference, outputs, strict=True))


def test_a_second_identical_run_performs_no_fit(sp500, tmp_path):
    walk = WalkForward(refit="monthly", min_train=20)
    executor = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    CountingMomentum.fits = 0
    first = executor.run(CountingMomentum(lookback=10), walk, [sp500])
    fits = CountingMomentum.fits
    assert fits == len(walk.plan(sp500.index, Momentum(lookback=10))) > 100
    again = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    second = again.run(CountingMomentum(lookback=10), walk, [sp500])
    assert CountingMomentum.fits == fits
    assert again.stats.computed == 0 and again.stats.cached == fits
    assert same(first, second)
    other = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    other.run(CountingMomentum(lookback=11), walk, [sp500])  # new parameters: new fits
    assert other.stats.computed == fits


def test_a_truncated_entry_is_detected_and_recomputed(inputs, walk, tmp_path, caplog):
    executor = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    first = executor.run(small_arima(), walk, inputs)
    entries = sorted(tmp_path.rglob("*.entry"))
    assert len(entries) == executor.stats.chunks
    # The last chunk of a chain: truncating it forces exactly that chunk again.
    generator, prices = small_arima(), inputs[0]
    digest, key = generator_digest(generator), None
    for chunk in walk.plan(prices.index, generator):
        key = chunk_key(digest, chunk_task(prices, chunk), key)
    victim = ChunkCache(tmp_path).path(key)
    victim.write_bytes(victim.read_bytes()[:-40])
    rerun = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    second = rerun.run(small_arima(), walk, inputs)
    assert "corrupt or truncated" in caplog.text
    assert rerun.stats.computed == 1
    assert same(first, second)
    assert ChunkCache(tmp_path).load(key) is not None  # written again, intact


def test_an_entry_copied_over_another_keys_file_is_recomputed(sp500, tmp_path, caplog):
    walk = WalkForward(window="expanding", min_train=252, refit="every_k", every=63)
    executor = Executor(progress="off", cache=True, cache_dir=str(tmp_path), backend="sequential")
    first = executor.run(Momentum(lookback=10), walk, [sp500])
    generator, key, keys = Momentum(lookback=10), None, []
    digest = generator_digest(generator)
    for chunk in walk.plan(sp500.index, generator):
        key = chunk_key(digest, chunk_task(sp500, chunk))
        keys.append(key)
    cache = ChunkCache(tmp_path)
    # An intact entry of another chunk (other forecasts) under the first chunk's name.
    cache.path(keys[0]).write_bytes(cache.path(keys[1]).read_bytes())
    rerun = Executor(progress="off", cache=True, cache_dir=str(tmp_path), backend="sequential")
    second = rerun.run(Momentum(lookback=10), walk, [sp500])
    assert "holds the result of another key" in caplog.text
    assert rerun.stats.computed == 1
    assert same(first, second)
    assert cache.load(keys[0]) is not None  # written again under its own key


def test_a_cache_below_a_file_runs_without_caching_and_warns_once(sp500, tmp_path, caplog):
    import aisfolio.strategies.execution.cache as cache_module

    (tmp_path / "file").write_text("not a folder")
    directory = tmp_path / "file" / "cache"
    cache_module._UNWRITABLE.discard(directory)
    walk = WalkForward(window="expanding", min_train=252, refit="every_k", every=63)
    executor = Executor(progress="off", cache=True, cache_dir=str(directory), backend="sequential")
    forecasts = executor.run(Momentum(lookback=10), walk, [sp500])
    plain = Executor(progress="off", cache=False).run(Momentum(lookback=10), walk, [sp500])
    assert same(forecasts, plain)
    assert caplog.text.count("cannot be written") == 1


def test_a_lost_chunk_resumes_its_chain_from_the_chunk_before(inputs, walk, tmp_path):
    executor = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    first = executor.run(small_arima(), walk, inputs)
    generator, prices = small_arima(), inputs[1]
    plan = walk.plan(prices.index, generator)
    digest, keys = generator_digest(generator), []
    for chunk in plan:
        keys.append(chunk_key(digest, chunk_task(prices, chunk, 1), keys[-1] if keys else None))
    ChunkCache(tmp_path).path(keys[2]).unlink()
    rerun = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    second = rerun.run(small_arima(), walk, inputs)
    assert rerun.stats.computed == len(plan) - 2  # chunk 2 and the rest of its chain
    assert same(first, second)
    # The diagnostics of a run served from the cache equal those of a computed run.
    warm, computed = small_arima(), small_arima()
    Executor(progress="off", cache=True, cache_dir=str(tmp_path)).run(warm, walk, inputs)
    walk.run_many(computed, inputs)
    pd.testing.assert_frame_equal(warm.diagnostics_, computed.diagnostics_)


def test_appended_days_keep_the_keys_of_finished_chunks(walk):
    """A rerun on a longer price file reuses every chunk whose rows did not change."""
    generator = small_arima()
    prices, longer = assets(end="2005-05-31")[0], assets(end="2005-09-30")[0]
    digest = generator_digest(generator)

    def keys(series):
        out = []
        for chunk in walk.plan(series.index, generator):
            out.append(chunk_key(digest, chunk_task(series, chunk), out[-1] if out else None))
        return out

    short, long = keys(prices), keys(longer)
    assert short[:-1] == long[: len(short) - 1]  # finished quarters: same keys
    assert short[-1] != long[len(short) - 1]  # the last quarter gained days
    assert len(long) > len(short)


def test_new_days_in_the_last_block_are_forecast_without_a_new_fit(sp500, tmp_path):
    """Days appended inside the last refit period: the last chunk's forecasts are
    recomputed from the fitted generator stored under its (unchanged) training window."""
    walk = WalkForward(refit="monthly", min_train=20)
    short, longer = sp500.loc[:"2010-06-15"], sp500.loc[:"2010-06-29"]
    first = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    first.run(CountingMomentum(lookback=10), walk, [short])
    fits = CountingMomentum.fits
    again = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    grown = again.run(CountingMomentum(lookback=10), walk, [longer])
    assert again.stats.computed == 1  # the last chunk's forecasts, from its stored fit
    assert CountingMomentum.fits == fits
    assert same(grown, walk.run_many(Momentum(lookback=10), [longer]))


def test_appended_days_fit_only_the_new_windows_of_a_batch_generator(inputs, tmp_path):
    """Windows of a batch generator are cached one by one: a rerun on longer prices fits
    the new windows only (together), reuses the others, and equals a run from scratch."""
    walk = WalkForward(refit="yearly")
    short = [series.loc[:"2004-03-31"] for series in inputs]
    # One thread, as the uninterrupted run in this process below.
    first = Executor(progress="off", cache=True, cache_dir=str(tmp_path), threads_per_job=1)
    first.run(_tiny_lstm(), walk, short)
    windows = sum(len(walk.plan(series.index, _tiny_lstm())) for series in short)
    assert first.stats.fits == first.stats.computed == windows > 3
    again = Executor(progress="off", cache=True, cache_dir=str(tmp_path), threads_per_job=1)
    grown = again.run(_tiny_lstm(), walk, inputs)
    longer = sum(len(walk.plan(series.index, _tiny_lstm())) for series in inputs)
    assert longer == windows + len(inputs)  # one new year per asset, and days after it
    assert again.stats.fits == again.stats.computed == len(inputs)
    assert again.stats.cached == windows
    assert same(grown, walk.run_many(_tiny_lstm(), inputs))


def test_a_rerun_of_a_batch_generator_loads_its_forecasts_and_no_fit(inputs, tmp_path, monkeypatch):
    """The forecasts made from a batch generator's fits are stored too: the same run again
    reads them, with the generator's failure log, and neither loads a fit nor predicts."""
    walk = WalkForward(refit="yearly")
    short = [series.loc[:"2003-12-31"] for series in inputs]
    model = _tiny_lstm()
    first = Executor(progress="off", cache=True, cache_dir=str(tmp_path)).run(model, walk, short)

    def refuse(*args, **kwargs):
        raise AssertionError("a fit was loaded or a forecast made again")

    monkeypatch.setattr(ChunkCache, "load", _loads_only_forecasts(ChunkCache.load))
    monkeypatch.setattr(LSTMGenerator, "predict_batch", refuse)
    again = Executor(progress="off", cache=True, cache_dir=str(tmp_path))
    rerun = _tiny_lstm()
    second = again.run(rerun, walk, short)
    assert same(first, second)
    assert again.stats.computed == again.stats.fits == 0
    pd.testing.assert_frame_equal(rerun.failure_log_, model.failure_log_)


def _loads_only_forecasts(load):
    def checked(store, key):
        value = load(store, key)
        assert value is None or isinstance(value, dict), "a fitted window was loaded"
        return value

    return checked


def test_keys_follow_parameters_and_training_data(sp500):
    chunk = WalkForward(refit="yearly", min_train=300).plan(sp500.index, Momentum())[2]
    task = chunk_task(sp500, chunk)
    base = chunk_key(generator_digest(Momentum(lookback=10)), task)
    assert base == chunk_key(generator_digest(Momentum(lookback=10)), task)
    assert base != chunk_key(generator_digest(Momentum(lookback=11)), task)
    changed = sp500.copy()
    changed.iloc[chunk.train_start + 5] *= 1.0001  # one price inside the training window
    assert base != chunk_key(generator_digest(Momentum(lookback=10)), chunk_task(changed, chunk))
    # A stacked input names its asset in columns.name: two assets with equal frames do
    # not share entries (each refit's record names its own asset).
    frame = sp500.to_frame("price")
    named = [frame.rename_axis(columns=name) for name in ("SP500", "COPY")]
    keys = {chunk_key(generator_digest(Momentum()), chunk_task(f, chunk)) for f in named}
    assert len(keys) == 2


def test_cache_entries_are_checked_and_writers_do_not_collide(tmp_path):
    cache = ChunkCache(tmp_path)
    key = "ab" * 32
    assert cache.load(key) is None
    value = {"forecasts": np.arange(1000.0)}
    threads = [threading.Thread(target=cache.store, args=(key, value)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert np.array_equal(cache.load(key)["forecasts"], value["forecasts"])
    assert [p.name for p in cache.path(key).parent.iterdir()] == [f"{key}.entry"]
    data = cache.path(key).read_bytes()
    cache.path(key).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one flipped bit
    assert cache.load(key) is None and not cache.path(key).exists()
    cache.store(key, value)
    info = cache.info()
    assert info.entries == 1 and info.size_bytes > 8000
    assert cache.clear().entries == 1 and cache.info().entries == 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="backend"):
        Executor(backend="dask")
    with pytest.raises(ValueError, match="progress"):
        Executor(progress="loud")
    with pytest.raises(ValueError, match="n_jobs"):
        Executor(n_jobs=0)


_KILLED_RUN = textwrap.dedent(
    """
    import json, sys
    from aisfolio.strategies.execution import Executor
    from tests.strategies.execution_helpers import assets, quarterly_from, small_arima

    inputs = assets("2001-01-01", "2006-06-30")
    walk = quarterly_from(inputs, "2004-01-01")
    executor = Executor(backend=sys.argv[1], n_jobs=2, cache=True, cache_dir=sys.argv[2],
                        progress="off", min_parallel_seconds=0)
    out = executor.run(small_arima(), walk, inputs)
    print(json.dumps({"computed": executor.stats.computed, "chunks": executor.stats.chunks}))
    """
)


def test_a_run_killed_mid_way_resumes_to_the_uninterrupted_result(tmp_path):
    cache_dir = tmp_path / "cache"
    command = [sys.executable, "-c", _KILLED_RUN, "loky", str(cache_dir)]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while len(list(cache_dir.rglob("*.entry"))) < 6:
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the run and its workers, at once
        process.wait()
    assert process.returncode == -signal.SIGKILL
    finished = len(list(cache_dir.rglob("*.entry")))
    inputs = assets("2001-01-01", "2006-06-30")
    walk = quarterly_from(inputs, "2004-01-01")
    total = sum(len(walk.plan(s.index, small_arima())) for s in inputs)
    assert 6 <= finished < total
    rerun = subprocess.run(
        [sys.executable, "-c", _KILLED_RUN, "sequential", str(cache_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(rerun.stdout) == {"computed": total - finished, "chunks": total}
    resumed = Executor(progress="off", cache=True, cache_dir=str(cache_dir))
    forecasts = resumed.run(small_arima(), walk, inputs)
    assert resumed.stats.computed == 0
    assert same(forecasts, walk.run_many(small_arima(), inputs))
