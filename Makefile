# movierec: `make run` (the whole pipeline, then the app) and `make test` (the whole suite).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
PYTHON ?= python3
SHARED_SAMPLE := ../shared/data/movies-dataset/kaggle-sample
SHARED_FULL := ../shared/data/movies-dataset/reconstructed-full
# Raw data: MOVIEREC_RAW_DIR from the environment wins; else the shared kaggle-sample when it sits beside the checkout.
ifeq ($(origin MOVIEREC_RAW_DIR),undefined)
  ifneq ($(wildcard $(SHARED_SAMPLE)),)
    export MOVIEREC_RAW_DIR := $(abspath $(SHARED_SAMPLE))
  endif
endif
export MPLBACKEND := Agg

.PHONY: run test test-nbs test-py test-full test-data bench env export check-sync help
# Clean data and model built from the real kaggle-sample for the notebook tests (rebuilt only when stale).
TEST_DATA := $(abspath .build/test-data)

help:
	@echo "make run    - create .venv if missing, run ETL/train when stale, build the EDA report, serve the app and API"
	@echo "make test   - create .venv if missing, run notebook tests (nbdev_test) and cross-process tests (pytest)"
	@echo "make test-full - full-catalogue checks (reconstructed-full) flagged 'slow'"
	@echo "make bench  - print benchmark figures on the full catalogue"

env: $(VENV)/.installed

$(VENV)/.installed: settings.ini setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

run: env
	$(BIN)/movierec pipeline --serve

test: env check-sync test-nbs test-py

check-sync: env
	@before=$$(find movierec -name '*.py' | sort | xargs cat | sha256sum); \
	$(BIN)/nbdev_export; \
	after=$$(find movierec -name '*.py' | sort | xargs cat | sha256sum); \
	[ "$$before" = "$$after" ] || { echo "error: movierec/ was out of step with nbs/; nbdev_export updated it (commit the result)"; exit 1; }

test-data: env
	@test -d $(SHARED_SAMPLE) || { echo "error: $(SHARED_SAMPLE) is missing: the tests read the real dataset from ../shared"; exit 1; }
	$(BIN)/movierec pipeline --no-report --raw-dir $(SHARED_SAMPLE) --clean-dir $(TEST_DATA)/clean --model-dir $(TEST_DATA)/models

test-nbs: env test-data
	MOVIEREC_CLEAN_DIR=$(TEST_DATA)/clean MOVIEREC_MODEL_DIR=$(TEST_DATA)/models $(BIN)/nbdev_test --n_workers 2 --timing

test-py: env
	$(BIN)/pytest -q tests

test-full: env test-data
	MOVIEREC_CLEAN_DIR=$(TEST_DATA)/clean MOVIEREC_MODEL_DIR=$(TEST_DATA)/models MOVIEREC_FULL_RAW_DIR=$(abspath $(SHARED_FULL)) $(BIN)/nbdev_test --n_workers 1 --flags slow --timing

bench: env test-data
	$(PY) bench/etl.py --raw-dir $(SHARED_SAMPLE)
	$(PY) bench/etl.py --raw-dir $(SHARED_FULL) --scale 5000,10000,20000,45000
	$(PY) bench/recommend.py
	$(PY) bench/report.py --clean-dir $(TEST_DATA)/clean
	$(PY) bench/api_load.py --raw-dir $(SHARED_FULL)
	$(PY) bench/app.py

export: env
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean
