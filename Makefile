# Two commands on a fresh machine: `make run` (the API on SQLite + local images)
# and `make test` (the whole suite). CI (.ci/run and GitHub Actions) calls the same targets.
# `make test-fast` is the edit-run loop (no MySQL server needed).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-fast lint typecheck check clean

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

# pytest-xdist workers (2 on the 2-core machines the README's times come from). Each
# worker builds its own session fixtures (the x86_64 package, the applied Terraform
# stack): `--dist loadgroup` would keep them on one worker, but it silently stopped
# grouping with pytest 9.2 (pytest-dev/pytest-xdist#1386).
WORKERS ?= 2
PYTEST  := $(BIN)/python -m pytest -n $(WORKERS)

test: $(VENV)/.dev .venv-checkov/bin/checkov  ## the whole suite (needs MySQL on 127.0.0.1:3306)
	$(PYTEST) --durations=15 --cov --cov-report=term:skip-covered

# Markers (tests/support/markers.py): `mariadb` needs the MySQL server, `slow` builds
# packages, runs Terraform, checkov, workflows, a browser or server processes.
test-fast: $(VENV)/.dev  ## SQLite, Flask client + Lambda handler: no MySQL server, no builds
	$(PYTEST) -m "not mariadb and not slow"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev
	$(BIN)/mypy

check: lint typecheck test

clean:
	rm -rf $(VENV) .venv-checkov build dist instance .pytest_cache .mypy_cache .ruff_cache
