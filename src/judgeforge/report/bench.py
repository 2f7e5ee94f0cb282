"""Benchmark folders (``judgeforge bench -o DIR``) as report sections: metric tables, confusion, calibration."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import fmean
from typing import Any

from judgeforge.report.data import ItemRow, Section, bin_calibration, fmt

_DIRECT_METRICS = (("pearson", "Pearson"), ("spearman", "Spearman"), ("kendall", "Kendall τ"))


def bench_sections(root: Path, summary: dict[str, Any]) -> tuple[list[Section], list[ItemRow]]:
    results = summary.get("results", {})
    sections: dict[tuple[str, str], Section] = {}
    items: list[ItemRow] = []
    for judge in sorted(results):
        for bench, modes in sorted(results[judge].items()):
            for mode, metrics in sorted(modes.items()):
                section = sections.setdefault((bench, mode), Section(title=f"{bench} ({mode})"))
                lines = _lines(root / "results" / judge / bench / f"{mode}.jsonl")
                _add_metrics(section, judge, metrics)
                _add_direct_plots(section, judge, lines)
                items += [_item(f"{judge}/{bench}/{mode}", line) for line in lines]
    return list(sections.values()), items


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _add_metrics(section: Section, judge: str, metrics: dict[str, Any]) -> None:
    rows: list[tuple[str, str]] = []
    for key, value in metrics.items():
        if key.startswith("vs_") and isinstance(value, dict):
            for short, label in _DIRECT_METRICS:
                entry = value.get(short) or {}
                ci = entry.get("ci95")
                text = fmt(entry.get("value"))
                rows.append((f"{label} {key}", f"{text} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else text))
        elif key.startswith("by_category") and isinstance(value, dict):
            header, table = section.tables.setdefault(
                f"Accuracy by category ({key[12:]})", (["category"], [])
            )
            _add_column(header, table, judge, {k: _pct(v) for k, v in value.items()})
        elif isinstance(value, (int, float)):
            rows.append(
                (
                    key.replace("_", " "),
                    _pct(value) if key.startswith("accuracy") or "consistency" in key else fmt(value),
                )
            )
        elif isinstance(value, dict) and "alpha_ordinal" in value:
            rows.append(("Krippendorff α across runs", fmt(value["alpha_ordinal"])))
        elif isinstance(value, dict) and "share" in value:
            rows.append(
                (key.replace("_", " "), f"{_pct(value['share'])} ({value.get('triads', '?')} triads)")
            )
    header, table = section.tables.setdefault("Metrics", (["metric"], []))
    _add_column(header, table, judge, dict(rows))
    for key, title in (
        ("accuracy_ties_counted", "Accuracy, ties counted (%)"),
        ("swap_consistency", "Swap consistency (%)"),
    ):
        if isinstance(metrics.get(key), (int, float)):
            section.bars.setdefault(title, {})[judge] = round(100 * float(metrics[key]), 1)


def _add_column(header: list[str], table: list[list[str]], judge: str, values: dict[str, str]) -> None:
    header.append(judge)
    index = {row[0]: row for row in table}
    for row in table:
        row.append("")
    for name, value in values.items():
        if name not in index:
            row = [name] + [""] * (len(header) - 1)
            table.append(row)
            index[name] = row
        index[name][-1] = value


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else str(value)


def _gold_score(line: dict[str, Any]) -> float | None:
    gold = line.get("gold")
    if isinstance(gold, dict):
        values = [
            float(v) for scores in gold.values() for v in (scores if isinstance(scores, list) else [scores])
        ]
        return fmean(values) if values else None
    return float(gold) if isinstance(gold, (int, float)) else None


def _add_direct_plots(section: Section, judge: str, lines: list[dict[str, Any]]) -> None:
    pairs = [
        (float(line["score"]), gold)
        for line in lines
        if isinstance(line.get("score"), (int, float)) and (gold := _gold_score(line)) is not None
    ]
    if not pairs:
        return
    matrix = [[0] * 5 for _ in range(5)]
    for predicted, gold in pairs:
        matrix[_level(gold) - 1][_level(predicted) - 1] += 1
    section.confusion[f"{judge}: gold (rows) vs judge (columns)"] = matrix
    section.calibration[f"{judge}: judge score vs mean gold score"] = bin_calibration(pairs)
    counts: dict[str, float] = {str(level): 0.0 for level in range(1, 6)}
    for predicted, _ in pairs:
        counts[str(_level(predicted))] += 1
    section.bars[f"{judge}: score distribution"] = counts


def _level(value: float) -> int:
    return min(5, max(1, int(value + 0.5)))


def _item(source: str, line: dict[str, Any]) -> ItemRow:
    verdict = line.get("score") if line.get("score") is not None else line.get("winner")
    verdicts = line.get("verdicts") or [{}]
    gold = line.get("gold")
    failure = next((v.get("failure") for v in verdicts if v.get("failure")), "") or ""
    return ItemRow(
        source=source,
        item_id=str(line.get("id")),
        verdict=fmt(verdict) if verdict is not None else "—",
        gold=fmt(_gold_score(line)) if isinstance(gold, dict) else str(gold if gold is not None else ""),
        feedback=str(verdicts[0].get("feedback") or ""),
        failure=str(failure),
    )
