"""Per-family metrics of the toy models from the bench harness's saved per-item results.

The harness's summary gives whole-benchmark numbers; the toy world needs them per family (a family a model
cannot learn must show as such). Correlations use the harness's own metric functions; parse failures count
against the parse rate and are left out of correlations (as the harness does), and count as wrong in
pairwise accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from judgeforge.metrics.correlation import kendall_tau, pearson, spearman

DIRECT = {"toy-direct": "in-distribution", "toy-direct-heldout": "held-out"}
PAIRS = {"toy-pairs": "in-distribution", "toy-pairs-heldout": "held-out"}


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def direct_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pearson/Spearman/Kendall of the judge's score vs the true score, and the parse rate."""
    scored = [
        (float(row["score"]), float(row["gold"]["gpt4"][0])) for row in rows if row.get("score") is not None
    ]
    judge, gold = [s for s, _ in scored], [g for _, g in scored]
    return {
        "items": len(rows),
        "parse_rate": len(scored) / len(rows) if rows else None,
        "pearson": pearson(judge, gold) if len(scored) > 2 else None,
        "spearman": spearman(judge, gold) if len(scored) > 2 else None,
        "kendall": kendall_tau(judge, gold) if len(scored) > 2 else None,
    }


def pair_metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy (a missing verdict is wrong) and the parse rate."""
    parsed = [row for row in rows if row.get("winner") in ("A", "B")]
    correct = sum(row["winner"] == row["gold"] for row in parsed)
    return {
        "items": len(rows),
        "parse_rate": len(parsed) / len(rows) if rows else None,
        "accuracy": correct / len(rows) if rows else None,
    }


def _by_family(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    families: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        families.setdefault(str(row.get("category")), []).append(row)
    return dict(sorted(families.items()))


def model_results(bench_dir: Path, judge: str = "*") -> dict[str, Any]:
    """Metrics of one judge (folder name under ``results/``; default: the only one) per test set and family."""
    result: dict[str, Any] = {}
    for bench, metrics, mode in [
        *((b, direct_metrics, "direct") for b in DIRECT),
        *((b, pair_metrics, "relative") for b in PAIRS),
    ]:
        files = sorted(bench_dir.glob(f"results/{judge}/{bench}/{mode}.jsonl"))
        rows = _rows(files[0]) if files else []
        result[bench] = {
            "overall": metrics(rows),
            "families": {family: metrics(group) for family, group in _by_family(rows).items()},
        }
    return result


def collect_results(root: Path, labels: Sequence[str], out: Path) -> dict[str, Any]:
    """Results of every labelled model under ``root/bench``, written to ``out`` (JSON) and a markdown table."""
    results = {label: model_results(root / "bench" / label) for label in labels}
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown_table(results), encoding="utf-8")
    return results


def _fmt(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}" if percent else f"{value:.3f}"


def markdown_table(results: dict[str, Any]) -> str:
    """Overall table (DA correlations, PR accuracy, parse rates; in-distribution and held-out) + per family."""
    lines = [
        "| model | DA Pearson | DA Spearman | DA Kendall | DA parse % | PR acc % | PR parse % "
        "| held-out DA Pearson | held-out DA parse % | held-out PR acc % | held-out PR parse % |",
        "|" + " --- |" * 11,
    ]
    for label, res in results.items():
        da, pr = res["toy-direct"]["overall"], res["toy-pairs"]["overall"]
        hda, hpr = res["toy-direct-heldout"]["overall"], res["toy-pairs-heldout"]["overall"]
        cells = [
            _fmt(da["pearson"]), _fmt(da["spearman"]), _fmt(da["kendall"]), _fmt(da["parse_rate"], True),
            _fmt(pr["accuracy"], True), _fmt(pr["parse_rate"], True), _fmt(hda["pearson"]),
            _fmt(hda["parse_rate"], True), _fmt(hpr["accuracy"], True), _fmt(hpr["parse_rate"], True),
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
