"""prometheus-eval 0.1.20 inputs -> judgeforge records: rubric strings, ``str.format`` templates, ``params``.

Everything here is checked, never guessed: an input that judgeforge's template set cannot show as given is an
error naming the fix (prometheus-eval would drop it or print ``None`` in its place; docs/migrating.md).
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import ValidationError

from judgeforge.errors import ConfigError, InputError, RubricError, TemplateError
from judgeforge.inputs import item_from_row
from judgeforge.prompts import TemplateSet
from judgeforge.prompts.parse_back import rubric_from_rendered
from judgeforge.prompts.rubrics import library_rubrics, load_rubric
from judgeforge.records import DirectItem, Mode, PairItem, Rubric

RubricInput = str | Rubric | Mapping[str, Any]
# prometheus-eval's placeholder names (str.format fields) -> judgeforge's, per mode.
FIELDS: dict[Mode, dict[str, str]] = {
    "absolute": {
        "instruction": "instruction",
        "response": "response",
        "rubric": "rubric",
        "reference_answer": "reference_answer",
    },
    "relative": {
        "instruction": "instruction",
        "response_A": "response_a",
        "response_B": "response_b",
        "rubric": "rubric",
        "reference_answer": "reference_answer",
    },
}
# The vLLM SamplingParams keys (prometheus-eval's ``params``) that judgeforge's SamplingParams has.
SAMPLING_KEYS = ("max_tokens", "temperature", "top_p", "repetition_penalty", "seed", "stop")
_JUDGEFORGE_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_ABSOLUTE_FORM = re.compile(r"\A\[.*\]\nScore 1: .*\nScore 5: ", re.DOTALL)
_RUBRIC_FORM_HINT = (
    "a rubric string must read like prometheus_eval.prompts.SCORE_RUBRIC_TEMPLATE "
    "('[criteria]\\nScore 1: ...\\n...\\nScore 5: ...'), or name a library rubric "
    f"({', '.join(library_rubrics())}) or a .yaml/.json file; or pass a mapping with criteria and "
    "score1_description .. score5_description"
)


# -- templates ----------------------------------------------------------------------------------------------
def to_format_string(template: str, mode: Mode) -> str:
    """A judgeforge template in prometheus-eval's ``str.format`` form (``{response_A}``, braces doubled)."""
    names = {ours: theirs for theirs, ours in FIELDS[mode].items()}
    pieces = re.split(r"\{([a-z_]+)\}", template)
    parts = []
    for position, piece in enumerate(pieces):
        if position % 2:
            parts.append("{" + names.get(piece, piece) + "}")
        else:
            parts.append(piece.replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


def from_format_string(text: str, mode: Mode) -> tuple[str, str]:
    """(template key, judgeforge template) of a prometheus-eval ``str.format`` template.

    The key is ``absolute``/``relative`` when the template shows ``{reference_answer}``, else the ``_wo_ref``
    one. Raises TemplateError for a field it cannot fill (an unknown name, a format spec or conversion, a
    literal ``{name}`` after unescaping) or an input it would drop (no ``{instruction}``, response or
    ``{rubric}``).
    """
    if not isinstance(text, str):
        raise TemplateError(f"a {mode} template must be a string, got {type(text).__name__}")
    allowed = FIELDS[mode]
    parts, seen = [], set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone "{" or "}"
        raise TemplateError(f"{mode} template is not a valid str.format template: {exc}") from exc
    fields = 0
    for literal, field, spec, conversion in parsed:
        parts.append(literal)
        if field is None:
            continue
        if field not in allowed or spec or conversion:
            shown = (
                "{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            )
            known = ", ".join("{" + name + "}" for name in allowed)
            raise TemplateError(f"{mode} template: cannot fill {shown}; the fields are {known}")
        seen.add(field)
        fields += 1
        parts.append("{" + allowed[field] + "}")
    missing = [name for name in allowed if name != "reference_answer" and name not in seen]
    if missing:
        raise TemplateError(f"{mode} template shows no {', '.join('{' + n + '}' for n in missing)}")
    template = "".join(parts)
    if len(_JUDGEFORGE_PLACEHOLDER.findall(template)) != fields:  # e.g. "{{name}}": literal "{name}"
        raise TemplateError(
            f"{mode} template: a literal '{{name}}' (escaped braces) looks like a placeholder"
        )
    key = mode if "reference_answer" in seen else f"{mode}_wo_ref"
    return key, template


def with_templates(base: TemplateSet, absolute: str | None, relative: str | None) -> TemplateSet:
    """``base`` with its absolute and/or relative templates replaced by the given ``str.format`` ones.

    A given template replaces both of its mode's templates: the one it does not fill is then missing, so an
    input it cannot show (a reference, or its absence) is a TemplateError instead of a silent change.
    """
    if absolute is None and relative is None:
        return base
    templates = dict(base.templates)
    for mode, text in (("absolute", absolute), ("relative", relative)):
        if text is not None:
            key, template = from_format_string(text, mode)  # type: ignore[arg-type]
            templates.pop(mode, None)
            templates.pop(f"{mode}_wo_ref", None)
            templates[key] = template
    return dataclasses.replace(base, name=f"{base.name}+custom", templates=templates)


# -- rubrics ------------------------------------------------------------------------------------------------
def resolve_rubric(value: object, mode: Mode) -> Rubric:
    """A judgeforge Rubric from what prometheus-eval takes (a rendered rubric string) or judgeforge takes.

    Strings: absolute, the ``SCORE_RUBRIC_TEMPLATE`` form; relative, the ``[criteria]`` line
    (``load_rubric(name, "relative")``) or a bare criterion (shown in brackets); in both modes a library
    rubric name or a .yaml/.json path. Raises RubricError naming the accepted forms.
    """
    if isinstance(value, Rubric | Mapping):
        return load_rubric(value)
    if not isinstance(value, str):
        raise RubricError(
            f"must be a string, a Rubric or a mapping, got {type(value).__name__}", field="rubric"
        )
    if value in library_rubrics() or value.endswith((".yaml", ".yml", ".json")):
        return load_rubric(value)
    if mode == "absolute":
        return _absolute_rubric(value)
    return _relative_rubric(value)


def _absolute_rubric(text: str) -> Rubric:
    try:
        return rubric_from_rendered(text)
    except InputError:
        raise RubricError(_RUBRIC_FORM_HINT, field="rubric") from None
    except ValidationError:  # "[]\nScore 1: ..."
        raise RubricError("the criterion in brackets is empty", field="rubric") from None


def _relative_rubric(text: str) -> Rubric:
    if _ABSOLUTE_FORM.match(text):
        raise RubricError(
            "relative_grade shows the criterion line only, not the score levels: pass the first line "
            "(what prometheus_eval.prompts.load_rubric(name, 'relative') returns), a library rubric name or "
            "a Rubric",
            field="rubric",
        )
    if not text.strip():
        raise RubricError("must not be empty", field="rubric")
    try:
        return rubric_from_rendered(text, relative=True)
    except ValidationError:  # "[]"
        raise RubricError("the criterion in brackets is empty", field="rubric") from None
    except InputError:  # a bare criterion, as in prometheus-eval's README: shown as "[criterion]"
        blank = {f"score{level}_description": "" for level in range(1, 6)}
        return Rubric(criteria=text, **blank)


def rubrics_for(rubric: object, count: int, mode: Mode) -> list[Rubric]:
    """One Rubric per item: ``rubric`` is one rubric for all, or a list of one per item."""
    if isinstance(rubric, list | tuple):
        if len(rubric) != count:
            raise InputError(f"{len(rubric)} rubrics for {count} instructions", field="rubric")
        values: Sequence[object] = rubric
    else:
        values = [rubric] * count
    resolved: dict[str, Rubric] = {}  # one record per distinct string: the judge checks each rubric once
    out = []
    for value in values:
        if isinstance(value, str):
            if value not in resolved:
                resolved[value] = resolve_rubric(value, mode)
            out.append(resolved[value])
        else:
            out.append(resolve_rubric(value, mode))
    return out


# -- lists, items, params -----------------------------------------------------------------------------------
def text_list(values: object, name: str, count: int | None = None) -> list[Any]:
    """``values`` as a list, checked to be a list/tuple (not a string) of ``count`` entries."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputError(f"must be a list with one entry per item, got {type(values).__name__}", field=name)
    if count is not None and len(values) != count:
        raise InputError(f"{len(values)} entries for {count} instructions", field=name)
    return list(values)


def direct_items(
    instructions: list[Any], responses: list[Any], rubrics: list[Rubric], references: list[Any]
) -> list[DirectItem]:
    """Checked DirectItems (InputError naming the item index and field)."""
    items = []
    for index, (instruction, response, rubric, reference) in enumerate(
        zip(instructions, responses, rubrics, references, strict=True)
    ):
        row = {"instruction": instruction, "response": response, "reference_answer": reference}
        item = item_from_row(row, record=f"item {index}", mode="absolute", rubric=rubric)
        items.append(cast(DirectItem, item))  # mode="absolute" builds a DirectItem
    return items


def pair_items(
    instructions: list[Any],
    responses_a: list[Any],
    responses_b: list[Any],
    rubrics: list[Rubric],
    references: list[Any],
) -> list[PairItem]:
    """Checked PairItems (InputError naming the item index and field)."""
    items = []
    for index, (instruction, response_a, response_b, rubric, reference) in enumerate(
        zip(instructions, responses_a, responses_b, rubrics, references, strict=True)
    ):
        row = {
            "instruction": instruction,
            "response_a": response_a,
            "response_b": response_b,
            "reference_answer": reference,
        }
        item = item_from_row(row, record=f"item {index}", mode="relative", rubric=rubric)
        items.append(cast(PairItem, item))  # mode="relative" builds a PairItem
    return items


def sampling_overrides(params: object) -> dict[str, Any]:
    """prometheus-eval's ``params`` (vLLM SamplingParams keys) as judgeforge sampling overrides.

    ``best_of=1`` (prometheus-eval's default) is accepted and ignored; other keys raise ConfigError naming
    the accepted ones.
    """
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ConfigError(f"params must be a mapping, got {type(params).__name__}")
    overrides = dict(params)
    if overrides.pop("best_of", 1) not in (1, None):
        raise ConfigError(
            "params: best_of other than 1 is not supported (use Judge(samples=...) to sample more)"
        )
    unknown = sorted(set(overrides) - set(SAMPLING_KEYS))
    if unknown:
        raise ConfigError(
            f"params: unsupported keys {unknown}; accepted: {', '.join(SAMPLING_KEYS)}, best_of=1"
        )
    return overrides
