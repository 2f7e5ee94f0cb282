"""Converting a local Hugging Face model folder to GGUF with llama.cpp's own ``convert_hf_to_gguf.py``.

The llama-cpp-python wheel does not ship the converter; its source distribution does (with the matching
``gguf-py`` and ``conversion`` packages). :func:`llama_cpp_source` finds a llama.cpp source tree in this order:
the ``source`` argument, ``$JUDGEFORGE_LLAMA_CPP_SOURCE``, the cache (``$JUDGEFORGE_CACHE`` or
``~/.cache/judgeforge``), and finally downloads the sdist of the installed llama-cpp-python version with pip
and keeps only the converter's files in the cache.

llama.cpp recognises a BPE tokenizer's pre-tokenizer by hashing how it splits a probe text; a tokenizer it
has never seen (like the toy models' byte-level BPE) makes the converter stop. ``fallback_pre_tokenizer``
(default ``"gpt-2"``, the plain byte-level regex) is used only for such unknown hashes: known tokenizers keep
llama.cpp's own mapping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Literal

from judgeforge.errors import BackendError, ConfigError

DEFAULT_LLAMA_CPP_VERSION = "0.3.36"
_MEMBERS = ("convert_hf_to_gguf.py", "conversion/", "gguf-py/")
_WRAPPER = """
import runpy, sys
source, fallback, *argv = sys.argv[1:]
sys.path[:0] = [source, source + "/gguf-py"]
if fallback:
    from conversion import base
    original = base.TextModel.get_vocab_base_pre
    def get_vocab_base_pre(self, tokenizer):
        try:
            return original(self, tokenizer)
        except NotImplementedError:
            return fallback
    base.TextModel.get_vocab_base_pre = get_vocab_base_pre
sys.argv = [source + "/convert_hf_to_gguf.py", *argv]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def convert_to_gguf(
    model_dir: str | Path,
    out_file: str | Path,
    *,
    outtype: Literal["f32", "f16", "bf16", "q8_0"] = "f16",
    fallback_pre_tokenizer: str | None = "gpt-2",
    source: str | Path | None = None,
    timeout: float = 1800,
) -> Path:
    """Write ``model_dir`` (safetensors + tokenizer) as one GGUF file at ``out_file``; return its path."""
    src = llama_cpp_source(source)
    out = Path(out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-c",
        _WRAPPER,
        str(src),
        fallback_pre_tokenizer or "",
        str(model_dir),
        "--outfile",
        str(out),
        "--outtype",
        outtype,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not out.is_file():
        raise BackendError(f"GGUF conversion of {model_dir} failed:\n{done.stderr[-2000:]}", retryable=False)
    return out


def llama_cpp_source(source: str | Path | None = None, cache_dir: str | Path | None = None) -> Path:
    """A folder holding llama.cpp's ``convert_hf_to_gguf.py`` (downloaded once into the cache if needed)."""
    explicit = source or os.environ.get("JUDGEFORGE_LLAMA_CPP_SOURCE")
    if explicit:
        folder = Path(explicit)
        if not (folder / "convert_hf_to_gguf.py").is_file():
            raise ConfigError(f"{folder} has no convert_hf_to_gguf.py (expected a llama.cpp source tree)")
        return folder
    version = _installed_version()
    cached = _cache_root(cache_dir) / f"llama.cpp-{version}"
    if not (cached / "convert_hf_to_gguf.py").is_file():
        _download_converter(version, cached)
    return cached


def _installed_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return DEFAULT_LLAMA_CPP_VERSION


def _cache_root(cache_dir: str | Path | None) -> Path:
    root = cache_dir or os.environ.get("JUDGEFORGE_CACHE") or Path.home() / ".cache" / "judgeforge"
    return Path(root)


def _download_converter(version: str, target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        command += ["--dest", tmp, f"llama-cpp-python=={version}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
        archives = list(Path(tmp).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise BackendError(
                f"could not download the llama-cpp-python {version} sdist (for convert_hf_to_gguf.py); "
                f"set JUDGEFORGE_LLAMA_CPP_SOURCE to a llama.cpp checkout instead:\n{done.stderr[-1000:]}",
                retryable=False,
            )
        staging = Path(tmp) / "staging"
        _extract_converter(archives[0], staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Move into place in one step so that a concurrent or interrupted run never sees half a tree.
        partial = Path(tempfile.mkdtemp(dir=target.parent))
        shutil.move(str(staging), partial / "tree")
        try:
            (partial / "tree").rename(target)
        except OSError:
            if not (target / "convert_hf_to_gguf.py").is_file():
                raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)


def _extract_converter(archive: Path, staging: Path) -> None:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            _, _, inner = member.name.partition("/vendor/llama.cpp/")
            if not inner or not inner.startswith(_MEMBERS) or not member.isfile():
                continue
            destination = staging / inner
            destination.parent.mkdir(parents=True, exist_ok=True)
            handle = tar.extractfile(member)
            if handle is not None:
                destination.write_bytes(handle.read())
