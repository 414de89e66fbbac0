"""Blends of AIS: the paper's equal-weight ensembles and hedges, online combiners."""

from ensemble.combination import Combination
from ensemble.groups import EnsembleGroup, line_name
from ensemble.paper import ENSEMBLE_I, PaperEnsembles
from ensemble.weights import EqualWeight, FixedWeights, TargetWeights

__all__ = [
    "ENSEMBLE_I",
    "Combination",
    "EnsembleGroup",
    "EqualWeight",
    "FixedWeights",
    "PaperEnsembles",
    "TargetWeights",
    "line_name",
]
