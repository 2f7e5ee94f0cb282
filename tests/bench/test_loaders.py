"""Loaders: the shared published files (counts, byte-identical re-rendering) and written fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.bench import DirectBenchItem, PairBenchItem, assign_sides, load_benchmark
from judgeforge.bench.items import direct_items_of_pair
from judgeforge.errors import InputError
from judgeforge.prompts import PromptRenderer

COUNTS = {
    "vicuna": 320,
    "mt-bench": 320,
    "hhh": 221,
    "autoj": 1391,  # 1,392 published; item 568 has an empty response and is left out (with a warning)
    "judgebench": 350,
    "judgebench-claude": 270,
}


@pytest.fixture
def bench_root(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = shared_dir / "benchmarks"
    monkeypatch.setenv("JUDGEFORGE_BENCHMARKS", str(root))
    return root


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_shared_record_counts(bench_root: Path, name: str) -> None:
    items = load_benchmark(name)
    assert len(items) == COUNTS[name]
    assert len({item.id for item in items}) == len(items)
    if name == "autoj":
        assert sum(isinstance(item, PairBenchItem) and item.tie for item in items) == 373
        assert len({item.category for item in items}) > 20


@pytest.mark.parametrize("name", ["vicuna", "mt-bench"])
def test_direct_prompts_rerender_byte_identically(bench_root: Path, name: str) -> None:
    file = {"vicuna": "vicuna_eval.json", "mt-bench": "mt_bench_eval.json"}[name]
    originals = [
        row["instruction"] for row in json.loads((bench_root / "prometheus-eval" / file).read_text())
    ]
    renderer = PromptRenderer("prometheus2", "none")
    items = load_benchmark(name)
    assert all(isinstance(item, DirectBenchItem) and len(item.gold["gpt4"]) == 3 for item in items)
    rerendered = [renderer.direct(item.to_item()).user for item in items if isinstance(item, DirectBenchItem)]
    assert rerendered == originals


def test_hhh_pairs_rerender_byte_identically(bench_root: Path) -> None:
    rows = json.loads((bench_root / "prometheus-eval" / "hhh_alignment_eval.json").read_text())
    renderer = PromptRenderer("prometheus2", "none")
    items = load_benchmark("hhh")
    for row, item in zip(rows, items):
        assert isinstance(item, PairBenchItem) and item.category == row["source"]
        sided = assign_sides(item, seed=0)
        a, b = (renderer.direct(d).user for d in direct_items_of_pair(sided.item))
        chosen, rejected = (a, b) if sided.gold == "A" else (b, a)
        assert (chosen, rejected) == (row["chosen_instruction"], row["rejected_instruction"])
    assert {item.category for item in items} == {"helpful", "harmless", "honest", "other"}


def test_flask_and_feedback_bench_fixtures(flask_file: Path, feedback_bench_file: Path) -> None:
    flask = load_benchmark("flask", flask_file)
    assert len(flask) == 6 and isinstance(flask[0], DirectBenchItem)
    assert flask[1].gold == {"gpt4": (4.0, 4.0, 4.0), "human": (4.0, 4.0)}
    assert flask[1].reference_answer == "2" and flask[1].instruction == "What is 1 + 1?"
    feedback = load_benchmark("feedback-bench", feedback_bench_file)
    assert [item.gold["gpt4"] for item in feedback] == [(1.0,), (2.0,), (3.0,), (4.0,), (5.0,)]  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["preference-bench", "mt-bench-human"])
def test_prometheus_pairwise_fixture(preference_file: Path, name: str) -> None:
    items = load_benchmark(name, preference_file)
    assert len(items) == 11
    pairs = [item for item in items if isinstance(item, PairBenchItem)]
    assert [item.tie for item in pairs].count(True) == 1
    groups = {item.group for item in pairs if not item.tie}
    assert len(groups) == 1
    assert pairs[0].chosen == "Answer of quality 2." and pairs[0].rejected == "Answer of quality 1."
    assert pairs[0].reference_answer == "Tides come from the moon."


def test_chosen_rejected_file(chosen_rejected_file: Path) -> None:
    items = load_benchmark("pairwise", chosen_rejected_file)
    assert [item.id for item in items] == [f"p{i}" for i in range(6)]
    assert items[1].category == "geo"


def test_loader_errors_name_the_record(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"instruction": "not a rendered prompt", "gpt4_score": [3]}]))
    with pytest.raises(InputError, match="row 0"):
        load_benchmark("vicuna", bad)


def test_assign_sides_is_seeded_and_balanced(chosen_rejected_file: Path, preference_file: Path) -> None:
    items = [i for i in load_benchmark("preference-bench", preference_file) if isinstance(i, PairBenchItem)]
    first = [assign_sides(item, 1).gold for item in items]
    assert first == [assign_sides(item, 1).gold for item in items]
    many = [
        assign_sides(item.model_copy(update={"id": str(n)}), 0).gold for n in range(400) for item in items[:1]
    ]
    assert 150 < many.count("A") < 250
    for item in items:
        sided = assign_sides(item, 5)
        better = sided.item.response_a if sided.gold == "A" else sided.item.response_b
        assert sided.gold == "tie" or better == item.chosen


def test_items_with_blank_required_text_are_left_out_with_a_warning(tmp_path: Path) -> None:
    import json
    import warnings

    from judgeforge.bench.registry import benchmarks

    rows = [
        {
            "instruction": f"Q{i}?",
            "chosen": "A full answer.",
            "rejected": "" if i == 1 else "No.",
            "rubric": "helpfulness",
        }
        for i in range(3)
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = benchmarks.get("pairwise").load(path)
    assert [item.id for item in items] == ["0", "2"]
    [warning] = [w for w in caught if "left out" in str(w.message)]
    assert "1 of 3 items" in str(warning.message) and "item 1: rejected" in str(warning.message)
