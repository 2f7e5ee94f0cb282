"""A completion cache in SQLite, keyed by everything that changes a completion.

The key hashes the backend identity (model id, revision or file hash), the template set fingerprint, the
chat format, the sampling parameters (seed included), the sample index and parse attempt, and the rendered
prompt text. Entries are written in one transaction per judge call, so a killed run loses at most the call in
flight. Several processes may share a cache file (WAL mode).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judgeforge.records import Completion, Prompt, TokenLogprob, Usage
from judgeforge.sampling import SamplingParams

_LOOKUP_CHUNK = 500  # under SQLite's oldest variable limit (999)


class CompletionCache:
    """Maps 16-byte keys to completions; open one per run, ``close()`` at the end."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS completions (key BLOB PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"
        )
        self.hits = 0
        self.misses = 0

    def keys(self, context: str, params: SamplingParams, prompts: Sequence[Prompt]) -> list[bytes]:
        """One key per prompt; ``context`` names the backend identity, template set and chat format."""
        head = json.dumps(
            [context, params.payload(), params.sample_index, params.attempt], sort_keys=True, default=str
        )
        base = hashlib.blake2b(head.encode(), digest_size=16)
        keys = []
        for prompt in prompts:
            digest = base.copy()
            digest.update(prompt.text.encode("utf-8", "surrogatepass"))
            keys.append(digest.digest())
        return keys

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, Completion]:
        found: dict[bytes, Completion] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, value FROM completions WHERE key IN ({marks})"
            for key, value in self._db.execute(query, chunk):
                found[key] = _decode(value)
        self.hits += len(found)
        self.misses += len(keys) - len(found)
        return found

    def put_many(self, entries: Sequence[tuple[bytes, Completion]]) -> None:
        if not entries:
            return
        rows = [(key, _encode(completion)) for key, completion in entries]
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR IGNORE INTO completions (key, value) VALUES (?, ?)", rows)
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


def _encode(completion: Completion) -> str:
    value: dict[str, Any] = {
        "t": completion.text,
        "u": [completion.usage.prompt_tokens, completion.usage.completion_tokens],
        "f": completion.finish_reason,
    }
    if completion.logprobs is not None:
        value["l"] = [entry.model_dump() for entry in completion.logprobs]
    return json.dumps(value, ensure_ascii=False)


def _decode(value: str) -> Completion:
    data = json.loads(value)
    logprobs = data.get("l")
    return Completion(
        text=data["t"],
        usage=Usage(prompt_tokens=data["u"][0], completion_tokens=data["u"][1]),
        finish_reason=data["f"],
        logprobs=None if logprobs is None else tuple(TokenLogprob(**entry) for entry in logprobs),
    )
