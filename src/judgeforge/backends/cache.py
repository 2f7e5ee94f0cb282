"""A completion cache in SQLite, keyed by the exact request.

The key hashes what the backend says it sends (:meth:`Backend.request_context`: model identity, every
output-affecting option, the sampling knobs with the seed; :meth:`Backend.model_input`: the exact model input
or request body of each prompt), the sample index and the parse attempt. An option that changes what the
model sees therefore changes the key; only options declared ``output_neutral`` do not. Several processes may
share a cache file (WAL mode).

Writes are committed in groups (every ``commit_every`` entries or ``commit_seconds``, and on close): the
results file, not the cache, is what makes a run resumable, so a kill may lose the last uncommitted
entries and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judgeforge.backends.base import Backend
from judgeforge.records import Completion, Prompt, TokenLogprob, Usage
from judgeforge.sampling import SamplingParams

_LOOKUP_CHUNK = 500  # under SQLite's oldest variable limit (999)
# The table name carries the schema version: a cache file written by another layout is left alone, not
# misread (its entries are simply not found).
_TABLE = "completions_v3"
_COLUMNS = "key, text, prompt_tokens, completion_tokens, finish, logprobs"


def default_cache_path() -> Path:
    """``$JUDGEFORGE_CACHE_DIR/completions.sqlite`` (default ``~/.cache/judgeforge``)."""
    root = os.environ.get("JUDGEFORGE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "judgeforge"
    )
    return Path(root) / "completions.sqlite"


class CompletionCache:
    """Maps 16-byte keys to completions; open one per run, ``close()`` at the end."""

    def __init__(self, path: Path, *, commit_every: int = 4096, commit_seconds: float = 1.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} (key BLOB PRIMARY KEY, text TEXT NOT NULL, "
            "prompt_tokens INTEGER, completion_tokens INTEGER, finish TEXT, logprobs TEXT) WITHOUT ROWID"
        )
        self.hits = 0
        self.misses = 0
        self._commit_every = commit_every
        self._commit_seconds = commit_seconds
        self._pending = 0
        self._since = time.monotonic()

    def keys(self, backend: Backend, params: SamplingParams, prompts: Sequence[Prompt]) -> list[bytes]:
        """One key per prompt, from the exact request ``backend`` sends for it."""
        return request_keys(backend, params, prompts)

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, Completion]:
        found: dict[bytes, Completion] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT {_COLUMNS} FROM {_TABLE} WHERE key IN ({marks})"
            for row in self._db.execute(query, chunk):
                found[row[0]] = _decode(row)
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, entries: Sequence[tuple[bytes, Completion]]) -> None:
        if not entries:
            return
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        self._db.executemany(
            f"INSERT OR IGNORE INTO {_TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            [(key, *_encode(completion)) for key, completion in entries],
        )
        self._pending += len(entries)
        if self._pending >= self._commit_every or time.monotonic() - self._since >= self._commit_seconds:
            self.commit()

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._pending = 0
        self._since = time.monotonic()

    def close(self) -> None:
        self.commit()
        self._db.close()


def request_keys(backend: Backend, params: SamplingParams, prompts: Sequence[Prompt]) -> list[bytes]:
    """16-byte keys of the requests ``backend`` sends for ``prompts`` with ``params`` (see module doc)."""
    head = json.dumps(
        [backend.request_context(params), params.sample_index, params.attempt], sort_keys=True, default=str
    )
    base = hashlib.blake2b(head.encode(), digest_size=16)
    keys = []
    model_input = backend.model_input
    for prompt in prompts:
        digest = base.copy()
        digest.update(model_input(prompt, params).encode("utf-8", "surrogatepass"))
        keys.append(digest.digest())
    return keys


def _encode(completion: Completion) -> tuple[str, int, int, str | None, str | None]:
    logprobs = None
    if completion.logprobs is not None:
        logprobs = json.dumps([entry.model_dump() for entry in completion.logprobs], ensure_ascii=False)
    usage = completion.usage
    return completion.text, usage.prompt_tokens, usage.completion_tokens, completion.finish_reason, logprobs


def _decode(row: tuple[Any, ...]) -> Completion:
    _key, text, prompt_tokens, completion_tokens, finish, logprobs = row
    # Built without validation: these values were read from validated Completions when they were stored.
    return Completion.model_construct(
        text=text,
        usage=Usage.model_construct(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens),
        finish_reason=finish,
        logprobs=None if logprobs is None else tuple(TokenLogprob(**entry) for entry in json.loads(logprobs)),
    )
