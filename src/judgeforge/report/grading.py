"""A grading run (``OUT.jsonl`` with its summary and manifest) as report data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeforge.prompts.scales import numeric
from judgeforge.records import Rubric
from judgeforge.report import units, verdicts
from judgeforge.report.data import BarChart, Cell, Chart, LineChart, ReportData, Section, bin_calibration
from judgeforge.report.grading_items import grading_items

MAX_ITEMS = 5000


def grading_report(path: Path) -> ReportData:
    from judgeforge.runner.bookkeeping import read_run_files

    run = read_run_files(path)  # the runner's own records: one schema for writer and reader
    lines = run.lines
    summary = run.summary.model_dump() if run.summary else {}
    manifest = run.manifest.model_dump() if run.manifest else {}
    relative = manifest.get("mode") == "relative" or any(line.get("mode") == "relative" for line in lines)
    section = Section(title="Verdicts")
    section.charts = _charts(lines, relative, _scale(manifest))
    items, notes = grading_items(path, lines[:MAX_ITEMS], run.manifest)
    section.notes = [Cell(note) for note in notes]
    facts = _facts(lines, summary, manifest)
    return ReportData(
        "grading", f"Grading run: {path.name}", facts, [section], items, len(lines), source_label="run file"
    )


def _scale(manifest: dict[str, Any]) -> tuple[str, ...] | None:
    """The levels of the run's default rubric (None when rows bring their own rubrics)."""
    rubric = manifest.get("default_rubric")
    if not isinstance(rubric, dict):
        return None
    try:
        return Rubric.model_validate(rubric).scale_values()
    except ValueError:
        return None


def _charts(lines: list[dict[str, Any]], relative: bool, scale: tuple[str, ...] | None) -> list[Chart]:
    counts = verdicts.sample_counts(lines, relative, scale)
    words = not numeric([level for level in counts if level != verdicts.NO_VERDICT])
    x_title = "winner (original order)" if relative else "label" if words else "score level"
    charts: list[Chart] = [BarChart("Verdicts over all samples", x_title, "samples", dict(counts))]
    failures = verdicts.failure_counts(lines)
    if failures:
        charts.append(BarChart("Why samples had no verdict", "reason", "samples", dict(failures)))
    calibration = _calibration(lines)
    if calibration:
        charts.append(
            LineChart(
                "Calibration: expected score vs sampled score",
                "expected score from log-probabilities (binned)",
                "mean sampled score",
                {"samples": [(x, y) for x, y, _ in calibration]},
                diagonal=True,
                x_range=(1, 5),
                y_range=(1, 5),
            )
        )
    return charts


def _calibration(lines: list[dict[str, Any]]) -> list[tuple[float, float, int]]:
    pairs = [
        (float(v["expected_score"]), float(v["score"]))
        for line in lines
        for v in line.get("verdicts", [])
        if v.get("expected_score") is not None and v.get("score") is not None
    ]
    return bin_calibration(pairs)


def _facts(lines: list[dict[str, Any]], summary: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Cell]:
    rows = int(summary.get("rows", len(lines)))
    graded = sum(1 for line in lines if verdicts.has_verdict(line))
    facts = {"items": Cell(units.count(rows)), "items with a verdict": units.coverage(graded, rows)}
    parsed, samples = verdicts.samples_with_verdict(lines)
    facts["samples with a verdict"] = units.coverage(parsed, samples, "samples")
    if summary.get("bad_rows"):
        facts["bad input rows (skipped)"] = Cell(
            units.count(summary["bad_rows"]), "see the .errors.jsonl file"
        )
    facts.update(_agreement_facts(summary))
    facts.update(_cost_facts(summary, manifest))
    facts.update(_judge_facts(manifest))
    return facts


def _agreement_facts(summary: dict[str, Any]) -> dict[str, Cell]:
    facts: dict[str, Cell] = {}
    if summary.get("mean_agreement") is not None:
        facts["mean agreement between samples"] = Cell(units.percent(summary["mean_agreement"]))
    alpha = summary.get("krippendorff_alpha")
    if isinstance(alpha, dict) and alpha.get("alpha") is not None:
        facts["Krippendorff α across samples (ordinal)"] = Cell(units.number(alpha["alpha"]))
    if summary.get("swap_consistency") is not None:
        facts["swap consistency (both orders)"] = Cell(units.percent(summary["swap_consistency"]))
    return facts


def _cost_facts(summary: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Cell]:
    facts: dict[str, Cell] = {}
    for key, label in (("tokens_in", "prompt tokens"), ("tokens_out", "output tokens")):
        if summary.get(key) is not None:
            facts[label] = Cell(units.count(summary[key]))
    price = (manifest.get("options") or {}).get("price_per_1k_tokens")
    if summary.get("cost") is not None:
        # The price is given without a currency: the cost is in whatever currency the price was.
        label = f"cost (at {price:g} per 1,000 tokens, in the price's currency)" if price else "cost"
        facts[label] = Cell(f"{summary['cost']:,.4f}")
    return facts


def _judge_facts(manifest: dict[str, Any]) -> dict[str, Cell]:
    facts: dict[str, Cell] = {}
    identity = manifest.get("identity")
    if isinstance(identity, dict) and identity:
        model = identity.get("model", "")
        rest = ", ".join(f"{k} {v}" for k, v in identity.items() if k != "model")
        facts["judge model"] = Cell(f"{model} ({rest})" if model and rest else model or rest)
    judge = manifest.get("judge") or {}
    if judge.get("template_set"):
        chat = judge.get("chat_format")
        facts["prompt"] = Cell(f"{judge['template_set']}" + (f", chat format {chat}" if chat else ""))
    if judge.get("samples"):
        aggregate = judge.get("aggregate")
        shown = f" (aggregated by {aggregate})" if aggregate and judge["samples"] > 1 else ""
        facts["samples per item"] = Cell(f"{judge['samples']}{shown}")
    if manifest.get("input"):
        facts["input"] = Cell(str(manifest["input"]))
    return facts
