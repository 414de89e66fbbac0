import numpy as np
import pytest
from scipy.special import gammaln

from aisfolio.ensemble.simplex import (
    exact_degree,
    gauss_simplex_rule,
    quasi_random_simplex,
    with_vertices,
)


def _dirichlet_moment(powers):
    """E[prod b_k ** a_k] under the uniform distribution on the simplex."""
    a = np.asarray(powers, dtype=float)
    k = len(a)
    return np.exp(gammaln(k) + gammaln(a + 1).sum() - gammaln(a.sum() + k))


def _rule_moment(points, weights, powers):
    return float(weights @ np.prod(points ** np.asarray(powers, dtype=float), axis=1))


@pytest.mark.parametrize("n", [1, 2, 5, 16, 64])
def test_gauss_rules_are_exact_up_to_degree_2n_minus_1(n):
    d = 2 * n - 1
    points, weights = gauss_simplex_rule(2, n)
    for a in range(d + 1):
        for b in (d - a, max(0, d - a - 1)):
            exact = _dirichlet_moment([a, b])
            assert _rule_moment(points, weights, [a, b]) == pytest.approx(exact, rel=1e-11)
    points, weights = gauss_simplex_rule(3, n)
    for a in range(0, d + 1, max(1, d // 7)):
        for b in range(0, d - a + 1, max(1, d // 5)):
            powers = [a, b, d - a - b]
            exact = _dirichlet_moment(powers)
            assert _rule_moment(points, weights, powers) == pytest.approx(exact, rel=1e-11)
    assert exact_degree(3, n) == d


@pytest.mark.parametrize("k", [2, 3])
def test_gauss_rules_are_not_exact_beyond_their_degree(k):
    n = 4
    points, weights = gauss_simplex_rule(k, n)
    powers = [2 * n] + [0] * (k - 1)
    assert abs(_rule_moment(points, weights, powers) / _dirichlet_moment(powers) - 1) > 1e-6


@pytest.mark.parametrize("k", [1, 2, 3])
def test_gauss_rule_points_are_mixes_with_positive_weights(k):
    points, weights = gauss_simplex_rule(k, 9)
    assert points.shape == (9 ** (k - 1), k)
    assert (points >= 0).all() and np.allclose(points.sum(axis=1), 1.0, atol=1e-15)
    assert (weights > 0).all() and weights.sum() == pytest.approx(1.0, abs=1e-14)


def test_gauss_rules_only_for_up_to_three_components():
    with pytest.raises(ValueError, match="1 to 3"):
        gauss_simplex_rule(4, 3)
    with pytest.raises(ValueError, match="n must be"):
        gauss_simplex_rule(2, 0)


def test_quasi_random_mixes_are_uniform_on_the_simplex_and_seeded():
    points, weights = quasi_random_simplex(5, 4096, seed=3)
    assert points.shape == (4096, 5) and (points > 0).all()
    assert np.allclose(points.sum(axis=1), 1.0, atol=1e-14)
    assert np.allclose(weights, 1 / 4096)
    # Dirichlet(1) moments: E[b_k] = 1/5, E[b_k^2] = 2 / (5 * 6).
    np.testing.assert_allclose(points.mean(axis=0), 0.2, atol=2e-3)
    np.testing.assert_allclose((points**2).mean(axis=0), 2 / 30, atol=2e-3)
    np.testing.assert_array_equal(points, quasi_random_simplex(5, 4096, seed=3)[0])
    assert not np.array_equal(points, quasi_random_simplex(5, 4096, seed=4)[0])
    assert quasi_random_simplex(3, 100)[0].shape == (100, 3)


def test_vertices_join_the_prior_with_the_given_mass():
    points, weights = gauss_simplex_rule(2, 4)
    more, mass = with_vertices(points, weights, 0.25)
    np.testing.assert_array_equal(more[-2:], np.eye(2))
    np.testing.assert_allclose(mass[-2:], [0.125, 0.125])
    assert mass.sum() == pytest.approx(1.0)
    assert with_vertices(points, weights, 0.0)[0] is points
    with pytest.raises(ValueError, match="vertex_weight"):
        with_vertices(points, weights, 1.0)
