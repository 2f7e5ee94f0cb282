"""Byte-exact prompts: `judgeforge render` against the fidelity oracle and the benchmark files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judgeforge.cli.main import main
from judgeforge.prompts import PromptRenderer
from judgeforge.prompts.parse_back import item_from_rendered
from paths import FIXTURES, SHARED, read_jsonl

FIDELITY_FILES = {
    "prometheus2_release_renders.jsonl": "prometheus2",
    "prometheus_eval_0.1.20_renders.jsonl": "prometheus-eval-0.1.20",
}


def fidelity_path(name: str) -> Path:
    shared = SHARED / "fidelity" / name
    return shared if shared.is_file() else FIXTURES / name


def render_rows(tmp_path: Path, rows: list[dict[str, Any]], *options: str) -> list[dict[str, Any]]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    assert main(["render", str(source), "-o", str(target), *options]) == 0
    return read_jsonl(target)


def case_rows(case: dict[str, Any], key: str) -> dict[str, Any]:
    inputs = case["inputs"]
    row = {"instruction": inputs["instruction"], "response": inputs["response"], "rubric": inputs["rubric"]}
    if key.startswith("relative"):
        row["mode"] = "relative"
        row["response_b"] = inputs["response_B"]
    if not key.endswith("_wo_ref"):
        row["reference_answer"] = inputs["reference_answer"]
    return row


@pytest.mark.parametrize("file_name", sorted(FIDELITY_FILES))
@pytest.mark.parametrize("chat_format", ["none", "mistral-inst"])
def test_render_matches_fidelity_renders(tmp_path: Path, file_name: str, chat_format: str) -> None:
    cases = read_jsonl(fidelity_path(file_name))
    requests = [(case, key) for case in cases for key in case["renders"]]
    rendered = render_rows(
        tmp_path,
        [case_rows(case, key) for case, key in requests],
        "--template-set",
        FIDELITY_FILES[file_name],
        "--chat-format",
        chat_format,
    )
    assert len(rendered) == len(requests)
    for (case, key), line in zip(requests, rendered):
        expected = case["renders"][key] if chat_format == "none" else case["mistral_chat"][key]
        assert line["text"] == expected, (case["id"], key)
        assert line["user"] == case["renders"][key], (case["id"], key)


def test_rubric_renders_match_fidelity() -> None:
    from judgeforge.prompts.rubrics import load_rubric

    for case in read_jsonl(fidelity_path("prometheus2_release_renders.jsonl")):
        rubric = load_rubric(case["inputs"]["rubric"])
        assert rubric.render_absolute() == case["rubric_absolute"]
        assert rubric.render_relative() == case["rubric_relative"]


def test_paper_harness_relative_renders(tmp_path: Path) -> None:
    cases = read_jsonl(fidelity_path("paper_harness_relative_renders.jsonl"))
    rows = [
        {
            "mode": "relative",
            "instruction": case["inputs"]["instruction"],
            "response": case["inputs"]["response"],
            "response_b": case["inputs"]["response_B"],
            "rubric": case["inputs"]["rubric"],
        }
        for case in cases
    ]
    rendered = render_rows(tmp_path, rows, "--chat-format", "none")
    assert len(rendered) == len(cases)
    for case, line in zip(cases, rendered, strict=True):
        assert line["text"] == case["render"], case["id"]


def benchmark_prompts(shared: Path) -> list[str]:
    folder = shared / "benchmarks" / "prometheus-eval"
    prompts = []
    for name in ("vicuna_eval.json", "mt_bench_eval.json"):
        prompts += [record["instruction"] for record in json.loads((folder / name).read_text())]
    for record in json.loads((folder / "hhh_alignment_eval.json").read_text()):
        prompts += [record["chosen_instruction"], record["rejected_instruction"]]
    return prompts


def test_benchmark_prompts_rerender_byte_for_byte(tmp_path: Path, shared_dir: Path) -> None:
    prompts = benchmark_prompts(shared_dir)
    assert len(prompts) == 320 + 320 + 2 * 221
    rows = []
    for prompt in prompts:
        item = item_from_rendered(prompt)
        rows.append({**item.model_dump(exclude={"id"}), "rubric": item.rubric.model_dump()})
    rendered = render_rows(tmp_path, rows, "--template-set", "prometheus2", "--chat-format", "none")
    assert len(rendered) == len(prompts)
    mismatches = [
        i for i, (prompt, line) in enumerate(zip(prompts, rendered, strict=True)) if line["text"] != prompt
    ]
    assert mismatches == []


def test_reference_given_to_set_without_reference_template_is_an_error(tmp_path: Path) -> None:
    from judgeforge.errors import TemplateError
    from judgeforge.prompts import get_template_set
    from judgeforge.records import PairItem, Rubric

    folder = tmp_path / "no-ref-set"
    folder.mkdir()
    base = get_template_set("prometheus2")
    (folder / "set.json").write_text(
        json.dumps({"name": "no-ref", "system_prompts": dict(base.system_prompts)})
    )
    (folder / "relative_wo_ref.txt").write_text(base.templates["relative_wo_ref"], encoding="utf-8")
    renderer = PromptRenderer(folder, "none")
    rubric = Rubric(criteria="c", **{f"score{i}_description": f"d{i}" for i in range(1, 6)})
    item = PairItem(instruction="i", response_a="a", response_b="b", rubric=rubric, reference_answer="ref")
    with pytest.raises(TemplateError, match="reference"):
        renderer.pair(item)
    assert "###Response A:\na" in renderer.pair(item.model_copy(update={"reference_answer": None})).text


def test_missing_reference_selects_no_reference_template() -> None:
    from judgeforge.records import DirectItem

    renderer = PromptRenderer("prometheus2", "none")
    rubric = {"criteria": "c", **{f"score{i}_description": f"d{i}" for i in range(1, 6)}}
    item = DirectItem.model_validate({"instruction": "i", "response": "r", "rubric": rubric})
    assert "Reference Answer" not in renderer.direct(item).text
    with_ref = renderer.direct(item.model_copy(update={"reference_answer": ""}))
    assert "###Reference Answer (Score 5):\n\n\n" in with_ref.text
