# The two commands: `make demo` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
BOOTSTRAP := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
VENV := .venv
RUN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-spark setup assets lint typecheck unit clean

demo: setup
	$(RUN)/jigsaw demo

test: setup lint typecheck unit

setup: $(VENV)/.synced assets

$(BOOTSTRAP)/bin/uv:
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet uv==$(UV_VERSION)

# The `demo` extra is the synthetic population generator: the demo runs it and the tests
# use it. A deployment installs the package without it.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --extra demo --python $(PYTHON)
	touch $@

assets: node_modules/govuk-frontend/package.json

node_modules/govuk-frontend/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint:
	$(RUN)/ruff check src tests bench
	$(RUN)/ruff format --check src tests bench

typecheck:
	$(RUN)/mypy

unit:
	$(RUN)/pytest -q -n 2 $(PYTEST_ARGS)

# The Spark backend needs the optional `spark` extra and a JVM; CI runs this after `make test`.
test-spark: setup
	$(UV) sync --frozen --quiet --extra demo --extra spark --python $(PYTHON)
	JIGSAW_TEST_SPARK=1 $(RUN)/pytest -q tests/linkage/test_spark.py
	$(UV) sync --frozen --quiet --extra demo --python $(PYTHON)

clean:
	rm -rf $(VENV) $(BOOTSTRAP) node_modules var .pytest_cache .mypy_cache .ruff_cache
