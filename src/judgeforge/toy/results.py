"""Per-family metrics of the toy models from the bench harness's saved per-item results.

The harness's summary gives whole-benchmark numbers; the toy world needs them per family (a family a model
cannot learn must show as such). Correlations use the harness's own metric functions; parse failures count
against the parse rate and are left out of correlations (as the harness does), and count as wrong in
pairwise accuracy. Every overall metric carries a 95% percentile bootstrap interval over items
(:func:`judgeforge.metrics.correlation.bootstrap_ci`, 1,000 resamples, seed 0) as ``<metric>_ci``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from judgeforge.metrics.correlation import bootstrap_ci, kendall_tau, pearson, spearman

DIRECT = {"toy-direct": "in-distribution", "toy-direct-heldout": "held-out"}
PAIRS = {"toy-pairs": "in-distribution", "toy-pairs-heldout": "held-out"}


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


RESAMPLES = 1000


def _correlation(function: Any) -> Any:
    """``function`` over the parsed items of (score or None, gold) pairs; None below three parsed items."""

    def statistic(scores: Sequence[float | None], gold: Sequence[float]) -> float | None:
        kept = [(s, g) for s, g in zip(scores, gold) if s is not None]
        return function([s for s, _ in kept], [g for _, g in kept]) if len(kept) > 2 else None

    return statistic


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _with_intervals(
    values: dict[str, Any], statistics: Mapping[str, tuple[Any, tuple[Sequence[Any], ...]]], resamples: int
) -> dict[str, Any]:
    for name, (statistic, samples) in statistics.items():
        values[name] = statistic(*samples)
        if resamples:
            interval = bootstrap_ci(statistic, *samples, resamples=resamples, seed=0)
            values[f"{name}_ci"] = list(interval) if interval else None
    return values


def direct_metrics(rows: Sequence[dict[str, Any]], resamples: int = 0) -> dict[str, Any]:
    """Pearson/Spearman/Kendall of the judge's score vs the true score (parsed items), and the parse rate;
    with ``resamples``, each with a ``<name>_ci`` bootstrap interval over all items."""
    scores = [None if row.get("score") is None else float(row["score"]) for row in rows]
    gold = [float(row["gold"]["gpt4"][0]) for row in rows]
    statistics = {
        "parse_rate": (_share, ([s is not None for s in scores],)),
        "pearson": (_correlation(pearson), (scores, gold)),
        "spearman": (_correlation(spearman), (scores, gold)),
        "kendall": (_correlation(kendall_tau), (scores, gold)),
    }
    return _with_intervals({"items": len(rows)}, statistics, resamples)


def pair_metrics(rows: Sequence[dict[str, Any]], resamples: int = 0) -> dict[str, Any]:
    """Accuracy (a missing verdict is wrong) and the parse rate; with ``resamples``, bootstrap intervals."""
    parsed = [row.get("winner") in ("A", "B") for row in rows]
    correct = [ok and row["winner"] == row["gold"] for ok, row in zip(parsed, rows)]
    statistics = {"parse_rate": (_share, (parsed,)), "accuracy": (_share, (correct,))}
    return _with_intervals({"items": len(rows)}, statistics, resamples)


def _by_family(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    families: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        families.setdefault(str(row.get("category")), []).append(row)
    return dict(sorted(families.items()))


def model_results(bench_dir: Path, judge: str = "*", resamples: int = 0) -> dict[str, Any]:
    """Metrics of one judge (folder name under ``results/``; default: the only one) per test set and family;
    the overall metrics with bootstrap intervals when ``resamples``."""
    result: dict[str, Any] = {}
    for bench, metrics, mode in [
        *((b, direct_metrics, "direct") for b in DIRECT),
        *((b, pair_metrics, "relative") for b in PAIRS),
    ]:
        files = sorted(bench_dir.glob(f"results/{judge}/{bench}/{mode}.jsonl"))
        rows = _rows(files[0]) if files else []
        result[bench] = {
            "overall": metrics(rows, resamples),
            "families": {family: metrics(group) for family, group in _by_family(rows).items()},
        }
    return result


def collect_results(
    sources: Mapping[str, tuple[Path, str]], out: Path, vectors: Path | None = None
) -> dict[str, Any]:
    """Results of every model (label -> (bench folder, judge folder name)), with bootstrap intervals, written
    to ``out`` (JSON) and a markdown table beside it (with the task vectors of ``vectors``, when given)."""
    results = {label: model_results(folder, judge, RESAMPLES) for label, (folder, judge) in sources.items()}
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    table = markdown_table(results)
    if vectors is not None and vectors.is_file():
        table += "\n" + vectors_table(json.loads(vectors.read_text(encoding="utf-8")))
    out.with_suffix(".md").write_text(table, encoding="utf-8")
    return results


def vectors_table(report: Mapping[str, Any]) -> str:
    """``judgeforge task-vectors --json`` output as two markdown tables (norms; cosines)."""
    lines = ["| judge | ‖Δ‖ / ‖θ_base‖ |", "| --- | --- |"]
    lines += [f"| {name} | {values['relative_norm']:.4f} |" for name, values in report["models"].items()]
    lines += ["", "| pair | cos(Δ_a, Δ_b) |", "| --- | --- |"]
    lines += [f"| {c['a']}, {c['b']} | {_fmt(c['cosine'])} |" for c in report["cosines"]]
    return "\n".join(lines) + "\n"


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}" if percent else f"{value:.3f}"


def _cell(metrics: Mapping[str, Any], name: str, percent: bool = False) -> str:
    """``0.738 [0.61, 0.84]``: the value and its bootstrap interval, when the metrics carry one."""
    interval = metrics.get(f"{name}_ci")
    text = _fmt(metrics.get(name), percent)
    if interval:
        text += f" [{_fmt(interval[0], percent)}, {_fmt(interval[1], percent)}]"
    return text


def markdown_table(results: dict[str, Any]) -> str:
    """Overall table (DA correlations, PR accuracy, parse rates; in-distribution and held-out; 95% bootstrap
    intervals in brackets) + per family."""
    lines = [
        "| model | DA Pearson | DA Spearman | DA Kendall | DA parse % | PR acc % | PR parse % "
        "| held-out DA Pearson | held-out DA parse % | held-out PR acc % | held-out PR parse % |",
        "|" + " --- |" * 11,
    ]
    for label, res in results.items():
        da, pr = res["toy-direct"]["overall"], res["toy-pairs"]["overall"]
        hda, hpr = res["toy-direct-heldout"]["overall"], res["toy-pairs-heldout"]["overall"]
        cells = [
            _cell(da, "pearson"), _cell(da, "spearman"), _cell(da, "kendall"), _cell(da, "parse_rate", True),
            _cell(pr, "accuracy", True), _cell(pr, "parse_rate", True), _cell(hda, "pearson"),
            _cell(hda, "parse_rate", True), _cell(hpr, "accuracy", True), _cell(hpr, "parse_rate", True),
        ]  # fmt: skip
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Per family (DA Pearson / parse %; PR accuracy % / parse %):", ""]
    families = sorted({f for res in results.values() for b in res.values() for f in b["families"]})
    lines += ["| model | " + " | ".join(families) + " |", "|" + " --- |" * (len(families) + 1)]
    for label, res in results.items():
        cells = []
        for family in families:
            bench_da = "toy-direct" if family in res["toy-direct"]["families"] else "toy-direct-heldout"
            bench_pr = "toy-pairs" if family in res["toy-pairs"]["families"] else "toy-pairs-heldout"
            da = res[bench_da]["families"].get(family, {})
            pr = res[bench_pr]["families"].get(family, {})
            cells.append(
                f"{_fmt(da.get('pearson'))} / {_fmt(da.get('parse_rate'), True)}; "
                f"{_fmt(pr.get('accuracy'), True)} / {_fmt(pr.get('parse_rate'), True)}"
            )
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
