"""Running judges over benchmarks: per-item result files (appended as chunks finish, resumable), then scores.

Layout of an output folder::

    DIR/manifest.json                       judges (all runs so far), benchmarks, modes, runs, seed
    DIR/results/<judge>/judge.json          the judge that made these results and its settings hash
    DIR/results/<judge>/<benchmark>/<mode>.jsonl   one row per item, appended chunk by chunk
    DIR/summary.json                        metrics per judge, benchmark and mode
    DIR/report.md                           the same as markdown tables, judges side by side

A rerun into the same folder skips items whose rows are already there (resume) if the judge under that
label has the same settings, and is refused otherwise (:mod:`judgeforge.bench.provenance`); ``score_dir``
recomputes every metric from the result files alone, without a model.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from judgeforge.bench.items import DirectBenchItem, PairBenchItem, assign_sides, direct_items_of_pair
from judgeforge.bench.judges import BenchJudge
from judgeforge.bench.loaders import iter_lines
from judgeforge.bench.modes import MODE_KINDS, ModeConfig, modes
from judgeforge.bench.provenance import check_judge_folder, judge_record, merge_manifest, write_judge_record
from judgeforge.bench.registry import BenchItem, benchmarks
from judgeforge.bench.report import markdown_report
from judgeforge.bench.scoring import cross_mode, score_mode
from judgeforge.errors import ConfigError

DEFAULT_MODES = {"direct": ("direct",), "pair": ("relative",)}


def safe_name(label: str) -> str:
    """A folder name for a judge label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "judge"


def judge_dir(out_dir: Path, judge: str) -> Path:
    return out_dir / "results" / safe_name(judge)


def result_path(out_dir: Path, judge: str, benchmark: str, mode: str) -> Path:
    return judge_dir(out_dir, judge) / benchmark / f"{mode}.jsonl"


def modes_for(kind: str, requested: Sequence[str] | None) -> list[str]:
    if not requested:
        return list(DEFAULT_MODES[kind])
    unknown = [mode for mode in requested if mode not in modes]
    if unknown:
        raise ConfigError(f"unknown mode(s) {', '.join(unknown)}; known: {', '.join(modes.names())}")
    return [mode for mode in requested if MODE_KINDS[mode] == kind]


def _calibrate(judge: BenchJudge, items: Sequence[BenchItem], mode: str) -> None:
    if mode == "direct":
        directs = [item for item in items if isinstance(item, DirectBenchItem)]
        primary = [statistics.fmean(next(iter(item.gold.values()))) for item in directs]
        judge.calibrate([item.to_item() for item in directs], primary)
    elif mode == "a2r":
        pairs = [assign_sides(item, 0).item for item in items if isinstance(item, PairBenchItem)]
        judge.calibrate([direct for pair in pairs for direct in direct_items_of_pair(pair)], None)


async def run_mode(
    judge: BenchJudge,
    items: Sequence[BenchItem],
    mode: str,
    path: Path,
    config: ModeConfig,
    chunk_size: int = 64,
) -> int:
    """Run ``mode`` on the items not yet in ``path``, appending rows chunk by chunk; returns rows written."""
    done = {row["id"] for row in iter_lines(path)}
    todo = [item for item in items if item.id not in done]
    if not todo:
        return 0
    _calibrate(judge, items, mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    run = modes.get(mode)
    written = 0
    for start in range(0, len(todo), chunk_size):
        rows = await run(judge, todo[start : start + chunk_size], config)
        with path.open("a", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        written += len(rows)
    return written


def run_bench(
    names: Sequence[str],
    judges: Sequence[BenchJudge],
    out_dir: str | Path,
    *,
    requested_modes: Sequence[str] | None = None,
    config: ModeConfig | None = None,
    paths: Mapping[str, str] | None = None,
    limit: int | None = None,
    resamples: int = 1000,
) -> dict[str, Any]:
    """Run every judge on every benchmark in its modes, then score the folder (see the module docstring)."""
    config = config or ModeConfig()
    out = Path(out_dir)
    labels = [judge.label for judge in judges]
    if len(set(map(safe_name, labels))) != len(labels):
        raise ConfigError(f"judge labels must be distinct, got {labels}; set label=... on the judge spec")
    records = [judge_record(judge) for judge in judges]
    for judge, record in zip(judges, records):
        check_judge_folder(judge_dir(out, judge.label), record)
    loaded = {}
    for name in names:
        spec = benchmarks.get(name)
        items = spec.load((paths or {}).get(name))
        loaded[name] = (spec.kind, items[:limit] if limit is not None else items)
    out.mkdir(parents=True, exist_ok=True)
    for judge, record in zip(judges, records):
        write_judge_record(judge_dir(out, judge.label), record)
    manifest = {
        "benchmarks": list(names),
        "judges": [{**record["judge"], "settings_hash": record["settings_hash"]} for record in records],
        "modes": list(requested_modes or []),
        "runs": config.runs,
        "seed": config.seed,
        "tie_retries": config.tie_retries,
        "limit": limit,
    }
    manifest = merge_manifest(out / "manifest.json", manifest)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")

    async def drive() -> None:
        for judge in judges:
            for name, (kind, items) in loaded.items():
                for mode in modes_for(kind, requested_modes):
                    path = result_path(out, judge.label, name, mode)
                    await run_mode(judge, items, mode, path, config)

    asyncio.run(drive())
    return score_dir(out, resamples=resamples, seed=config.seed)


def score_dir(out_dir: str | Path, *, resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Recompute all metrics from ``DIR/results`` and write ``summary.json`` and ``report.md``."""
    out = Path(out_dir)
    root = out / "results"
    if not root.is_dir():
        raise ConfigError(f"no results folder in {out}")
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for judge_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for bench_dir in sorted(p for p in judge_dir.iterdir() if p.is_dir()):
            by_mode = {path.stem: list(iter_lines(path)) for path in sorted(bench_dir.glob("*.jsonl"))}
            scores: dict[str, Any] = {
                mode: score_mode(rows, mode, resamples=resamples, seed=seed) for mode, rows in by_mode.items()
            }
            cross = cross_mode(by_mode)
            if cross:
                scores["cross"] = cross
            results.setdefault(judge_dir.name, {})[bench_dir.name] = scores
    summary = {"results": results, "bootstrap": {"resamples": resamples, "seed": seed}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown_report(summary), encoding="utf-8")
    return summary
