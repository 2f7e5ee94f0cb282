# The two set-up commands: `make demo` (the main job) and `make test` (the test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CONSTRAINTS := constraints.txt
EXTRAS ?= dev,train,merge,hf,data,bench,serve,report,llamacpp,ray
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(CONSTRAINTS) | cksum | cut -d' ' -f1)

.PHONY: install browser test lint typecheck pytest demo toy-base toy-models test-vllm clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0 -c $(CONSTRAINTS)
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(PIP) install -q -c $(CONSTRAINTS) -e ".[$(EXTRAS)]"
	# llama.cpp's GGUF converter ships only in the llama-cpp-python sdist: fetched here, at install time,
	# so that no test downloads anything.
	$(PY) -c "from judgeforge.tools.gguf import llama_cpp_source; print(llama_cpp_source())"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: install
	$(VENV)/bin/mypy src

# The HTML report is tested in a real browser: Debian's chromium + chromium-driver, installed where missing.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
	  echo "warning: could not install chromium; the browser tests will be skipped"

pytest: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

demo: install
	$(PY) -m judgeforge demo

# The toy world (docs/toy_reproduction.md). toy-base: the world and the pre-trained base in toy/base (the slow,
# once-only step). toy-models: from that base, the DA/PR/joint judges, merges, analyses and bench.
toy-base: install
	$(PY) -m judgeforge toy base

toy-models: install
	$(PY) -m judgeforge toy models

test-vllm:
	PYTHON=$(PYTHON) scripts/test-vllm.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
