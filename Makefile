# Two entry points (see README): `make demo` (the main job) and `make test` (the checks CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Every install is constrained to the locked versions, so that a new release of a dependency
# cannot change the results or break the checks. `make lock` refreshes the file.
LOCK := requirements/dev.lock

.PHONY: demo test test-all lint typecheck bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Core install: the survey tools, sensitivity, counterexamples and reports (no torch).
$(VENV)/.installed-core: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

# Everything, for the tests: torch is pinned to the CPU build (an unpinned torch pulls CUDA).
$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) "torch==2.13.0" -e ".[dev,train,llm]"
	touch $@ $(VENV)/.installed-core

# The demo report is reproducible byte for byte: its date is the time of the last commit that
# changed the demo wave (package data in socialpref/data/; SOURCE_DATE_EPOCH), not the time of
# the run.
demo: $(VENV)/.installed-core
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct -- socialpref/data 2>/dev/null) $(BIN)/socialpref demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

# The fast tier (CI): everything but the tests marked slow.
test: lint typecheck
	$(BIN)/pytest -m "not slow" --cov --cov-report=term:skip-covered -q

# Both tiers.
test-all: lint typecheck
	$(BIN)/pytest --cov --cov-report=term:skip-covered -q

# Every CPU benchmark (socialpref and its baselines in one process each), then one table of the
# claims: times, ratios (median and range over rounds), targets. About an hour on one core;
# `make bench BENCH_ARGS=--quick` runs smaller sizes in minutes.
BENCH_ARGS ?=
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# Re-resolve every dependency in a throw-away venv and write the lock file.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet "torch==2.13.0" -e ".[dev,train,llm]"
	{ echo "# Locked versions for every install of the Makefile (Python 3.11, Linux x86_64)."; \
	  echo "# Refresh with: make lock"; \
	  .lock-venv/bin/pip freeze --exclude-editable | sed 's/+cpu$$//'; } > $(LOCK)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis
