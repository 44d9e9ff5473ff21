# The two commands: `make demo` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
BOOTSTRAP := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
VENV := .venv
RUN := $(VENV)/bin
CHROMIUM := $(or $(JIGSAW_CHROMIUM),/usr/bin/chromium)
BROWSER_PACKAGES := chromium fonts-dejavu-core

.PHONY: demo test test-spark setup assets browser lint typecheck unit clean

demo: setup
	$(RUN)/jigsaw demo

test: browser setup lint typecheck unit

setup: $(VENV)/.synced assets

$(BOOTSTRAP)/bin/uv:
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet uv==$(UV_VERSION)

# The `demo` extra is the synthetic population generator: the demo runs it and the tests
# use it. The `bench` extra is what `jigsaw linkage benchmark` compares the person model
# with (its tests use it too). A deployment installs the package without either.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --extra demo --extra bench --python $(PYTHON)
	touch $@

assets: node_modules/govuk-frontend/package.json

node_modules/govuk-frontend/package.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser tests drive Debian's Chromium; no browser is ever downloaded. Installed here
# when it can be (as root, with apt-get: what .ci/run does); otherwise stop at once and say
# what to run, before any set-up or test has taken time.
browser:
	@if [ ! -x "$(CHROMIUM)" ] && [ "$(CHROMIUM)" = /usr/bin/chromium ] && \
	    [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's Chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	fi
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "The browser tests need Chromium at $(CHROMIUM): run 'sudo apt-get install $(BROWSER_PACKAGES)' (or set JIGSAW_CHROMIUM to its path), then 'make test' again." >&2; \
	  exit 1; \
	fi

lint:
	$(RUN)/ruff check src tests bench
	$(RUN)/ruff format --check src tests bench

typecheck:
	$(RUN)/mypy

unit:
	$(RUN)/pytest -q -n 2 $(PYTEST_ARGS)

# The Spark backend needs the optional `spark` extra and a JVM; CI runs this after `make test`.
test-spark: setup
	$(UV) sync --frozen --quiet --extra demo --extra bench --extra spark --python $(PYTHON)
	JIGSAW_TEST_SPARK=1 $(RUN)/pytest -q tests/linkage/test_spark.py
	$(UV) sync --frozen --quiet --extra demo --extra bench --python $(PYTHON)

clean:
	rm -rf $(VENV) $(BOOTSTRAP) node_modules var .pytest_cache .mypy_cache .ruff_cache
