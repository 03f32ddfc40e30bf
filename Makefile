# Two commands on a fresh machine: `make run` (the API on SQLite + local images)
# and `make test` (the whole suite). CI (.ci/run and GitHub Actions) calls the same targets.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the dependency declarations change.
$(VENV)/.runtime: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.runtime

# checkov pins an old boto3 and ships a module named hcl2 that shadows
# python-hcl2, so it gets a virtual environment of its own.
CHECKOV_VERSION := 3.3.30
.venv-checkov/bin/checkov:
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --upgrade pip
	.venv-checkov/bin/pip install --quiet checkov==$(CHECKOV_VERSION)

run: $(VENV)/.runtime  ## run the API on http://127.0.0.1:5000 (SQLite + local images, migrated)
	$(BIN)/flask --app service db upgrade
	$(BIN)/flask --app service run

test: $(VENV)/.dev .venv-checkov/bin/checkov  ## the whole suite (needs MySQL on 127.0.0.1:3306)
	$(BIN)/python -m pytest --cov --cov-report=term:skip-covered

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .venv-checkov build dist instance .pytest_cache .mypy_cache .ruff_cache
