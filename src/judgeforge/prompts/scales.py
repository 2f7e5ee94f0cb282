"""Which rubric scales a template set's direct-assessment wording can show.

A wording either shows the rubric's levels (Prometheus, Flow-Judge, Selene: ``Score k: ...`` lines) or names a
fixed scale in its own text (MT-Bench and Auto-J: "on a scale of 1 to 10"). Either way it can show some scales
and not others: Prometheus 2's wording says "an integer between 1 and 5", Flow-Judge's shows any whole-number
levels, Selene's classification wording says "Yes or No". A rubric whose scale the wording cannot show is
refused with a :class:`~judgeforge.errors.TemplateError` rather than rendered into a prompt that asks for
another scale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from judgeforge.errors import ConfigError

_WHOLE = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
KINDS = ("whole-numbers",)


@dataclass(frozen=True)
class ScaleSpec:
    """``values``: exactly these levels (in any order); or ``kind`` ``whole-numbers``: any whole-number levels.
    ``shows_levels``: whether the wording shows the rubric's level descriptions (False: a fixed scale)."""

    values: tuple[str, ...] | None = ("1", "2", "3", "4", "5")
    kind: str | None = None
    shows_levels: bool = True

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ScaleSpec:
        if data is None:
            return cls()
        kind = data.get("kind")
        if kind is not None and kind not in KINDS:
            raise ConfigError(f"unknown scale kind {kind!r}; known: {', '.join(KINDS)}")
        values = data.get("values")
        if (values is None) == (kind is None):
            raise ConfigError("a template set's scale gives either 'values' or 'kind'")
        return cls(
            values=None if values is None else tuple(str(v) for v in values),
            kind=kind,
            shows_levels=bool(data.get("shows_levels", True)),
        )

    def accepts(self, values: Sequence[str]) -> bool:
        if self.values is not None:
            return len(values) == len(self.values) and set(values) == set(self.values)
        return all(_WHOLE.fullmatch(value) for value in values)

    def describe(self) -> str:
        if self.values is None:
            return "scales of whole numbers"
        return f"the scale {describe_values(self.values)}"


def describe_values(values: Sequence[str]) -> str:
    """``1-10`` for a run of consecutive whole numbers, else the values joined: ``Yes/No``, ``0/5/10``."""
    if len(values) > 2 and all(_WHOLE.fullmatch(v) for v in values):
        numbers = sorted(int(v) for v in values)
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]}-{numbers[-1]}"
    return "/".join(values)


def numeric(values: Sequence[str]) -> bool:
    """Whether every value is a number (then verdicts on the scale are scores; otherwise labels)."""
    return all(_NUMBER.fullmatch(value) for value in values)


def ordered_levels(values: Sequence[str], order: str) -> list[int]:
    """Indices of ``values`` in the order a set shows them: ``as-given`` or ``ascending`` (Flow-Judge sorts
    its rubric by score)."""
    indices = list(range(len(values)))
    if order == "ascending" and numeric(values):
        indices.sort(key=lambda i: float(values[i]))
    return indices


def lint_scale(scale: Any, *, descriptions: bool = True) -> list[str]:
    """Every problem of a rubric's ``scale`` as written in a rubric file (empty list: fine).

    Accepted: a mapping ``{value: description}``, a list of values (no descriptions: for wordings with a fixed
    scale, such as MT-Bench's 1-10) or a list of ``{value, description}`` levels. Values are numbers or words, not both; at least two, none repeated.
    ``descriptions``: also check that each given description is filled in and says something of its own (where
    a wording shows them, the renderer checks this again).
    """
    if isinstance(scale, Mapping):
        entries = list(scale.items())
    elif isinstance(scale, (list, tuple)):  # values, or levels {value, description} (a dumped Rubric)
        entries = [
            (entry.get("value"), entry.get("description")) if isinstance(entry, Mapping) else (entry, None)
            for entry in scale
        ]
    else:
        return [
            f"field 'scale' must be a mapping of level -> description or a list of levels, got {type(scale).__name__}"
        ]
    problems = []
    if len(entries) < 2:
        problems.append("field 'scale' needs at least two levels")
    values: list[str] = []
    for value, description in entries:
        if isinstance(value, bool):
            problems.append(
                f"scale level {value!r} is a YAML boolean: quote it ('Yes', 'No') to keep its spelling"
            )
        elif not isinstance(value, (str, int, float)) or not str(value).strip():
            problems.append(f"scale level {value!r} must be a number or a word")
        else:
            values.append(str(value))
        if (
            descriptions
            and description is not None
            and (not isinstance(description, str) or not description.strip())
        ):
            problems.append(f"scale level {value!r} has no description")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        problems.append(f"scale levels repeat: {', '.join(repeated)}")
    if values and not numeric(values) and any(_NUMBER.fullmatch(v) for v in values):
        problems.append(f"scale mixes numbers and words: {', '.join(values)}")
    if descriptions:
        problems += _repeated_descriptions([d for _, d in entries], [str(v) for v, _ in entries])
    return problems


def _repeated_descriptions(descriptions: list[Any], values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for value, text in zip(values, descriptions, strict=True):
        if not isinstance(text, str) or not text.strip():
            continue
        key = " ".join(text.split()).lower()
        if key in seen:
            problems.append(f"scale level {value} repeats the description of level {seen[key]}")
        else:
            seen[key] = value
    return problems
