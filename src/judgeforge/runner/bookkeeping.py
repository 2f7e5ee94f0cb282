"""Run bookkeeping, for every executor (local asyncio runner, Ray Data): settings hash, manifest, resume.

A results file belongs to one judge with one set of run settings. :func:`run_settings` builds those settings
from the judge's :meth:`~judgeforge.judge.Judge.settings` (or a :class:`~judgeforge.distributed.JudgeSpec`'s,
which are the same data) and the run options that change output lines; :func:`settings_hash` is their
hash. Executors do not enter it, so a run started locally can be resumed on Ray and the other way round.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from judgeforge.errors import ConfigError, InputError
from judgeforge.runner.options import RunOptions
from judgeforge.runner.output import Scan, scan_output
from judgeforge.runner.summary import SummaryAccumulator, package_versions


class RunManifest(BaseModel):
    """``OUT.manifest.json``: what produced a results file (settings and their hash, model identity, input,
    options, versions, times). Written by :func:`finish_run`, read by :func:`read_run_files`."""

    model_config = ConfigDict(extra="forbid")

    judge: dict[str, Any]
    mode: str
    both_orders: bool
    order_policy: str
    default_rubric: dict[str, Any] | None
    field_map: dict[str, str]
    settings_hash: str
    identity: dict[str, str] | None
    executor: str
    input: str
    options: dict[str, Any]
    versions: dict[str, str]
    ray: dict[str, Any] | None = None
    ray_version: dict[str, str] | None = None
    resumed_rows: int = 0
    start: str
    end: str | None


class RunSummary(BaseModel):
    """``OUT.summary.json``: counts, failures by reason, distributions, agreement, tokens, retries.

    Built from every line of the results file (earlier runs included) plus ``this_run`` (this run's own
    counters: rows read, graded, skipped, seconds, backend calls, prompts sent, retries, cache hits).
    """

    model_config = ConfigDict(extra="forbid")

    rows: int
    graded: int
    failed: int
    failures_by_reason: dict[str, int]
    distribution: dict[str, int]
    sample_distribution: dict[str, int]
    mean_agreement: float | None
    krippendorff_alpha: dict[str, Any]
    tokens_in: int
    tokens_out: int
    rows_with_failed_samples: int
    failed_samples_by_reason: dict[str, int]
    logprobs_missing: int
    logprobs_missing_by_reason: dict[str, int]
    cost: float | None = None
    both_orders: dict[str, Any] | None = None
    swap_consistency: float | None = None
    bad_rows: int
    bad_rows_by_field: dict[str, int]
    this_run: dict[str, Any]


@dataclass
class RunFiles:
    """A results file with its summary and manifest, as the report reads them."""

    lines: list[dict[str, Any]]
    summary: RunSummary | None
    manifest: RunManifest | None


def read_run_files(out: Path) -> RunFiles:
    """The result lines of ``out`` and, where present, its summary and manifest (InputError if malformed)."""
    with out.open(encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    summary = _read_record(sibling(out, ".summary.json"), RunSummary)
    manifest = _read_record(sibling(out, ".manifest.json"), RunManifest)
    return RunFiles(lines, summary, manifest)


RecordT = TypeVar("RecordT", bound=BaseModel)


def _read_record(path: Path, record: type[RecordT]) -> RecordT | None:
    if not path.is_file():
        return None
    try:
        return record.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise InputError(
            f"not a judgeforge {record.__name__}: {exc.errors()[0]['msg']}", record=str(path)
        ) from exc


def run_settings(judge_settings: dict[str, Any], options: RunOptions) -> dict[str, Any]:
    """Everything that changes the output lines of a run: the judge's settings and the run's mode,
    order handling, default rubric and field mapping."""
    return {
        "judge": judge_settings,
        "mode": options.mode,
        "both_orders": options.both_orders,
        "order_policy": options.order_policy,
        "default_rubric": None if options.rubric is None else options.rubric.model_dump(),
        "field_map": dict(sorted(options.field_map.items())),
    }


def settings_hash(settings: dict[str, Any]) -> str:
    blob = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def new_manifest(
    settings: dict[str, Any],
    options: RunOptions,
    source: str,
    *,
    executor: str,
    identity: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The manifest of a run: its settings and their hash, the model identity, the input, the versions."""
    return {
        **settings,
        "settings_hash": settings_hash(settings),
        "identity": identity,
        "executor": executor,
        "input": source,
        "options": options.model_dump(mode="json", exclude={"rubric", "field_map"}),
        "versions": package_versions(),
        **extra,
        "start": timestamp(),
        "end": None,
    }


@dataclass
class Resumed:
    """What a run starts from: its file paths, the summary of what ``out`` holds, what it finished
    (``scan.finished(key)``: the ids to skip)."""

    manifest_path: Path
    summary_path: Path
    summary: SummaryAccumulator
    scan: Scan


def resume_run(out: Path, manifest: dict[str, Any], retry_failed: bool) -> Resumed:
    """Everything a run does before grading: create the output folder, refuse mixed settings, scan what
    ``out`` already holds into a fresh summary, pick the ids to skip, write the manifest."""
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest_path, summary_path = sibling(out, ".manifest.json"), sibling(out, ".summary.json")
    check_same_settings(out, manifest_path, manifest["settings_hash"])
    summary = SummaryAccumulator()
    scan = scan_output(out, retry_failed=retry_failed, sink=summary.add)
    manifest["resumed_rows"] = scan.resumed
    write_json(manifest_path, manifest)
    return Resumed(manifest_path, summary_path, summary, scan)


def check_same_settings(out: Path, manifest_path: Path, expected: str) -> None:
    """Refuse to append to results produced with other settings (the file would mix two judges)."""
    if not out.exists() or out.stat().st_size == 0 or not manifest_path.exists():
        return
    try:
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return
    if previous.get("settings_hash") not in (None, expected):
        judge = previous.get("judge") or {}
        raise ConfigError(
            f"{out} was produced with other settings (backend {judge.get('backend')!r} with "
            f"{judge.get('backend_options')}, template set, sampling, samples, mode...; see {manifest_path}); "
            "write to a new output file or delete it"
        )


def finish_run(resumed: Resumed, manifest: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write the summary and the manifest, each checked against its schema first; release the id index."""
    resumed.scan.done.close()
    manifest["end"] = timestamp()
    write_json(resumed.manifest_path, RunManifest.model_validate(manifest).model_dump(mode="json"))
    write_json(resumed.summary_path, RunSummary.model_validate(summary).model_dump(mode="json"))


def sibling(output: Path, suffix: str) -> Path:
    """``results.jsonl`` -> ``results<suffix>`` (``results.errors.jsonl``, ``results.summary.json``...)."""
    if output.suffix in (".jsonl", ".json", ".ndjson"):
        return output.with_name(output.stem + suffix)
    return output.with_name(output.name + suffix)


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` atomically (a temporary file renamed over ``path``)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
