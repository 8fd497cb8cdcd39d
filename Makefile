# Open NRM. `make demo` runs the service with demo data; `make test` runs every check.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup setup-test demo test lint typecheck test-sqlite test-postgres test-e2e clean

VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_LINK_MODE := copy
PYTEST := $(BIN)/python -m pytest

help:
	@echo "make demo   set up, then run the service at http://127.0.0.1:8000 with demo data and logins"
	@echo "make test   set up, then run ruff, mypy, the tests on SQLite and PostgreSQL, and the browser tests"
	@echo "make setup  set up only (Python packages, GOV.UK Frontend assets); safe to run again"

setup: $(VENV)/.synced node_modules/.installed

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(BIN)/python || "$$(tools/find-python.sh)" -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || \
		{ echo "$(VENV) was made with Python < 3.12; remove it and run make again" >&2; exit 1; }
	@test -x $(BIN)/uv && $(BIN)/uv --version | grep -q "$(UV_VERSION)" || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(BIN)/uv sync --frozen --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup-test: setup
	@tools/test-prerequisites.sh

demo: setup
	$(BIN)/nrm demo

lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck:
	$(BIN)/mypy

test-sqlite:
	NRM_ENVIRONMENT=test DATABASE_URL= $(PYTEST) -n auto nrm

test-postgres:
	NRM_ENVIRONMENT=test $(BIN)/python tools/with_postgres.py -- $(PYTEST) -n auto nrm

test-e2e:
	NRM_ENVIRONMENT=test DATABASE_URL= $(PYTEST) tests/e2e

test: setup-test lint typecheck test-sqlite test-postgres test-e2e

clean:
	rm -rf $(VENV) node_modules var staticfiles .mypy_cache .ruff_cache .pytest_cache
