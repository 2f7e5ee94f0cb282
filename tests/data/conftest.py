from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds never read or write the user's completion cache."""
    monkeypatch.setenv("JUDGEFORGE_CACHE_DIR", str(tmp_path / "cache"))
