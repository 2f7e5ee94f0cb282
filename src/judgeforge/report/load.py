"""Loading what a report shows: grading runs, benchmark runs, leaderboards and merge sweeps, into one shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from judgeforge.errors import InputError
from judgeforge.report import labels, units
from judgeforge.report.bench import bench_report
from judgeforge.report.data import Cell, LineChart, ReportData, Section, Table
from judgeforge.report.grading import grading_report
from judgeforge.report.leaderboard import is_leaderboard, leaderboard_report


def load_report_data(path: str | Path) -> ReportData:
    """Detect the kind of output at ``path`` and load it."""
    path = Path(path)
    if is_leaderboard(path):
        return leaderboard_report(path)
    if path.is_dir() and (path / "points.json").is_file():
        return _sweep(path)
    if path.is_dir() and (path / "summary.json").is_file() and (path / "results").is_dir():
        return bench_report(path)
    if path.is_file() and path.suffix == ".jsonl":
        return grading_report(path)
    if path.is_dir():
        runs = sorted(p for p in path.glob("*.jsonl") if not p.name.endswith(".errors.jsonl"))
        if len(runs) == 1:
            return grading_report(runs[0])
    raise InputError(
        "not a grading output (.jsonl), a benchmark folder (summary.json + results/), a leaderboard folder "
        "(leaderboard.json) or a sweep folder (points.json)",
        record=str(path),
    )


def default_output(source: str | Path) -> Path:
    """Where the report of ``source`` goes by default: ``X.jsonl`` -> ``X.html``, a folder -> ``folder/report.html``."""
    path = Path(source)
    return path / "report.html" if path.is_dir() else path.with_suffix(".html")


def _sweep(path: Path) -> ReportData:
    points: list[dict[str, Any]] = json.loads((path / "points.json").read_text(encoding="utf-8"))
    metrics = sorted({k for p in points for k in p if k not in ("alpha", "density", "model_dir")})
    section = Section(title="Merge sweep")
    alphas = sorted({float(p["alpha"]) for p in points})
    for percent in (False, True):
        chosen = [m for m in metrics if labels.is_share(m) == percent]
        series = _series(points, chosen, percent)
        if series:
            y_title = "score (%)" if percent else (labels.metric(chosen[0]) if len(chosen) == 1 else "score")
            section.charts.append(
                LineChart(
                    f"{y_title[0].upper()}{y_title[1:]} vs alpha",
                    "alpha (weight of the second model)",
                    y_title,
                    series,
                    x_ticks=alphas,
                )
            )
    header = ["alpha", "density", "merged model", *(_metric_header(m) for m in metrics)]
    section.tables.append(Table("Points", header, [_point_row(p, metrics) for p in points]))
    facts = {
        "points": Cell(units.count(len(points))),
        "metrics": Cell(", ".join(labels.metric(m) for m in metrics) or "none (no benchmark per point)"),
    }
    return ReportData("sweep", f"Merge sweep: {path.name}", facts, [section], [], 0)


def _series(
    points: list[dict[str, Any]], metrics: list[str], percent: bool
) -> dict[str, list[tuple[float, float]]]:
    series: dict[str, list[tuple[float, float]]] = {}
    scale = 100.0 if percent else 1.0
    for point in points:
        for metric in metrics:
            value = point.get(metric)
            if isinstance(value, (int, float)):
                density = point.get("density")
                label = labels.metric(metric) + ("" if density is None else f", density {density:g}")
                series.setdefault(label, []).append((float(point["alpha"]), scale * float(value)))
    return {name: sorted(values) for name, values in series.items()}


def _metric_header(metric: str) -> str:
    return labels.metric(metric) + (" (%)" if labels.is_share(metric) else "")


def _point_row(point: dict[str, Any], metrics: list[str]) -> list[Cell]:
    density = point.get("density")
    cells = [
        Cell(f"{point.get('alpha'):g}" if isinstance(point.get("alpha"), (int, float)) else units.NONE),
        Cell("not set" if density is None else f"{density:g}"),
        Cell(Path(str(point.get("model_dir") or "")).name or units.NONE),
    ]
    for metric in metrics:
        value = point.get(metric)
        cells.append(Cell(units.percent(value) if labels.is_share(metric) else units.number(value)))
    return cells
