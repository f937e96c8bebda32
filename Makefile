# ferry: the README's two commands are `make migrate` and `make test`.
# Everything installs into .venv; nothing outside the repo is touched.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
SPARK_STAMP := $(VENV)/.spark-installed
SPEC   := specs/legacy_crm/legacy_crm.yaml

.PHONY: setup setup-spark migrate test compile check golden bench bench-cutover clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "ferry needs Python 3.11 or newer (found: $$($(PYTHON) --version 2>&1)); set PYTHON=python3.x"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

# The bench extra (pandas, for bench/reference_pandas.py): `make bench` only, not the core install.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	@touch $(BENCH_STAMP)

# The spark extra (pyspark; needs Java 17+): the Spark engine and tests/spark, which skip without it.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,spark]'
	@touch $(SPARK_STAMP)

setup-spark: $(SPARK_STAMP)

## migrate: validate, compile and run the example migration into build/ (embedded DuckDB)
migrate: setup
	$(BIN)/ferry validate $(SPEC)
	$(BIN)/ferry compile $(SPEC)
	$(BIN)/ferry run $(SPEC)

## test: the whole suite (unit, golden files, broken specs, end to end, a real PostgreSQL), on both cores
# compileall first: where PYTHONDONTWRITEBYTECODE is set (as in CI), every `ferry` subprocess a test
# starts would otherwise compile compiler/ from source again.
# The PostgreSQL tests use $$FERRY_TEST_PG_DSN, or a throwaway cluster that .ci/start-postgres
# starts (installing the server with apt-get when run as root). Without either they are skipped,
# and pytest's summary says so.
test: setup
	@if [ -z "$$FERRY_TEST_PG_DSN" ]; then \
		dsn=$$(.ci/start-postgres 2>.ci-postgres.log) && export FERRY_TEST_PG_DSN="$$dsn" \
		|| echo "PostgreSQL tests will be skipped: $$(tail -n 1 .ci-postgres.log)"; \
	fi; $(BIN)/python -m compileall -q compiler >/dev/null; $(BIN)/python -m pytest -q -n 2

## compile: regenerate generated/ from every spec under specs/
compile: setup
	$(BIN)/ferry compile

## check: fail if generated/ is stale, then run the tests
check: setup
	$(BIN)/ferry compile --check
	$(MAKE) test

## golden: rewrite golden files after a reviewed change, then look at `git diff`
golden: setup
	FERRY_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests/unit tests/cases
	$(BIN)/ferry compile

## bench: end-to-end timings as ratios against plain DuckDB, a hand-written DuckDB script and a
## pandas script on the same files (15-30 min at 1M contacts; see bench/run.py for options). With
## pyspark installed, the Spark row (bench/spark.py): BENCH_SPARK_SIZES="1000000 5000000" runs both
## sizes and prints how each engine grows (default 1000000; 5M takes ~1.5 h on 2 cores);
## BENCH_SPARK_DATA="DIR ..." uses existing exports' data/ folders instead
bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/plan.py
	$(BIN)/python bench/model.py
	$(BIN)/python bench/linkage.py
	if $(BIN)/python -c "import pyspark" 2>/dev/null; then $(BIN)/python bench/spark.py \
	  $(if $(BENCH_SPARK_SIZES),--contacts $(BENCH_SPARK_SIZES)) $(foreach d,$(BENCH_SPARK_DATA),--data $(d)); fi

## bench-cutover: issue 17's cutover figures (first run, full re-run, delta run of a second export with
## 1% changed, 0.5% new, 0.5% gone); CUTOVER_DATA=DIR uses an existing export, else bench/run.py's 1M one
bench-cutover: setup
	$(BIN)/python bench/cutover.py $(if $(CUTOVER_DATA),--data $(CUTOVER_DATA)) --repeat $(or $(CUTOVER_REPEAT),1)

clean:
	rm -rf build specs/*/build bench/.data .pytest_cache
