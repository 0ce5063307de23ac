# The two commands a newcomer needs: `make serve` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_PIN := torch==2.13.0
MODEL ?= smollm2
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup serve test lint bench clean

setup: $(STAMP)

# torch goes first, from the pinned wheel: a bare `torch` requirement with no torch installed would pull a
# multi-GB CUDA build from the registry.
$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing dependencies (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIN)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

serve: setup
	$(BIN)/constrained serve --model $(MODEL) --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
