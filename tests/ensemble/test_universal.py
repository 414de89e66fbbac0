import math
from collections import defaultdict
from fractions import Fraction
from math import factorial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize, minimize_scalar

from aisfolio.ensemble import AcceleratedUniversalCombiner, UniversalCombiner
from aisfolio.ensemble.simplex import quasi_random_simplex
from aisfolio.ensemble.universal import DEFAULT_SAMPLES

# -- an independent reference: Cover's integral in exact rational arithmetic ---------------


def _moment(powers: tuple[int, ...]) -> Fraction:
    """E[prod b_k ** a_k] under the uniform distribution on the simplex, exactly."""
    k = len(powers)
    numerator = factorial(k - 1)
    for a in powers:
        numerator *= factorial(a)
    return Fraction(numerator, factorial(sum(powers) + k - 1))


def _cover_reference(gross: np.ndarray) -> tuple[np.ndarray, Fraction]:
    """Weights held in each period and final wealth of Cover's universal portfolio.

    ``W_t(b)`` is kept as a polynomial (exponent tuple -> rational coefficient).
    """
    k = gross.shape[1]
    poly: dict[tuple[int, ...], Fraction] = {(0,) * k: Fraction(1)}
    held = []
    for x in gross:
        total = sum(c * _moment(a) for a, c in poly.items())
        held.append(
            [
                float(
                    sum(
                        c * _moment(tuple(a[i] + (i == j) for i in range(k)))
                        for a, c in poly.items()
                    )
                    / total
                )
                for j in range(k)
            ]
        )
        grown: dict[tuple[int, ...], Fraction] = defaultdict(Fraction)
        for a, c in poly.items():
            for j in range(k):
                grown[tuple(a[i] + (i == j) for i in range(k))] += c * Fraction(float(x[j]))
        poly = grown
    return np.array(held), sum(c * _moment(a) for a, c in poly.items())


def _effective(gross: np.ndarray) -> np.ndarray:
    """Gross returns as a combiner sees them through simple returns, ``1 + (g - 1)``."""
    return 1.0 + (np.asarray(gross, dtype=float) - 1.0)


def _held(combiner, gross: np.ndarray) -> np.ndarray:
    """Weights held over each period (the first before any return)."""
    k = gross.shape[1]
    combiner.reset(k)
    first = combiner.weights
    after = combiner.update_many(gross - 1.0)
    return np.vstack([first, after[:-1]])


def _log_wealth(held: np.ndarray, gross: np.ndarray) -> float:
    with np.errstate(divide="ignore"):
        return float(np.log(np.einsum("ij,ij->i", held, gross)).sum())


def _best_constant_mix(gross: np.ndarray) -> float:
    """log W_T of the best constant mix: a fine grid, then a local concave maximization."""
    k = gross.shape[1]

    def log_wealth(b):
        with np.errstate(divide="ignore"):
            return np.log(gross @ np.asarray(b).T).sum(axis=0)

    if k == 2:
        u = np.linspace(0.0, 1.0, 2001)
        grid = log_wealth(np.column_stack([u, 1 - u]))
        start = u[np.argmax(grid)]
        lo, hi = max(0.0, start - 1e-3), min(1.0, start + 1e-3)
        res = minimize_scalar(lambda v: -log_wealth([v, 1 - v]), bounds=(lo, hi), method="bounded")
        return float(max(grid.max(), -res.fun))
    m = 120
    i, j = np.meshgrid(np.arange(m + 1), np.arange(m + 1), indexing="ij")
    keep = i + j <= m
    b = np.column_stack([i[keep], j[keep], m - i[keep] - j[keep]]) / m
    grid = log_wealth(b)
    start = b[np.argmax(grid)]
    res = minimize(
        lambda v: -log_wealth(np.clip(v, 0, None) / np.clip(v, 0, None).sum()),
        start,
        method="SLSQP",
        bounds=[(1e-12, 1.0)] * 3,
        constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1.0}],
    )
    best = grid.max()
    if res.success:
        best = max(best, -float(res.fun))
    return float(best)


# -- exactness -----------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "periods"), [(2, 30), (3, 9)])
def test_exact_mixture_equals_covers_integral_in_rational_arithmetic(k, periods):
    gross = np.random.default_rng(k).uniform(0.3, 2.5, size=(periods, k))
    expected_held, expected_wealth = _cover_reference(gross)
    combiner = UniversalCombiner()
    held = _held(combiner, gross)
    np.testing.assert_allclose(held, expected_held, rtol=1e-12, atol=1e-14)
    assert combiner.exact_
    assert combiner.log_wealth_ == pytest.approx(np.log(float(expected_wealth)), abs=1e-12)


def test_exact_rule_grows_with_the_horizon_and_stays_exact():
    gross = np.random.default_rng(7).uniform(0.5, 1.8, size=(40, 2))
    expected_held, _ = _cover_reference(gross)
    combiner = UniversalCombiner()
    held = _held(combiner, gross)
    # 8 nodes are exact for 14 periods; 40 periods need 32 nodes (two doublings, replays).
    assert combiner.nodes_ == 32 and combiner.exact_
    np.testing.assert_allclose(held, expected_held, rtol=1e-11, atol=1e-14)


def test_beyond_the_node_budget_the_rule_is_fixed_and_flagged():
    gross = np.random.default_rng(8).uniform(0.5, 1.8, size=(200, 3))
    combiner = UniversalCombiner(max_nodes=100)  # 10 nodes per dimension: exact to t = 18
    combiner.update_many(gross[:18] - 1)
    assert combiner.exact_ and combiner.nodes_ == 100
    combiner.update_many(gross[18:] - 1)
    assert not combiner.exact_ and combiner.nodes_ == 100
    # The a-posteriori guarantee of a discrete prior still holds exactly.
    points, log_prior = combiner.mixes_, np.log(combiner.prior_)  # the final 10 x 10 rule
    node_log_wealth = np.log(gross @ points.T).sum(axis=0)
    np.testing.assert_allclose(combiner.mix_log_wealth_, node_log_wealth, rtol=1e-12)
    assert combiner.log_wealth_ >= (node_log_wealth + log_prior).max() - 1e-9
    np.testing.assert_allclose(
        combiner.log_wealth_, np.log(np.exp(node_log_wealth + log_prior).sum()), rtol=1e-12
    )


# -- Cover's bound: W_T >= W_T(best constant mix) / (T + 1) ** (K - 1) ----------------------

_gross_values = st.one_of(st.floats(0.0, 4.0), st.sampled_from([0.0, 1e-3, 0.5, 1.0, 2.0, 1e3]))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 3), st.integers(1, 40), st.data())
def test_covers_bound_on_random_sequences(k, periods, data):
    values = data.draw(st.lists(_gross_values, min_size=periods * k, max_size=periods * k))
    gross = _effective(np.array(values).reshape(periods, k))
    gross = gross[(gross > 0).any(axis=1)]  # a row where everything dies is ignored
    if len(gross) == 0:
        return
    combiner = UniversalCombiner()
    log_wealth = _log_wealth(_held(combiner, gross), gross)
    assert combiner.exact_
    assert log_wealth == pytest.approx(combiner.log_wealth_, abs=1e-9)
    bound = _best_constant_mix(gross) - (k - 1) * np.log(len(gross) + 1)
    assert log_wealth >= bound - 1e-9


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 3), st.lists(st.integers(0, 2), min_size=1, max_size=60))
def test_covers_bound_when_one_component_wins_everything_each_period(k, winners):
    # x_t = e_{k_t}: the sequences that make Cover's bound nearly tight.
    gross = np.eye(k)[[w % k for w in winners]]
    combiner = UniversalCombiner()
    log_wealth = _log_wealth(_held(combiner, gross), gross)
    counts = np.bincount([w % k for w in winners], minlength=k)
    freq = counts / counts.sum()
    best = float(sum(c * np.log(f) for c, f in zip(counts, freq, strict=True) if c > 0))
    assert log_wealth >= best - (k - 1) * np.log(len(winners) + 1) - 1e-9


@pytest.mark.parametrize(("k", "periods"), [(2, 400), (3, 120)])
def test_covers_bound_against_an_adaptive_adversary(k, periods):
    # Each period everything is lost except in the component the combiner holds least.
    combiner = UniversalCombiner().reset(k)
    counts = np.zeros(k)
    log_wealth = 0.0
    for _ in range(periods):
        w = combiner.weights
        loser = int(np.argmin(w))
        log_wealth += np.log(w[loser])
        counts[loser] += 1
        combiner.update(np.eye(k)[loser] - 1.0)
    freq = counts / periods
    best = float(sum(c * np.log(f) for c, f in zip(counts, freq, strict=True) if c > 0))
    assert combiner.exact_
    assert log_wealth >= best - (k - 1) * np.log(periods + 1) - 1e-9
    assert log_wealth == pytest.approx(combiner.log_wealth_, abs=1e-9)


# -- sampling ------------------------------------------------------------------------------


def test_sampled_mixture_approaches_the_exact_one_as_samples_grow():
    gross = np.random.default_rng(3).uniform(0.6, 1.5, size=(150, 3))
    exact = _held(UniversalCombiner(), gross)
    errors = [
        np.abs(_held(UniversalCombiner(samples=s, seed=1), gross) - exact).max()
        for s in (64, 1024, 16384)
    ]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 2e-4


def test_sampled_wealth_is_the_average_of_the_sampled_mixes_and_beats_the_best_by_log_n():
    gross = np.random.default_rng(4).uniform(0.7, 1.4, size=(300, 6))
    combiner = UniversalCombiner(samples=512, seed=2)
    log_wealth = _log_wealth(_held(combiner, gross), gross)
    points, _ = quasi_random_simplex(6, 512, seed=2)
    mixes = np.log(gross @ points.T).sum(axis=0)
    assert log_wealth == pytest.approx(np.log(np.exp(mixes).mean()), abs=1e-9)
    assert log_wealth >= mixes.max() - np.log(512) - 1e-9
    assert not combiner.exact_ and combiner.nodes_ == 512


def test_vertex_weight_guarantees_the_best_component_up_to_log_k_over_v():
    rng = np.random.default_rng(5)
    gross = rng.uniform(0.9, 1.1, size=(500, 40))
    gross[:, 7] *= 1.02  # one component is much better than any mix
    combiner = UniversalCombiner(samples=256, vertex_weight=0.2)
    log_wealth = _log_wealth(_held(combiner, gross), gross)
    best = np.log(gross).sum(axis=0).max()
    assert log_wealth >= best - np.log(40 / 0.2) - 1e-9
    plain = UniversalCombiner(samples=256)
    assert log_wealth > _log_wealth(_held(plain, gross), gross)


def test_more_than_three_components_are_sampled_by_default():
    combiner = UniversalCombiner().reset(4)
    assert combiner.nodes_ == DEFAULT_SAMPLES and not combiner.exact_
    np.testing.assert_allclose(combiner.weights, 0.25, atol=2e-3)


# -- accelerated variant -------------------------------------------------------------------


def test_sharpness_one_is_the_universal_mixture():
    gross = np.random.default_rng(6).uniform(0.6, 1.5, size=(60, 3))
    np.testing.assert_array_equal(
        _held(AcceleratedUniversalCombiner(sharpness=1.0), gross),
        _held(UniversalCombiner(), gross),
    )


def test_sharper_posteriors_move_faster_towards_the_best_mix_so_far():
    rng = np.random.default_rng(9)
    gross = rng.uniform(0.97, 1.03, size=(400, 2))
    gross[:, 0] += 0.004  # component 0 is persistently better: the best mix is all in it
    held = {s: _held(AcceleratedUniversalCombiner(sharpness=s), gross)[-1, 0] for s in (1, 8, 64)}
    assert held[1] < held[8] < held[64] <= 1.0
    assert held[64] > 0.95


# -- long horizons, parameters -------------------------------------------------------------


def test_thousands_of_extreme_periods_stay_finite_and_on_the_simplex():
    rng = np.random.default_rng(10)
    gross = np.exp(rng.normal([0.5, 0.0], 1.0, size=(3000, 2)))  # wealth ratios ~ e^1500
    for combiner in (UniversalCombiner(), AcceleratedUniversalCombiner(), UniversalCombiner(64)):
        weights = combiner.update_many(gross - 1)
        assert np.isfinite(weights).all() and (weights >= 0).all()
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
        assert np.isfinite(combiner.log_wealth_)


def test_extreme_single_periods_are_handled_in_logs_and_stay_exact():
    # Rows whose wealth ratios leave e^600 cannot be multiplied out in linear space.
    gross = np.array(
        [[1.2, 0.9], [1e-250, 1.0], [1.1, 1.0], [1e300, 1e-300], [0.0, 1.0], [0.9, 1.3]] * 2
    )
    expected_held, expected_wealth = _cover_reference(gross)
    combiner = UniversalCombiner()
    np.testing.assert_allclose(_held(combiner, gross), expected_held, rtol=1e-11, atol=1e-300)
    expected_log = math.log(expected_wealth.numerator) - math.log(expected_wealth.denominator)
    assert combiner.log_wealth_ == pytest.approx(expected_log, rel=1e-12)
    sharp = AcceleratedUniversalCombiner(sharpness=64.0).update_many(gross - 1)
    assert np.isfinite(sharp).all() and np.allclose(sharp.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: UniversalCombiner(samples=-1), "samples"),
        (lambda: UniversalCombiner(max_nodes=0), "max_nodes"),
        (lambda: UniversalCombiner(vertex_weight=1.0), "vertex_weight"),
        (lambda: AcceleratedUniversalCombiner(sharpness=0.5), "sharpness"),
        (lambda: AcceleratedUniversalCombiner(sharpness=float("inf")), "sharpness"),
    ],
)
def test_bad_parameters_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()
