"""Cheap, stable fingerprints of local model files for backend identities (caches, manifests)."""

from __future__ import annotations

import hashlib
from pathlib import Path

_EDGE = 4 * 1024 * 1024


def file_fingerprint(path: str | Path) -> str:
    """sha256 over the size, the first and the last 4 MiB of a (possibly multi-GB) file."""
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(_EDGE))
        if size > 2 * _EDGE:
            handle.seek(size - _EDGE)
            digest.update(handle.read(_EDGE))
    return digest.hexdigest()[:16]


def check_local_model(model: str) -> None:
    """ConfigError when ``model`` is written as a local path (absolute, ``./``, ``../``, ``~``) and there is
    no such folder: without this, transformers reads it as a hub repo id and reports a confusing "Repo id"
    error (and hubs are often unreachable anyway)."""
    from judgeforge.errors import ConfigError

    if model.startswith(("/", "./", "../", "~")) and not Path(model).expanduser().exists():
        raise ConfigError(f"model folder not found: {model}")


def directory_fingerprint(path: str | Path) -> str | None:
    """A fingerprint of a local model folder (config files whole, weight files by edges); None if absent."""
    folder = Path(path)
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for file in sorted(folder.iterdir()):
        if file.suffix in {".json", ".model", ".txt", ".jinja"}:
            digest.update(file.name.encode() + file.read_bytes())
        elif file.suffix in {".safetensors", ".bin", ".gguf"}:
            digest.update(file.name.encode() + file_fingerprint(file).encode())
    return digest.hexdigest()[:16]
