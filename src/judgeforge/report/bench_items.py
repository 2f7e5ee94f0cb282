"""Items of a benchmark run: what its result rows hold (id, category, gold, verdicts with raw outputs).

Bench rows do not repeat the benchmark's inputs; the full view says so and shows every output with its
parse result.
"""

from __future__ import annotations

from typing import Any

from judgeforge.report import labels, units, verdicts
from judgeforge.report.data import ItemDetail, ItemRow

MISSING_RAW = "no raw output in the result row"
_NOTE = (
    "bench result rows hold ids, gold verdicts and the judge's outputs; the inputs are in the benchmark file"
)
_FIELDS = {
    "category": "Category",
    "forward": "Winner in order (A, B)",
    "backward": "Winner in swapped order (B, A)",
    "score_a": "Score of response A",
    "score_b": "Score of response B",
}


def bench_item(source: str, line: dict[str, Any]) -> ItemRow:
    relative = "winner" in line
    detail = ItemDetail(outputs=verdicts.outputs(line, MISSING_RAW), notes=[_NOTE])
    detail.fields = [("Gold", _gold(line.get("gold")))]
    detail.fields += [(label, str(line[key])) for key, label in _FIELDS.items() if line.get(key) is not None]
    if line.get("attempts"):
        detail.fields.append(("Direct scores per attempt", _attempts(line["attempts"])))
    first = (line.get("verdicts") or [{}])[0]
    failure = next((v.get("failure") for v in line.get("verdicts") or [] if v.get("failure")), "")
    return ItemRow(
        source=source,
        item_id=str(line.get("id")),
        verdict=_verdict(line, relative),
        gold=_gold(line.get("gold"), short=True),
        feedback=str(first.get("feedback") or ""),
        failure=str(failure or ""),
        detail=detail,
    )


def _verdict(line: dict[str, Any], relative: bool) -> str:
    value = line.get("winner") if relative else line.get("score")
    if value is None:
        return verdicts.NO_VERDICT
    if relative:
        return str(value)
    runs = len(line.get("scores") or [])
    return f"{units.score(value)} (mean of {runs})" if runs > 1 else units.score(value)


def _gold(gold: Any, short: bool = False) -> str:
    if isinstance(gold, dict):
        parts = []
        for name, values in gold.items():
            scores = values if isinstance(values, list) else [values]
            mean = sum(scores) / len(scores) if scores else None
            shown = units.score(mean) if short else ", ".join(units.score(s) for s in scores)
            parts.append(f"{labels.source(name)} {shown}")
        return "; ".join(parts)
    return "" if gold is None else str(gold)


def _attempts(attempts: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"attempt {i}: A {', '.join(map(units.score, a.get('a', [])))} · B {', '.join(map(units.score, a.get('b', [])))}"
        for i, a in enumerate(attempts, 1)
    )
