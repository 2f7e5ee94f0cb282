"""An exact map from row ids to small integers whose memory does not grow with the run.

A run keeps every id it has seen (duplicate detection) and every id an earlier run finished (resume). Held in
Python sets they cost ~120 bytes a row: 10M rows would hold over a gigabyte. :class:`IdIndex` keeps at most
``memory_limit`` entries in a dict; when that fills up they move, in one transaction, to a temporary SQLite
file (a ``WITHOUT ROWID`` B-tree, exact) and lookups that miss the dict go there. Runs under the limit
behave as a dict; longer runs hold the same memory whatever their length, and pay one B-tree lookup per row
beyond the limit (a few microseconds; docs/performance.md).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

DEFAULT_MEMORY_LIMIT = 65_536


class IdIndex:
    """``key -> value`` for row ids (``str``) and small ``int`` values; ``close()`` removes the spill file."""

    def __init__(self, memory_limit: int | None = None, folder: Path | None = None) -> None:
        self.memory_limit = memory_limit or DEFAULT_MEMORY_LIMIT
        self.folder = folder
        self.recent: dict[str, int] = {}
        self._db: sqlite3.Connection | None = None
        self._spill: Path | None = None
        self._spilled = 0

    def __len__(self) -> int:
        return self._spilled + len(self.recent)  # keys are never in both: see __setitem__

    def __contains__(self, key: str) -> bool:
        return key in self.recent or (self._db is not None and self._lookup(key) is not None)

    def get(self, key: str, default: int | None = None) -> int | None:
        value = self.recent.get(key)
        if value is not None:
            return value
        if self._db is not None:
            stored = self._lookup(key)
            if stored is not None:
                return stored
        return default

    def add(self, key: str, value: int = 0) -> bool:
        """Insert ``key`` unless present: True when it was new (one call for the duplicate check)."""
        recent = self.recent
        if key in recent or (self._db is not None and self._lookup(key) is not None):
            return False
        recent[key] = value
        if len(recent) >= self.memory_limit:
            self._flush()
        return True

    def __setitem__(self, key: str, value: int) -> None:
        if self._db is not None and key not in self.recent and self._lookup(key) is not None:
            self._db.execute("UPDATE ids SET value = ? WHERE key = ?", (value, key))
            return
        self.recent[key] = value
        if len(self.recent) >= self.memory_limit:
            self._flush()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._spill is not None:
            self._spill.unlink(missing_ok=True)
            self._spill = None

    def _lookup(self, key: str) -> int | None:
        assert self._db is not None
        row = self._db.execute("SELECT value FROM ids WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _flush(self) -> None:
        db = self._db or self._open()
        db.execute("BEGIN")
        db.executemany("INSERT INTO ids (key, value) VALUES (?, ?)", self.recent.items())
        db.execute("COMMIT")
        self._spilled += len(self.recent)
        self.recent = {}

    def _open(self) -> sqlite3.Connection:
        handle, name = tempfile.mkstemp(prefix="judgeforge-ids-", suffix=".sqlite", dir=self.folder)
        os.close(handle)
        self._spill = Path(name)
        db = sqlite3.connect(name, isolation_level=None)
        db.execute("PRAGMA journal_mode=OFF")  # a scratch file: nothing to recover after a crash
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-2048")  # 2 MiB of page cache, whatever the number of ids
        db.execute("CREATE TABLE ids (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
        self._db = db
        return db

    def __enter__(self) -> IdIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
