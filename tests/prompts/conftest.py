"""Fixtures for prompt tests; the judge-family examples live in family_cases.py (put on sys.path here)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
