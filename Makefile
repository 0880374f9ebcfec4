# The two commands of the README's quick start: `make run` and `make test`.
# Both install whatever is missing first, so they work on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
REGISTRY_DATA_DIR ?= ./.registry
UV := python3 -m uv
PYTEST_ARGS ?=
COVERAGE_FLOOR ?= 60
PACKAGES := -p registry_common -p registry_gateway -p registry_auth -p registry_ingest \
            -p registry_scoring -p registry_lineage -p registry_health

.PHONY: help install run test lint typecheck unit

help:
	@echo "make run   - start the whole registry on http://127.0.0.1:$(PORT) (embedded defaults)"
	@echo "make test  - lint, type-check and run the full test suite with coverage"

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --all-packages --quiet

run: install
	PORT=$(PORT) REGISTRY_DATA_DIR=$(REGISTRY_DATA_DIR) $(UV) run --frozen python -m registry_gateway.embedded

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check libs services tests

typecheck: install
	$(UV) run --frozen mypy $(PACKAGES)

test: lint typecheck
	$(UV) run --frozen pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

unit: install
	$(UV) run --frozen pytest -m "not integration and not e2e" $(PYTEST_ARGS)
