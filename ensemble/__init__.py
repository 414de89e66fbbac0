"""Blends of AIS: the paper's equal-weight ensembles and hedges, online combiners."""

from ensemble.combination import Combination
from ensemble.groups import EnsembleGroup, line_name
from ensemble.online import OnlineCombiner
from ensemble.online_baselines import (
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
)
from ensemble.paper import ENSEMBLE_I, PaperEnsembles
from ensemble.universal import AcceleratedUniversalCombiner, UniversalCombiner
from ensemble.weights import EqualWeight, FixedWeights, TargetWeights

__all__ = [
    "ENSEMBLE_I",
    "AcceleratedUniversalCombiner",
    "BuyAndHoldCombiner",
    "Combination",
    "EnsembleGroup",
    "EqualWeight",
    "EqualWeightCombiner",
    "ExponentiatedGradientCombiner",
    "FixedWeights",
    "FollowTheBestCombiner",
    "OnlineCombiner",
    "PaperEnsembles",
    "TargetWeights",
    "UniversalCombiner",
    "line_name",
]
