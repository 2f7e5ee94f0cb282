"""Fixtures for runner tests; helpers live in runner_helpers.py (put on sys.path here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI subprocesses: a private cache folder, src on the path."""
    env = dict(os.environ)
    env["JUDGEFORGE_CACHE_DIR"] = str(tmp_path / "cache")
    source = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = source + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs never touch the user's cache."""
    monkeypatch.setenv("JUDGEFORGE_CACHE_DIR", str(tmp_path / "cache"))
