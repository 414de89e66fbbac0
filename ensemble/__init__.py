"""Blends of AIS: the paper's equal-weight ensembles and hedges, online combiners, and a
regularized meta-learner (stacking) with its baselines."""

from aisfolio.ensemble.combination import Combination
from aisfolio.ensemble.dedup import DroppedPredictor, deduplicate
from aisfolio.ensemble.folds import ChronologicalSplit
from aisfolio.ensemble.groups import EnsembleGroup, line_name
from aisfolio.ensemble.meta_features import META_FEATURES, meta_features
from aisfolio.ensemble.meta_generator import StackedForecaster
from aisfolio.ensemble.online import OnlineCombiner
from aisfolio.ensemble.online_baselines import (
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
)
from aisfolio.ensemble.paper import ENSEMBLE_I, PaperEnsembles
from aisfolio.ensemble.stacking import RegularizedStacker
from aisfolio.ensemble.stacking_baselines import (
    HillClimbing,
    InverseRMSEAverage,
    RidgeStack,
    SimpleAverage,
)
from aisfolio.ensemble.universal import AcceleratedUniversalCombiner, UniversalCombiner
from aisfolio.ensemble.weights import EqualWeight, FixedWeights, TargetWeights

__all__ = [
    "ENSEMBLE_I",
    "META_FEATURES",
    "AcceleratedUniversalCombiner",
    "BuyAndHoldCombiner",
    "ChronologicalSplit",
    "Combination",
    "DroppedPredictor",
    "EnsembleGroup",
    "EqualWeight",
    "EqualWeightCombiner",
    "ExponentiatedGradientCombiner",
    "FixedWeights",
    "FollowTheBestCombiner",
    "HillClimbing",
    "InverseRMSEAverage",
    "OnlineCombiner",
    "PaperEnsembles",
    "RegularizedStacker",
    "RidgeStack",
    "SimpleAverage",
    "StackedForecaster",
    "TargetWeights",
    "UniversalCombiner",
    "deduplicate",
    "line_name",
    "meta_features",
]
