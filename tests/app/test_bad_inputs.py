"""The failure catalogue: bad price files, config mistakes, bad holdings and run-folder
faults, each run through the CLI as a user runs it, into a folder that already holds
the user's own files (``hydra.run.dir`` is that folder).

Every case must end with exit code 2, a message naming the culprit (file, line, column,
key or asset), the user's files exactly as they were, and nothing else left behind.
The runs are in this process (see :mod:`tests.app.cli_helpers`); test_cli.py runs
a few of the same mistakes in a subprocess.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.app.cli_helpers import in_process
from tests.portfolio.bad_inputs import _real_rows, make_bad_inputs

#: Files of the user's run folder before each run; they must survive it untouched.
USER_FILES = {
    "notes.txt": "keep me\n",
    "research/old_prices.csv": "date,A\n2020-01-02,1\n",
}

#: Quick settings for the cases that reach the pipeline.
QUICK = (
    "generators=[buy_and_hold,momentum]",
    "significance.enabled=false",
    "execution.backend=sequential",
    "execution.cache=false",
)
FILE = ("data=file", "data.path={inputs}/prices.csv")
REBALANCE = (
    *FILE,
    *QUICK,
    "mode=rebalance",
    "rebalance.holdings={inputs}/holdings.csv",
)


@dataclass(frozen=True)
class Case:
    """One mistake: the CLI arguments (``{inputs}`` is the inputs folder), the files
    written there first, the fragments the message must hold, and files already in the
    run folder besides :data:`USER_FILES`."""

    name: str
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    inputs: dict[str, str | bytes] = field(default_factory=dict)
    run_folder: dict[str, str] = field(default_factory=dict)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in [header, *rows]) + "\n"


ROWS = [list(row) for row in _real_rows()]
HEADER = ["date", "SP500", "NASDAQ"]
PRICES = _csv(HEADER, ROWS)


def _edited(edit) -> str:
    rows = [list(row) for row in ROWS]
    edit(rows)
    return _csv(HEADER, rows)


def _set(line: int, column: int, value: str):
    """An edit putting ``value`` in ``column`` of the record on ``line`` (header: 1)."""

    def edit(rows: list[list[str]]) -> None:
        rows[line - 2][column] = value

    return edit


def _day_first_twelve() -> str:
    """Day-first dates whose days are all 12 or less: they read both ways."""
    rows = [row for row in ROWS if int(row[0][8:]) <= 12]
    return _csv(HEADER, [[f"{r[0][8:]}/{r[0][5:7]}/{r[0][:4]}", r[1], r[2]] for r in rows])


def _apart() -> str:
    """SP500 on the first 150 days, NASDAQ on the last 150: they never overlap."""
    rows = [[r[0], r[1] if i < 150 else "", r[2] if i >= 150 else ""] for i, r in enumerate(ROWS)]
    return _csv(HEADER, rows)


def _long(rows: list[list[str]], header=("date", "asset", "price")) -> str:
    return _csv(list(header), rows)


LONG = [[r[0], "SP500", r[1]] for r in ROWS] + [[r[0], "NASDAQ", r[2]] for r in ROWS]


def _price_file_cases() -> list[Case]:
    cases = []
    for bad in make_bad_inputs(Path(tempfile.mkdtemp())):  # the data layer's own cases
        text = bad.path.read_bytes() if bad.path.exists() else None
        options = tuple(_option(key, value) for key, value in bad.options.items())
        cases.append(
            Case(
                f"file_{bad.name}",
                ("data=file", f"data.path={{inputs}}/{bad.path.name}", *options),
                tuple(bad.expected),
                {bad.path.name: text} if text is not None else {},
            )
        )

    def price_case(name, text, fragments, *args):
        cases.append(Case(name, (*FILE, *args), fragments, {"prices.csv": text}))

    price_case(
        "ambiguous_day_month",
        _day_first_twelve(),
        ("prices.csv", "ambiguous dates", "date_format"),
        "data.min_observations=20",
    )
    price_case(
        "date_format_does_not_match",
        PRICES,
        ("prices.csv", "line 2", "column 'date'", "'1999-01-04'"),
        "data.date_format=%d/%m/%Y",
    )
    price_case(
        "infinite_price",
        _edited(_set(40, 1, "inf")),
        ("prices.csv", "line 40", "column 'SP500'", "non-finite value 'inf'"),
    )
    price_case(
        "price_beyond_float",
        _edited(_set(41, 2, "1e400")),
        ("prices.csv", "line 41", "column 'NASDAQ'", "non-finite value '1e400'"),
    )
    price_case(
        "jump_beyond_float",
        _edited(lambda rows: (_set(200, 1, "1e-300")(rows), _set(201, 1, "1e300")(rows))),
        ("prices.csv", "column 'SP500'", "from 1e-300", "to 1e+300", "beyond floating point"),
        *QUICK,
    )
    price_case(
        "assets_never_overlap",
        _apart(),
        ("prices.csv", "column 'SP500'", "fewer than 2 bars", "backtest.align=per_asset"),
        *QUICK,
        "data.min_observations=100",
    )
    price_case(
        "zero_price_allowed_then_no_return",
        _edited(_set(150, 2, "0")),
        ("prices.csv", "column 'NASDAQ'", "a zero price has no return"),
        *QUICK,
        "data.allow_non_positive=[NASDAQ]",
    )
    price_case(
        "not_utf8",
        PRICES.replace("date,SP500", "date,S\u00e9P500").encode("latin-1"),
        ("prices.csv", "not UTF-8 text"),
    )
    cases.append(
        Case(
            "corrupt_gzip",
            ("data=file", "data.path={inputs}/prices.csv.gz"),
            ("prices.csv.gz",),
            {"prices.csv.gz": b"\x1f\x8b\x08\x00 this is not a gzip stream"},
        )
    )
    cases.append(
        Case(
            "corrupt_parquet",
            ("data=file", "data.path={inputs}/prices.parquet"),
            ("prices.parquet",),
            {"prices.parquet": b"PAR1 truncated"},
        )
    )
    cases.append(
        Case("directory_as_file", ("data=file", "data.path={inputs}"), ("is a directory",))
    )
    price_case(
        "one_row",
        _csv(HEADER, ROWS[:1]),
        ("prices.csv", "column 'SP500'", "only 1 price;", "min_observations"),
    )
    price_case(
        "blank_date",
        _edited(_set(60, 0, "")),
        ("prices.csv", "line 60", "missing date"),
    )
    price_case(
        "two_columns_one_name",
        _csv(["date", "SP500", "SP500"], ROWS),
        ("prices.csv", "line 1", "column 'SP500'", "column name used twice"),
    )
    for reserved in ("ensemble_II", "hedge", "all"):
        price_case(
            f"reserved_asset_name_{reserved}",
            _csv(["date", "SP500", reserved], ROWS),
            ("prices.csv", f"column '{reserved}'", "may not be named like", "data.columns"),
            *QUICK,
        )
    price_case(
        "long_without_asset_column",
        _long(LONG, ("date", "ticker", "price")),
        ("prices.csv", "'asset'", "'ticker'"),
        "data.layout=long",
    )
    price_case(
        "long_price_without_asset",
        _long([*LONG[:30], [LONG[30][0], "", LONG[30][2]], *LONG[31:]]),
        ("prices.csv", "line 32", "a price without an asset name"),
        "data.layout=long",
    )
    price_case(
        "long_negative_price",
        _long([*LONG[:9], [LONG[9][0], "SP500", "-1"], *LONG[10:]]),
        ("prices.csv", "line 11", "non-positive price -1"),
        "data.layout=long",
    )
    return cases


def _option(key: str, value: object) -> str:
    if isinstance(value, list):
        return f"data.{key}=[{','.join(map(str, value))}]"
    if isinstance(value, dict):
        return f"data.{key}={{{','.join(f'{k}:{v}' for k, v in value.items())}}}"
    return f"data.{key}={value}"


def _config_cases() -> list[Case]:
    def config(name, override, *fragments, reach=False):
        args = (*FILE, *QUICK, override) if reach else (*FILE, override)
        return Case(name, args, tuple(fragments), {"prices.csv": PRICES})

    return [
        config("cost_rate_negative", "backtest.cost_rate=-1", "backtest.cost_rate"),
        config("cost_rate_one", "backtest.cost_rate=1.0", "backtest.cost_rate"),
        config("cost_rate_half", "backtest.cost_rate=0.5", "backtest.cost_rate", "below 0.5"),
        config("start_not_a_date", "backtest.start=someday", "backtest.start", "'someday'"),
        config("end_not_a_date", "backtest.end=2001-02-30", "backtest.end", "2001-02-30"),
        Case(
            "start_after_end",
            (*FILE, "backtest.start=2001-06-01", "backtest.end=2001-01-01"),
            ("backtest.start", "is not before end 2001-01-01"),
            {"prices.csv": PRICES},
        ),
        config(
            "start_after_the_data",
            "backtest.start=2019-01-01",
            "column 'SP500'",
            "(backtest.start)",
            "prices end on 2000-03-",
            reach=True,
        ),
        config("align_unknown", "backtest.align=diagonal", "backtest.align", "per_asset"),
        config(
            "accounting_unknown", "backtest.accounting=gross", "backtest.accounting", "per_ais, net"
        ),
        config("hedge_base_unknown", "ensemble.hedge_base=GOLD", "hedge_base 'GOLD'", reach=True),
        config(
            "lookback_not_a_number",
            "generators.momentum.generator.lookback=abc",
            "generators.momentum.generator.lookback",
        ),
        config(
            "refit_unknown",
            "generators.momentum.walk_forward.refit=hourly",
            "generators.momentum",
            "hourly",
        ),
        config("reps_too_few", "significance.reps=5", "significance.reps"),
        config("size_out_of_range", "significance.size=2", "significance.size"),
        config("mode_unknown", "mode=forecast", "config key 'mode'", "'forecast'"),
        config("key_typo", "backtest.cost_rat=0.001", "'backtest.cost_rat' does not exist"),
        config(
            "generator_unknown",
            "generators=[buy_and_hold,foo]",
            "group 'generators' has no option 'foo'",
            "momentum",
        ),
        config("allocator_unknown", "allocator=foo", "has no option 'foo'", "min_variance"),
        config("experiment_unknown", "experiment=foo", "has no option 'foo'", "paper"),
        config(
            "list_without_brackets",
            "generators.momentum.generator.lookback=5,10",
            "Ambiguous value",
            "--multirun",
        ),
        config("n_jobs_zero", "execution.n_jobs=0", "n_jobs"),
        config("backend_unknown", "execution.backend=spark", "backend", "'spark'"),
        config("threads_zero", "execution.threads_per_job=0", "threads_per_job"),
        config("layout_unknown", "data.layout=diagonal", "data.layout", "'diagonal'"),
        config("columns_empty", "data.columns={}", "data.columns", "is empty"),
        config("columns_to_empty_name", "data.columns={SP500:''}", "data.columns", "empty"),
        config("min_observations_text", "data.min_observations=many", "data.min_observations"),
        Case(
            "dataset_unknown",
            ("data.dataset=moon_prices",),
            ("moon_prices", "us_markets"),
        ),
        Case(
            "stacking_without_components",
            (*FILE, *QUICK[1:], "generators=[buy_and_hold]", "stacking=[meta_learner]"),
            ("stacking", "component"),
            {"prices.csv": PRICES},
        ),
        config("min_trade_negative", "rebalance.min_trade=-1", "rebalance.min_trade"),
        config("capital_zero", "rebalance.capital=0", "rebalance.capital"),
        Case(
            "as_of_before_the_data",
            (*REBALANCE, "rebalance.as_of=1990-01-01"),
            ("rebalance.as_of", "before the first date of the data"),
            {"prices.csv": PRICES, "holdings.csv": "asset,weight\nSP500,0.5\n"},
        ),
        Case(
            "rebalance_line_unknown",
            (*REBALANCE, "rebalance.line=SP500/nothing"),
            ("config key 'rebalance.line'", "no line 'SP500/nothing'"),
            {"prices.csv": PRICES, "holdings.csv": "asset,weight\nSP500,0.5\n"},
        ),
        config(
            "report_line_unknown",
            "report.line=SP500/nothing",
            "config key 'report.line'",
            "no line 'SP500/nothing'",
            reach=True,
        ),
        Case(
            "sweep_with_a_typo",
            ("-m", *FILE, "backtest.cost_rate=0.001,0.002", "backtest.cost_rat=1"),
            ("'backtest.cost_rat' does not exist",),
            {"prices.csv": PRICES},
        ),
    ]


def _holdings_cases() -> list[Case]:
    def holdings(name, text, *fragments):
        return Case(
            f"holdings_{name}",
            REBALANCE,
            ("holdings.csv", *fragments),
            {"prices.csv": PRICES, "holdings.csv": text},
        )

    return [
        Case(
            "holdings_missing_file",
            REBALANCE,
            ("holdings.csv", "not found"),
            {"prices.csv": PRICES},
        ),
        holdings("not_a_number", "asset,weight\nSP500,half\n", "line 2", "not a number: 'half'"),
        holdings("twice", "asset,weight\nSP500,0.2\nSP500,0.3\n", "line 3", "given twice"),
        holdings("empty_name", "asset,weight\n,0.2\n", "line 2", "empty asset name"),
        holdings("negative_price", "asset,weight,units,price\nSP500,0.5,1,-3\n", "line 2", "> 0"),
        holdings("no_weight", "asset,units\nSP500,3\n", "no 'weight' column"),
        holdings("asset_and_stream", "asset,stream,weight\nSP500,x,1\n", "exactly one of"),
        holdings("unknown_column", "asset,weight,colour\nSP500,1,red\n", "column 'colour'"),
        holdings("units_and_notional", "asset,weight,units,notional\nSP500,1,2,3\n", "not both"),
        holdings(
            "extra_field_after_blank_lines",
            "asset,weight\n\nSP500,0.2\n\nNASDAQ,0.3,9\n",
            "line 5",
            "3 fields, but the header has 2",
        ),
        holdings(
            "long_weight_short_notional",
            "asset,weight,notional\nSP500,0.5,-100\n",
            "line 2",
            "weight 0.5 is long",
            "(short)",
        ),
        holdings(
            "zero_weight_with_units",
            "asset,weight,units\nSP500,0.5,10\nNASDAQ,0,100\n",
            "line 3",
            "weight 0, but the position is worth",
        ),
        holdings("unknown_asset", "asset,weight\nGOLD,0.5\n", "line 2", "unknown asset 'GOLD'"),
        holdings("unknown_stream", "stream,weight\nGOLD/momentum,0.5\n", "unknown stream"),
        holdings("empty_file", "", "the file is empty"),
    ]


def _fault_cases() -> list[Case]:
    def occupied(name, entries, *fragments):
        return Case(
            f"run_folder_{name}",
            (*FILE, *QUICK),
            ("already holds what a run writes", *fragments),
            {"prices.csv": PRICES},
            entries,
        )

    return [
        occupied("holds_metrics", {"metrics.csv": "line,aRC\nmine,1\n"}, "metrics.csv"),
        occupied("holds_a_report", {"report/index.txt": "mine\n"}, "report"),
        occupied("holds_hydra", {".hydra/config.yaml": "mine: 1\n"}, ".hydra"),
        occupied("holds_a_log", {"aisfolio.log": "mine\n"}, "aisfolio.log"),
        occupied("holds_partial", {".partial-123/metrics.csv": "x\n"}, ".partial-123"),
        Case(
            "run_folder_is_a_file",
            (*FILE, *QUICK, "hydra.run.dir={work}/notes.txt"),
            ("notes.txt",),
            {"prices.csv": PRICES},
        ),
        Case(
            "sweep_folder_holds_a_sweep",
            ("-m", *FILE, *QUICK, "backtest.cost_rate=0.001,0.002", "hydra.sweep.dir={work}"),
            ("multirun.yaml",),
            {"prices.csv": PRICES},
            {"multirun.yaml": "mine: 1\n"},
        ),
    ]


CASES = {
    case.name: case
    for case in [*_price_file_cases(), *_config_cases(), *_holdings_cases(), *_fault_cases()]
}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {
        str(path.relative_to(folder)): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def test_the_catalogue_holds_at_least_80_cases():
    assert len(CASES) >= 80


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_input_exits_2_naming_the_culprit_and_keeps_the_users_files(
    name, tmp_path, monkeypatch, capsys
):
    case = CASES[name]
    inputs, work = tmp_path / "inputs", tmp_path / "work"
    for folder, files in ((inputs, case.inputs), (work, {**USER_FILES, **case.run_folder})):
        folder.mkdir()
        for relative, content in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
    before = _snapshot(work)
    monkeypatch.chdir(tmp_path)
    args = [arg.replace("{inputs}", str(inputs)).replace("{work}", str(work)) for arg in case.args]
    if not any(arg.startswith(("hydra.run.dir=", "hydra.sweep.dir=")) for arg in args):
        args.append(f"hydra.run.dir={work}")
    code = in_process(*args)
    message = capsys.readouterr().err
    assert code == 2, message
    for fragment in case.fragments:
        assert fragment in message, (fragment, message)
    assert "Traceback" not in message
    assert _snapshot(work) == before, "the run folder changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs", "work"]
