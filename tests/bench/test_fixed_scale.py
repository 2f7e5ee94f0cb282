"""Judges with a fixed scale (MT-Bench's and Auto-J's 1-10: their wordings show no levels) on the direct
benchmarks, whose gold is 1-5: they grade on their own scale, the scale is recorded, the difference is noted,
and exact match (which needs one scale) is skipped with its reason. The fake backend answers in each set's
format; the benchmark files are written here (tests/bench/conftest.py), plus one run on ../shared's Vicuna Bench
that skips without it.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest

from judgeforge.bench import ModeConfig, make_judge, run_bench
from judgeforge.bench.harness import result_path
from judgeforge.cli.main import main
from judgeforge.errors import TemplateError
from judgeforge.report import load_report_data
from judgeforge.report.data import BarChart

FIXED = ("mt-bench", "auto-j")
ONE_TO_TEN = [str(n) for n in range(1, 11)]
ONE_TO_FIVE = [str(n) for n in range(1, 6)]


def rows_of(out: Path, judge: str, benchmark: str, mode: str) -> list[dict[str, Any]]:
    text = result_path(out, judge, benchmark, mode).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def judge(name: str) -> Any:
    return make_judge(f"lm:label={name},template_set={name},chat_format=none,backend=fake")


@pytest.fixture
def direct_run(flask_file: Path, feedback_bench_file: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    paths = {"flask": str(flask_file), "feedback-bench": str(feedback_bench_file)}
    with pytest.warns(UserWarning, match="auto-j"):  # Auto-J shows no reference answer: said, not silent
        summary = run_bench(
            ["flask", "feedback-bench"], [judge(name) for name in (*FIXED, "prometheus2")], tmp_path / "out",
            requested_modes=["direct"], config=ModeConfig(runs=3, seed=0), paths=paths, resamples=0,
        )  # fmt: skip
    return tmp_path / "out", summary["results"]


@pytest.mark.parametrize("family", FIXED)
def test_a_fixed_scale_judge_grades_direct_items_on_its_own_scale(
    direct_run: tuple[Path, dict[str, Any]], family: str
) -> None:
    out, results = direct_run
    for bench in ("flask", "feedback-bench"):
        rows = rows_of(out, family, bench, "direct")
        scores = [s for row in rows for s in row["scores"]]
        assert None not in scores and set(scores) <= set(range(1, 11)) and max(scores) > 5
        assert all(row["judge_scale"] == ONE_TO_TEN and row["gold_scale"] == ONE_TO_FIVE for row in rows)
        assert all(row["verdicts"][0]["raw"].rstrip().endswith("]]") for row in rows)  # the family's format
        metrics = results[family][bench]["direct"]
        assert (metrics["scale"]["judge"], metrics["scale"]["gold"]) == ("1-10", "1-5")
        means = [statistics.fmean(row["scores"]) for row in rows]
        gold = [statistics.fmean(row["gold"]["gpt4"]) for row in rows]
        assert metrics["vs_gpt4"]["pearson"]["value"] == pytest.approx(statistics.correlation(means, gold))
    manifest = json.loads((out / "manifest.json").read_text())
    entry = next(j for j in manifest["judges"] if j["label"] == family)
    assert entry["direct_scale"] == "1-10 (the set's fixed scale)"


def test_exact_match_is_skipped_with_its_reason_and_the_report_says_why(
    direct_run: tuple[Path, dict[str, Any]],
) -> None:
    out, results = direct_run
    feedback = results["mt-bench"]["feedback-bench"]["direct"]
    assert "exact_match_gpt4" not in feedback
    assert feedback["skipped"] == {
        "exact_match_gpt4": "the judge grades on 1-10 and the gold is on 1-5: exact match needs one scale"
    }
    same_scale = results["prometheus2"]["feedback-bench"]["direct"]
    assert "exact_match_gpt4" in same_scale and "scale" not in same_scale and "skipped" not in same_scale
    assert "judge_scale" not in rows_of(out, "prometheus2", "flask", "direct")[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert (
        next(j for j in manifest["judges"] if j["label"] == "prometheus2")["direct_scale"] == "the rubric's"
    )
    report = (out / "report.md").read_text()
    notes = report.split("## Notes\n", 1)[1]
    for family in FIXED:
        for bench in ("feedback-bench", "flask"):
            assert (
                f"- {family} on {bench} (direct): the judge's scale (1-10) differs from the gold's (1-5)"
                in notes
            )
    assert "exact_match_gpt4 skipped: the judge grades on 1-10" in notes
    assert "prometheus2 on" not in notes


def test_a2r_compares_a_fixed_scale_judges_two_scores(chosen_rejected_file: Path, tmp_path: Path) -> None:
    summary = run_bench(
        ["pairwise"], [judge("mt-bench")], tmp_path / "out", requested_modes=["a2r"],
        config=ModeConfig(runs=1, seed=1, tie_retries=0), paths={"pairwise": str(chosen_rejected_file)},
        resamples=0,
    )  # fmt: skip
    rows = rows_of(tmp_path / "out", "mt-bench", "pairwise", "a2r")
    for row in rows:
        (a,), (b,) = row["attempts"][0]["a"], row["attempts"][0]["b"]
        assert {a, b} <= set(range(1, 11))
        assert row["winner"] == ("tie" if a == b else "A" if a > b else "B")
        assert row["judge_scale"] == ONE_TO_TEN and row["gold_scale"] == ONE_TO_FIVE
    assert any(max(row["score_a"], row["score_b"]) > 5 for row in rows)
    assert summary["results"]["mt-bench"]["pairwise"]["a2r"]["scale"]["judge"] == "1-10"


def test_a_set_that_shows_levels_still_refuses_a_scale_it_cannot_show(
    flask_file: Path, tmp_path: Path
) -> None:
    with pytest.raises(TemplateError, match="shows the scale Yes/No, but the rubric's scale is 1-5"):
        run_bench(
            ["flask"], [judge("selene-mini-classification")], tmp_path / "out", requested_modes=["direct"],
            config=ModeConfig(runs=1), paths={"flask": str(flask_file)}, resamples=0,
        )  # fmt: skip


def test_the_terminal_notes_the_scale(
    flask_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "bench",
        "flask",
        "--data",
        f"flask={flask_file}",
        "-o",
        str(tmp_path / "out"),
        "--backend",
        "fake",
    ]
    args += ["--template-set", "mt-bench", "--chat-format", "none", "--runs", "1", "--resamples", "0"]
    assert main(args) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert "note: lm-fake on flask (direct): the judge's scale (1-10) differs from the gold's (1-5)" in err


def test_a_fixed_scale_judge_on_the_shared_vicuna_bench(
    shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = shared_dir / "benchmarks" / "prometheus-eval" / "vicuna_eval.json"
    args = ["bench", "vicuna", "--data", f"vicuna={data}", "--limit", "4", "-o", str(tmp_path / "out")]
    args += ["--backend", "fake", "--template-set", "mt-bench", "--chat-format", "none", "--resamples", "0"]
    assert main(args) == 0
    rows = rows_of(tmp_path / "out", "lm-fake", "vicuna", "direct")
    assert len(rows) == 4 and all(row["judge_scale"] == ONE_TO_TEN for row in rows)
    assert "the judge's scale (1-10) differs" in " ".join(capsys.readouterr().err.split())


def test_the_html_report_notes_the_scale_and_charts_the_judges_own_levels(
    direct_run: tuple[Path, dict[str, Any]],
) -> None:
    out, _ = direct_run
    data = load_report_data(out)
    flask = next(s for s in data.sections if s.title.startswith("flask"))
    notes = [note.text for note in flask.notes]
    assert any(
        n.startswith("mt-bench: the judge's scale (1-10) differs from the gold's (1-5)") for n in notes
    )
    assert not any(n.startswith("prometheus2") for n in notes)
    titles = [chart.title for chart in flask.charts]
    counts = next(c for c in flask.charts if isinstance(c, BarChart) and c.title == "mt-bench: scores given")
    rows = rows_of(out, "mt-bench", "flask", "direct")
    assert list(counts.values)[:10] == ONE_TO_TEN  # every level of its own scale, none clipped to 5
    assert sum(v or 0 for k, v in counts.values.items() if k in ONE_TO_TEN) == len(rows)
    assert counts.values[str(int(rows[0]["score"] + 0.5))]
    assert not any(
        t.startswith("mt-bench: judge score vs") or t.startswith("mt-bench: calibration") for t in titles
    )
    assert any(t.startswith("prometheus2: calibration") for t in titles)
