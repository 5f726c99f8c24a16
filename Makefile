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

.PHONY: run test test-nbs test-py test-full test-data bench env export check-sync help lock lint check-leftovers
# A marker for the processes one `make test` starts: every child inherits it, so the last step finds those still alive.
ifndef MOVIEREC_TEST_RUN
  MOVIEREC_TEST_RUN := $(shell od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
endif
export MOVIEREC_TEST_RUN
# Clean data and model built from the real kaggle-sample for the notebook tests (rebuilt only when stale).
TEST_DATA := $(abspath .build/test-data)

help:
	@echo "make run    - create .venv if missing, run ETL/train when stale, build the EDA report, serve the app and API"
	@echo "make test   - create .venv if missing, run notebook tests (nbdev_test) and cross-process tests (pytest)"
	@echo "make test-full - full-catalogue checks (reconstructed-full) flagged 'slow'"
	@echo "make bench  - print benchmark figures on the full catalogue"
	@echo "make lock   - refresh requirements.lock (exact versions) after a change of settings.ini's requirements"
	@echo "make lint   - print style findings (chkstyle) without failing"

env: $(VENV)/.installed

# Installs the exact versions of requirements.lock (`make lock` refreshes it), then nbdev's git/Jupyter hooks.
$(VENV)/.installed: settings.ini setup.py requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	-@PATH="$(abspath $(BIN)):$$PATH" $(BIN)/nbdev_install_hooks </dev/null
	-@hook=$$(git rev-parse --git-path hooks/post-merge 2>/dev/null) && test -f "$$hook" && \
	  printf '#!/bin/bash\n"%s/nbdev_trust" || true\n' "$(abspath $(BIN))" > "$$hook"   # git pull finds the venv's nbdev
	-@git config merge.nbdev-merge.driver "$(abspath $(BIN))/nbdev_merge %O %A %B %P" 2>/dev/null || true
	@touch $@

# The versions installed in .venv (the ones tested) stay pinned; packages settings.ini newly requires are resolved.
lock: env
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip freeze --exclude-editable | grep -iv '^movierec' > requirements.lock
	$(BIN)/uv pip compile setup.py --extra dev --python $(PY) --output-file requirements.lock --quiet \
	  --refresh-package movierec --custom-compile-command "make lock" $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS))
	@grep -qi '^uv==' requirements.lock || $(PY) -m pip freeze | grep -i '^uv==' >> requirements.lock   # uv leaves itself out
	@touch $(VENV)/.installed

# Style findings (fastai's chkstyle, in a venv of its own: it needs a newer fastcore than nbdev 2.4); never fails.
LINT_VENV := .build/lint-venv
lint:
	@test -x $(LINT_VENV)/bin/chkstyle || { $(PYTHON) -m venv $(LINT_VENV) && $(LINT_VENV)/bin/pip install --quiet --timeout 30 --retries 1 fastaistyle; } \
	  || echo "note: fastaistyle did not install; falling back to .ci/lint.py"
	@if test -x $(LINT_VENV)/bin/chkstyle; then $(LINT_VENV)/bin/chkstyle nbs || true; else $(PYTHON) .ci/lint.py nbs/*.ipynb || true; fi

run: env
	$(BIN)/movierec pipeline --serve

# Every part runs even when one fails; the last step fails if a process the tests started is still alive.
test: env check-sync
	@status=0; \
	$(MAKE) --no-print-directory test-nbs || status=1; \
	$(MAKE) --no-print-directory test-py || status=1; \
	$(MAKE) --no-print-directory check-leftovers || status=1; \
	exit $$status

check-leftovers: env
	@$(PY) -c 'import sys; from movierec.supervise import reap; sys.exit(reap("MOVIEREC_TEST_RUN", sys.argv[1]))' "$(MOVIEREC_TEST_RUN)" \
	  || { echo "error: the processes above were left running by the tests (killed now)"; exit 1; }

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

# the 45k catalogue, built once by bench/api_load.py and read by bench/taste.py
BENCH_FULL ?= $(or $(TMPDIR),/tmp)/movierec-bench/full

bench: env test-data
	$(PY) bench/etl.py --raw-dir $(SHARED_SAMPLE)
	$(PY) bench/etl.py --raw-dir $(SHARED_FULL) --scale 5000,10000,20000,45000
	$(PY) bench/recommend.py
	$(PY) bench/report.py --clean-dir $(TEST_DATA)/clean
	$(PY) bench/api_load.py --raw-dir $(SHARED_FULL) --work $(BENCH_FULL)
	$(PY) bench/taste.py --clean-dir $(BENCH_FULL)/clean --model-dir $(BENCH_FULL)/models
	$(PY) bench/app.py

export: env
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean

# --- the analyst's workbench (E2; movierec.workbench, nbs/13_workbench.ipynb) ------------------------------------------
.PHONY: lab docs
LAB_PORT ?= 8888
# JupyterLab on nbs/ with data/clean + data/models (after `make run`; else the kaggle-sample's, built in .build/sample)
# and the "movierec" kernel registered in .venv; prints the URL with its token; Ctrl-C stops it and its kernels.
lab: env
	$(PY) -m movierec.workbench lab --port $(LAB_PORT)

# Offline HTML docs in _docs/ from the notebooks executed on the sample's data (the tests' copy); fails on any error.
docs: env test-data
	$(PY) -m movierec.workbench docs --clean-dir $(TEST_DATA)/clean --model-dir $(TEST_DATA)/models --out _docs
