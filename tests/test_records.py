"""``Record.trusted`` (the hot path's construction without validation) builds records that behave as the
validated ones: equality, dumps, copies with updates, hashing, pickling and ``model_fields_set``.

The values are those the hot path passes (inputs.py, the renderer, the fake backend, the parsers, the logprob
scoring and the Judge), one case per kind of call.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from judgeforge.records import (
    Completion,
    DirectItem,
    Judgment,
    Message,
    PairItem,
    Prompt,
    Record,
    Rubric,
    ScaleLevel,
    Usage,
    Verdict,
)

RUBRIC = Rubric(
    criteria="Is the answer helpful?",
    **{f"score{level}_description": f"Level {level} of help." for level in range(1, 6)},
)
SYSTEM = Message(role="system", content="You are a fair judge.")
USER = Message(role="user", content="###Task Description: grade the response.")
VERDICT = Verdict(score=4, feedback="Clear and correct.", raw="Clear and correct. [RESULT] 4")
USAGE = Usage(prompt_tokens=812, completion_tokens=41)

# (record class, the keyword values the hot path passes, a field to update in a copy and its new value)
CASES: list[tuple[type[Record], dict[str, Any], str, Any]] = [
    (Message, {"role": "system", "content": "You are a fair judge."}, "content", "Be brief."),
    (Message, {"role": "user", "content": "Grade this."}, "role", "assistant"),
    (
        Prompt,
        {
            "mode": "absolute",
            "template": "prometheus2",
            "messages": (SYSTEM, USER),
            "text": "<s>[INST] You are a fair judge.\n\n###Task Description: grade the response. [/INST]",
            "scale": None,
        },
        "scale",
        ("1", "2", "3", "4", "5"),
    ),
    (
        Prompt,
        {
            "mode": "relative",
            "template": "mt-bench",
            "messages": (USER,),
            "text": "[INST] A or B? [/INST]",
            "scale": ("Yes", "No"),
        },
        "text",
        "[INST] B or A? [/INST]",
    ),
    (
        Completion,
        {"text": "Fine. [RESULT] 4", "usage": USAGE, "finish_reason": "stop", "logprobs": None},
        "text",
        "Fine. [RESULT] 5",
    ),
    (Usage, {"prompt_tokens": 812, "completion_tokens": 41}, "completion_tokens", 7),
    (Usage, {"prompt_tokens": 0, "completion_tokens": 0}, "prompt_tokens", 3),
    (
        Verdict,
        {"score": 4, "feedback": "Clear and correct.", "raw": "Clear and correct. [RESULT] 4"},
        "score",
        5,
    ),
    (Verdict, {"winner": "B", "feedback": "B is better.", "raw": "B is better. [RESULT] B"}, "winner", "A"),
    (
        Verdict,
        {
            "score": 3,
            "winner": None,
            "raw": "[RESULT] 3",
            "probabilities": {"3": 0.75, "4": 0.25},
            "expected_score": 3.25,
        },
        "feedback",
        "from logprobs",
    ),
    (
        Judgment,
        {
            "item_id": "rice-good",
            "mode": "absolute",
            "verdicts": (VERDICT, VERDICT),
            "score": 4.0,
            "winner": None,
            "agreement": 1.0,
            "failure": None,
            "usage": USAGE,
            "extra": {},
            "label": None,
        },
        "score",
        5.0,
    ),
    (
        Judgment,
        {
            "item_id": None,
            "mode": "relative",
            "verdicts": (VERDICT,),
            "score": None,
            "winner": "tie",
            "agreement": 0.5,
            "failure": None,
            "usage": Usage(),
            "extra": {"protocol": "score-only"},
            "label": None,
        },
        "failure",
        "every sample failed",
    ),
    (
        DirectItem,
        {
            "response": "Boil it.",
            "id": "rice-good",
            "instruction": "How do I cook rice?",
            "rubric": RUBRIC,
            "reference_answer": "Rinse, boil, rest.",
        },
        "response",
        "Fry it.",
    ),
    (
        DirectItem,
        {"response": "4", "id": None, "instruction": "2 + 2?", "rubric": RUBRIC, "reference_answer": None},
        "id",
        "sum",
    ),
    (
        PairItem,
        {
            "response_a": "Boil it.",
            "response_b": "Fry it.",
            "id": "pair-1",
            "instruction": "How do I cook rice?",
            "rubric": RUBRIC,
            "reference_answer": None,
        },
        "response_b",
        "Steam it.",
    ),
    (ScaleLevel, {"value": "3", "description": "Level 3 of help."}, "description", "Middling."),
]
IDS = [f"{cls.__name__}-{index}" for index, (cls, *_) in enumerate(CASES)]


def built(cls: type[Record], values: dict[str, Any]) -> tuple[Record, Record]:
    trusted, validated = cls.trusted(**values), cls(**values)
    assert type(trusted) is cls
    return trusted, validated


def _hash(record: Record) -> int | type[TypeError]:
    try:
        return hash(record)
    except TypeError:  # a dict field (Judgment.extra, Verdict.probabilities) makes a frozen record unhashable
        return TypeError


@pytest.mark.parametrize(("cls", "values", "field", "new"), CASES, ids=IDS)
def test_trusted_equals_validated(cls: type[Record], values: dict[str, Any], field: str, new: Any) -> None:
    trusted, validated = built(cls, values)
    assert trusted == validated and validated == trusted
    assert (trusted != validated) is False
    assert trusted.model_fields_set == validated.model_fields_set == set(values)
    assert _hash(trusted) == _hash(validated)
    assert trusted.__pydantic_extra__ == validated.__pydantic_extra__
    assert trusted.__pydantic_private__ == validated.__pydantic_private__


@pytest.mark.parametrize(("cls", "values", "field", "new"), CASES, ids=IDS)
def test_trusted_dumps_as_validated(cls: type[Record], values: dict[str, Any], field: str, new: Any) -> None:
    trusted, validated = built(cls, values)
    for options in (
        {},
        {"mode": "json"},
        {"exclude_unset": True},
        {"exclude_defaults": True},
        {"exclude_none": True},
        {"include": {field}},
    ):
        assert trusted.model_dump(**options) == validated.model_dump(**options), options
    assert cls.model_validate_json(trusted.model_dump_json()) == validated
    assert cls.model_validate(trusted.model_dump()) == validated


@pytest.mark.parametrize(("cls", "values", "field", "new"), CASES, ids=IDS)
def test_trusted_copies_as_validated(cls: type[Record], values: dict[str, Any], field: str, new: Any) -> None:
    trusted, validated = built(cls, values)
    for copy_of_trusted, copy_of_validated in [
        (trusted.model_copy(update={field: new}), validated.model_copy(update={field: new})),
        (trusted.model_copy(), validated.model_copy()),
        (trusted.model_copy(deep=True), validated.model_copy(deep=True)),
    ]:
        assert copy_of_trusted == copy_of_validated
        assert copy_of_trusted.model_fields_set == copy_of_validated.model_fields_set
        assert copy_of_trusted.model_dump() == copy_of_validated.model_dump()
        assert _hash(copy_of_trusted) == _hash(copy_of_validated)
    updated = trusted.model_copy(update={field: new})
    assert getattr(updated, field) == new and getattr(trusted, field) == values.get(
        field, getattr(validated, field)
    )
    assert updated != trusted or new == getattr(trusted, field)


@pytest.mark.parametrize(("cls", "values", "field", "new"), CASES, ids=IDS)
def test_trusted_pickles_as_validated(
    cls: type[Record], values: dict[str, Any], field: str, new: Any
) -> None:
    trusted, validated = built(cls, values)
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        back = pickle.loads(pickle.dumps(trusted, protocol=protocol))
        assert type(back) is cls and back == validated == pickle.loads(
            pickle.dumps(validated, protocol=protocol)
        )
        assert back.model_fields_set == validated.model_fields_set
        assert _hash(back) == _hash(validated)
        assert back.model_dump() == validated.model_dump()


@pytest.mark.parametrize(("cls", "values", "field", "new"), CASES, ids=IDS)
def test_trusted_records_are_frozen(cls: type[Record], values: dict[str, Any], field: str, new: Any) -> None:
    trusted, _ = built(cls, values)
    with pytest.raises(ValueError, match="frozen"):
        setattr(trusted, field, new)


def test_default_factories_give_each_trusted_record_its_own_value() -> None:
    first = Judgment.trusted(item_id="a", mode="absolute", verdicts=())
    second = Judgment.trusted(item_id="b", mode="absolute", verdicts=())
    assert first.extra == {} and first.extra is not second.extra
    assert first == Judgment(item_id="a", mode="absolute", verdicts=())
    assert first.model_fields_set == {"item_id", "mode", "verdicts"}


@pytest.mark.parametrize(
    ("cls", "values"),
    [(cls, values) for cls, values, _, _ in CASES if cls in (DirectItem, PairItem, Prompt, Completion)],
)
def test_trusted_keeps_the_field_order(cls: type[Record], values: dict[str, Any]) -> None:
    trusted, validated = built(cls, values)
    assert list(trusted.model_dump()) == list(validated.model_dump())
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert repr(trusted) == repr(validated)
