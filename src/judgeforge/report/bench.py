"""Benchmark folders (``judgeforge bench -o DIR``) as report sections: per benchmark and mode, the metric
table (one column per judge, coverage first), per-category tables and charts; judges with low coverage are
flagged wherever their numbers appear, and judges with no verdicts are listed as such."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from judgeforge.report import labels, units
from judgeforge.report.bench_charts import direct_charts, pair_charts
from judgeforge.report.bench_items import bench_item
from judgeforge.report.bench_run import JudgeRun
from judgeforge.report.data import Cell, ItemRow, ReportData, Section, Table
from judgeforge.report.grading import MAX_ITEMS


def bench_report(root: Path) -> ReportData:
    """The report data of a benchmark folder (``summary.json`` + ``results/``)."""
    summary = json.loads((root / "summary.json").read_text(encoding="utf-8"))
    results: dict[str, dict[str, dict[str, Any]]] = summary.get("results", {})
    sections: list[Section] = []
    items: list[ItemRow] = []
    flagged: dict[str, list[str]] = {}
    for bench in sorted({bench for per_judge in results.values() for bench in per_judge}):
        modes = sorted({m for j in results for m in results[j].get(bench, {})} - {"cross"})
        for mode in modes:
            runs = [
                JudgeRun(j, results[j][bench][mode], _lines(root / "results" / j / bench / f"{mode}.jsonl"))
                for j in sorted(results)
                if mode in results[j].get(bench, {})
            ]
            title = f"{bench}: {labels.mode(mode)}"
            sections.append(_section(title, mode, runs))
            items += [bench_item(f"{r.judge} · {title}", line) for r in runs for line in r.lines]
            for run in (r for r in runs if r.flag):
                flagged.setdefault(run.judge, []).append(f"{bench} {100 * run.share:.0f}%")
        cross = {
            j: results[j][bench]["cross"] for j in sorted(results) if "cross" in results[j].get(bench, {})
        }
        if cross:
            sections.append(_cross_section(bench, cross))
    facts = _facts(summary, flagged)
    return ReportData(
        "bench",
        f"Benchmark run: {root.name}",
        facts,
        sections,
        items[:MAX_ITEMS],
        len(items),
        "judge · benchmark",
    )


def _facts(summary: dict[str, Any], flagged: dict[str, list[str]]) -> dict[str, Cell]:
    results = summary.get("results", {})
    facts = {
        "judges": Cell(", ".join(sorted(results))),
        "benchmarks": Cell(", ".join(sorted({b for per_judge in results.values() for b in per_judge}))),
    }
    if flagged:
        text = "; ".join(f"{judge} ({', '.join(where)})" for judge, where in sorted(flagged.items()))
        facts["judges with low coverage"] = Cell(
            text, f"below {100 * units.COVERAGE_FLOOR:.0f}% of items have a verdict"
        )
    resamples = (summary.get("bootstrap") or {}).get("resamples")
    if resamples:
        facts["bootstrap resamples (95% CIs)"] = Cell(units.count(resamples))
    return facts


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _section(title: str, mode: str, runs: list[JudgeRun]) -> Section:
    section = Section(title=title)
    judges = [run.judge for run in runs]
    rows = [[Cell("items with a verdict"), *(r.coverage for r in runs)]]
    for label, shown in _metric_rows(runs):
        judged = label != _GOLD_TIES  # a count of the gold labels, not of the judge's verdicts
        rows.append(
            [Cell(label)]
            + [_flagged(shown(r.metrics), r) if judged else Cell(shown(r.metrics)) for r in runs]
        )
    section.tables.append(Table("Metrics", ["metric", *judges], rows))
    section.tables += _category_tables(runs)
    section.charts = direct_charts(runs) if mode == "direct" else pair_charts(runs)
    silent = [f"{r.judge} (0 of {r.total} items)" for r in runs if r.silent]
    if silent:
        text = "No verdicts: " + ", ".join(silent) + "; listed in the tables and charts, with no numbers"
        section.notes.append(Cell(text, "no verdicts"))
    section.notes += _scale_notes(runs, mode)
    low = [f"{r.judge}, {r.coverage.text}" for r in runs if r.flag and not r.silent]
    if low:
        text = "Low coverage, so these judges' numbers are flagged ⚠: " + "; ".join(low)
        section.notes.append(Cell(text, f"below {100 * units.COVERAGE_FLOOR:.0f}% of items have a verdict"))
    return section


def _scale_notes(runs: list[JudgeRun], mode: str) -> list[Cell]:
    """One note per judge graded on another scale than the gold's (``scale`` in its metrics), with the metrics
    skipped for it and why."""
    notes = []
    for run in runs:
        scale = run.metrics.get("scale")
        if scale:
            skipped = "".join(
                f"; {name} skipped: {why}" for name, why in sorted(run.metrics.get("skipped", {}).items())
            )
            charts = (
                f"; its scores are charted on {scale['judge']}, with no chart against the gold"
                if mode == "direct"
                else ""
            )
            notes.append(
                Cell(f"{run.judge}: {scale['note']}{skipped}{charts}", "another scale than the gold's")
            )
    return notes


def _flagged(text: str, run: JudgeRun) -> Cell:
    """A number computed from a judge's verdicts, flagged when few items have one."""
    if run.silent:
        return Cell(units.NONE, "no verdicts")
    return Cell(text, run.flag if text != units.NONE else "")


Shown = Callable[[dict[str, Any]], str]  # a judge's metrics -> the cell text


def _metric_rows(runs: list[JudgeRun]) -> list[tuple[str, Shown]]:
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.metrics if k not in keys and k not in ("items", "no_verdict")]
    rows: list[tuple[str, Shown]] = []
    for key in keys:
        if key.startswith("vs_"):
            for name in ("pearson", "spearman", "kendall"):
                rows.append(
                    (f"{labels.metric(name)} with {labels.source(key[3:])} [95% CI]", _corr(key, name))
                )
        elif key == "inter_run":
            rows.append(("Krippendorff α across runs (ordinal)", _inter_run))
        elif key.startswith("by_category"):
            continue
        elif key == "transitivity":
            rows.append(("transitive triads", _transitivity))
        else:
            rows.append((_plain_label(key), _plain(key)))
    return rows


_GOLD_TIES = "gold ties (items)"


def _plain_label(key: str) -> str:
    if key == "gold_ties":
        return _GOLD_TIES
    return labels.metric(key) + (" (%)" if labels.is_share(key) else "")


def _corr(key: str, name: str) -> Shown:
    def shown(metrics: dict[str, Any]) -> str:
        entry = (metrics.get(key) or {}).get(name) or {}
        ci = entry.get("ci95")
        text = units.number(entry.get("value"))
        return (
            f"{text} [{units.number(ci[0], 2)}, {units.number(ci[1], 2)}]"
            if ci and text != units.NONE
            else text
        )

    return shown


def _inter_run(metrics: dict[str, Any]) -> str:
    return units.number((metrics.get("inter_run") or {}).get("alpha_ordinal"))


def _transitivity(metrics: dict[str, Any]) -> str:
    entry = metrics.get("transitivity") or {}
    share = units.percent(entry.get("share"))
    return f"{share} of {entry['triads']} triads" if entry.get("triads") else share


def _plain(key: str) -> Shown:
    def shown(metrics: dict[str, Any]) -> str:
        value = metrics.get(key)
        if labels.is_share(key):
            return units.percent(value)
        return units.count(value) if isinstance(value, int) else units.number(value)

    return shown


def _category_tables(runs: list[JudgeRun]) -> list[Table]:
    tables = []
    for key in ("by_category_ties_counted", "by_category_ties_skipped"):
        per_judge = {r.judge: r for r in runs if isinstance(r.metrics.get(key), dict)}
        if not per_judge:
            continue
        categories = sorted({c for r in per_judge.values() for c in r.metrics[key]})
        title = f"Accuracy by category, {key[12:].replace('_', ' ')} (%)"
        rows = [
            [Cell(category)]
            + [_flagged(units.percent(r.metrics[key].get(category)), r) for r in per_judge.values()]
            for category in categories
        ]
        tables.append(Table(title, ["category", *per_judge], rows))
    return tables


def _cross_section(bench: str, cross: dict[str, dict[str, Any]]) -> Section:
    judges = list(cross)
    rows = [
        [Cell("agreement of pairwise-from-direct and pairwise verdicts (%)")]
        + [Cell(units.percent(cross[j].get("direct_vs_pairwise_agreement"))) for j in judges],
        [Cell("pairs judged both ways")] + [Cell(units.count(cross[j].get("pairs"))) for j in judges],
    ]
    return Section(f"{bench}: direct vs pairwise", tables=[Table("Agreement", ["metric", *judges], rows)])
