# Two commands on a fresh clone: `make run` and `make test`. Both create .venv and
# install the exact versions in requirements.lock the first time.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA_DIR ?= data
# Great Expectations reports usage over the network unless told not to.
export GX_ANALYTICS_ENABLED := false

.PHONY: install run test fuzz dev lint format lock clean bench profile deploy-install deploy-test serve

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## run the whole pipeline on $(DATA_DIR)/raw and publish a version under $(DATA_DIR)/processed/papers
run: install
	$(BIN)/python -m pipeline run --data-dir $(DATA_DIR)

## the test suite (what CI runs)
test: install
	$(BIN)/python -m pytest -q

## fuzzing for minutes: FUZZ_EXAMPLES random hostile inputs per reader, the LaTeX cleaner
## and the record rules (the test run has the same tests at 25 examples each)
FUZZ_EXAMPLES ?= 1000
fuzz: install
	PAPERS_HYPOTHESIS_PROFILE=fuzz PAPERS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q \
		-p no:cacheprovider --hypothesis-show-statistics \
		tests/ingest/test_fuzz_readers.py tests/transform/test_fuzz_latex.py tests/transform/test_fuzz_rules.py

## the Dagster UI on http://127.0.0.1:3000, sharing the CLI's instance under $(DATA_DIR)/.dagster
dev: install
	$(BIN)/python -c 'from pathlib import Path; from pipeline.cli import dagster_home_for; dagster_home_for(Path("$(DATA_DIR)"))'
	DAGSTER_HOME=$(abspath $(DATA_DIR))/.dagster PAPERS_PIPELINE_DATA_DIR=$(abspath $(DATA_DIR)) \
		$(BIN)/dagster dev -w workspace.yaml

## the deployment extras: dagster-postgres, dagster-celery, Celery with Redis, psycopg2
DEPLOY_STAMP := $(VENV)/.deploy-stamp
$(DEPLOY_STAMP): $(STAMP) pyproject.toml requirements.lock deploy/requirements-nodeps.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev,deploy]"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r deploy/requirements-nodeps.txt
	touch $(DEPLOY_STAMP)

deploy-install: $(DEPLOY_STAMP)

## end to end on PostgreSQL, the daemon, queued runs and two Celery workers (installs
## PostgreSQL and Redis from Debian's packages when missing; stops all it started)
DEPLOY_TIMEOUT ?= 600
deploy-test: deploy-install
	timeout -k 20 $$(( $(DEPLOY_TIMEOUT) + 60 )) $(BIN)/python -m deploy.deploy_test --timeout $(DEPLOY_TIMEOUT)

## production-style local start: webserver (http://127.0.0.1:$(PORT)) and daemon on PostgreSQL,
## logs at INFO; PostgreSQL under $(DATA_DIR)/.postgres unless PAPERS_DAGSTER_PG_URL is set
PORT ?= 3000
CELERY_WORKERS ?= 0
serve: deploy-install
	$(BIN)/python -m deploy.serve --data-dir $(DATA_DIR) --port $(PORT) --celery-workers $(CELERY_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## re-resolve the newest allowed versions and pin them (then run `make test` before committing)
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^papers-pipeline' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## benchmark: BENCH_N records (default 100000) end to end; results in bench/results/
BENCH_N ?= 100000
bench: install
	$(BIN)/python -m bench.run --records $(BENCH_N)

## profile a first command-line run on the BENCH_N corpus with py-spy; summary by step and function
PROFILE_DIR ?= /tmp/papers-profile-$(BENCH_N)
profile: install
	$(BIN)/python -c 'from bench.run import corpus; corpus($(BENCH_N), 0)'
	rm -rf $(PROFILE_DIR) && mkdir -p $(PROFILE_DIR)/data
	cp -r bench/.cache/corpus-$(BENCH_N)-0/raw $(PROFILE_DIR)/data/raw
	$(BIN)/py-spy record --subprocesses -r 20 -f raw -o $(PROFILE_DIR)/profile.txt -- \
		$(BIN)/python -m pipeline run --data-dir $(PROFILE_DIR)/data
	$(BIN)/python -m bench.profile_summary $(PROFILE_DIR)/profile.txt
