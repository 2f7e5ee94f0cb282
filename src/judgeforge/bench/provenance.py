"""Which judge made the results in a bench folder: ``results/<judge>/judge.json`` and the merged manifest.

Results are filed under the judge's label and resumed by item id, so a judge with another model under the
same label would silently inherit the first one's rows. Each judge folder therefore records the judge's
description and settings hash (:meth:`~judgeforge.bench.judges.BenchJudge.settings_hash`), and a run whose
judge has other settings is refused before any work. Folders written before this record existed cannot be
checked: they are accepted with a warning and stamped with the running judge.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judgeforge.bench.judges import BenchJudge
from judgeforge.errors import ConfigError

JUDGE_FILE = "judge.json"


def judge_record(judge: BenchJudge) -> dict[str, Any]:
    """What ``judge.json`` holds: the judge's description, its settings (as JSON) and their hash."""
    settings = json.loads(json.dumps(judge.settings(), sort_keys=True, default=str))
    return {"judge": judge.describe(), "settings": settings, "settings_hash": judge.settings_hash()}


def check_judge_folder(folder: Path, record: dict[str, Any]) -> None:
    """Refuse ``folder`` if it holds results of a judge with other settings; warn where it cannot tell."""
    if not _holds_results(folder):
        return
    stored = _read_json(folder / JUDGE_FILE)
    if stored is None or "settings_hash" not in stored:
        warnings.warn(
            f"{folder} holds results whose judge could not be checked (no readable {JUDGE_FILE}: written "
            f"before judgeforge recorded it); resuming them as results of {record['judge']['label']}",
            UserWarning,
            stacklevel=3,
        )
        return
    if stored["settings_hash"] != record["settings_hash"]:
        raise ConfigError(_mismatch(folder, stored, record))


def write_judge_record(folder: Path, record: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=2, sort_keys=True, default=str) + "\n"
    (folder / JUDGE_FILE).write_text(text, encoding="utf-8")


def merge_manifest(path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` on top of the one already at ``path``: earlier judges, benchmarks and modes are kept, a
    judge run again (by label) keeps one entry, and the run settings (runs, seed, ...) are this run's."""
    previous = _read_json(path) or {}
    entries = {entry.get("label"): entry for entry in previous.get("judges", ()) if isinstance(entry, dict)}
    entries.update((entry["label"], entry) for entry in manifest["judges"])
    merged = {**previous, **manifest, "judges": list(entries.values())}
    for key in ("benchmarks", "modes"):
        merged[key] = _union(previous.get(key), manifest[key])
    return merged


def _union(earlier: Any, later: Sequence[Any]) -> list[Any]:
    kept = [value for value in earlier if isinstance(value, str)] if isinstance(earlier, list) else []
    return list(dict.fromkeys([*kept, *later]))


def _holds_results(folder: Path) -> bool:
    return folder.is_dir() and any(path.stat().st_size > 0 for path in folder.rglob("*.jsonl"))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _mismatch(folder: Path, stored: dict[str, Any], record: dict[str, Any]) -> str:
    before, now = stored.get("judge") or {}, record["judge"]
    old_settings, new_settings = stored.get("settings"), record["settings"]
    differs = ""
    if isinstance(old_settings, dict):
        keys = sorted(k for k in {*old_settings, *new_settings} if old_settings.get(k) != new_settings.get(k))
        differs = f", differing in {', '.join(keys)}" if keys else ""
    return (
        f"{folder} holds results of judge {before.get('label', '?')} with {_what(before)} "
        f"(settings {stored['settings_hash']}); this run's judge has {_what(now)} "
        f"(settings {record['settings_hash']}{differs}): use another output folder (-o) or give the "
        "judge another label (label=...)"
    )


def _what(described: dict[str, Any]) -> str:
    """A judge in a few words: backend, model and revision for LM judges, else its plain settings."""
    if "model" in described:
        revision = described.get("revision")
        at = f" revision {revision}" if revision not in (None, "unknown") else ""
        return f"backend {described.get('backend')}, model {described['model']}{at}"
    plain = [f"{k}={v}" for k, v in described.items() if k != "label" and not isinstance(v, dict | list)]
    return ", ".join(plain) or "no settings"
