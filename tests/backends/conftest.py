"""Session fixtures: the tiny taught judge (safetensors), its GGUF conversion and a llama.cpp server on it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tiny_judge import build_tiny_judge


@pytest.fixture(scope="session")
def tiny_judge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The toy Llama (byte-level BPE tokenizer, Mistral-like chat template) taught the judge output format."""
    pytest.importorskip("torch")
    return build_tiny_judge(tmp_path_factory.mktemp("tiny-judge"))


@pytest.fixture(scope="session")
def tiny_gguf(tiny_judge_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model converted to GGUF by llama.cpp's own converter."""
    pytest.importorskip("llama_cpp")
    from judgeforge.tools.gguf import convert_to_gguf

    return convert_to_gguf(tiny_judge_dir, tmp_path_factory.mktemp("gguf") / "tiny-judge.gguf", outtype="f32")


@pytest.fixture(scope="session")
def llama_server(tiny_gguf: Path) -> Iterator[str]:
    """``python -m llama_cpp.server`` on 127.0.0.1 (free port) serving the tiny judge; yields the /v1 URL."""
    from judgeforge.tools.local_server import llama_cpp_server

    with llama_cpp_server(tiny_gguf, n_ctx=1024, n_threads=1) as base_url:
        yield base_url
