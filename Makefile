# The README's two commands: `make run` (the default backtest) and `make test`.
# Each creates .venv on first use with CPU torch and the package with its dev extras.
PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint wheel clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/aisfolio $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The wheel alone: pip builds it in an isolated environment (the build backend only),
# not in the development environment.
wheel:
	rm -rf dist
	$(PYTHON) -m pip wheel --quiet --no-deps -w dist .

clean:
	rm -rf $(VENV) dist build *.egg-info outputs multirun
