"""The demo's one line on the paper's claim, from per-judge metrics (merged vs DA, PR and joint judges)."""

from __future__ import annotations

from typing import Any

from judgeforge.toy.demo import paper_claim


def _metrics(pearson: float | None, accuracy: float | None) -> dict[str, Any]:
    return {
        "toy-direct": {"overall": {"pearson": pearson}},
        "toy-pairs": {"overall": {"accuracy": accuracy}},
    }


def test_the_claim_holds_only_when_the_merge_matches_every_rival_on_both_formats() -> None:
    metrics = {
        "toy-merged": _metrics(0.80, 0.90),
        "toy-da": _metrics(0.75, None),
        "toy-pr": _metrics(None, 0.85),
        "toy-joint": _metrics(0.80, 0.88),
    }
    line = paper_claim(metrics)
    assert "holds on these items" in line and "does not" not in line
    assert "DA Pearson 0.80 (vs da 0.75, joint 0.80)" in line
    metrics["toy-joint"] = _metrics(0.81, 0.88)
    assert "does not hold" in paper_claim(metrics)
    metrics["toy-joint"] = _metrics(0.70, 0.88)
    metrics["toy-merged"] = _metrics(0.80, None)  # no parsed pairwise verdicts: the claim cannot hold
    assert "does not hold" in paper_claim(metrics)
