# Two commands do all set-up: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test bench install browser clean

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

clean:
	rm -rf $(VENV) data .pytest_cache
