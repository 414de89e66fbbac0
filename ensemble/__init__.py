"""Blends of AIS: the paper's equal-weight ensembles and hedges (more to come)."""

from ensemble.paper import ENSEMBLE_I, EnsembleGroup, PaperEnsembles, line_name
from ensemble.weights import EqualWeight, FixedWeights

__all__ = [
    "ENSEMBLE_I",
    "EnsembleGroup",
    "EqualWeight",
    "FixedWeights",
    "PaperEnsembles",
    "line_name",
]
