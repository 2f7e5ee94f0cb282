"""The charts of a benchmark section: every judge appears in every judge-by-judge chart (a judge without
verdicts as "no verdicts", a judge with low coverage flagged under its bar), score levels 1..5 always, or the
judge's own scale's levels where it grades on another one (``judge_scale`` in its rows: MT-Bench's 1-10 on
1-5 gold); such a judge has no judge-vs-gold heatmap or calibration chart, which need one scale (the section's
note says so)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from judgeforge.report import labels, verdicts
from judgeforge.report.bench_run import JudgeRun, gold_score, gold_source, level
from judgeforge.report.data import BarChart, Chart, Heatmap, LineChart, bin_calibration

SCALE = (1.0, 5.0)


def direct_charts(runs: list[JudgeRun]) -> list[Chart]:
    source = gold_source([line for run in runs for line in run.lines])
    gold = labels.source(source) if source else "gold"
    charts: list[Chart] = []
    if source is not None:
        values = {r.judge: _correlation(r, source) for r in runs}
        charts.append(
            BarChart(f"Pearson r with {gold}, by judge", "judge", "Pearson r", values, warnings=_flags(runs))
        )
    for run in runs:
        charts.append(_score_counts(run))
        if source is not None and not run.silent and judge_scale(run) is None:
            charts += _against_gold(run, source, gold)
    return charts


def judge_scale(run: JudgeRun) -> list[str] | None:
    """The levels of the scale the judge graded on where it is not the gold's (its rows' ``judge_scale``)."""
    scale = next((line["judge_scale"] for line in run.lines if line.get("judge_scale")), None)
    return [str(value) for value in scale] if scale else None


def pair_charts(runs: list[JudgeRun]) -> list[Chart]:
    charts: list[Chart] = []
    for key in ("accuracy_ties_counted", "swap_consistency"):
        if any(key in r.metrics for r in runs):
            title = labels.metric(key)
            shares = {r.judge: None if r.silent else _percent(r.metrics.get(key)) for r in runs}
            charts.append(
                BarChart(
                    f"{title[0].upper()}{title[1:]}, by judge",
                    "judge",
                    f"{title} (%)",
                    shares,
                    True,
                    _flags(runs),
                )
            )
    for run in runs:
        counts = Counter(str(line.get("winner")) if line.get("winner") else None for line in run.lines)
        values: dict[str, float | None] = {labels.verdict(w): float(counts[w]) for w in verdicts.WINNERS}
        values[verdicts.NO_VERDICT] = float(counts[None])
        charts.append(BarChart(_title(run, "verdicts"), "verdict", "items", values, warnings=_silent(run)))
    return charts


def _flags(runs: list[JudgeRun]) -> dict[str, str]:
    """The flag under each judge's bar in a judge-by-judge chart."""
    return {
        run.judge: "no verdicts" if run.silent else f"⚠ {run.with_verdict} of {run.total} items"
        for run in runs
        if run.flag
    }


def _title(run: JudgeRun, what: str) -> str:
    """A one-judge chart's title, with the judge's coverage when it is flagged."""
    if run.silent:
        return f"{run.judge}: {what} (no verdicts)"
    return f"{run.judge}: {what}" + (f" (⚠ {run.with_verdict} of {run.total} items)" if run.flag else "")


def _silent(run: JudgeRun) -> dict[str, str]:
    return {verdicts.NO_VERDICT: "no verdicts"} if run.silent else {}


def _percent(value: object) -> float | None:
    return round(100 * float(value), 1) if isinstance(value, (int, float)) else None


def _correlation(run: JudgeRun, source: str) -> float | None:
    entry = (run.metrics.get(f"vs_{source}") or {}).get("pearson") or {}
    value = entry.get("value")
    return float(value) if isinstance(value, (int, float)) and not run.silent else None


def _score_counts(run: JudgeRun) -> BarChart:
    own = judge_scale(run)
    rounded = level if own is None else _on(own)
    counts = Counter(
        str(rounded(float(line["score"]))) if isinstance(line.get("score"), (int, float)) else None
        for line in run.lines
    )
    levels = verdicts.SCORE_LEVELS if own is None else own
    values: dict[str, float | None] = {lv: float(counts[lv]) for lv in levels}
    values[verdicts.NO_VERDICT] = float(counts[None])
    return BarChart(
        _title(run, "scores given"),
        "judge score (mean of runs, rounded)",
        "items",
        values,
        warnings=_silent(run),
    )


def _on(scale: list[str]) -> Callable[[float], int]:
    """Rounding to a whole-number scale's levels (half up), kept within its bounds."""
    numbers = [int(float(value)) for value in scale]
    low, high = min(numbers), max(numbers)
    return lambda value: min(high, max(low, int(value + 0.5)))


def _against_gold(run: JudgeRun, source: str, gold: str) -> list[Chart]:
    pairs = [
        (float(line["score"]), score)
        for line in run.lines
        if isinstance(line.get("score"), (int, float)) and (score := gold_score(line, source)) is not None
    ]
    if not pairs:
        return []
    matrix = [[0] * 5 for _ in range(5)]
    for predicted, truth in pairs:
        matrix[level(truth) - 1][level(predicted) - 1] += 1
    calibration = bin_calibration(pairs)
    return [
        Heatmap(
            _title(run, f"judge score vs {gold} score"),
            "judge score (rounded)",
            f"{gold} score (mean, rounded)",
            verdicts.SCORE_LEVELS,
            matrix,
        ),
        LineChart(
            _title(run, f"calibration against {gold}"),
            "judge score (binned)",
            f"mean {gold} score",
            {run.judge: [(x, y) for x, y, _ in calibration]},
            diagonal=True,
            x_range=SCALE,
            y_range=SCALE,
        ),
    ]
