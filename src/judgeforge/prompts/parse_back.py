"""Parse a rendered prompt back into its parts (instruction, responses, reference, rubric).

Benchmark files ship rendered prompts; parsing them back lets any template set re-render the same items.
The template itself drives the parse: its literal text between placeholders becomes the anchors.
"""

from __future__ import annotations

import re
from functools import cache

from judgeforge.errors import InputError
from judgeforge.prompts.templates import TemplateSet, get_template_set
from judgeforge.records import DirectItem, PairItem, Rubric

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_ABSOLUTE_RUBRIC = re.compile(
    r"\A\[(?P<criteria>.*)\]\nScore 1: (?P<s1>.*)\nScore 2: (?P<s2>.*)\nScore 3: (?P<s3>.*)"
    r"\nScore 4: (?P<s4>.*)\nScore 5: (?P<s5>.*)\Z",
    re.DOTALL,
)
_RELATIVE_RUBRIC = re.compile(r"\A\[(?P<criteria>.*)\]\Z", re.DOTALL)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.*?)")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("\\A" + "".join(parts) + "\\Z", re.DOTALL)


def parse_rendered(text: str, template_set: str | TemplateSet = "prometheus2") -> tuple[str, dict[str, str]]:
    """(template key, fields) of a prompt rendered by one of the set's templates."""
    template_set = get_template_set(template_set)
    for key, template in template_set.templates.items():
        match = _pattern(template).match(text)
        if match is not None:
            return key, match.groupdict()
    raise InputError(f"prompt does not match any template of set '{template_set.name}'", field="prompt")


def rubric_from_rendered(text: str, relative: bool = False) -> Rubric:
    """Rebuild a rubric from its rendered form. A relative rendering carries no level descriptions."""
    match = (_RELATIVE_RUBRIC if relative else _ABSOLUTE_RUBRIC).match(text)
    if match is None:
        raise InputError("rendered rubric is not in the expected form", field="rubric")
    if relative:
        return Rubric(
            criteria=match["criteria"],
            score1_description="",
            score2_description="",
            score3_description="",
            score4_description="",
            score5_description="",
        )
    return Rubric(
        criteria=match["criteria"],
        **{f"score{level}_description": match[f"s{level}"] for level in range(1, 6)},
    )


def item_from_rendered(text: str, template_set: str | TemplateSet = "prometheus2") -> DirectItem | PairItem:
    """Parse a rendered prompt back into the item that renders to it."""
    key, fields = parse_rendered(text, template_set)
    reference = fields.get("reference_answer")
    if key.startswith("absolute"):
        return DirectItem(
            instruction=fields["instruction"],
            response=fields["response"],
            rubric=rubric_from_rendered(fields["rubric"]),
            reference_answer=reference,
        )
    return PairItem(
        instruction=fields["instruction"],
        response_a=fields["response_a"],
        response_b=fields["response_b"],
        rubric=rubric_from_rendered(fields["rubric"], relative=True),
        reference_answer=reference,
    )
