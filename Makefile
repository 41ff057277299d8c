# Two commands do all set-up: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test install index clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/plan-assistant index build

serve: install
	$(BIN)/plan-assistant serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data .pytest_cache
