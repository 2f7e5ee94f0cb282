"""The written world: Feedback Collection schema, rendering with the real template set, benchmark files that the
bench loaders read back, the preference builder with the toy teacher, and byte-identical reruns."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from judgeforge.data.collections import FeedbackRow, PreferenceRow
from judgeforge.prompts import get_template_set
from judgeforge.prompts.parse_back import item_from_rendered
from judgeforge.records import DirectItem
from judgeforge.toy.dataset import WorldSpec, write_world
from judgeforge.toy.families import families, pair_feedback

FEEDBACK_COLUMNS = [
    "orig_instruction",
    "orig_response",
    "orig_reference_answer",
    "orig_criteria",
    *(f"orig_score{k}_description" for k in range(1, 6)),
    "orig_feedback",
    "orig_score",
    "instruction",
    "output",
]
SPEC = WorldSpec(seed=5, train_groups=6, test_groups=3, pretrain_groups=2, pairs_per_test_group=4)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    write_world(out, SPEC)
    return out


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_feedback_collection_schema_and_rendering(world: Path) -> None:
    rows = _jsonl(world / "feedback_collection.jsonl")
    assert len(rows) == 4 * SPEC.train_groups * 5
    tset = get_template_set("prometheus2")
    for row in rows:
        assert list(row) == FEEDBACK_COLUMNS
        parsed = FeedbackRow.from_row(row, "toy row")
        assert parsed.to_row() == row
        assert row["instruction"] == tset.render_direct(parsed.item())[1] == parsed.rendered(tset).prompt
        assert row["output"] == f"Feedback: {row['orig_feedback']} [RESULT] {row['orig_score']}"
        assert row["instruction"].startswith("###Task Description:\nAn instruction (might include an Input")
        assert "###Reference Answer (Score 5):\n" + row["orig_reference_answer"] in row["instruction"]


def test_each_instruction_has_scores_one_to_five_and_true_scores(world: Path) -> None:
    rows = _jsonl(world / "feedback_collection.jsonl")
    by_instruction: dict[str, list[int]] = {}
    for row in rows:
        by_instruction.setdefault(row["orig_instruction"], []).append(row["orig_score"])
    assert all(sorted(scores) == [1, 2, 3, 4, 5] for scores in by_instruction.values())
    # the stated score is what the feedback's tally says
    for row in rows:
        assert row["orig_feedback"].endswith(f"so score {row['orig_score']}.")


def test_direct_bench_reads_back_with_the_bench_loader(world: Path) -> None:
    loaders = pytest.importorskip("judgeforge.bench.loaders")
    items = loaders.load_prometheus_direct(world / "bench/toy_direct.json", "toy")
    assert len(items) == 4 * SPEC.test_groups * 5
    assert Counter(item.category for item in items) == {
        n: SPEC.test_groups * 5 for n in ("format", "keywords", "ordering", "arithmetic")
    }
    for item in items:
        family = families.get(str(item.category))
        assert item.gold["gpt4"] == (float(_true_score(family.name, item.to_item())),)


def _true_score(name: str, item: DirectItem) -> int:
    """Re-check the gold score from the text alone: find the family task whose instruction matches."""
    from judgeforge.toy.world import make_groups

    for group in make_groups(name, SPEC.test_groups, SPEC.seed, "test"):
        if group.task.instruction == item.instruction:
            return families.get(name).score(group.task, item.response)
    raise AssertionError("test item not found among the generated test groups")


def test_pair_bench_reads_back_and_chosen_is_better(world: Path) -> None:
    loaders = pytest.importorskip("judgeforge.bench.loaders")
    items = loaders.load_prometheus_pairwise(world / "bench/toy_pairs_heldout.json", "toy-pairs")
    assert len(items) == SPEC.test_groups * SPEC.pairs_per_test_group
    assert {item.category for item in items} == {"opposites"}
    raw = json.loads((world / "bench/toy_pairs_heldout.json").read_text())
    assert all(row["chosen_score"] > row["rejected_score"] for row in raw)
    assert all(not item.tie for item in items)


def test_rendered_bench_prompts_parse_back(world: Path) -> None:
    rows = json.loads((world / "bench/toy_direct_heldout.json").read_text())
    for row in rows:
        item = item_from_rendered(row["instruction"])
        assert isinstance(item, DirectItem)
        assert get_template_set("prometheus2").render_direct(item)[1] == row["instruction"]


def test_preference_builder_with_the_toy_teacher(world: Path, tmp_path: Path) -> None:
    from judgeforge.data.preferences import build_preferences
    from judgeforge.toy.teacher import ToyTeacherBackend, parse_checklist

    out = tmp_path / "prefs.jsonl"
    summary = build_preferences(world / "feedback_collection.jsonl", out, ToyTeacherBackend(), seed=1)
    assert summary.built == 4 * SPEC.train_groups * 10 and summary.dropped == 0
    rows = _jsonl(out)
    tset = get_template_set("prometheus2")
    a_wins = 0
    for row in rows:
        assert PreferenceRow.from_row(row, "toy pair").to_row() == row
        winner = "A" if row["orig_score_A"] > row["orig_score_B"] else "B"
        assert row["orig_preference"] == winner
        a_wins += winner == "A"
        expected = pair_feedback(
            parse_checklist(row["orig_feedback_A"]), parse_checklist(row["orig_feedback_B"])
        )
        assert row["output"] == tset.format_output(expected, winner)
        assert row["output"].endswith(f"so {winner} is better. [RESULT] {winner}")
    assert 0.4 <= a_wins / len(rows) <= 0.6


def test_pretraining_corpus_has_both_modes_and_all_families(world: Path) -> None:
    rows = _jsonl(world / "pretrain.jsonl")
    assert rows and all(set(row) == {"system", "user", "output"} for row in rows)
    assert any("(A or B)" in row["user"] for row in rows)
    assert any("Give the opposite" in row["user"] for row in rows)  # held-out wording is known, not judged


def test_rerun_is_byte_identical(world: Path, tmp_path: Path) -> None:
    manifest = write_world(tmp_path, SPEC)
    first = json.loads((world / "manifest.json").read_text())
    assert manifest["sha256"] == first["sha256"]
