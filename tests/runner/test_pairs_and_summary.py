"""Self-consistency, both-order pairs, the summary, the manifest and the CLI's exit codes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from runner_helpers import good_row, pair_row, read_lines, run_cli, write_jsonl

from judgeforge.backends.base import Backend
from judgeforge.judge import Judge
from judgeforge.judge.aggregate import majority_score, score_aggregators
from judgeforge.metrics import krippendorff_alpha
from judgeforge.records import Completion, Prompt, Usage
from judgeforge.runner import RunOptions, run_grading
from judgeforge.runner.results import both_orders_line
from judgeforge.sampling import SamplingParams


class PositionBiased(Backend):
    """Always prefers the first response shown: the worst case for position bias."""

    name: ClassVar[str] = "position-biased"

    def identity(self) -> dict[str, str]:
        return {"backend": self.name}

    async def generate(self, prompts: Sequence[Prompt], params: SamplingParams) -> list[Completion]:
        return [
            Completion(text="A is better. [RESULT] A", usage=Usage(prompt_tokens=10, completion_tokens=5))
        ] * len(prompts)


@pytest.mark.parametrize(("policy", "winner"), [("tie", "tie"), ("abstain", None)])
def test_both_orders_exposes_position_bias(tmp_path: Path, policy: str, winner: str | None) -> None:
    source = write_jsonl(tmp_path / "pairs.jsonl", [pair_row(i) for i in range(5)])
    options = RunOptions(mode="relative", both_orders=True, order_policy=policy, use_cache=False)  # type: ignore[arg-type]
    report = run_grading(source, tmp_path / "out.jsonl", Judge(PositionBiased()), options)
    lines = read_lines(report.output)
    assert {line["winner"] for line in lines} == {winner}
    assert all(line["swap_consistent"] is False and line["resolution"] == policy for line in lines)
    assert report.summary["swap_consistency"] == 0.0
    assert report.summary["tokens_in"] == 5 * 2 * 10  # both orders are counted


def test_both_orders_with_the_fake_judge_maps_the_swapped_verdict_back(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "pairs.jsonl", [pair_row(i) for i in range(40)])
    options = RunOptions(mode="relative", both_orders=True, use_cache=False)
    report = run_grading(source, tmp_path / "out.jsonl", Judge("fake"), options)
    lines = read_lines(report.output)
    flip = {"A": "B", "B": "A"}
    for line in lines:
        forward, swapped = line["verdicts"][0]["winner"], flip[line["verdicts_swapped"][0]["winner"]]
        assert line["swap_consistent"] == (forward == swapped)
        assert line["winner"] == (forward if forward == swapped else "tie")
    consistent = sum(line["swap_consistent"] for line in lines) / len(lines)
    assert report.summary["swap_consistency"] == pytest.approx(consistent)
    assert 0.5 < consistent < 1.0  # the fake judge flips ~10% of its verdicts per order


def _judgment(winner: str | None, probability_a: float | None = None):  # type: ignore[no-untyped-def]
    from judgeforge.records import Judgment, Verdict

    probabilities = None if probability_a is None else {"A": probability_a, "B": 1 - probability_a}
    verdict = Verdict(winner=winner, probabilities=probabilities) if winner else Verdict(failure="no verdict")
    return Judgment(item_id="x", mode="relative", verdicts=(verdict,), winner=winner)  # type: ignore[arg-type]


def test_logprob_policy_and_single_order_resolution() -> None:
    # forward says A with p(A)=0.6; swapped says A (= original B) with p=0.9 -> mean p(original A) = (0.6+0.1)/2
    line = both_orders_line("x", _judgment("A", 0.6), _judgment("A", 0.9), "logprob")
    assert line["winner"] == "B" and line["resolution"] == "logprob"
    line = both_orders_line("x", _judgment("A"), _judgment("A"), "logprob")
    assert line["winner"] == "tie"  # no probabilities: falls back to a tie
    line = both_orders_line("x", _judgment(None), _judgment("A"), "tie")
    assert line["winner"] == "B" and line["resolution"] == "single-order" and line["swap_consistent"] is None
    line = both_orders_line("x", _judgment(None), _judgment(None), "tie")
    assert line["winner"] is None and line["failure"] is not None


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([4], 4.0),
        ([3, 5, 5], 5.0),  # the most frequent, not the median
        ([1, 1, 5, 5, 5], 5.0),  # not the lowest
        ([5, 2, 2, 1, 1], 1.0),  # a tie between 2 and 1 goes to the lower
        ([5, 4, 3], 3.0),  # a three-way tie
        ([4, 5, 5, 4], 4.0),  # a tie whatever the order the scores come in
    ],
)
def test_majority_score_is_the_most_frequent_and_a_tie_goes_to_the_lower(
    scores: list[int], expected: float
) -> None:
    assert majority_score(scores) == expected
    assert score_aggregators.get("majority") is majority_score  # what --aggregate majority runs


@pytest.mark.parametrize("method", ["mean", "median", "majority"])
def test_samples_aggregate_agreement_and_alpha(tmp_path: Path, method: str) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [good_row(i) for i in range(30)])
    judge = Judge("fake", samples=3, aggregate=method)
    report = run_grading(
        source, tmp_path / "out.jsonl", judge, RunOptions(use_cache=False, price_per_1k_tokens=0.5)
    )
    lines = read_lines(report.output)
    assert all(len(line["verdicts"]) == 3 for line in lines)
    units = [[v["score"] for v in line["verdicts"]] for line in lines]
    alpha = report.summary["krippendorff_alpha"]
    assert alpha["level"] == "ordinal" and alpha["units"] == 30
    assert alpha["alpha"] == pytest.approx(krippendorff_alpha(units, "ordinal"))
    for line, scores in zip(lines, units, strict=True):
        # majority: the most frequent score, a tie going to the lower score
        majority = min(scores, key=lambda score: (-scores.count(score), score))
        expected = {"mean": sum(scores) / 3, "median": sorted(scores)[1], "majority": majority}[method]
        assert line["score"] == pytest.approx(expected)
        assert line["agreement"] == max(scores.count(s) for s in scores) / 3
    # Of three samples, majority differs from median only on a three-way tie: the run must have one.
    assert any(len(set(scores)) == 3 for scores in units)
    tokens = report.summary["tokens_in"] + report.summary["tokens_out"]
    assert report.summary["cost"] == pytest.approx(tokens / 1000 * 0.5)


def test_manifest_summary_and_cli_exit_codes(tmp_path: Path, cli_env: dict[str, str]) -> None:
    clean = write_jsonl(tmp_path / "clean.jsonl", [good_row(i) for i in range(5)])
    out = tmp_path / "out.jsonl"
    done = run_cli(
        "grade", str(clean), "-o", str(out), "--sampling", "seed=7", "--backend", "fake", env=cli_env
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stderr  # no progress bar when stderr is not a terminal
    manifest = json.loads((tmp_path / "out.manifest.json").read_text())
    assert manifest["identity"] == {"backend": "fake", "model": "fake-judge", "revision": "1"}
    judge = manifest["judge"]
    assert judge["backend"] == "fake" and judge["backend_options"]["model"] == "fake-judge"
    assert judge["template_set"] == "prometheus2" and len(judge["template_fingerprint"]) == 16
    assert judge["sampling"]["seed"] == 7 and len(manifest["settings_hash"]) == 16
    assert manifest["start"] and manifest["end"] and "pydantic" in manifest["versions"]
    summary = json.loads((tmp_path / "out.summary.json").read_text())
    assert summary["rows"] == 5 and sum(summary["distribution"].values()) == 5
    assert summary["this_run"]["items_per_s"] > 0
    dirty = write_jsonl(tmp_path / "dirty.jsonl", [good_row(0), "not json"])
    assert (
        run_cli(
            "grade", str(dirty), "-o", str(tmp_path / "d.jsonl"), "--quiet", "--backend", "fake", env=cli_env
        ).returncode
        == 1
    )
    usage = run_cli(
        "grade",
        str(clean),
        "-o",
        str(tmp_path / "e.jsonl"),
        "--map",
        "oops",
        "--backend",
        "fake",
        env=cli_env,
    )
    assert usage.returncode == 2 and "--map" in usage.stderr
