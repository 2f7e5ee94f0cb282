"""Loading what a report shows: grading runs, benchmark runs and merge sweeps, into one shape."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from judgeforge.errors import InputError
from judgeforge.report.data import ItemRow, ReportData, Section, bin_calibration, fmt

MAX_ITEMS = 5000


def load_report_data(path: str | Path) -> ReportData:
    """Detect the kind of output at ``path`` and load it."""
    path = Path(path)
    if path.is_dir() and (path / "points.json").is_file():
        return _sweep(path)
    if path.is_dir() and (path / "summary.json").is_file() and (path / "results").is_dir():
        return _bench(path)
    if path.is_file() and path.suffix == ".jsonl":
        return _grading(path)
    if path.is_dir():
        runs = sorted(p for p in path.glob("*.jsonl") if not p.name.endswith(".errors.jsonl"))
        if len(runs) == 1:
            return _grading(runs[0])
    raise InputError(
        "not a grading output (.jsonl), a benchmark folder (summary.json + results/) or a sweep folder "
        "(points.json)",
        record=str(path),
    )


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else {}


def _grading(path: Path) -> ReportData:
    from judgeforge.runner.bookkeeping import read_run_files

    run = read_run_files(path)  # the runner's own records: one schema for writer and reader
    lines = run.lines
    summary = run.summary.model_dump() if run.summary else {}
    manifest = run.manifest.model_dump() if run.manifest else {}
    section = Section(title="Grading run")
    scores = Counter(
        str(v.get("score") or v.get("winner")) for line in lines for v in line.get("verdicts", [])
    )
    section.bars["Verdicts (all samples)"] = {k: float(n) for k, n in sorted(scores.items()) if k != "None"}
    failures = summary.get("failures_by_reason") or Counter(
        line["failure"] for line in lines if line.get("failure")
    )
    if failures:
        section.bars["Failures by reason"] = {str(k): float(v) for k, v in failures.items()}
    calibration = _calibration_from_verdicts(lines)
    if calibration:
        section.calibration["Expected score vs sampled score"] = calibration
    items = [_grading_item(path.name, line) for line in lines]
    facts = _run_facts(summary, manifest, len(lines))
    return ReportData("grading", f"Grading run: {path.name}", facts, [section], items[:MAX_ITEMS], len(items))


def _run_facts(summary: dict[str, Any], manifest: dict[str, Any], rows: int) -> dict[str, str]:
    facts = {"rows": str(summary.get("rows", rows))}
    for key in (
        "graded",
        "failed",
        "bad_rows",
        "mean_agreement",
        "swap_consistency",
        "tokens_in",
        "tokens_out",
        "cost",
    ):
        if summary.get(key) is not None:
            facts[key.replace("_", " ")] = fmt(summary[key])
    alpha = summary.get("krippendorff_alpha")
    if isinstance(alpha, dict) and alpha.get("alpha") is not None:
        facts["Krippendorff α (ordinal)"] = fmt(alpha["alpha"])
    backend = manifest.get("identity")
    if isinstance(backend, dict):
        facts["backend"] = ", ".join(f"{k}={v}" for k, v in backend.items())
    judge = manifest.get("judge") or {}
    template = judge.get("template_set")
    if template:
        facts["template set"] = json.dumps(template) if isinstance(template, dict) else str(template)
    return facts


def _grading_item(source: str, line: dict[str, Any]) -> ItemRow:
    verdicts = line.get("verdicts") or [{}]
    verdict = line.get("score") if line.get("mode") == "absolute" else line.get("winner")
    return ItemRow(
        source=source,
        item_id=str(line.get("id")),
        verdict=fmt(verdict) if verdict is not None else "—",
        gold="",
        feedback=str(verdicts[0].get("feedback") or ""),
        failure=str(line.get("failure") or ""),
    )


def _calibration_from_verdicts(lines: list[dict[str, Any]]) -> list[tuple[float, float, int]]:
    pairs = [
        (float(v["expected_score"]), float(v["score"]))
        for line in lines
        for v in line.get("verdicts", [])
        if v.get("expected_score") is not None and v.get("score") is not None
    ]
    return bin_calibration(pairs)


def _bench(path: Path) -> ReportData:
    from judgeforge.report.bench import bench_sections

    summary = _read_json(path / "summary.json")
    sections, items = bench_sections(path, summary)
    judges = sorted(summary.get("results", {}))
    facts = {
        "judges": ", ".join(judges),
        "benchmarks": ", ".join(sorted({b for j in judges for b in summary["results"][j]})),
    }
    return ReportData("bench", f"Benchmark run: {path.name}", facts, sections, items[:MAX_ITEMS], len(items))


def _sweep(path: Path) -> ReportData:
    points = json.loads((path / "points.json").read_text(encoding="utf-8"))
    metrics = sorted({k for p in points for k in p if k not in ("alpha", "density", "model_dir")})
    section = Section(title="Merge sweep")
    series: dict[str, list[tuple[float, float]]] = {}
    for point in points:
        for metric in metrics:
            if isinstance(point.get(metric), (int, float)):
                label = metric if point.get("density") is None else f"{metric} (density {point['density']})"
                series.setdefault(label, []).append((float(point["alpha"]), float(point[metric])))
    if series:
        section.lines["Score vs alpha"] = {k: sorted(v) for k, v in series.items()}
    header = ["alpha", "density", *metrics]
    rows = [[fmt(p.get(h)) for h in header] for p in points]
    section.tables["Points"] = (header, rows)
    facts = {"points": str(len(points)), "metrics": ", ".join(metrics) or "none (no benchmark per point)"}
    return ReportData("sweep", f"Merge sweep: {path.name}", facts, [section], [], 0)
