"""Points and weights on the simplex of mixes, for integrals under the uniform prior.

Two kinds of rule, each returning ``(points, weights)``: ``points`` of shape ``(M, K)``
(every row a mix: non-negative, summing to 1) and positive ``weights`` of shape ``(M,)``
summing to 1, so that ``weights @ f(points)`` approximates the mean of ``f`` under the
uniform (Dirichlet(1, ..., 1)) distribution on the simplex.

- :func:`gauss_simplex_rule`: Gaussian product rules for ``K <= 3`` that are *exact*
  for every polynomial of total degree ``<= 2n - 1`` (Gauss-Legendre for ``K = 2``;
  the conical product of Gauss-Jacobi and Gauss-Legendre rules for ``K = 3``).
- :func:`quasi_random_simplex`: scrambled Sobol' points mapped to the simplex through
  normalized exponentials (the Dirichlet(1) construction), equal weights, any ``K``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import roots_jacobi, roots_legendre
from scipy.stats import qmc

__all__ = ["exact_degree", "gauss_simplex_rule", "quasi_random_simplex", "with_vertices"]

#: Sobol' sequences in scipy are defined up to this dimension.
_SOBOL_MAX_DIM = 21201


def exact_degree(k: int, n: int) -> float:
    """Highest total degree integrated exactly by ``gauss_simplex_rule(k, n)``.

    Infinite for ``K = 1`` (the simplex is one point).
    """
    return float("inf") if k == 1 else float(2 * n - 1)


def gauss_simplex_rule(k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian product rule on the simplex of ``k <= 3`` components.

    Parameters
    ----------
    k : {1, 2, 3}
        Number of components.
    n : int
        Nodes per dimension (``n ** (k - 1)`` points in all).

    Returns
    -------
    points : ndarray of shape (n ** (k - 1), k)
    weights : ndarray of shape (n ** (k - 1),)
        Positive, summing to 1; exact for polynomials of total degree ``<= 2n - 1``
        under the uniform distribution on the simplex.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if k == 1:
        return np.ones((1, 1)), np.ones(1)
    if k == 2:
        u, w = _legendre01(n)
        return np.column_stack([u, 1.0 - u]), w.copy()
    if k == 3:
        # b1 = s, b2 = (1 - s) v, b3 = (1 - s)(1 - v); the Jacobian (1 - s) is the
        # Gauss-Jacobi weight, so degree d in b is degree <= d in s and in v.
        s, ws = _jacobi01(n)
        v, wv = _legendre01(n)
        s_grid, v_grid = np.meshgrid(s, v, indexing="ij")
        s_flat, v_flat = s_grid.ravel(), v_grid.ravel()
        points = np.column_stack([s_flat, (1.0 - s_flat) * v_flat, (1.0 - s_flat) * (1.0 - v_flat)])
        weights = np.outer(ws, wv).ravel()
        return points, weights / weights.sum()
    raise ValueError(f"exact rules exist for 1 to 3 components, got {k}")


@lru_cache(maxsize=16)
def _legendre01(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = roots_legendre(n)
    u, weights = (x + 1.0) / 2.0, w / w.sum()
    u.setflags(write=False)
    weights.setflags(write=False)
    return u, weights


@lru_cache(maxsize=16)
def _jacobi01(n: int) -> tuple[np.ndarray, np.ndarray]:
    # Weight (1 - x) on [-1, 1] is 2 (1 - s) on [0, 1].
    x, w = roots_jacobi(n, 1.0, 0.0)
    s, weights = (x + 1.0) / 2.0, w / w.sum()
    s.setflags(write=False)
    weights.setflags(write=False)
    return s, weights


def quasi_random_simplex(k: int, samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Equal-weight quasi-random mixes, uniform on the simplex.

    Scrambled Sobol' points ``u`` (the first ``samples`` of a base-2 sequence) become
    ``e = -log(1 - u)`` and then ``e / sum(e)``: the Dirichlet(1, ..., 1) construction,
    deterministic for a given seed. Beyond Sobol's dimension limit (21201 components),
    pseudo-random uniforms are used instead.

    Parameters
    ----------
    k : int
        Number of components.
    samples : int
        Number of mixes.
    seed : int, default 0
        Seed of the scrambling.

    Returns
    -------
    points : ndarray of shape (samples, k)
    weights : ndarray of shape (samples,)
        ``1 / samples`` each.
    """
    if k < 1 or samples < 1:
        raise ValueError(f"need k >= 1 and samples >= 1, got k={k}, samples={samples}")
    if k == 1:
        return np.ones((samples, 1)), np.full(samples, 1.0 / samples)
    if k <= _SOBOL_MAX_DIM:
        m = max(0, int(np.ceil(np.log2(samples))))
        u = qmc.Sobol(k, scramble=True, seed=seed).random_base2(m)[:samples]
    else:
        u = np.random.default_rng(seed).random((samples, k))
    e = -np.log1p(-u)
    e[e.sum(axis=1) == 0.0] = 1.0  # an all-zero draw (probability ~0) becomes the centre
    return e / e.sum(axis=1, keepdims=True), np.full(samples, 1.0 / samples)


def with_vertices(
    points: np.ndarray, weights: np.ndarray, vertex_weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """Add the ``K`` vertices (the components themselves) with total prior mass ``vertex_weight``.

    The other weights are scaled by ``1 - vertex_weight``; nothing changes when it is 0.
    """
    if not 0.0 <= vertex_weight < 1.0:
        raise ValueError(f"vertex_weight must be within [0, 1), got {vertex_weight}")
    if vertex_weight == 0.0:
        return points, weights
    k = points.shape[1]
    return (
        np.vstack([points, np.eye(k)]),
        np.concatenate([weights * (1.0 - vertex_weight), np.full(k, vertex_weight / k)]),
    )
