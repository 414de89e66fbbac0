"""Errors raised for bad input: each names what is wrong and where.

The CLI turns any :class:`AisfolioError` into a message on standard error and exit
code 2, with no output written; Python callers catch the same classes.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["EXIT_BAD_INPUT", "AisfolioError", "ConfigError", "DataError", "OutputError"]

#: Exit code of a command stopped by bad input (any :class:`AisfolioError`).
EXIT_BAD_INPUT = 2


class AisfolioError(Exception):
    """Base class of every error caused by the user's input (data or configuration)."""


class DataError(AisfolioError, ValueError):
    """A price file or frame that cannot be used.

    Parameters
    ----------
    problem : str
        What is wrong, in words (``"non-numeric value 'abc'"``).
    file : str, optional
        The file (or data set name) the data came from.
    column : str, optional
        The column at fault.
    row : int, optional
        Where in the file: a 1-based line number for text files (the header is line 1),
        a 1-based record number otherwise; see ``row_kind``.
    row_kind : {"line", "row"}
        How ``row`` counts.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
        row_kind: str = "line",
    ) -> None:
        self.problem = problem
        self.file = file
        self.column = column
        self.row = row
        self.row_kind = row_kind
        super().__init__(self._compose())

    def from_file(self, file: str) -> DataError:
        """This error, naming ``file`` as where the data came from unless it names one.

        Parameters
        ----------
        file : str
            The file (or data set) the prices were loaded from.

        Returns
        -------
        DataError
        """
        if self.file is not None:
            return self
        return DataError(
            self.problem, file=file, column=self.column, row=self.row, row_kind=self.row_kind
        )

    def _compose(self) -> str:
        where = []
        if self.file is not None:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"{self.row_kind} {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem


class ConfigError(AisfolioError, ValueError):
    """A configuration value that is invalid or inconsistent with the data.

    Parameters
    ----------
    problem : str
        What is wrong.
    key : str, optional
        The dotted configuration key at fault (``"backtest.cost_rate"``).
    """

    def __init__(self, problem: str, *, key: str | None = None) -> None:
        self.problem = problem
        self.key = key
        super().__init__(f"config key '{key}': {problem}" if key else problem)

    def under(self, prefix: str) -> ConfigError:
        """This error with its key placed under ``prefix``.

        A class names the key of its own parameter (``"lookback"``); whoever built it
        from a config node puts that node's path in front
        (``"allocator.min_variance.allocator.lookback"``).

        Parameters
        ----------
        prefix : str
            The dotted path of the node that built the class.

        Returns
        -------
        ConfigError
        """
        return ConfigError(self.problem, key=f"{prefix}.{self.key}" if self.key else prefix)

    def renamed(self, names: Mapping[str, str]) -> ConfigError:
        """This error with the first part of its key renamed through ``names``.

        A class whose parameters are built from differently named config nodes (the
        pipeline's ``allocations`` from the ``allocator`` group) names its parameter;
        the app renames it to the node (``allocations.hedge`` -> ``allocator.hedge``).
        Keys whose first part ``names`` does not hold are kept.
        """
        if self.key is None:
            return self
        first, dot, rest = self.key.partition(".")
        if first not in names:
            return self
        return ConfigError(self.problem, key=names[first] + dot + rest)


class OutputError(AisfolioError, OSError):
    """A folder a run cannot write into without touching what it already holds.

    Parameters
    ----------
    problem : str
        What is wrong.
    path : path
        The folder or file at fault.
    """

    def __init__(self, problem: str, *, path: object) -> None:
        self.problem = problem
        self.path = path
        super().__init__(f"{path}: {problem}")
