# watchkeeper: two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed


.PHONY: demo demo-live test lint typecheck bench accuracy accuracy-real reliability fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m watchkeeper.demo

# A simulated day replayed as a live TCP feed through `watchkeeper watch` (docs/live.md).
demo-live: $(STAMP)
	$(PY) -m watchkeeper.demo_live

test: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 -q -m "not reliability"

# The long fault runs (docs/reliability.md): kill -9 at >= 20 random points per stage and
# repeated concurrency rounds. `make test` runs a short version of each.
reliability: $(STAMP)
	$(VENV)/bin/pytest -q -m reliability tests/store/test_store_kill.py
	WATCHKEEPER_CONCURRENCY_ROUNDS=10 $(VENV)/bin/pytest -q tests/store/test_store_concurrency.py

# >= 100,000 mutated lines through each reader, then the hypothesis properties at length.
fuzz: $(STAMP)
	$(PY) -m benchmarks.fuzz --lines 100000
	WATCHKEEPER_FUZZ_EXAMPLES=3000 $(VENV)/bin/pytest -q tests/ingest/test_ingest_fuzz.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m benchmarks.run

accuracy: $(STAMP)
	$(PY) -m watchkeeper.simulate.accuracy --seeds 1 2 3 --out docs/accuracy.md

accuracy-real: $(STAMP)
	$(PY) -m watchkeeper.simulate.real_traffic --out docs/real-traffic-findings.md --accuracy docs/accuracy.md --parquet

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
