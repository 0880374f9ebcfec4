# The two commands of the README's quick start: `make run` and `make test`.
# Both install whatever is missing first, so they work on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 8000
REGISTRY_DATA_DIR ?= ./.registry
UV := python3 -m uv
PYTEST_ARGS ?=
# The coverage and error-message floors are in pyproject.toml, [tool.registry-quality]
# (docs/quality.md); `make quality-report` checks them against the last test run.
PACKAGES := -p registry_common -p registry_gateway -p registry_auth -p registry_ingest \
            -p registry_scoring -p registry_lineage -p registry_health -p registry_launcher \
            -p registry_cli -p registry_deploy

# The web UI (ui/): npm ci only when the lockfile changed (stamp file), the build only when a
# source changed. The browser tests need Debian's chromium (never a downloaded browser).
UI_STAMP := ui/node_modules/.package-lock.stamp
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json \
              ui/vite.config.ts ui/tsconfig.json ui/tsconfig.node.json
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help install run run-distributed test lint typecheck unit quality-report ui ui-unit ui-test \
        ui-screenshots chromium sandbox-tools node24 deploy-check graphviz threat-model \
        robustness-doc perf-tools perf perf-profile

help:
	@echo "make run   - start the whole registry on http://127.0.0.1:$(PORT) (embedded defaults)"
	@echo "make run-distributed - the production topology on this machine (emulator, PostgreSQL, six processes)"
	@echo "make test  - lint, type-check and run the full test suite with coverage"
	@echo "make ui    - build the web UI (ui/dist), served by the registry at /ui/"
	@echo "make ui-test / ui-screenshots - browser tests; the latter also writes docs/ui/*.png"
	@echo "make threat-model - regenerate docs/security/dfd.{dot,svg,png} and pytm-findings.md"
	@echo "make perf  - the performance experiment (docs/performance.md): 500 models, wrk, Locust, nginx; prints the table"
	@echo "make perf-profile - flame graphs of downloads before/after (docs/performance/*.svg)"
	@echo "make deploy-check - synthesize the AWS stacks into deploy/cdk.out (no credentials) and lint them"

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --all-packages --quiet

$(UI_STAMP): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

ui/dist/index.html: $(UI_STAMP) $(UI_SOURCES)
	cd ui && npm run build --silent

ui: ui/dist/index.html

ui-unit: $(UI_STAMP)
	cd ui && npm test --silent

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium chromium-driver >/dev/null; }

# The threat model's diagram (docs/security/): graphviz from Debian renders what pytm draws.
# `make test` only checks that the model matches the code and dfd.dot (no graphviz needed).
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "Installing Debian's graphviz to render the threat model's diagram"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq graphviz >/dev/null; }

threat-model: install graphviz
	$(UV) run --frozen python docs/security/threat_model.py --dfd docs/security/dfd \
	  --findings docs/security/pytm-findings.md

# The performance experiment (docs/performance.md): wrk drives the load, nginx serves the same
# file as the machine's physical reference; both from Debian, installed when missing.
PERF_ARGS ?=
PERF_BASELINE ?= b228e83

perf-tools:
	@command -v wrk >/dev/null 2>&1 && command -v nginx >/dev/null 2>&1 || { \
	  echo "Installing Debian's wrk and nginx-light for the performance experiment"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq wrk nginx-light >/dev/null; }

perf: install perf-tools sandbox-tools
	$(UV) run --frozen python -m perf.run $(PERF_ARGS)

perf-profile: install perf-tools sandbox-tools
	$(UV) run --frozen python -m perf.profile --compare $(PERF_BASELINE) $(PERF_ARGS)

# The sandbox of untrusted programs (docs/security/sandbox.md): Debian's bubblewrap for its
# namespaces and, when we are root, a dedicated system user for the programs to run as.
sandbox-tools:
	@command -v bwrap >/dev/null 2>&1 || { \
	  echo "Installing Debian's bubblewrap for the sandbox of untrusted programs"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq bubblewrap >/dev/null; }
	@if [ "$$(id -u)" = 0 ] && ! getent passwd registry-sandbox >/dev/null; then \
	  echo "Creating the system user registry-sandbox (untrusted programs run as it)"; \
	  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
	    registry-sandbox; fi

# Node.js 24 for the download monitors of sensitive models (docs/security/monitors.md): the
# system node is older, so the npm registry's `node` package at major 24 is installed into a
# folder of ours (stamp: reinstalled only when the wanted major changes).
NODE24_DIR := .tools/node24
NODE24_STAMP := $(NODE24_DIR)/.installed-24.stamp

$(NODE24_STAMP):
	@mkdir -p $(NODE24_DIR)
	cd $(NODE24_DIR) && npm install --no-audit --no-fund --loglevel=error --no-save --prefix . node@24
	@$(NODE24_DIR)/node_modules/.bin/node --version | grep -q '^v24\.' || { \
	  echo "npm's node@24 did not install a v24 binary into $(NODE24_DIR)"; exit 1; }
	@touch $@

node24: $(NODE24_STAMP)

ui-test: install ui chromium
	$(UV) run --frozen pytest tests/ui $(PYTEST_ARGS)

ui-screenshots: install ui chromium
	UI_SCREENSHOT_DIR=$(CURDIR)/docs/ui $(UV) run --frozen pytest tests/ui $(PYTEST_ARGS)

run: install ui sandbox-tools node24
	PORT=$(PORT) REGISTRY_DATA_DIR=$(REGISTRY_DATA_DIR) $(UV) run --frozen python -m registry_launcher

run-distributed: install ui sandbox-tools node24
	$(UV) run --frozen python -m scripts.run_distributed --port $(PORT)

# Each workspace member's declared dependencies against its imports (deptry, configured in
# the member's pyproject.toml); its own package is first-party.
MEMBERS := libs/common services/gateway services/auth services/ingest services/scoring \
           services/lineage services/health launcher cli

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check libs services launcher cli tests deploy scripts perf
	$(UV) run --frozen lint-imports
	@for member in $(MEMBERS); do \
	  package=$$(basename $$member/src/registry_*); \
	  echo "deptry $$member ($$package)"; \
	  (cd $$member && $(UV) run --frozen deptry . --known-first-party $$package) || exit 1; \
	done

typecheck: install
	$(UV) run --frozen mypy $(PACKAGES)

# One run of the suite measures everything: coverage per test (dynamic contexts, so the
# component-level share can be told apart; the distributed service processes are measured
# through coverage's subprocess patch) and the error messages the registry produced.
test: lint typecheck ui ui-unit chromium sandbox-tools node24
	rm -f .coverage .coverage.* .error-messages.json
	$(UV) run --frozen pytest --cov --cov-context=test --cov-report= \
	  --error-messages=.error-messages.json $(PYTEST_ARGS)
	$(UV) run --frozen python -m scripts.robustness_report --check
	$(MAKE) --no-print-directory quality-report

# The floors of [tool.registry-quality] against the last run's .coverage and
# .error-messages.json; rewrites the tables of docs/quality.md. Both checks run before failing.
quality-report: install
	@$(UV) run --frozen coverage combine --append --quiet 2>/dev/null || true
	@status=0; \
	$(UV) run --frozen python -m scripts.coverage_report --write --worst 15 || status=1; \
	$(UV) run --frozen python -m scripts.error_messages --write || status=1; \
	exit $$status

# docs/robustness.md's failure table from the last failure-injection run (build/robustness/).
robustness-doc: install
	$(UV) run --frozen pytest tests/e2e/test_failure_injection.py
	$(UV) run --frozen python -m scripts.robustness_report

unit: install
	$(UV) run --frozen pytest -m "not integration and not e2e" $(PYTEST_ARGS)

# The AWS deployment (docs/deploy.md): synthesize both CDK stacks into deploy/cdk.out without
# credentials, then cfn-lint them (deploy/.cfnlintrc.yaml). `make test` runs the same checks
# as tests (deploy/tests).
deploy-check: install
	rm -rf deploy/cdk.out
	$(UV) run --frozen python deploy/app.py
	cd deploy && $(UV) run --frozen cfn-lint
	@echo "deploy/cdk.out: $$(ls deploy/cdk.out/*.template.json | xargs -n1 basename | tr '\n' ' ')- synthesized and lint-clean"
