import numpy as np
import pandas as pd
import pytest

from aisfolio.ensemble import ENSEMBLE_I, EqualWeight, FixedWeights, PaperEnsembles

ASSETS = ["SP500", "NASDAQ", "WTI"]
COMPONENTS = ["momentum", "contrarian"]


def test_type_one_mixes_each_assets_component_strategies():
    groups = PaperEnsembles().type_one_groups(ASSETS, COMPONENTS)
    assert [g.name for g in groups] == ["SP500/ensemble_I", "NASDAQ/ensemble_I", "WTI/ensemble_I"]
    assert groups[0].members == ("SP500/momentum", "SP500/contrarian")
    assert groups[0].rebalance == "quarterly" and groups[0].cost_rate is None


def test_type_two_mixes_each_strategy_across_assets():
    groups = PaperEnsembles().type_two_groups(ASSETS, COMPONENTS)
    assert [g.name for g in groups] == ["ensemble_II/momentum", "ensemble_II/contrarian"]
    assert groups[1].members == ("SP500/contrarian", "NASDAQ/contrarian", "WTI/contrarian")


def test_hedges_pair_the_base_line_with_the_same_line_of_each_other_asset():
    groups = PaperEnsembles(hedge_base="WTI", hedge_weight=0.6).hedge_groups(
        ASSETS, ["momentum", ENSEMBLE_I]
    )
    assert [g.name for g in groups] == [
        "hedge/WTI+SP500/momentum",
        "hedge/WTI+SP500/ensemble_I",
        "hedge/WTI+NASDAQ/momentum",
        "hedge/WTI+NASDAQ/ensemble_I",
    ]
    assert groups[1].members == ("WTI/ensemble_I", "SP500/ensemble_I")
    np.testing.assert_allclose(
        groups[0].targets.weights_at(pd.DataFrame(np.zeros((1, 2)))), [0.6, 0.4]
    )


def test_families_can_be_switched_off_and_single_members_make_no_ensemble():
    plan = PaperEnsembles(type_one=False, hedges=False)
    assert plan.type_one_groups(ASSETS, COMPONENTS) == []
    assert plan.hedge_groups(ASSETS, COMPONENTS) == []
    assert PaperEnsembles().type_one_groups(ASSETS, ["momentum"]) == []
    assert PaperEnsembles().type_two_groups(["SP500"], COMPONENTS) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rebalance": "daily"}, "rebalance"),
        ({"hedge_weight": 1.5}, "hedge_weight"),
        ({"cost_rate": -1.0}, "cost_rate"),
    ],
)
def test_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PaperEnsembles(**kwargs)


def test_unknown_hedge_base_is_named():
    with pytest.raises(ValueError, match="hedge_base 'GOLD'"):
        PaperEnsembles(hedge_base="GOLD").hedge_groups(ASSETS, COMPONENTS)


def test_weights():
    history = pd.DataFrame(np.zeros((3, 4)))
    np.testing.assert_allclose(EqualWeight().weights_at(history), 0.25)
    with pytest.raises(ValueError, match="sum to 1"):
        FixedWeights([0.5, 0.6])
    with pytest.raises(ValueError, match="2 weights for 4 streams"):
        FixedWeights([0.5, 0.5]).weights_at(history)
