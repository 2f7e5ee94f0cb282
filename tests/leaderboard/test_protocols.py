"""End to end with the fake judge (its score rises with a response's word overlap with the reference): five
models of quality 1..5 are ranked in order by every protocol; an interrupted run resumes to the same board;
the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.cli.main import main
from judgeforge.judge import Judge
from judgeforge.leaderboard import LeaderboardOptions, report_tables, run_leaderboard
from judgeforge.leaderboard.inputs import text_id
from judgeforge.runner import RunOptions
from support.leaderboard_rows import quality_rows, write_jsonl

LEVELS = {f"q{level}": level for level in (3, 1, 5, 2, 4)}  # listed out of order on purpose
TRUE_ORDER = ["q5", "q4", "q3", "q2", "q1"]


def _options(**changes: object) -> LeaderboardOptions:
    base = {"rubric": "helpfulness", "resamples": 200, "run": RunOptions(batch_size=16)}
    return LeaderboardOptions(**{**base, **changes})  # type: ignore[arg-type]


def _order(section: dict[str, object]) -> list[str]:
    return [row["model"] for row in section["ranking"]]  # type: ignore[attr-defined,index]


def test_five_quality_levels_ranked_in_order_by_every_protocol(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "responses.jsonl", quality_rows(LEVELS, instructions=30))
    options = _options(protocols=("direct", "baseline", "pairs"), baseline="q3", length_control=True)
    result = run_leaderboard([source], tmp_path / "board", Judge("fake", check_preset=False), options)
    board = result.board
    assert result.exit_code == 0 and result.path == tmp_path / "board" / "leaderboard.json"
    assert _order(board["direct"]) == TRUE_ORDER
    assert _order(board["pairs"]) == TRUE_ORDER
    # Against the baseline the fake's verdicts saturate (a clearly better response wins but for its 10%
    # random flips), so only the side of the baseline is known: q4, q5 above q3 above q1, q2.
    against_order = _order(board["baseline"])
    assert set(against_order[:2]) == {"q4", "q5"} and against_order[2] == "q3"
    assert set(against_order[3:]) == {"q1", "q2"}
    agreement = {tuple(entry["protocols"]): entry["kendall"]["tau"] for entry in board["agreement"]}
    assert agreement[("direct", "pairs")] == 1.0 and agreement[("baseline", "direct")] > 0.7
    for protocol in ("direct", "baseline", "pairs"):
        coverage = board[protocol]["diagnostics"]["coverage"]
        assert not any(entry["flagged"] for entry in coverage.values())
    consistency = board["pairs"]["diagnostics"]["position_consistency"]["share"]
    assert 0.6 < consistency < 1.0  # the fake flips 10% of verdicts per order: some pairs disagree
    top = board["direct"]["ranking"][0]
    assert top["low"] <= top["mean"] <= top["high"] and top["n"] == 30
    assert set(board["direct"]["by_category"]) == {"even", "odd"}
    matrix = board["pairs"]["matrix"]
    assert matrix["rows"] == matrix["columns"] == TRUE_ORDER
    above_diagonal = [matrix["win_rate"][i][j] for i in range(5) for j in range(i + 1, 5)]
    assert all(share > 0.5 for share in above_diagonal)
    assert [matrix["win_rate"][i][i] for i in range(5)] == [None] * 5 and matrix["n"][0][1] == 30
    against = board["baseline"]["matrix"]
    assert against["columns"] == ["q3"] and against["rows"] == [m for m in against_order if m != "q3"]
    by_model = {row["model"]: row["win_rate"] for row in board["baseline"]["ranking"]}
    assert [r[0] for r in against["win_rate"]] == [by_model[m] for m in against["rows"]]
    assert [table.title.split(":")[0] for table in report_tables(board)][:3] == [
        "direct",
        "baseline",
        "pairs",
    ]
    assert json.loads(result.path.read_text(encoding="utf-8")) == board


def test_pair_rows_carry_instruction_models_and_order_in_their_id(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "responses.jsonl", quality_rows({"x": 2, "y": 4}, instructions=3))
    run_leaderboard(
        [source], tmp_path / "board", Judge("fake", check_preset=False), _options(protocols=("pairs",))
    )
    items = [
        json.loads(line) for line in (tmp_path / "board" / "pairs" / "items.jsonl").read_text().splitlines()
    ]
    results = {
        json.loads(line)["id"]
        for line in (tmp_path / "board" / "pairs" / "results.jsonl").read_text().splitlines()
    }
    assert {item["id"] for item in items} == results and len(items) == 3
    for item in items:
        instruction, models = item["id"].split(" | ")
        first, second = models.split(" vs ")
        assert instruction == text_id(item["instruction"])
        assert {first, second} == {"x", "y"} and item["response_a"] != item["response_b"]


def _truncate_to_half_plus_a_partial_line(path: Path) -> int:
    lines = path.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    path.write_bytes(b"".join(lines[:half]) + lines[half][: len(lines[half]) // 2])
    return len(lines)


def test_an_interrupted_run_resumes_to_the_same_board(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "responses.jsonl", quality_rows(LEVELS, instructions=16, seed=1))
    judge = Judge("fake", check_preset=False)
    options = _options(
        protocols=("direct", "baseline", "pairs"),
        baseline="q1",
        length_control=True,
        run=RunOptions(use_cache=False),
    )
    whole = run_leaderboard([source], tmp_path / "whole", judge, options).board
    out = tmp_path / "interrupted"
    first = run_leaderboard([source], out, judge, options).board
    assert first == whole
    sizes = {
        p: _truncate_to_half_plus_a_partial_line(out / p / "results.jsonl")
        for p in ("direct", "baseline", "pairs")
    }
    resumed = run_leaderboard([source], out, judge, options)
    assert resumed.board == whole
    assert json.loads(resumed.path.read_text(encoding="utf-8")) == json.loads(
        (tmp_path / "whole" / "leaderboard.json").read_text()
    )
    for protocol, size in sizes.items():
        summary = json.loads((out / protocol / "results.summary.json").read_text(encoding="utf-8"))
        assert summary["rows"] == size and summary["this_run"]["graded"] == size - size // 2
        assert summary["this_run"]["repaired_bytes"] > 0


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = quality_rows({"weak": 1, "strong": 5}, instructions=6)
    weak = write_jsonl(
        tmp_path / "weak.jsonl",
        [{k: v for k, v in r.items() if k != "model"} for r in rows if r["model"] == "weak"],
    )
    strong = write_jsonl(tmp_path / "outputs.jsonl", [r for r in rows if r["model"] == "strong"])
    out = tmp_path / "board"
    args = [str(weak), f"strong={strong}", "-o", str(out), "--rubric", "helpfulness", "--backend", "fake"]
    protocols = ["--protocol", "direct", "--protocol", "pairs", "--resamples", "50", "--report"]
    assert main(["leaderboard", *args, *protocols]) == 0
    printed = capsys.readouterr()
    assert "pairs: Bradley-Terry ratings" in printed.out and "leaderboard.json" in printed.err
    assert "Ranking: pairs" in (out / "report.html").read_text(encoding="utf-8")
    board = json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    assert board["models"] == ["weak", "strong"] and _order(board["pairs"]) == ["strong", "weak"]
    assert main(["leaderboard", *args, "--protocol", "baseline"]) == 2
    assert "--baseline" in capsys.readouterr().err
    assert main(["leaderboard", *args, "--confidence", "2"]) == 2
    assert "--confidence" in capsys.readouterr().err
