"""The fidelity examples of every judge family (``/work/shared/fidelity/families/*/examples.jsonl``, else the
project's small copies in ``tests/fixtures/families/``), and how each maps onto template sets and items.

``SOURCES`` says, per family and example template, which built-in set holds the text, the text's name, its system
text and what follows the chat-formatted input (JudgeLM's ``### Response:``). ``ITEMS`` builds the judgeforge item
an example corresponds to, where one does (a multi-turn conversation, a Flow-Judge ``context`` input or
PandaLM's ``input`` section have no item field: those examples are covered at the source level only).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeforge.records import DirectItem, PairItem, Rubric
from paths import FIXTURES, SHARED, read_jsonl

FAMILIES = (
    "mt-bench",
    "arena-hard",
    "flow-judge",
    "auto-j",
    "judgelm",
    "prometheus1",
    "selene-mini",
    "offsetbias",
    "pandalm",
)


def family_dir(family: str) -> Path:
    shared = SHARED / "fidelity" / "families" / family
    return shared if (shared / "examples.jsonl").is_file() else FIXTURES / "families" / family


def examples(family: str) -> list[dict[str, Any]]:
    return read_jsonl(family_dir(family) / "examples.jsonl")


@dataclass(frozen=True)
class Source:
    template_set: str
    text: str
    system: str | None = None
    prefill: str = ""


SOURCES: dict[str, dict[str, Source]] = {
    "mt-bench": {
        name: Source("mt-bench", name, f"{name}.system")
        for name in (
            "single-v1",
            "single-math-v1",
            "single-v1-multi-turn",
            "single-math-v1-multi-turn",
            "pair-v2",
            "pair-math-v1",
            "pair-v2-multi-turn",
            "pair-math-v1-multi-turn",
        )
    },
    "arena-hard": {
        "v0.1": Source("arena-hard-v0.1", "user", "system"),
        "v0.1 (second attempt)": Source("arena-hard-v0.1", "user", "system"),
        "v2.0 (hard_prompt)": Source("arena-hard-v2.0", "user", "system"),
        "v2.0 (creative_writing)": Source("arena-hard-v2.0-creative-writing", "user", "system"),
    },
    "flow-judge": {
        "user_prompt": Source("flow-judge", "user_prompt"),
        "user_prompt_no_inputs": Source("flow-judge", "user_prompt_no_inputs"),
    },
    "auto-j": {
        "single": Source("auto-j", "single"),
        "pairwise_tie": Source("auto-j", "pairwise_tie"),
        "zh_single": Source("auto-j-zh", "single"),
        "zh_pairwise_tie": Source("auto-j-zh", "pairwise_tie"),
    },
    "judgelm": {
        "conv_judge_pair": Source("judgelm", "template_pair", "system", "### Response:"),
        "conv_judge_pair_w_reference": Source(
            "judgelm", "template_pair_w_reference", "system", "### Response:"
        ),
        "conv_judge_single": Source("judgelm", "template_pair", "system", "### Response:10"),
        "conv_judge_single_w_reference": Source(
            "judgelm", "template_pair_w_reference", "system", "### Response:10"
        ),
        "conv_judge_multi": Source("judgelm", "template_multi", "system", "### Response:"),
        "conv_judge_multi_w_reference": Source(
            "judgelm", "template_multi_w_reference", "system", "### Response:"
        ),
    },
    "prometheus1": {
        "absolute": Source("prometheus1", "absolute", "system"),
        "absolute_wo_ref": Source("prometheus1", "absolute_wo_ref"),
    },
    "selene-mini": {
        "absolute-scoring": Source("selene-mini", "absolute-scoring"),
        "absolute-scoring-with-reference": Source("selene-mini", "absolute-scoring-with-reference"),
        "classification": Source("selene-mini-classification", "classification"),
        "classification-with-reference": Source(
            "selene-mini-classification", "classification-with-reference"
        ),
        "pairwise": Source("selene-mini", "pairwise"),
    },
    "offsetbias": {"user": Source("offsetbias", "user")},
    "pandalm": {
        "prompt_no_input": Source("pandalm", "prompt_no_input"),
        "prompt_with_input": Source("pandalm", "prompt_with_input"),
    },
}

ONE_TO_TEN = Rubric.model_validate(
    {"criteria": "Overall quality of the answer.", "scale": list(range(1, 11))}
)
# Pairwise wordings show the criterion alone (Selene) or nothing (the rest): the levels are never shown.
CRITERION_ONLY = {f"score{level}_description": "" for level in range(1, 6)}


def _rubric_of_levels(criteria: str, levels: list[str]) -> Rubric:
    return Rubric(criteria=criteria, **dict(zip(CRITERION_ONLY, levels, strict=True)))


def _mt_bench(row: dict[str, Any]) -> DirectItem | PairItem | None:
    f, name = row["fields"], row["template"]
    if "multi-turn" in name:
        return None  # a two-turn conversation: no item field holds it
    reference = f.get("ref_answer_1")
    if name.startswith("single"):
        return DirectItem(
            instruction=f["question"], response=f["answer"], rubric=ONE_TO_TEN, reference_answer=reference
        )
    rubric = Rubric(criteria="Which answer is better?", **CRITERION_ONLY)
    return PairItem(
        instruction=f["question"],
        response_a=f["answer_a"],
        response_b=f["answer_b"],
        rubric=rubric,
        reference_answer=reference,
    )


def _arena_hard(row: dict[str, Any]) -> PairItem:
    f = row["fields"]
    rubric = Rubric(criteria="Which answer is better?", **CRITERION_ONLY)
    if "question_1" in f:
        return PairItem(
            instruction=f["question_1"], response_a=f["answer_1"], response_b=f["answer_2"], rubric=rubric
        )
    return PairItem(
        instruction=f["QUESTION"], response_a=f["ANSWER_A"], response_b=f["ANSWER_B"], rubric=rubric
    )


def flow_presets() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (family_dir("flow-judge") / "metric_presets.json").read_text(encoding="utf-8")
    )
    return data


def _flow_judge(row: dict[str, Any]) -> DirectItem | None:
    inputs = {key: value for entry in row["eval_input"]["inputs"] for key, value in entry.items()}
    output = row["eval_input"]["output"]
    if set(inputs) - {"query", "reference_answer"} or "query" not in inputs or "response" not in output:
        return None  # a context input, or an output under another tag: no item field holds it
    metric = flow_presets()[row["metric"]]
    scale = {str(level["score"]): level["description"] for level in metric["rubric"]}
    rubric = Rubric.model_validate({"criteria": metric["criteria"], "scale": scale})
    return DirectItem(
        instruction=inputs["query"],
        response=output["response"],
        rubric=rubric,
        reference_answer=inputs.get("reference_answer"),
    )


def _auto_j(row: dict[str, Any]) -> DirectItem | PairItem:
    f = row["fields"]
    if row["template"].endswith("single"):
        return DirectItem(instruction=f["prompt"], response=f["response"], rubric=ONE_TO_TEN)
    rubric = Rubric(criteria="Which response is better?", **CRITERION_ONLY)
    return PairItem(
        instruction=f["prompt"], response_a=f["response"], response_b=f["response_another"], rubric=rubric
    )


def _judgelm(row: dict[str, Any]) -> PairItem | None:
    if not row["template"].startswith("conv_judge_pair"):
        return None  # single-answer grading pre-fills a score; multi-answer grading takes three answers
    f = row["fields"]
    rubric = Rubric(criteria="Which answer is better?", **CRITERION_ONLY)
    return PairItem(
        instruction=f["question"],
        response_a=f["answer_1"],
        response_b=f["answer_2"],
        rubric=rubric,
        reference_answer=f.get("reference"),
    )


def _prometheus1(row: dict[str, Any]) -> DirectItem:
    f = row["fields"]
    levels = [f[f"orig_score{level}_description"] for level in range(1, 6)]
    return DirectItem(
        instruction=f["orig_instruction"],
        response=f["orig_response"],
        rubric=_rubric_of_levels(f["orig_criteria"], levels),
        reference_answer=f.get("orig_reference_answer"),
    )


def _selene(row: dict[str, Any]) -> DirectItem | PairItem:
    f, name = row["fields"], row["template"]
    if name == "pairwise":
        rubric = Rubric(criteria=f["rubric_objective"], **CRITERION_ONLY)
        return PairItem(
            instruction=f["user_input"],
            response_a=f["assistant_response_a"],
            response_b=f["assistant_response_b"],
            rubric=rubric,
        )
    if name.startswith("classification"):
        scale = {"Yes": f["rubric_yes_description"], "No": f["rubric_no_description"]}
        rubric = Rubric.model_validate({"criteria": f["rubric_objective"], "scale": scale})
    else:
        levels = [f[f"rubric_score_{level}_description"] for level in range(1, 6)]
        rubric = _rubric_of_levels(f["rubric_objective"], levels)
    return DirectItem(
        instruction=f["user_input"],
        response=f["assistant_response"],
        rubric=rubric,
        reference_answer=f.get("reference_response"),
    )


def _offsetbias(row: dict[str, Any]) -> PairItem:
    f = row["fields"]
    rubric = Rubric(criteria="Which output is better?", **CRITERION_ONLY)
    return PairItem(instruction=f["input"], response_a=f["output_1"], response_b=f["output_2"], rubric=rubric)


def _pandalm(row: dict[str, Any]) -> PairItem | None:
    if row["fields"]["input"]:
        return None  # PandaLM's Input section has no item field
    raw = row["raw_fields"]
    rubric = Rubric(criteria="Which response is better?", **CRITERION_ONLY)
    return PairItem(
        instruction=row["fields"]["instruction"],
        response_a=raw["resp1"],
        response_b=raw["resp2"],
        rubric=rubric,
    )


ITEMS: dict[str, Callable[[dict[str, Any]], DirectItem | PairItem | None]] = {
    "mt-bench": _mt_bench,
    "arena-hard": _arena_hard,
    "flow-judge": _flow_judge,
    "auto-j": _auto_j,
    "judgelm": _judgelm,
    "prometheus1": _prometheus1,
    "selene-mini": _selene,
    "offsetbias": _offsetbias,
    "pandalm": _pandalm,
}
