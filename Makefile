# Two commands on a fresh machine with Python 3.11 and make: `make demo`, `make test`.
# uv comes from PyPI into .tools/ when it is not already on PATH.

UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME ?= $(CURDIR)/data/demo/dagster_home

.PHONY: install demo sync test test-fast bench ui clean

install: .venv/.synced $(DAGSTER_HOME)/dagster.yaml

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@test -f $@ || cp orchestration/dagster.yaml $@

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==0.13.9"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

# The nightly sync on a generated demo school: SQLite sources, DuckDB warehouse, e-mails in the outbox.
demo: install
	@test -f data/demo/sources/jw.sqlite || $(RUN) zhengai generate
	$(RUN) zhengai sync

sync: install
	$(RUN) zhengai sync

# The full suite, as CI runs it (.ci/run), on two workers (one per core), a test folder per worker at a time.
test: install
	$(RUN) pytest -q -n 2 --dist loadgroup

# The inner loop: everything but the slow, server and benchmark tests, on two workers (under two minutes).
test-fast: install
	$(RUN) pytest -q -n 2 -m "not slow and not services and not bench"

# The end-to-end benchmark at 20 000 students × 3 years plus the growth curve, written to
# data/bench/bench.json and BENCHMARKS.md. Takes a while (it generates four schools); not part of `make test`.
bench: install
	$(RUN) python -m bench --students 20000 --years 3 --growth 5000,10000,20000,40000

# Dagster UI on http://127.0.0.1:3000 with the schedule and sensors (daemon included).
ui: install
	$(RUN) dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf data/demo dbt_project/target dbt_project/logs
