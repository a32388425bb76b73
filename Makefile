# jcds2 developer commands. Each target installs what it needs into .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
SOAK_SCHEDULES ?= 3000
SOAK_SEED ?= 20261123

.DEFAULT_GOAL := help
.PHONY: help venv lint typecheck imports unit integration e2e test soak demo bench docs dist clean

help:
	@echo "make demo   - run the upload/download job end to end against the local Jamf Pro emulator"
	@echo "make test   - lint (ruff), type-check (mypy --strict), layer contracts (import-linter), pytest"
	@echo "make lint   - only the static checks"
	@echo "make docs   - the HTML documentation in docs/_build/html (Sphinx; warnings are errors)"
	@echo "make soak   - the fault soak run with $(SOAK_SCHEDULES) seeded schedules (make test runs 300)"
	@echo "make bench  - jcds2 against curl and boto3; writes docs/benchmarks.md (installs nginx, time)"
	@echo "make dist   - the wheel and sdist in dist/, checked (twine check --strict, their contents)"
	@echo "make clean  - remove the virtual environment, caches, the built docs and dist/"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[emulator,dev,docs]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP)
	$(BIN)/pytest tests/integration tests/emulator $(PYTEST_ARGS)

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

soak: $(STAMP)
	JCDS2_SOAK_SCHEDULES=$(SOAK_SCHEDULES) JCDS2_SOAK_SEED=$(SOAK_SEED) \
		$(BIN)/pytest tests/faults/test_soak.py -s -p no:cacheprovider $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/python -m jcds2.cli.demo

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -n -b html docs docs/_build/html

# The wheel is built from the sdist (build's default), so a file the sdist lacks fails here.
dist: $(STAMP)
	rm -rf dist build
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python -m tests.packaging.dist_contents dist

clean:
	rm -rf $(VENV) .venv-bench .mypy_cache .ruff_cache .pytest_cache .import_linter_cache src/*.egg-info \
		docs/_build docs/adr dist build

# Benchmarks against curl and boto3; writes docs/benchmarks.md (BENCH_ARGS=--quick: smoke test).
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)
