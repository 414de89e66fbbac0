"""Python warnings of a run, counted per kind instead of printed one by one.

Numerical libraries warn per call (scikit-learn's convergence, statsmodels' and arch's
optimizer notes, Lightning's hints): a run that fits thousands of models would print
thousands of lines. Inside :func:`counting_warnings` every warning is recorded, not
shown, and counted by its kind (category, package of origin, message); jobs run in
worker processes count theirs the same way and hand the counts back with their results
(:func:`record`), so a run's ledger holds every process's warnings. The run then reports
each kind once, with its count (:func:`aisfolio.portfolio.events.collect_events`).
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping

__all__ = ["WarningKind", "counting_warnings", "describe", "record"]

#: (category name, package that raised it, message).
WarningKind = tuple[str, str, str]

_LEDGER: contextvars.ContextVar[Counter[WarningKind] | None] = contextvars.ContextVar(
    "aisfolio_warning_ledger", default=None
)


def _kind(message: warnings.WarningMessage) -> WarningKind:
    path = str(message.filename).replace("\\", "/")
    package = "?"
    if "site-packages/" in path:
        package = path.split("site-packages/", 1)[1].split("/", 1)[0]
    elif path:
        package = path.rsplit("/", 1)[-1].removesuffix(".py")
    return message.category.__name__, package, str(message.message).strip()


@contextlib.contextmanager
def counting_warnings(propagate: bool = True) -> Iterator[Counter[WarningKind]]:
    """Record every warning raised in the block and count it by kind (nothing printed).

    Warnings that the filters in force ignore (Python's defaults ignore
    ``DeprecationWarning`` outside ``__main__``) stay ignored; every other one is counted
    each time it is raised.

    Parameters
    ----------
    propagate : bool, default True
        When the block ends, add its counts to the enclosing block's ledger (if any).
        A job hands its counts back with its results instead (False), so that a job
        run in this process is not counted twice.

    Yields
    ------
    Counter
        The ledger, filled when the block ends; counts :func:`record` adds inside the
        block (a worker's) go to it too.
    """
    ledger: Counter[WarningKind] = Counter()
    token = _LEDGER.set(ledger)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", append=True)
            try:
                yield ledger
            finally:
                ledger.update(_kind(message) for message in caught)
    finally:
        _LEDGER.reset(token)
    outer = _LEDGER.get()
    if propagate and outer is not None:
        outer.update(ledger)


def record(counts: Mapping[WarningKind, int]) -> None:
    """Add counts made elsewhere (a worker's) to the active ledger; without one, warn
    once per kind with its count."""
    if not counts:
        return
    ledger = _LEDGER.get()
    if ledger is not None:
        ledger.update(counts)
        return
    for kind, count in counts.items():
        warnings.warn(describe(kind, count), RuntimeWarning, stacklevel=2)


def describe(kind: WarningKind, count: int) -> str:
    """One line for a kind of warning: ``"3 x ConvergenceWarning from sklearn: ..."``."""
    category, package, message = kind
    first_line = message.splitlines()[0] if message else ""
    return f"{count} x {category} from {package}: {first_line}"
