from __future__ import annotations

from pathlib import Path

import pytest

from paths import SHARED


@pytest.fixture
def shared_dir() -> Path:
    """../shared when present; tests that need it skip cleanly otherwise."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED
