"""A working set of streams for long-only problems with many streams, with a certificate.

Long-only minimum variance and minimum CVaR with a budget and per-stream caps hold only
a few dozen of hundreds of streams, and from one rebalance to the next mostly the same
ones. The streams held last time (plus the most promising others) form a working set;
the problem is solved on the working set alone (the other weights at their lower bound,
zero), a small problem compiled once per size with cvxpy parameters; then the
optimality conditions of the full problem are checked at that answer. For
``min f(w)`` subject to ``sum(w) = b`` and ``0 <= w <= u``, weights ``w`` are optimal
when, with ``g`` a (sub)gradient of ``f`` at ``w``, some ``lam`` has ``g_i = lam``
where ``0 < w_i < u_i``, ``g_i >= lam`` where ``w_i = 0`` and ``g_i <= lam`` where
``w_i = u_i``. Streams outside the working set that break them (``g_i < lam``) join it
and the small problem is solved again; an answer is returned only once the full
conditions hold, so it is the full problem's optimum within the tolerance.

For the variance ``g = 2 S w``; interior-point weights only give the active set, and
the weights are recomputed exactly from it (a linear system) before the check. A
variance date first tries no solver at all: the exact weights of the previous date's
active set (free, at zero, at the cap) over all streams, corrected a few times when a
weight leaves its bounds or a fixed one should move, are returned when the full
problem's conditions hold at them; the working set answers otherwise. For the
CVaR (a linear program in Rockafellar-Uryasev form) ``g = -R' pi`` with ``pi`` the
scenario constraints' multipliers of the small problem. The CVaR's scenarios are
screened the same way: the small problem keeps the scenarios of the largest losses;
a scenario left out must have its loss at most ``alpha`` (its excess is then zero and
its multiplier zero), else it joins. With both checks the small problem's primal and
dual answers are feasible and complementary for the full linear program. A CVaR date
first tries the vertex of the previous date's optimal basis on the new scenarios (two
linear systems, no solver), returned when it is primal and dual feasible, so optimal.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import cvxpy as cp
import numpy as np

from aisfolio.portfolio.allocation.constraints import ResolvedConstraints
from aisfolio.portfolio.allocation.objectives import Objective
from aisfolio.portfolio.allocation.risk import square_root

if TYPE_CHECKING:
    from aisfolio.portfolio.allocation.problem import ProblemData

__all__ = ["WorkingSet", "screenable"]

log = logging.getLogger(__name__)

#: Fewest streams for which the working set is used (below, the full problem is small).
MIN_STREAMS = 32
#: The small problems have a multiple of this many streams (each size compiled when
#: first needed), fewer than the full problem's.
SLOTS = 16
#: Streams not held that join the first working set of a date, at least.
MARGIN = 16
#: Working-set rounds per date before giving up (the full problem then solves it).
ROUNDS = 8
#: Distance to a bound within which a weight counts as at it (interior-point answers
#: stop short of their bounds).
HELD = 1e-6
#: Relative tolerance of the optimality conditions.
TOLERANCE = 1e-7
#: Active-set corrections the variance's solver-free answer may make (each one a linear
#: solve) before the working set takes over.
DIRECT_ROUNDS = 8

_ACCEPTED = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE)
#: Options of the variance's small problems' solver: only their active set is used (the
#: weights are recomputed exactly), so looser interior-point tolerances do.
_LOOSE = {"CLARABEL": {"tol_gap_abs": 1e-6, "tol_gap_rel": 1e-6, "tol_feas": 1e-6}}


def screenable(objective: Objective, constraints: ResolvedConstraints) -> bool:
    """Whether the working set applies: minimum variance or CVaR, at least
    :data:`MIN_STREAMS` streams, long-only with a positive budget and finite caps and no
    other constraint."""
    c = constraints.settings
    return (
        objective.name in ("min_variance", "min_cvar")
        and len(constraints.names) >= MIN_STREAMS
        and c.budget is not None
        and c.budget > 0
        and c.leverage is None
        and not constraints.groups
        and c.turnover is None
        and c.cost_rate == 0
        and constraints.target is None
        and not (constraints.hedge is not None and c.min_hedge_weight > 0)
        and bool(np.all(constraints.lower == 0))
        and bool(np.all(np.isfinite(constraints.upper)))
        and bool(np.all(constraints.upper > 0))
    )


class _Small:
    """The problem on ``k`` streams and (CVaR) ``rows`` scenarios of the working set,
    compiled once per size; scenario slots beyond the working set's are zero rows of
    probability zero, which constrain nothing."""

    def __init__(self, name: str, k: int, rows: int, budget: float, level: float):
        self.v = cp.Variable(k, name="slot_weights")
        self.upper = cp.Parameter(k, nonneg=True, name="slot_caps")
        rules = [cp.sum(self.v) == budget, self.v >= 0, self.v <= self.upper]
        if name == "min_variance":
            self.root = cp.Parameter((k, k), name="slot_root")
            goal = cp.sum_squares(self.root @ self.v)
            self.scenario_rule = None
        else:
            self.scenarios = cp.Parameter((rows, k), name="slot_scenarios")
            self.probabilities = cp.Parameter(rows, nonneg=True, name="slot_probabilities")
            self.alpha = cp.Variable()
            excess = cp.Variable(rows, nonneg=True)
            self.scenario_rule = excess >= -self.scenarios @ self.v - self.alpha
            rules.append(self.scenario_rule)
            goal = self.alpha + self.probabilities @ excess / (1.0 - level)
        self.problem = cp.Problem(cp.Minimize(goal), rules)


class WorkingSet:
    """Solves a screenable problem on a working set of streams (see the module).

    Parameters
    ----------
    objective : Objective
        ``min_variance`` or ``min_cvar``.
    constraints : ResolvedConstraints
        Screenable constraints (:func:`screenable`).
    rows : int
        Rows of the scenario matrix.
    level : float
        CVaR confidence level.
    solver : str
        Solver of the small problems.

    Attributes
    ----------
    rounds : int
        Small problems solved so far.
    direct : int
        Dates answered without a solver, from last time's active set (variance) or
        optimal basis (CVaR), certified.
    misses : int
        Dates the working set gave up on (the full problem solved them).
    """

    def __init__(
        self,
        objective: Objective,
        constraints: ResolvedConstraints,
        rows: int,
        level: float,
        solver: str,
    ):
        self.name = objective.name
        self.upper = constraints.upper
        self.budget = float(constraints.settings.budget or 1.0)
        self.rows = rows
        self.level = level
        self.solver = solver
        self.previous: np.ndarray | None = None
        self.rounds = 0
        self.direct = 0
        self.misses = 0
        self._small: dict[tuple[int, int], _Small] = {}

    def remember(self, weights: np.ndarray) -> None:
        """Weights decided by other means (the full problem): the next start."""
        self.previous = weights.copy()

    def solve(self, data: ProblemData) -> np.ndarray | None:
        """Certified optimal weights, or None (too many rounds, a working set as large
        as the full problem, or a solver that failed: the caller solves the full
        problem)."""
        if self.previous is not None:
            weights = self._direct(data)
            if weights is not None:
                self.direct += 1
                self.previous = weights
                return weights
        n = len(self.upper)
        start = self.previous if self.previous is not None else np.full(n, self.budget / n)
        # The streams held last time and half as many best-looking others; the first
        # date: the best-looking at equal weights, twice as many as the caps need.
        held = start > HELD if self.previous is not None else np.zeros(n, dtype=bool)
        gradient = self._start_gradient(start, data)
        outside = np.flatnonzero(~held)
        least = int(np.ceil(self.budget / np.max(self.upper)))
        extra = max(MARGIN, int(held.sum()) // 2, least if held.any() else 2 * least)
        chosen = np.union1d(np.flatnonzero(held), outside[np.argsort(gradient[outside])[:extra]])
        scenes = self._start_scenes(start, data)
        for _ in range(ROUNDS):
            chosen = self._filled(chosen, gradient)
            if chosen is None:
                break
            found = self._solve_on(chosen, scenes, data)
            if found is None:
                break
            weights, gradient, lam, alpha = found
            if scenes is not None:
                missing = self._scenes_broken(weights, alpha, scenes, data)
                if missing.size:  # the losses of these scenarios exceed alpha: add them
                    scenes = np.union1d(scenes, missing)
                    continue
            late = self._violations(weights, gradient, lam, chosen)
            if late is None:
                break  # the small problem's own answer does not meet them: inaccurate
            if late.size == 0:
                self.previous = weights
                return weights
            chosen = np.union1d(chosen, late[: max(MARGIN, late.size // 2)])
        self.misses += 1
        log.debug("working set gave up (%d misses so far)", self.misses)
        return None

    def _direct(self, data: ProblemData) -> np.ndarray | None:
        """Certified optimal weights without a solver, from last time's answer, or None.

        Minimum variance: the exact weights of last time's active set over all streams
        (corrected a few times when a weight leaves its bounds or a fixed one should
        move), when the full problem's conditions hold at them. Minimum CVaR: the
        vertex of last time's optimal basis (:func:`_cvar_vertex`), when the full
        problem's conditions hold at it."""
        assert self.previous is not None
        everything = np.arange(len(self.upper))
        if self.name == "min_cvar":
            found = _cvar_vertex(self.previous, self.upper, self.budget, self.level, data)
        else:
            found = _polished(
                self.previous, everything, self.upper, self.budget, data, rounds=DIRECT_ROUNDS
            )
        if found is None:
            return None
        weights, gradient, lam = found
        late = self._violations(weights, gradient, lam, everything)
        return weights if late is not None and late.size == 0 else None

    def _start_gradient(self, weights: np.ndarray, data: ProblemData) -> np.ndarray:
        """Which streams look best at the start: the variance's gradient, or for the
        CVaR the mean loss in the worst scenarios of the start weights."""
        if self.name == "min_variance":
            return _variance_gradient(weights, data)
        losses = -data.scenarios @ weights
        live = data.probabilities > 0
        worst = live & (losses >= np.quantile(losses[live], self.level))
        return -data.scenarios[worst].mean(axis=0)

    def _start_scenes(self, weights: np.ndarray, data: ProblemData) -> np.ndarray | None:
        """CVaR: the scenarios of the largest losses of the start weights, three times
        as many as the tail holds (None: the variance, which has no scenarios)."""
        if self.name != "min_cvar":
            return None
        live = np.flatnonzero(data.probabilities > 0)
        losses = -data.scenarios[live] @ weights
        tail = int(np.ceil((1.0 - self.level) * live.size))
        count = max(2 * MARGIN, 3 * tail)
        return np.sort(live[np.argsort(-losses, kind="stable")[:count]])

    def _scenes_broken(
        self, weights: np.ndarray, alpha: float, scenes: np.ndarray, data: ProblemData
    ) -> np.ndarray:
        """Scenarios left out whose loss exceeds ``alpha`` (their excess would not be
        zero), worst first."""
        live = data.probabilities > 0
        live[scenes] = False
        losses = -data.scenarios @ weights
        tolerance = _tolerance(alpha, losses)
        broken = np.flatnonzero(live & (losses > alpha + tolerance))
        return broken[np.argsort(-losses[broken], kind="stable")]

    def _filled(self, chosen: np.ndarray, gradient: np.ndarray) -> np.ndarray | None:
        """The working set topped up to a slot count with the best-looking other
        streams (no slot is left empty: a slot capped at zero would leave an
        interior-point solver no interior), or None when no slot count fits."""
        n = len(self.upper)
        slots = SLOTS * int(np.ceil(chosen.size / SLOTS))
        if slots >= n:
            return None
        others = np.setdiff1d(np.arange(n), chosen)
        fill = others[np.argsort(gradient[others], kind="stable")[: slots - chosen.size]]
        return np.union1d(chosen, fill)

    def _solve_on(
        self, chosen: np.ndarray, scenes: np.ndarray | None, data: ProblemData
    ) -> tuple[np.ndarray, np.ndarray, float, float] | None:
        """Weights on the working set, the full (sub)gradient there, the budget's
        multiplier and (CVaR) alpha, or None."""
        slots = chosen.size
        if scenes is not None:
            rows = SLOTS * int(np.ceil(scenes.size / SLOTS))
            if rows >= self.rows:  # as many as the full problem: take them all
                scenes, rows = np.arange(self.rows), self.rows
        else:
            rows = 0
        small = self._small.get((slots, rows))
        if small is None:
            small = _Small(self.name, slots, rows, self.budget, self.level)
            self._small[(slots, rows)] = small
        small.upper.value = self.upper[chosen]
        if scenes is None:
            a, d = data.a[:, chosen], data.d[chosen]
            small.root.value = square_root(a.T @ a + np.diag(d**2))
        else:
            scenarios = np.zeros((rows, slots))
            scenarios[: scenes.size] = data.scenarios[np.ix_(scenes, chosen)]
            probabilities = np.zeros(rows)
            probabilities[: scenes.size] = data.probabilities[scenes]
            small.scenarios.value = scenarios
            small.probabilities.value = probabilities
        try:
            options = _LOOSE.get(self.solver, {}) if scenes is None else {}
            small.problem.solve(solver=self.solver, warm_start=True, **options)
        except (cp.SolverError, ValueError, ArithmeticError):
            return None
        self.rounds += 1
        if small.problem.status not in _ACCEPTED or small.v.value is None:
            return None
        weights = np.zeros(len(self.upper))
        weights[chosen] = np.clip(np.asarray(small.v.value, dtype=float), 0.0, None)
        weights[chosen] = np.minimum(weights[chosen], self.upper[chosen])
        if scenes is None:
            polished = _polished(weights, chosen, self.upper, self.budget, data)
            return None if polished is None else (*polished, 0.0)
        assert small.scenario_rule is not None
        pi = small.scenario_rule.dual_value
        if pi is None or not np.isfinite(pi).all() or small.alpha.value is None:
            return None
        # Scenarios left out have multiplier zero.
        gradient = -data.scenarios[scenes].T @ np.asarray(pi, dtype=float)[: scenes.size]
        lam = float(np.max(gradient[weights > HELD]))
        return weights, gradient, lam, float(small.alpha.value)

    def _violations(
        self, weights: np.ndarray, gradient: np.ndarray, lam: float, chosen: np.ndarray
    ) -> np.ndarray | None:
        """Streams outside the working set breaking the optimality conditions, worst
        first; None when one inside breaks them (the small problem was not solved
        accurately enough)."""
        held = weights > HELD
        free = held & (weights < self.upper - HELD)
        tolerance = _tolerance(lam, gradient)
        capped = held & ~free
        if (np.abs(gradient[free] - lam) > tolerance).any():
            return None
        if (gradient[capped] > lam + tolerance).any():
            return None
        late = np.flatnonzero(~held & (gradient < lam - tolerance))
        if np.isin(late, chosen).any():
            return None
        return late[np.argsort(gradient[late])]


def _tolerance(value: float, values: np.ndarray) -> float:
    """:data:`TOLERANCE` relative to the larger of ``|value|`` and ``max |values|``."""
    return TOLERANCE * max(abs(value), float(np.max(np.abs(values))), 1e-12)


def _variance_gradient(weights: np.ndarray, data: ProblemData) -> np.ndarray:
    """``2 S w`` with ``S = A'A + diag(d^2)`` in factored form."""
    a, d = data.a, data.d
    return 2.0 * (a.T @ (a @ weights) + d**2 * weights)


def _polished(
    weights: np.ndarray,
    chosen: np.ndarray,
    upper: np.ndarray,
    budget: float,
    data: ProblemData,
    rounds: int = 2 * ROUNDS,
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The exact minimum variance on the working set, from the interior-point answer's
    active set.

    Interior-point weights are accurate in the objective but, on ill-conditioned
    covariances, only to ~1e-4 in the gradient, too loose to check the optimality
    conditions. With the streams at zero and at their caps fixed, the free ones solve
    ``[2 S_FF, 1; 1', 0] [w_F; -lam] = [-2 S_FC u_C; budget - sum(u_C)]``. When a free
    weight leaves its bounds, or a fixed one of the working set has the wrong sign of
    ``g_i - lam``, the active set is corrected and the system solved again (``rounds``
    times at most; then None).
    """
    inside = np.zeros(len(weights), dtype=bool)
    inside[chosen] = True
    free = inside & (weights > HELD) & (weights < upper - HELD)
    capped = inside & (weights >= upper - HELD)
    a, d = data.a, data.d
    for _ in range(rounds):
        f = np.flatnonzero(free)
        fixed = np.where(capped, upper, 0.0)
        k = f.size
        system = np.zeros((k + 1, k + 1))
        system[:k, :k] = 2.0 * (a[:, f].T @ a[:, f] + np.diag(d[f] ** 2))
        system[:k, k] = system[k, :k] = 1.0
        rhs = np.empty(k + 1)
        rhs[:k] = -_variance_gradient(fixed, data)[f]
        rhs[k] = budget - fixed.sum()
        try:
            solution = np.linalg.solve(system, rhs)
        except np.linalg.LinAlgError:
            return None
        if not np.isfinite(solution).all():
            return None
        polished = fixed
        polished[f] = solution[:k]
        low, high = f[polished[f] <= 0], f[polished[f] > upper[f]]
        if low.size or high.size:  # out of bounds: fix them at the bound crossed
            free[low] = free[high] = False
            capped[high] = True
            continue
        lam = float(-solution[k])
        gradient = _variance_gradient(polished, data)
        tolerance = _tolerance(lam, gradient)
        wrong = (
            inside
            & ~free
            & ((capped & (gradient > lam + tolerance)) | (~capped & (gradient < lam - tolerance)))
        )
        if wrong.any():  # a fixed stream of the working set should move: free it
            free[wrong] = True
            capped[wrong] = False
            continue
        return polished, gradient, lam
    return None


def _cvar_vertex(
    weights: np.ndarray, upper: np.ndarray, budget: float, level: float, data: ProblemData
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The vertex of last time's optimal basis on this date's scenarios, with the
    gradient and the budget's multiplier there, when it is primal feasible and its
    scenario multipliers dual feasible, else None.

    The linear program's optimal vertex has free streams ``F`` (the others at zero or at
    their caps), tail scenarios ``H`` (loss above ``alpha``, multiplier at its upper
    bound ``c_s = p_s / (1 - level)``) and ``|F|`` scenarios ``K`` whose loss is
    ``alpha``. The basis is read off ``weights``: their active set, and the scenarios
    whose losses at ``weights`` are nearest the value at risk as ``K``, the larger ones
    as ``H``. Then ``w_F`` and ``alpha`` solve the ``K`` equalities and the budget, the
    multipliers ``pi_K`` and the budget's ``lam`` the transposed system (``g_i = lam``
    on ``F``, ``g = -R' pi``, ``sum(pi) = 1``). The vertex is returned only when, within
    :data:`TOLERANCE`, the weights are within their bounds, ``0 <= pi_K <= c_K`` and
    the losses are above ``alpha`` on ``H`` and below it elsewhere; with ``g_i >= lam``
    at zero and ``g_i <= lam`` at the caps (checked by the caller, as for the variance)
    it is optimal.
    """
    live = np.flatnonzero(data.probabilities > 0)
    r = data.scenarios[live]
    c = data.probabilities[live] / (1.0 - level)
    capped = weights >= upper - HELD
    f = np.flatnonzero((weights > HELD) & ~capped)
    k = f.size
    if k == 0 or k >= live.size:
        return None
    tail, tight = _scenario_sides(-r @ weights, c, k)
    fixed = np.where(capped, upper, 0.0)
    solved = _basis_solution(r, c, f, fixed, tail, tight, budget)
    if solved is None:
        return None
    primal, multipliers = solved
    w = fixed
    w[f] = primal[:k]
    pi = np.zeros(live.size)
    pi[tail] = c[tail]
    pi[tight] = multipliers[:k]
    alpha, lam = float(primal[k]), float(multipliers[k])
    feasible = _vertex_feasible(w, upper, budget, pi, c, tight, alpha)
    if not (feasible and _scenarios_hold(-r @ w, alpha, tail, tight)):
        return None
    return np.clip(w, 0.0, upper), -r.T @ pi, lam


def _basis_solution(
    r: np.ndarray,
    c: np.ndarray,
    f: np.ndarray,
    fixed: np.ndarray,
    tail: np.ndarray,
    tight: np.ndarray,
    budget: float,
) -> tuple[np.ndarray, np.ndarray] | None:
    """``[w_F; alpha]`` from ``-R_KF w_F - alpha = R_K fixed`` and the budget, and
    ``[pi_K; lam]`` from ``-R_KF' pi_K - lam = R_HF' c_H`` and ``sum(pi_K) = 1 -
    sum(c_H)``; None when the basis is singular."""
    k = f.size
    block = -r[np.ix_(tight, f)]
    system = np.zeros((k + 1, k + 1))
    system[:k, :k] = block
    system[:k, k] = -1.0
    system[k, :k] = 1.0
    dual = np.zeros((k + 1, k + 1))
    dual[:k, :k] = block.T
    dual[:k, k] = -1.0
    dual[k, :k] = 1.0
    try:
        primal = np.linalg.solve(system, np.append(r[tight] @ fixed, budget - fixed.sum()))
        multipliers = np.linalg.solve(
            dual, np.append(r[np.ix_(tail, f)].T @ c[tail], 1.0 - c[tail].sum())
        )
    except np.linalg.LinAlgError:
        return None
    return primal, multipliers


def _vertex_feasible(
    w: np.ndarray,
    upper: np.ndarray,
    budget: float,
    pi: np.ndarray,
    c: np.ndarray,
    tight: np.ndarray,
    alpha: float,
) -> bool:
    """Finite numbers, weights within their bounds (to rounding) and the tied
    scenarios' multipliers within ``[0, c]``."""
    if not (np.isfinite(w).all() and np.isfinite(pi).all() and np.isfinite(alpha)):
        return False
    slack = 1e-12 * budget
    if (w < -slack).any() or (w > upper + slack).any():
        return False
    reach = TOLERANCE * float(np.max(c))
    return not ((pi[tight] < -reach).any() or (pi[tight] > c[tight] + reach).any())


def _scenarios_hold(losses: np.ndarray, alpha: float, tail: np.ndarray, tight: np.ndarray) -> bool:
    """Complementarity of the scenarios: tail losses at least ``alpha``, the others
    (bar the tied ones, at ``alpha`` by construction) at most ``alpha``."""
    reach = _tolerance(alpha, losses)
    rest = np.ones(losses.size, dtype=bool)
    rest[tail] = rest[tight] = False
    return not ((losses[tail] < alpha - reach).any() or (losses[rest] > alpha + reach).any())


def _scenario_sides(losses: np.ndarray, c: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The tail and the ``k`` scenarios taken as tied at the value at risk: the losses
    nearest the one where the cumulated ``c`` (largest losses first) reaches 1, and
    the larger ones."""
    order = np.argsort(-losses, kind="stable")
    q = min(int(np.searchsorted(np.cumsum(c[order]), 1.0 - 1e-12)), losses.size - 1)
    var = losses[order[q]]
    tight = np.argsort(np.abs(losses - var), kind="stable")[:k]
    inside = np.zeros(losses.size, dtype=bool)
    inside[tight] = True
    return np.flatnonzero(~inside & (losses > var)), tight
