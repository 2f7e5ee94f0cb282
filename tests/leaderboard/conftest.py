"""Fixtures for leaderboard tests; the synthetic models live in tests/support/leaderboard_rows.py (the report
tests use them too)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs never touch the user's completion cache."""
    monkeypatch.setenv("JUDGEFORGE_CACHE_DIR", str(tmp_path / "cache"))
