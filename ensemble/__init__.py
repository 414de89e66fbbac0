"""Blends of AIS: the paper's equal-weight ensembles and hedges, online combiners, and a
regularized meta-learner (stacking) with its baselines."""

from ensemble.combination import Combination
from ensemble.dedup import DroppedPredictor, deduplicate
from ensemble.folds import ChronologicalSplit
from ensemble.groups import EnsembleGroup, line_name
from ensemble.meta_features import META_FEATURES, meta_features
from ensemble.meta_generator import StackedForecaster
from ensemble.online import OnlineCombiner
from ensemble.online_baselines import (
    BuyAndHoldCombiner,
    EqualWeightCombiner,
    ExponentiatedGradientCombiner,
    FollowTheBestCombiner,
)
from ensemble.paper import ENSEMBLE_I, PaperEnsembles
from ensemble.stacking import RegularizedStacker
from ensemble.stacking_baselines import HillClimbing, InverseRMSEAverage, RidgeStack, SimpleAverage
from ensemble.universal import AcceleratedUniversalCombiner, UniversalCombiner
from ensemble.weights import EqualWeight, FixedWeights, TargetWeights

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
