import numpy as np
import pytest

from aisfolio.ensemble import (
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
    UniversalCombiner,
)

RETURNS = np.array([[0.10, -0.05, 0.0], [-0.20, 0.10, 0.05], [0.0, 0.0, 0.30]])


def test_equal_weight_is_the_uniform_mix_every_period():
    combiner = EqualWeightCombiner()
    np.testing.assert_allclose(combiner.update_many(RETURNS), np.full((3, 3), 1 / 3))
    expected = np.log(1 + RETURNS.mean(axis=1)).sum()
    assert combiner.log_wealth_ == pytest.approx(expected)


def test_buy_and_hold_weights_are_wealth_shares_and_its_wealth_the_average():
    combiner = BuyAndHoldCombiner()
    weights = combiner.update_many(RETURNS)
    wealth = np.cumprod(1 + RETURNS, axis=0)
    np.testing.assert_allclose(weights, wealth / wealth.sum(axis=1, keepdims=True))
    assert combiner.log_wealth_ == pytest.approx(np.log(wealth[-1].mean()))


def test_follow_the_best_holds_the_leader_and_ties_share():
    combiner = FollowTheBestCombiner().reset(3)
    np.testing.assert_allclose(combiner.weights, [1 / 3, 1 / 3, 1 / 3])
    weights = combiner.update_many(RETURNS)
    # Wealths: (1.1, .95, 1), (.88, 1.045, 1.05), (.88, 1.045, 1.365).
    np.testing.assert_allclose(weights, [[1, 0, 0], [0, 0, 1], [0, 0, 1]])
    tie = FollowTheBestCombiner().update([0.1, 0.1, 0.0])
    np.testing.assert_allclose(tie.weights, [0.5, 0.5, 0.0])


def test_exponentiated_gradient_by_hand():
    eta = 0.3
    combiner = ExponentiatedGradientCombiner(learning_rate=eta)
    weights = combiner.update_many(RETURNS[:2])
    b = np.full(3, 1 / 3)
    for row, x in enumerate(1 + RETURNS[:2]):
        b = b * np.exp(eta * x / (b @ x))
        b /= b.sum()
        np.testing.assert_allclose(weights[row], b, rtol=1e-13)


def test_the_adaptive_adversary_ruins_follow_the_best_but_not_the_universal_mixture():
    # The adversary of the Cover-bound tests: only the least-held component survives.
    results = {}
    for combiner in (FollowTheBestCombiner(), UniversalCombiner()):
        combiner.reset(2)
        for _ in range(50):
            loser = int(np.argmin(combiner.weights))
            combiner.update(np.eye(2)[loser] - 1.0)
        results[type(combiner).__name__] = combiner.log_wealth_
    assert results["FollowTheBestCombiner"] == -np.inf
    assert results["UniversalCombiner"] >= 50 * np.log(0.5) - np.log(51)


def test_bad_learning_rate():
    with pytest.raises(ValueError, match="learning_rate"):
        ExponentiatedGradientCombiner(learning_rate=0.0)
