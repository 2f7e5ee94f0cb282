"""Fixtures for leaderboard tests; helpers live in leaderboard_helpers.py (put on sys.path here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs never touch the user's completion cache."""
    monkeypatch.setenv("JUDGEFORGE_CACHE_DIR", str(tmp_path / "cache"))
