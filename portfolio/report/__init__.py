"""Reports of runs, rebalances and sweeps.

:func:`build_report` gathers a run's numbers (:class:`Report`), :func:`write_report`
writes ``report.html`` (self-contained), ``report.md`` and machine-readable files;
:mod:`aisfolio.app.sweep_summary` summarizes a multirun.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "files": ["write_report"],
        "model": ["Report", "ReportSettings", "build_report"],
    },
)
