# Two commands on a fresh machine with Python 3.11 and make: `make demo`, `make test`.
# uv is always at .tools/bin/uv (the README's commands use it): a link to the uv on PATH,
# or installed from PyPI into .tools/ when there is none.

UV := $(CURDIR)/.tools/bin/uv
RUN := $(UV) run --frozen
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_HOME ?= $(CURDIR)/data/demo/dagster_home
# The demo's full log (uv, Dagster, dbt); the terminal gets one line per stage and the summary.
DEMO_LOG := data/demo/logs/demo-$(shell date +%Y%m%d-%H%M%S).log
# Options of `zhengai generate` for the demo school (its defaults when empty), e.g. "--students 300".
DEMO_SCHOOL ?=

.PHONY: install demo sync test test-fast bench ui clean

install: .venv/.synced $(DAGSTER_HOME)/dagster.yaml

$(DAGSTER_HOME)/dagster.yaml: orchestration/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	@test -f $@ || cp orchestration/dagster.yaml $@

$(UV):
	@if command -v uv >/dev/null 2>&1; then mkdir -p $(@D) && ln -sf "$$(command -v uv)" $@; \
	else python3 -m venv .tools && .tools/bin/pip install --quiet "uv==0.13.9"; fi

# Bytecode compiled once at install: where PYTHONDONTWRITEBYTECODE is set, every process
# (each sync, each dbt run, each report worker) would otherwise compile Dagster, dbt and
# Great Expectations from source again, about 10 s of start-up each.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

# The nightly sync on a generated demo school: SQLite sources, DuckDB warehouse, e-mails in the outbox.
demo:
	@mkdir -p $(dir $(DEMO_LOG))
	@echo "zhengai 演示：完整日志（uv、Dagster、dbt）写入 $(DEMO_LOG)"
	@echo "  安装环境：uv 与锁定的依赖（.venv）"
	@$(MAKE) --no-print-directory install >>$(DEMO_LOG) 2>&1 || { tail -n 20 $(DEMO_LOG); echo "安装失败，详见 $(DEMO_LOG)"; exit 1; }
	@if test -f data/demo/sources/jw.sqlite; then echo "  生成示例学校：沿用已有的 data/demo/sources"; \
	else echo "  生成示例学校 …" && $(RUN) zhengai generate $(DEMO_SCHOOL) 2>>$(DEMO_LOG) \
	|| { echo "生成失败，详见 $(DEMO_LOG)"; exit 1; }; fi
	@$(RUN) zhengai sync --log $(DEMO_LOG)

sync: install
	@$(RUN) zhengai sync

# The full suite, as CI runs it (.ci/run), on two workers (one per core), a test folder per worker at a time.
test: install
	$(RUN) pytest -q -n 2 --dist loadgroup --no-loadscope-reorder

# The inner loop: everything but the slow, server and benchmark tests, on two workers (under two minutes).
test-fast: install
	$(RUN) pytest -q -n 2 --dist loadgroup -m "not slow and not services and not bench"

# The end-to-end benchmark at 20 000 students × 3 years plus the growth curve, written to
# data/bench/bench.json and BENCHMARKS.md. Takes a while (it generates four schools); not part of `make test`.
bench: install
	$(RUN) python -m bench --students 20000 --years 3 --growth 5000,10000,20000,40000

# Dagster UI on http://127.0.0.1:3000 with the schedule and sensors (daemon included).
ui: install
	$(RUN) dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf data/demo dbt_project/target dbt_project/logs
