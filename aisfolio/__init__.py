"""aisfolio: an ensemble strategy portfolio manager.

The installed package is one namespace: :mod:`aisfolio.strategies` (generators and
the walk-forward engine), :mod:`aisfolio.ensemble` (blends of strategies) and
:mod:`aisfolio.portfolio` (data, backtests, allocation, reports, the pipeline and the
command line), with their Hydra configs in ``aisfolio.conf``.
"""
