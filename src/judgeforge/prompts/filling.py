"""Filling templates: ``{name}`` placeholders replaced in one pass, so braces inside inputs are never read.

Two levels, both single-pass:

- a **source text** is a template exactly as its family renders it, with the family's own placeholder names
  (``{question}``, ``{INPUTS}``, ``{rubric_score_1_description}``); all families fill them with Python's
  ``str.format`` (or f-strings), and none of their templates uses ``{{``/``}}`` escapes;
- a **binding** says what each placeholder of a source text receives for an item: a small template over the
  item's slots (``{instruction}``, ``{response_a}``, ``{criteria}``, ``{levels}``, ``{level_3}`` ..), where a slot
  may pass through a named filter (``{response_a|pandalm_clean}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache

from judgeforge.registry import Registry

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([a-z_]+))?\}")

ValueFilter = Callable[[str], str]
value_filters: Registry[ValueFilter] = Registry("value filter")

# PandaLM removes these strings from each response (pandalm/utils/pandalm_inference.py, build_pandalm_prompt).
_PANDALM_SPECIAL = (
    "<unk>",
    "<pad>",
    "<s>",
    "</s>",
    "[PAD]",
    "<|endoftext|>",
    "[UNK]",
    "[CLS]",
    "[MASK]",
    "<|startofpiece|>",
    "<|endofpiece|>",
    "[gMASK]",
    "[sMASK]",
)


@value_filters.register("pandalm_clean")
def pandalm_clean(text: str) -> str:
    """PandaLM's response cleaning: strip, remove special-token strings, strip again."""
    text = text.strip()
    for token in _PANDALM_SPECIAL:
        text = text.replace(token, "")
    return text.strip()


@cache
def split_template(template: str) -> tuple[tuple[str, ...], tuple[tuple[str, str | None], ...]]:
    """(literal pieces, (placeholder, filter) pairs): filling is then one join, not a regex pass per prompt."""
    literals, names, last = [], [], 0
    for match in PLACEHOLDER.finditer(template):
        literals.append(template[last : match.start()])
        names.append((match.group(1), match.group(2)))
        last = match.end()
    literals.append(template[last:])
    return tuple(literals), tuple(names)


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholder names of ``template``, in order, without repeats."""
    return tuple(dict.fromkeys(name for name, _ in split_template(template)[1]))


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each placeholder replaced by its value (through its filter, if it names one).

    KeyError names a placeholder without a value; values are inserted as they are and never re-scanned.
    """
    first, pieces, filtered = _fill_plan(template)
    if filtered:
        values = {**values, **{field: value_filters.get(f)(values[name]) for field, name, f in filtered}}
    parts = [first]
    for field, literal in pieces:  # append, not +=: no tuple per placeholder (this runs once per prompt)
        parts.append(values[field])
        parts.append(literal)
    return "".join(parts)


@cache
def _fill_plan(
    template: str,
) -> tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str, str], ...]]:
    """(first literal, (field, literal after it) pairs, (field, placeholder, filter) triples): a placeholder
    that passes through a filter reads the field ``name|filter``, filled from its filtered value."""
    literals, names = split_template(template)
    fields = [name if f is None else f"{name}|{f}" for name, f in names]
    filtered = dict.fromkeys((field, name, f) for field, (name, f) in zip(fields, names) if f is not None)
    return literals[0], tuple(zip(fields, literals[1:], strict=True)), tuple(filtered)


def slot_name(value: str) -> str:
    """The slot of one rubric level's description: ``level_3``, ``level_yes``, ``level_0_5``."""
    return "level_" + re.sub(r"\W", "_", value.lower())
