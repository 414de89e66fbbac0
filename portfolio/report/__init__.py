"""Reports of runs, rebalances and sweeps.

:func:`build_report` gathers a run's numbers (:class:`Report`), :func:`write_report`
writes ``report.html`` (self-contained), ``report.md`` and machine-readable files;
:mod:`aisfolio.portfolio.report.sweep` summarizes a multirun.
"""

from aisfolio.portfolio.report.files import write_report
from aisfolio.portfolio.report.model import Report, ReportSettings, build_report

__all__ = ["Report", "ReportSettings", "build_report", "write_report"]
