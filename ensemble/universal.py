r"""Cover's universal portfolio over strategies, and its accelerated (sharpened) variant.

Each component strategy is a synthetic asset with gross period returns
:math:`x_t \in \mathbb{R}_{\ge 0}^K`. A *constant mix* :math:`b` in the simplex
:math:`\Delta_K` rebalances to fractions :math:`b` every period; after :math:`T` periods
its wealth is :math:`W_T(b) = \prod_{t \le T} b \cdot x_t`. The universal combination
holds, for period :math:`t + 1`, the wealth-weighted average of all mixes

.. math:: \hat b_{t+1} = \frac{\int b\, W_t(b)\, d\mu(b)}{\int W_t(b)\, d\mu(b)},

with :math:`\mu` the uniform distribution on :math:`\Delta_K`. Its wealth is then the
prior average of the mixes' wealths, :math:`\hat W_T = \int W_T(b)\, d\mu(b)` (the
mixture-of-experts identity; it holds for any prior, discrete ones included).

Guarantees (no assumption on the returns)
-----------------------------------------
**Exact version** (``samples=0`` and ``K <= 3``). :math:`W_t` is a polynomial of degree
``t`` in :math:`b`, so the numerator has degree ``t + 1``: a Gaussian product rule with
``n`` nodes per dimension (:func:`aisfolio.ensemble.simplex.gauss_simplex_rule`, exact up to degree
``2n - 1``) computes :math:`\hat b_{t+1}` exactly (up to floating-point rounding) while
``t <= 2n - 2``. The rule starts with ``n = 8`` and doubles ``n`` (replaying the stored
history on the new nodes) whenever ``t`` would exceed that, up to ``n ** (K - 1) <=
max_nodes``. While exact, Cover and Ordentlich (1996, uniform prior) give, for every
sequence of returns,

.. math:: \log \hat W_T \ge \max_{b \in \Delta_K} \log W_T(b) - (K - 1)\log(T + 1),

so the combination's growth rate is eventually that of the best constant mix, and its
wealth eventually exceeds every component's (:math:`b = e_k`) whenever mixing beats the
best component by more than :math:`(K-1)\log(T+1)/T` per period. With the default
``max_nodes = 2 ** 16`` that is 131,070 periods for ``K = 2`` and 510 periods for
``K = 3``; :attr:`UniversalCombiner.exact_` says whether the run so far is exact.

**Sampled version and fixed rules** (``samples > 0``, or ``K > 3``, or beyond the exact
range). The prior becomes the discrete rule :math:`\sum_i w_i \delta_{b_i}`
(quasi-random mixes with ``w_i = 1 / samples``, or the last Gaussian rule) and the
identity :math:`\hat W_T = \sum_i w_i W_T(b_i)` still holds exactly. For every node,
and for every mix :math:`b` with :math:`\rho_i(b) = \min_{k: b_k > 0} b_{ik} / b_k`,

.. math:: \log \hat W_T \ge \log W_T(b_i) + \log w_i
          \ge \log W_T(b) - \log(1/w_i) - T \log(1/\rho_i(b)),

i.e. within ``log(samples)`` of the best *sampled* mix, always; against an arbitrary mix
the bound degrades with how well the samples cover it, and with many components no
sample is close to a single component. With ``vertex_weight = v > 0`` the components
themselves join the prior with mass ``v / K`` each, which adds
:math:`\log \hat W_T \ge \max_k \log W_T(e_k) - \log(K / v)` for any number of
components (and scales the other bounds by ``1 - v``). Quasi-random samples approach the
exact integral as ``samples`` grows (the tests check it).

**Accelerated variant** (:class:`AcceleratedUniversalCombiner`). The posterior is
sharpened, :math:`\hat b_{t+1} \propto \int b\, W_t(b)^{\eta}\, d\mu(b)` with sharpness
:math:`\eta > 1`: the same state, a faster-concentrating average that tends to "follow
the best constant mix so far" (the best mix in hindsight of the past, shrunk towards
the prior average) as :math:`\eta \to \infty`. It moves away from persistent losers
and towards a persistently better mix faster, at the cost of diversification and of the
worst-case guarantee, which holds for :math:`\eta = 1` only. Whether that pays depends
on the components; ``benchmarks/combiner.py`` measures it (``docs/benchmarks.md``): on
the project's AIS with costs, sharpness 16 gives 2.2 to 2.7 times the universal
mixture's wealth with a higher Sharpe ratio; on the stock data sets of the online
portfolio selection literature, where the uniform mix is hard to beat, less of both.

Cost: a period costs O(nodes x K): one vector-matrix product for the mixes' growth, one
for the posterior mean, element-wise products in between. Blocks of periods are done
with matrix-matrix products and in linear space relative to the block's start (one
``exp`` and one ``log`` per mix and block); the state between blocks is the log-wealth
of each mix, so thousands of periods neither overflow nor underflow (blocks are cut so
that no product inside one leaves ``e^{+-600}``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from aisfolio.ensemble.online import OnlineCombiner, row_sums
from aisfolio.ensemble.simplex import gauss_simplex_rule, quasi_random_simplex, with_vertices

__all__ = ["DEFAULT_SAMPLES", "AcceleratedUniversalCombiner", "UniversalCombiner"]

#: Samples used when ``samples=0`` but there are more than 3 components.
DEFAULT_SAMPLES = 4096
#: Nodes per dimension of the first exact rule.
_FIRST_LEVEL = 8
#: Elements of the (periods x nodes) work arrays of one block.
_BLOCK_ELEMENTS = 1 << 19
#: Largest log of a wealth ratio multiplied out in linear space (doubles reach e^709).
_LOG_RANGE = 600.0


class UniversalCombiner(OnlineCombiner):
    """Cover's universal portfolio over component strategies (uniform prior).

    Parameters
    ----------
    samples : int, default 0
        0: the exact integral for up to 3 components (:data:`DEFAULT_SAMPLES` quasi-random
        mixes for more); otherwise that many quasi-random mixes whatever ``K``.
    seed : int, default 0
        Seed of the quasi-random mixes.
    max_nodes : int, default 65536
        Node budget of the exact rule (``n ** (K - 1)`` nodes); see the module notes.
    vertex_weight : float, default 0.0
        Prior mass given to the components themselves (0: the pure uniform prior).

    Attributes
    ----------
    exact_ : bool
        Whether every weight so far is the exact integral under the prior (uniform, plus
        the vertices when ``vertex_weight > 0``).
    nodes_ : int
        Number of mixes tracked.
    mixes_, prior_, mix_log_wealth_ : ndarray
        The tracked mixes, their prior weights and their log-wealths so far: the
        combination's wealth is ``prior_ @ exp(mix_log_wealth_)`` (no costs).

    Examples
    --------
    >>> combiner = UniversalCombiner().update([[0.01, -0.02], [0.03, 0.0]])
    >>> combiner.weights.round(4)  # int u (1.01u + .98(1-u))(1.03u + 1-u) du / int (...) du
    array([0.505, 0.495])
    >>> combiner.exact_, combiner.nodes_
    (True, 8)
    """

    sharpness: float = 1.0

    def __init__(
        self,
        samples: int = 0,
        seed: int = 0,
        max_nodes: int = 65536,
        vertex_weight: float = 0.0,
    ):
        if samples < 0:
            raise ValueError(f"samples must be >= 0, got {samples}")
        if max_nodes < 1:
            raise ValueError(f"max_nodes must be >= 1, got {max_nodes}")
        if not 0.0 <= vertex_weight < 1.0:
            raise ValueError(f"vertex_weight must be within [0, 1), got {vertex_weight}")
        self.samples = samples
        self.seed = seed
        self.max_nodes = max_nodes
        self.vertex_weight = vertex_weight

    # -- state ----------------------------------------------------------------------------

    @property
    def exact_(self) -> bool:
        """True while every weight is the exact integral (``K <= 3``, ``samples=0``, in range)."""
        self._check_started()
        return self._level > 0 and self._absorbed <= self._exact_through()

    @property
    def nodes_(self) -> int:
        """Number of mixes tracked (nodes of the rule, or samples, plus vertices)."""
        self._check_started()
        return len(self._log_wealth)

    @property
    def mix_log_wealth_(self) -> np.ndarray:
        """Log-wealth of every tracked mix since the start (rows of :attr:`mixes_`)."""
        self._check_started()
        return self._log_wealth.copy()

    @property
    def mixes_(self) -> np.ndarray:
        """The tracked mixes (nodes x K) and, in :attr:`prior_`, their prior weights."""
        self._check_started()
        return self._points.copy()

    @property
    def prior_(self) -> np.ndarray:
        """Prior weight of each tracked mix (sums to 1)."""
        self._check_started()
        return np.exp(self._log_prior)

    def _start(self, k: int) -> np.ndarray:
        self._level = min(_FIRST_LEVEL, self._max_level(k)) if self._exact_mode(k) else 0
        self._absorbed = 0
        self._history: list[np.ndarray] = []
        self._build_rule(k)
        self._log_wealth = np.zeros(len(self._points))
        return self._posterior_mean(self._log_wealth)

    def _arrays(self) -> dict[str, np.ndarray]:
        k = self.n_components_
        history = np.concatenate(self._history) if self._history else np.zeros((0, k))
        return {
            "level": np.array(self._level),
            "absorbed": np.array(self._absorbed),
            "log_wealth": self._log_wealth,
            "history": history,
        }

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self._level = int(arrays["level"])
        self._absorbed = int(arrays["absorbed"])
        history = np.array(arrays["history"], dtype=float).reshape(-1, self.n_components_)
        self._history = [history] if len(history) else []
        self._build_rule(self.n_components_)
        self._log_wealth = np.array(arrays["log_wealth"], dtype=float)
        if self._log_wealth.shape != (len(self._points),):
            raise ValueError("the saved log-wealths do not match the combiner's nodes")

    # -- the algorithm ----------------------------------------------------------------------

    def _build_rule(self, k: int) -> None:
        if self._level > 0:
            points, weights = gauss_simplex_rule(k, self._level)
        else:
            points, weights = quasi_random_simplex(k, self.samples or DEFAULT_SAMPLES, self.seed)
        points, weights = with_vertices(points, weights, self.vertex_weight)
        self._points = np.ascontiguousarray(points)
        self._points_t = np.ascontiguousarray(points.T)
        with np.errstate(divide="ignore"):
            self._log_prior = np.log(weights)
        # Work arrays reused by every block (fresh large arrays cost page faults).
        rows = self._block_rows()
        self._growth_buffer = np.empty((rows, len(points)))
        self._score_buffer = np.empty((rows, len(points)))

    def _exact_mode(self, k: int) -> bool:
        return self.samples == 0 and k <= 3

    def _max_level(self, k: int) -> int:
        if k == 1:
            return 1
        return max(1, int(np.floor(self.max_nodes ** (1.0 / (k - 1)) + 1e-9)))

    def _exact_through(self) -> float:
        """Last period count for which the current rule is exact (numerator degree t + 1)."""
        k = self.n_components_
        if k == 1:
            return float("inf")
        return float(2 * self._level - 2)

    def _can_grow(self) -> bool:
        return 0 < self._level < self._max_level(self.n_components_)

    def _grow(self) -> None:
        """Double the exact rule's nodes per dimension and replay the history on them."""
        self._level = min(2 * self._level, self._max_level(self.n_components_))
        self._build_rule(self.n_components_)
        self._log_wealth = np.zeros(len(self._points))
        history = np.concatenate(self._history) if self._history else None
        self._history = [history] if history is not None else []
        if history is not None:
            for block in self._blocks(history):
                self._block(block, weights=False)
        if not self._can_grow():
            self._history = []  # no more replays

    def _advance(self, gross: np.ndarray) -> np.ndarray:
        out = np.empty_like(gross)
        done = 0
        while done < len(gross):
            if self._can_grow() and self._absorbed + 1 > self._exact_through():
                self._grow()
                continue
            room = len(gross) - done
            if self._can_grow():
                room = min(room, int(self._exact_through()) - self._absorbed)
                self._history.append(gross[done : done + room].copy())
            for block in self._blocks(gross[done : done + room]):
                out[done : done + len(block)] = self._block(block, weights=True)
                done += len(block)
                self._absorbed += len(block)
        return out

    def _block_rows(self) -> int:
        return max(1, _BLOCK_ELEMENTS // len(self._points))

    def _blocks(self, gross: np.ndarray) -> Iterator[np.ndarray]:
        """Runs of rows whose wealth products stay far from overflow and underflow.

        A mix's growth over a row lies between the row's smallest and largest gross
        return, so a run whose ``sharpness * sum(max |log gross|)`` is at most
        :data:`_LOG_RANGE` can be multiplied out in linear space.
        """
        with np.errstate(divide="ignore"):
            spread = self.sharpness * np.maximum(
                np.abs(np.log(gross.max(axis=1))), np.abs(np.log(gross.min(axis=1)))
            )
        limit, start = self._block_rows(), 0
        while start < len(gross):
            stop, budget = start + 1, spread[start]
            while stop < len(gross) and stop - start < limit:
                budget += spread[stop]
                if not budget <= _LOG_RANGE:
                    break
                stop += 1
            yield gross[start:stop]
            start = stop

    def _block(self, gross: np.ndarray, weights: bool) -> np.ndarray | None:
        """Take in a block of periods; return the weights decided after each (if asked).

        Linear space inside the block: ``growth[r]`` is each mix's wealth relative to
        the block's start after row ``r``; the posterior is that times the posterior at
        the start (one ``exp`` per mix and block), and the log-wealths move on by one
        ``log`` per mix and block. A single row beyond the safe range is done in logs.
        """
        growth = self._growth_buffer[: len(gross)]
        np.matmul(gross, self._points_t, out=growth)
        for row in range(1, len(growth)):  # cumulative products, in time order
            np.multiply(growth[row], growth[row - 1], out=growth[row])
        with np.errstate(divide="ignore"):
            last_log = np.log(growth[-1])
        linear = len(gross) > 1 or self.sharpness * np.abs(last_log).max() <= _LOG_RANGE
        start = self._log_wealth
        self._log_wealth = start + last_log
        if not weights:
            return None
        if not linear:  # one extreme period
            return self._posterior_mean(self._log_wealth)[None, :]
        posterior = self._score_buffer[: len(gross)]
        if self.sharpness != 1.0:
            np.power(growth, self.sharpness, out=posterior)
            posterior *= self._prior_weights(start)
        else:
            np.multiply(growth, self._prior_weights(start), out=posterior)
        mix = np.matmul(posterior, self._points)
        return mix / row_sums(mix)[:, None]

    def _prior_weights(self, log_wealth: np.ndarray) -> np.ndarray:
        """``prior x W ** sharpness`` up to a constant (largest 1), from log-wealths."""
        score = self.sharpness * log_wealth + self._log_prior
        score -= score.max()
        return np.exp(score, out=score)

    def _posterior_mean(self, log_wealth: np.ndarray) -> np.ndarray:
        """The (sharpened) posterior mean mix for the given log-wealths."""
        mix = np.matmul(self._prior_weights(log_wealth), self._points)
        return mix / row_sums(mix[None, :])[0]


class AcceleratedUniversalCombiner(UniversalCombiner):
    """Universal combination with a sharpened posterior: faster adaptation, less diversification.

    Weights are the mean mix under ``prior x W_t(b) ** sharpness`` (see the module notes):
    ``sharpness=1`` is :class:`UniversalCombiner`; larger values follow the best constant
    mix so far more closely. No worst-case guarantee for ``sharpness > 1``.

    Parameters
    ----------
    sharpness : float, default 16.0
        Exponent of the mixes' wealths in the posterior (>= 1).
    samples, seed, max_nodes, vertex_weight
        As for :class:`UniversalCombiner` (the rule is exact only for the unsharpened
        integral; here it is an accurate quadrature).
    """

    def __init__(
        self,
        sharpness: float = 16.0,
        samples: int = 0,
        seed: int = 0,
        max_nodes: int = 65536,
        vertex_weight: float = 0.0,
    ):
        if not np.isfinite(sharpness) or sharpness < 1.0:
            raise ValueError(f"sharpness must be a finite number >= 1, got {sharpness}")
        super().__init__(samples, seed, max_nodes, vertex_weight)
        self.sharpness = sharpness
