"""The application around the domain: Hydra configs composed into a run's parts
(``composition``, ``config``), the ``aisfolio`` command (``cli``), the run folder and its
outputs (``run_folder``, ``outputs``), the rebalance workflow (``rebalancing``) and the
sweep summary callback (``sweep_callback``)."""
