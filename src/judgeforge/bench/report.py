"""Markdown tables from a bench summary: one column per judge, one row per benchmark/mode/metric."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Cell = Callable[[dict[str, Any]], str]


def _number(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _percent(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.2f}"


def _correlation(source: str, name: str) -> Cell:
    def cell(metrics: dict[str, Any]) -> str:
        entry = metrics.get(f"vs_{source}", {}).get(name)
        if not entry:
            return ""
        ci = entry.get("ci95")
        interval = f" [{_number(ci[0], 2)}, {_number(ci[1], 2)}]" if ci else ""
        return _number(entry["value"]) + interval

    return cell


def _exact(source: str) -> Cell:
    def cell(metrics: dict[str, Any]) -> str:
        return _percent(metrics.get(f"exact_match_{source}"))

    return cell


def _direct_rows(metrics_by_judge: list[dict[str, Any]]) -> list[tuple[str, Cell]]:
    sources = sorted({k[3:] for m in metrics_by_judge for k in m if k.startswith("vs_")})
    rows: list[tuple[str, Cell]] = []
    for source in sources:
        for name, title in (("pearson", "Pearson"), ("spearman", "Spearman"), ("kendall", "Kendall τ")):
            rows.append((f"{title} vs {source} [95% CI]", _correlation(source, name)))
        if any(f"exact_match_{source}" in m for m in metrics_by_judge):
            rows.append((f"exact match vs {source} (%)", _exact(source)))
    rows.append(
        (
            "Krippendorff α across runs (ordinal)",
            lambda m: _number(m.get("inter_run", {}).get("alpha_ordinal")),
        )
    )
    rows.append(("no verdict (items)", lambda m: str(m.get("no_verdict", ""))))
    return rows


def _pair_rows() -> list[tuple[str, Cell]]:
    def transitive(m: dict[str, Any]) -> str:
        entry = m.get("transitivity")
        return f"{_percent(entry['share'])} ({entry['triads']} triads)" if entry else ""

    return [
        ("accuracy, ties counted (%)", lambda m: _percent(m.get("accuracy_ties_counted"))),
        ("accuracy, ties skipped (%)", lambda m: _percent(m.get("accuracy_ties_skipped"))),
        ("accuracy without ties (%)", lambda m: _percent(m.get("accuracy_without_ties"))),
        ("judge ties (items)", lambda m: str(m["judge_ties"]) if "judge_ties" in m else ""),
        (
            "swap consistency (%)",
            lambda m: _percent(m["swap_consistency"]) if "swap_consistency" in m else "",
        ),
        ("transitivity (%)", transitive),
        ("no verdict (items)", lambda m: str(m.get("no_verdict", ""))),
    ]


def markdown_report(summary: dict[str, Any]) -> str:
    """The report: a main table and per-category tables."""
    results: dict[str, dict[str, dict[str, Any]]] = summary["results"]
    judges = sorted(results)
    benchmarks = sorted({bench for per_judge in results.values() for bench in per_judge})
    lines = ["# Benchmark report", "", "| Benchmark | Mode | Metric | " + " | ".join(judges) + " |"]
    lines.append("|" + " --- |" * (3 + len(judges)))
    for bench in benchmarks:
        modes = sorted({mode for j in judges for mode in results[j].get(bench, {})} - {"cross"})
        for mode in modes:
            metrics = [results[j].get(bench, {}).get(mode, {}) for j in judges]
            rows = _direct_rows(metrics) if mode == "direct" else _pair_rows()
            for title, cell in rows:
                cells = [cell(m) if m else "" for m in metrics]
                if any(cells):
                    lines.append(f"| {bench} | {mode} | {title} | " + " | ".join(cells) + " |")
        cross = [results[j].get(bench, {}).get("cross", {}) for j in judges]
        if any(cross):
            cells = [_percent(c.get("direct_vs_pairwise_agreement")) if c else "" for c in cross]
            lines.append(
                f"| {bench} | a2r vs relative | direct/pairwise agreement (%) | " + " | ".join(cells) + " |"
            )
    lines += _category_tables(results, judges, benchmarks)
    notes = scale_notes(summary)
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def scale_notes(summary: dict[str, Any]) -> list[str]:
    """One line per judge, benchmark and mode graded on another scale than the gold's, with each metric
    skipped for it and why (the terminal summary prints the same lines)."""
    notes = []
    for judge, per_bench in sorted(summary["results"].items()):
        for bench, per_mode in sorted(per_bench.items()):
            for mode, metrics in sorted(per_mode.items()):
                scale = metrics.get("scale")
                if not scale:
                    continue
                skipped = "".join(
                    f"; {name} skipped: {reason}"
                    for name, reason in sorted(metrics.get("skipped", {}).items())
                )
                notes.append(f"{judge} on {bench} ({mode}): {scale['note']}{skipped}")
    return notes


def _category_tables(results: dict[str, Any], judges: list[str], benchmarks: list[str]) -> list[str]:
    lines: list[str] = []
    for bench in benchmarks:
        for mode in ("relative", "both", "a2r"):
            per_judge = [
                results[j].get(bench, {}).get(mode, {}).get("by_category_ties_counted") for j in judges
            ]
            if not any(per_judge):
                continue
            categories = sorted({c for table in per_judge if table for c in table})
            lines += ["", f"## {bench} ({mode}) accuracy by category, ties counted (%)", ""]
            lines.append("| Category | " + " | ".join(judges) + " |")
            lines.append("|" + " --- |" * (1 + len(judges)))
            for category in categories:
                cells = [_percent(table.get(category)) if table else "" for table in per_judge]
                lines.append(f"| {category} | " + " | ".join(cells) + " |")
    return lines
