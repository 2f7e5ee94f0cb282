"""--template-set / --preset select the other families on the commands that grade: grade, compare, bench."""

from __future__ import annotations

import json
from pathlib import Path

from judgeforge.cli.main import main
from paths import read_jsonl

ROWS = [
    {
        "id": f"r{i}",
        "instruction": f"Name the capital of country number {i}.",
        "response": f"The capital of country number {i} is City {i}.",
        "response_b": "No idea.",
    }
    for i in range(4)
]


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_compare_with_an_arena_hard_preset_in_both_orders(tmp_path: Path) -> None:
    rows, out = write_rows(tmp_path / "pairs.jsonl", ROWS), tmp_path / "out.jsonl"
    args = [
        "compare",
        str(rows),
        "-o",
        str(out),
        "--rubric",
        "helpfulness",
        "--backend",
        "fake",
        "--no-cache",
    ]
    assert main([*args, "--preset", "arena-hard-v2.0-gpt-4.1", "--both-orders", "--quiet"]) == 0
    lines = read_jsonl(out)
    assert len(lines) == 4 and all(line["failure"] is None for line in lines)
    assert all(line["winner"] in ("A", "B", "tie") and "margin" in line for line in lines)
    assert all(verdict["margin"] in (0, 1, 2) for line in lines for verdict in line["verdicts"])


def test_grade_with_an_auto_j_preset_and_a_1_to_10_rubric(tmp_path: Path) -> None:
    rubric = tmp_path / "ten.json"
    rubric.write_text(
        json.dumps({"criteria": "Overall quality.", "scale": list(range(1, 11))}), encoding="utf-8"
    )
    single = [{key: value for key, value in row.items() if key != "response_b"} for row in ROWS]
    rows, out = write_rows(tmp_path / "rows.jsonl", single), tmp_path / "out.jsonl"
    args = ["grade", str(rows), "-o", str(out), "--rubric", str(rubric), "--backend", "fake", "--no-cache"]
    assert main([*args, "--preset", "autoj-13b", "--quiet"]) == 0
    lines = read_jsonl(out)
    assert all(line["failure"] is None and 1 <= line["score"] <= 10 for line in lines)
    # the standard 1-5 rubric is refused by Auto-J's wording (fixed 1-10), row by row, never rendered
    refused = tmp_path / "refused.jsonl"
    assert main(["grade", str(rows), "-o", str(refused), "--rubric", "helpfulness", "--backend", "fake",
                 "--preset", "autoj-13b", "--quiet", "--no-cache"]) != 0  # fmt: skip


def test_bench_pairwise_with_the_mt_bench_template_set(tmp_path: Path) -> None:
    pairs = [
        {
            "id": f"p{i}",
            "prompt": f"Name the capital of country number {i}.",
            "chosen": f"The capital of country number {i} is City {i}, a large and old city.",
            "rejected": "No idea.",
            "reference_answer": f"The capital of country number {i} is City {i}.",
        }
        for i in range(4)
    ]
    data, out = write_rows(tmp_path / "pairs.jsonl", pairs), tmp_path / "out"
    args = ["bench", "pairwise", "--data", f"pairwise={data}", "-o", str(out), "--backend", "fake"]
    assert (
        main([*args, "--template-set", "mt-bench", "--runs", "1", "--resamples", "0", "--mode", "relative"])
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["results"]["lm-fake"]["pairwise"]["relative"]["no_verdict"] == 0
    judge = json.loads((out / "results" / "lm-fake" / "judge.json").read_text())["judge"]
    assert (judge["template_set"], judge["chat_format"]) == ("mt-bench", "none")  # the set's own chat format
    verdicts = read_jsonl(out / "results" / "lm-fake" / "pairwise" / "relative.jsonl")
    assert all(row["winner"] in ("A", "B", "tie") for row in verdicts)
