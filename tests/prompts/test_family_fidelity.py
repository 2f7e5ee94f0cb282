"""Byte-exact prompts of every open judge family, against the rendered examples of their sources.

Two levels: each example's own fields through the set's text (:meth:`TemplateSet.render_source`: every example,
multi-turn and multi-answer ones included), and the judgeforge item it corresponds to through the renderer
(what grading sends). System prompt, user turn, chat messages and the raw model input are all compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from family_cases import FAMILIES, ITEMS, SOURCES, examples, family_dir

from judgeforge.cli.main import main
from judgeforge.prompts import PromptRenderer, get_template_set
from judgeforge.prompts.chat import chat_formats
from judgeforge.records import DirectItem, Prompt
from paths import SHARED, read_jsonl

CASES = [(family, row) for family in FAMILIES for row in examples(family)]
IDS = [row["id"] for _, row in CASES]


def messages_of(prompt: Prompt) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in prompt.messages]


@pytest.mark.parametrize(("family", "row"), CASES, ids=IDS)
def test_source_text_renders_the_example(family: str, row: dict[str, Any]) -> None:
    check_source(family, row)


@pytest.mark.parametrize(("family", "row"), CASES, ids=IDS)
def test_item_renders_the_example(family: str, row: dict[str, Any]) -> None:
    if ITEMS[family](row) is None:
        pytest.skip("no judgeforge item holds this example's inputs (rendered at the source level only)")
    check_item(family, row)


def test_project_copies_render_without_the_shared_folder() -> None:
    """The small copies in tests/fixtures/families are what runs where the shared folder is absent."""
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "families"
    for family in FAMILIES:
        rows = read_jsonl(fixtures / family / "examples.jsonl")
        assert rows, family
        for row in rows:
            check_source(family, row)
            if ITEMS[family](row) is not None:
                check_item(family, row)


def check_source(family: str, row: dict[str, Any]) -> None:
    source = SOURCES[family][row["template"]]
    template_set = get_template_set(source.template_set)
    user = template_set.render_source(source.text, row["fields"])
    system = template_set.texts[source.system] if source.system else None
    assert user == row["user"]
    assert system == row["system"]
    if row.get("messages"):
        sent = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": user}
        ]
        assert sent == row["messages"][:2]
    if row.get("raw_prompt"):
        chat = chat_formats.get(template_set.chat_format or "none")
        assert chat(system or "", user) + source.prefill == row["raw_prompt"]


def check_item(family: str, row: dict[str, Any]) -> None:
    item = ITEMS[family](row)
    assert item is not None
    template_set = get_template_set(SOURCES[family][row["template"]].template_set)
    # The tokenizer format needs the model's own tokenizer: compare the messages that go into it instead.
    renderer = PromptRenderer(template_set, "none" if template_set.chat_format == "tokenizer" else None)
    prompt = renderer.direct(item) if isinstance(item, DirectItem) else renderer.pair(item)
    assert prompt.user == row["user"]
    assert (prompt.system or None) == row["system"]
    if row.get("messages"):
        assert messages_of(prompt) == row["messages"][:2]  # a retry example continues the conversation
    if row.get("raw_prompt"):
        assert prompt.text == row["raw_prompt"]
    elif template_set.chat_format == "none":
        assert prompt.text == row["user"]


def test_arena_hard_retry_turn_is_the_sources() -> None:
    retries = [row for row in examples("arena-hard") if row["template"] == "v0.1 (second attempt)"]
    if not retries:
        pytest.skip("the retry example is in the shared fidelity folder only")
    assert get_template_set("arena-hard-v0.1").texts["retry_user"] == retries[0]["messages"][3]["content"]


def test_every_shared_family_and_template_is_covered() -> None:
    shared = SHARED / "fidelity" / "families"
    if not shared.is_dir():
        pytest.skip("shared fidelity folder absent")
    folders = {path.name for path in shared.iterdir() if (path / "examples.jsonl").is_file()}
    assert folders == set(FAMILIES)
    for family in FAMILIES:
        templates = {row["template"] for row in read_jsonl(shared / family / "examples.jsonl")}
        assert templates <= set(SOURCES[family]), family


def test_mt_bench_texts_equal_fastchat_judge_prompts() -> None:
    path = SHARED / "benchmarks" / "fastchat" / "judge_prompts.jsonl"
    if not path.is_file():
        pytest.skip("shared benchmarks folder absent")
    texts = get_template_set("mt-bench").texts
    for row in read_jsonl(path):
        assert texts[row["name"]] == row["prompt_template"]
        assert texts[f"{row['name']}.system"] == row["system_prompt"]


CLI_SETS = [("auto-j", "auto-j"), ("auto-j", "auto-j-zh"), ("judgelm", "judgelm"), ("pandalm", "pandalm")]
CLI_SETS += [("mt-bench", "mt-bench"), ("prometheus1", "prometheus1")]


@pytest.mark.parametrize(("family", "template_set"), CLI_SETS)
def test_cli_render_gives_the_family_model_input(tmp_path: Path, family: str, template_set: str) -> None:
    """``judgeforge render --template-set NAME`` without --chat-format uses the family's own chat format."""
    rows, expected = [], []
    for row in examples(family):
        item = ITEMS[family](row)
        if item is None or SOURCES[family][row["template"]].template_set != template_set:
            continue
        data = item.model_dump(exclude={"id"}, exclude_none=True)
        if not isinstance(item, DirectItem):
            data["mode"] = "relative"
        rows.append(data)
        expected.append(row)
    assert rows
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    assert main(["render", str(source), "-o", str(target), "--template-set", template_set]) == 0
    for line, row in zip(read_jsonl(target), expected, strict=True):
        assert line["user"] == row["user"]
        assert line["text"] == (row.get("raw_prompt") or row["user"])


def test_fixture_copies_are_the_shared_rows() -> None:
    """The project's own copies (used where the shared folder is absent) are unchanged shared rows."""
    shared = SHARED / "fidelity" / "families"
    if not shared.is_dir():
        pytest.skip("shared fidelity folder absent")
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "families"
    for family in FAMILIES:
        ours = read_jsonl(fixtures / family / "examples.jsonl")
        theirs = {row["id"]: row for row in read_jsonl(shared / family / "examples.jsonl")}
        assert ours and all(row == theirs[row["id"]] for row in ours), family
    assert family_dir("flow-judge") == shared / "flow-judge"
