"""Blends of AIS: the paper's equal-weight ensembles and hedges, online combiners, and a
regularized meta-learner (stacking) with its baselines."""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "combination": ["Combination"],
        "dedup": ["DroppedPredictor", "deduplicate"],
        "folds": ["ChronologicalSplit"],
        "groups": ["EnsembleGroup", "LineKind", "line_name"],
        "meta_features": ["META_FEATURES", "meta_features"],
        "meta_generator": ["StackedForecaster"],
        "online": ["OnlineCombiner"],
        "online_baselines": [
            "BuyAndHoldCombiner",
            "EqualWeightCombiner",
            "ExponentiatedGradientCombiner",
            "FollowTheBestCombiner",
        ],
        "paper": ["ENSEMBLE_I", "PaperEnsembles"],
        "stacking": ["RegularizedStacker"],
        "stacking_baselines": ["HillClimbing", "InverseRMSEAverage", "RidgeStack", "SimpleAverage"],
        "universal": ["AcceleratedUniversalCombiner", "UniversalCombiner"],
        "weights": ["EqualWeight", "FixedWeights", "TargetWeights"],
    },
)
