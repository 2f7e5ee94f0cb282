"""Template sets: exact prompt wordings stored as data files, each tied to its parser.

A template set is a folder holding ``set.json`` (name, description, parser, output format, system prompts)
and one text file per template: ``absolute.txt``, ``absolute_wo_ref.txt``, ``relative.txt`` and
``relative_wo_ref.txt`` (a set may omit some; rendering an input it cannot show is then an error).
Placeholders are ``{name}`` tokens substituted in a single pass, so braces inside inputs are never
interpreted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from judgeforge.errors import ConfigError, TemplateError
from judgeforge.records import DirectItem, Mode, PairItem

TEMPLATE_KEYS = ("absolute", "absolute_wo_ref", "relative", "relative_wo_ref")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
DEFAULT_TEMPLATE_SET = "prometheus2"


@dataclass(frozen=True)
class TemplateSet:
    """One exact prompt wording (all its templates), its system prompts and its parser."""

    name: str
    description: str
    parser: str
    output_format: str
    system_prompts: Mapping[str, str]
    templates: Mapping[str, str]

    def template_key(self, mode: Mode, has_reference: bool) -> str:
        key = mode if has_reference else f"{mode}_wo_ref"
        if key not in self.templates:
            shown = "with" if has_reference else "without"
            raise TemplateError(
                f"template set '{self.name}' has no {mode} template {shown} a reference answer",
                field="reference_answer",
            )
        return key

    def fill(self, key: str, values: Mapping[str, str]) -> str:
        """The template with each ``{name}`` replaced by ``values[name]`` (inputs are never re-scanned)."""
        literals, names = _split_template(self.templates[key])
        parts = [literals[0]]
        for name, literal in zip(names, literals[1:], strict=True):
            parts += (values[name], literal)
        return "".join(parts)

    def render_direct(self, item: DirectItem, rubric_text: str | None = None) -> tuple[str, str]:
        """(system prompt, user prompt) for a direct-assessment item.

        ``rubric_text``, when given, is ``item.rubric.render_absolute()`` already computed by the caller.
        """
        key = self.template_key("absolute", item.reference_answer is not None)
        values = {
            "instruction": item.instruction,
            "response": item.response,
            "rubric": item.rubric.render_absolute() if rubric_text is None else rubric_text,
            "reference_answer": item.reference_answer or "",
        }
        return self.system_prompts["absolute"], self.fill(key, values)

    def render_pair(self, item: PairItem, rubric_text: str | None = None) -> tuple[str, str]:
        """(system prompt, user prompt) for a pairwise item (``rubric_text`` as in :meth:`render_direct`)."""
        key = self.template_key("relative", item.reference_answer is not None)
        values = {
            "instruction": item.instruction,
            "response_a": item.response_a,
            "response_b": item.response_b,
            "rubric": item.rubric.render_relative() if rubric_text is None else rubric_text,
            "reference_answer": item.reference_answer or "",
        }
        return self.system_prompts["relative"], self.fill(key, values)

    def format_output(self, feedback: str, verdict: str) -> str:
        """A training target in this set's output format, e.g. ``Feedback: ... [RESULT] 4``."""
        return self.output_format.replace("{feedback}", feedback).replace("{verdict}", verdict)

    def fingerprint(self) -> str:
        """A hash of everything that changes a rendered prompt (for caches and manifests)."""
        import hashlib

        blob = json.dumps([self.name, dict(self.system_prompts), dict(self.templates)], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


@cache
def _split_template(template: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(literal pieces, placeholder names) so that filling is one join, not a regex pass per prompt."""
    pieces = _PLACEHOLDER.split(template)
    return tuple(pieces[0::2]), tuple(pieces[1::2])


def load_template_set_dir(folder: Path | Traversable) -> TemplateSet:
    """Load a template set from a folder (see the module docstring for its layout)."""
    try:
        meta = json.loads((folder / "set.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read template set in {folder}: {exc}") from exc
    templates = {}
    for key in TEMPLATE_KEYS:
        entry = folder / f"{key}.txt"
        if entry.is_file():
            templates[key] = entry.read_bytes().decode("utf-8")  # bytes: no newline translation
    if not templates:
        raise ConfigError(f"template set in {folder} has no template files")
    return TemplateSet(
        name=meta["name"],
        description=meta.get("description", ""),
        parser=meta.get("parser", "prometheus"),
        output_format=meta.get("output_format", "Feedback: {feedback} [RESULT] {verdict}"),
        system_prompts=meta["system_prompts"],
        templates=templates,
    )


@cache
def builtin_template_sets() -> dict[str, TemplateSet]:
    folder = resources.files("judgeforge.prompts") / "sets"
    sets = [load_template_set_dir(entry) for entry in folder.iterdir() if (entry / "set.json").is_file()]
    return {template_set.name: template_set for template_set in sorted(sets, key=lambda s: s.name)}


def get_template_set(name_or_path: str | Path | TemplateSet) -> TemplateSet:
    """A built-in set by name, or a set loaded from a folder path."""
    if isinstance(name_or_path, TemplateSet):
        return name_or_path
    builtin = builtin_template_sets()
    if str(name_or_path) in builtin:
        return builtin[str(name_or_path)]
    path = Path(name_or_path)
    if path.is_dir():
        return load_template_set_dir(path)
    raise ConfigError(f"unknown template set '{name_or_path}'; built in: {', '.join(builtin)}")
