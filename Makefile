# Two commands for a newcomer: `make run` (the whole system, locally) and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTHON3 ?= python3
PURE := scoring/model funnel/model alerts/model performance/model forecast/model schemas

.PHONY: help venv lock tools up run down test lint format unit integration e2e bench schemas kafka-fetch clean demo

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Installs exactly the locked versions (hash-checked), then the project itself without deps:
# the Faust/aiokafka internals scoring/worker/faust_fixes.py patches cannot move under it.
$(STAMP): pyproject.toml requirements-dev.lock
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## create the virtual environment with the locked dependencies

lock: venv ## re-resolve requirements.lock (runtime) and requirements-dev.lock from pyproject.toml
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes --quiet -o requirements-dev.lock

tools: ## install the non-Python tools the tests call (promtool, chromium) if missing
	deploy/local/tools.sh

kafka-fetch: ## fetch the Kafka broker jars from Maven Central into .cache/
	deploy/local/kafka.sh fetch

up: venv ## start Kafka and PostgreSQL, create topics, apply migrations
	deploy/local/up.sh

run: venv ## FIRST COMMAND: start everything, print URLs and credentials; Ctrl-C stops it all
	deploy/local/run.sh

demo: venv ## post a synthetic data set through the public APIs (needs make run)
	$(PY) -m demo

down: ## stop every process `make run` or `make up` left behind
	deploy/local/down.sh

lint: venv ## ruff (lint + format check) and mypy on the pure packages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(PURE)

format: venv ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: venv lint tools ## SECOND COMMAND: lint, then every test layer against real Kafka and PostgreSQL
	deploy/local/with-infra.sh $(PY) -m pytest tests

unit: venv ## the fast, pure unit tests only (no Kafka, no PostgreSQL)
	$(PY) -m pytest tests/unit

integration: venv tools ## integration tests (starts Kafka and PostgreSQL if needed)
	deploy/local/with-infra.sh $(PY) -m pytest tests/integration

e2e: venv tools ## end-to-end tests against running services (starts what they need)
	deploy/local/with-infra.sh $(PY) -m pytest tests/e2e

bench: venv ## benchmarks; figures go to docs/benchmarks.md by hand
	deploy/local/with-infra.sh $(PY) -m bench

schemas: venv ## regenerate the committed JSON Schema files from the models
	$(PY) -m schemas.generate

clean: down ## remove the venv and every cache (Kafka jars, data folders)
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis
