# Two commands on a fresh machine with python3 and make: `make run` (the demo) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.dagster_home
export TIKTOK_PIPELINES_DATA_DIR ?= $(CURDIR)/.data
# Arrow on the C allocator, which gives back what a written row group freed (docs/catalog.md, Benchmark).
export ARROW_DEFAULT_MEMORY_POOL ?= system

.PHONY: run test test-all lint format bench clean install

install: $(STAMP)

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	cp -f dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/tiktok-pipelines demo run

test: $(STAMP)
	$(BIN)/python -m pytest

test-all: $(STAMP)
	$(BIN)/python -m pytest -m ''

lint: $(STAMP)
	$(BIN)/ruff check tiktok_pipelines tiktok_pipelines_tests benchmarks
	$(BIN)/ruff format --check tiktok_pipelines tiktok_pipelines_tests benchmarks
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format tiktok_pipelines tiktok_pipelines_tests benchmarks
	$(BIN)/ruff check --fix tiktok_pipelines tiktok_pipelines_tests benchmarks

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .dagster_home .data .pytest_cache .ruff_cache *.egg-info
