"""Judges of other families on pairwise benchmarks: their ties are reported as ties, and scored as ties.

The fake backend answers in each template set's format (a tie now and then where the family has one); the
benchmark files are written here in the published Auto-J and chosen/rejected formats, gold ties included.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judgeforge.bench import ModeConfig, make_judge, run_bench
from judgeforge.bench.harness import result_path

TIE_FAMILIES = ("mt-bench", "arena-hard-v2.0", "auto-j", "pandalm")


def autoj_file(path: Path, count: int = 24) -> Path:
    """Auto-J Eval's shape: label 0 (response 1 better), 1 (response 2 better), 2 (tie); every third a tie."""
    rows = [
        {
            "id": n,
            "prompt": f"Give the capital of country number {n}.",
            "response 1": f"The capital of country number {n} is City {n}.",
            "response 2": "I do not know." if n % 3 != 2 else f"It is City {n}.",
            "label": n % 3 if n % 3 != 1 else 0,
            "scenario": "geo" if n % 2 else "misc",
        }
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def rows_of(out: Path, judge: str, benchmark: str, mode: str) -> list[dict[str, Any]]:
    text = result_path(out, judge, benchmark, mode).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def majority(winners: list[str]) -> str:
    """The rule stated in docs/benchmarks.md, computed apart: a tie is a vote; several leaders, a tie."""
    counts = Counter(winners)
    best = max(counts.values())
    leaders = [w for w, c in counts.items() if c == best]
    return leaders[0] if len(leaders) == 1 else "tie"


def accuracy(rows: list[dict[str, Any]], keep: Any) -> float:
    kept = [row for row in rows if keep(row["winner"], row["gold"])]
    return sum(row["winner"] == row["gold"] for row in kept) / len(kept)


@pytest.fixture(scope="module")
def family_bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("families")
    data = autoj_file(root / "autoj_pairwise.jsonl")
    judges = [
        make_judge(f"lm:label={name},template_set={name},chat_format=none,backend=fake")
        for name in (*TIE_FAMILIES, "prometheus2")
    ]
    summary = run_bench(
        ["autoj"], judges, root / "out", requested_modes=["relative", "both"],
        config=ModeConfig(runs=3, seed=0), paths={"autoj": str(data)}, resamples=0,
    )  # fmt: skip
    return root / "out", summary["results"]


@pytest.mark.parametrize("family", TIE_FAMILIES)
def test_a_family_with_ties_is_reported_with_ties(family_bench: tuple[Path, Any], family: str) -> None:
    out, results = family_bench
    rows = rows_of(out, family, "autoj", "relative")
    for row in rows:
        said = [v["winner"] for v in row["verdicts"]]
        assert len(said) == 3 and row["winner"] == majority(said)
    winners = Counter(row["winner"] for row in rows)
    assert winners["tie"] > 0
    metrics = results[family]["autoj"]["relative"]
    assert metrics["judge_ties"] == winners["tie"] and metrics["gold_ties"] == 8
    assert metrics["accuracy_ties_counted"] == pytest.approx(accuracy(rows, lambda p, g: True))
    assert metrics["accuracy_ties_skipped"] == pytest.approx(accuracy(rows, lambda p, g: g != "tie"))
    assert metrics["accuracy_without_ties"] == pytest.approx(accuracy(rows, lambda p, g: "tie" not in (p, g)))
    both = rows_of(out, family, "autoj", "both")
    mapped_back = {"A": "B", "B": "A", "tie": "tie"}
    for row in both:  # agreeing orders (a tie in both included) stand; an order-dependent verdict is a tie
        agree = row["forward"] == mapped_back[row["backward"]]
        assert row["winner"] == (row["forward"] if agree else "tie")
    assert results[family]["autoj"]["both"]["judge_ties"] == sum(row["winner"] == "tie" for row in both)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "| autoj | relative | judge ties (items) |" in report
    assert "| autoj | relative | accuracy without ties (%) |" in report


def test_verdict_rows_keep_the_family_verdict_kinds(family_bench: tuple[Path, Any]) -> None:
    out, _ = family_bench
    arena = [v for row in rows_of(out, "arena-hard-v2.0", "autoj", "relative") for v in row["verdicts"]]
    assert {(v["winner"], v["margin"]) for v in arena} <= {("A", 1), ("B", 1), ("tie", 0)}
    assert {v["winner"] for v in arena} == {"A", "B", "tie"}


def test_a_judge_without_ties_never_reports_one(family_bench: tuple[Path, Any]) -> None:
    _, results = family_bench
    metrics = results["prometheus2"]["autoj"]["relative"]
    assert metrics["judge_ties"] == 0  # three runs of A/B cannot split evenly
    # without ties of its own, leaving out tied pairs on either side is leaving out the gold ties
    assert metrics["accuracy_without_ties"] == metrics["accuracy_ties_skipped"]


def test_a_set_without_a_reference_template_judges_without_the_reference(
    chosen_rejected_file: Path, tmp_path: Path
) -> None:
    judge = make_judge("lm:label=arena,template_set=arena-hard-v2.0,chat_format=none,backend=fake")
    with pytest.warns(UserWarning, match="reference answers are left out"):
        summary = run_bench(
            ["pairwise"], [judge], tmp_path, requested_modes=["relative"], config=ModeConfig(runs=1),
            paths={"pairwise": str(chosen_rejected_file)}, resamples=0,
        )  # fmt: skip
    assert summary["results"]["arena"]["pairwise"]["relative"]["no_verdict"] == 0
    described = json.loads((tmp_path / "manifest.json").read_text())["judges"][0]
    assert described["reference_answers"]["relative"] == "left out (no template with one)"
    prometheus = make_judge("lm:label=p2,template_set=prometheus2,backend=fake").describe()
    assert prometheus["reference_answers"] == {"absolute": "shown", "relative": "shown"}


def test_family_judges_on_the_shared_autoj_file(shared_dir: Path, tmp_path: Path) -> None:
    data = shared_dir / "benchmarks" / "prometheus-eval" / "autoj_pairwise.json"
    judge = make_judge("lm:label=mt,template_set=mt-bench,chat_format=none,backend=fake")
    summary = run_bench(
        ["autoj"], [judge], tmp_path, requested_modes=["relative"], config=ModeConfig(runs=1),
        paths={"autoj": str(data)}, limit=60, resamples=0,
    )  # fmt: skip
    metrics = summary["results"]["mt"]["autoj"]["relative"]
    rows = rows_of(tmp_path, "mt", "autoj", "relative")
    assert metrics["items"] == 60 and metrics["judge_ties"] == sum(row["winner"] == "tie" for row in rows) > 0
