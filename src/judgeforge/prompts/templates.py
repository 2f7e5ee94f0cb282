"""Template sets: exact prompt wordings stored as data files, each tied to its parser.

A template set is a folder holding ``set.json`` and its texts (``*.txt``, read as bytes, so every space and
newline is kept). Two layouts:

- **Prometheus layout** (``prometheus2``, ``prometheus-eval-0.1.20``, folders of your own): one file per template
  key, ``absolute.txt``, ``absolute_wo_ref.txt``, ``relative.txt``, ``relative_wo_ref.txt`` (a set may omit
  some; rendering an input it cannot show is then an error), with the item's placeholders ``{instruction}``,
  ``{response}``, ``{response_a}``, ``{response_b}``, ``{reference_answer}``, ``{rubric}``, and
  ``system_prompts`` by mode in ``set.json``.
- **Source layout** (the other families): the texts exactly as the family's code renders them, with the
  family's own placeholder names, and in ``set.json`` a ``templates`` entry per template key saying which text
  it uses, which text is its system prompt (or none), what each placeholder receives (a small template over
  the item's slots, :mod:`judgeforge.prompts.filling`) and any text that pre-fills the model's answer. Texts
  that no item fills (MT-Bench's multi-turn templates, JudgeLM's multi-answer ones) are kept and render with
  the family's own fields (:meth:`TemplateSet.render_source`).

``set.json`` also names the parser, the scale(s) the wording can show (:mod:`judgeforge.prompts.scales`), how
rubric levels are listed, the chat format the family's models read, and the family's output format (for
training targets and the fake backend).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from judgeforge.errors import ConfigError, TemplateError
from judgeforge.prompts.filling import fill, placeholders, slot_name
from judgeforge.prompts.scales import ScaleSpec, describe_values, ordered_levels
from judgeforge.records import DirectItem, Mode, PairItem, Rubric

TEMPLATE_KEYS = ("absolute", "absolute_wo_ref", "relative", "relative_wo_ref")
DEFAULT_TEMPLATE_SET = "prometheus2"
ITEM_SLOTS = frozenset({"instruction", "response", "response_a", "response_b", "reference_answer"})
RUBRIC_SLOTS = frozenset({"rubric", "criteria", "levels"})


@dataclass(frozen=True)
class Nested:
    """A placeholder that receives another text of the set, itself filled from the item's slots (PandaLM's
    responses block; JudgeLM's instruction prompt, a text without placeholders)."""

    text: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Binding:
    """How one template key's text is filled from an item: ``fields`` maps each placeholder of the text to a
    small template over the item's slots (or a :class:`Nested` text); ``prefill`` is appended after the
    chat-formatted input (the start of the model's answer, e.g. JudgeLM's ``### Response:``); ``source`` names
    the text (informational)."""

    source: str
    fields: Mapping[str, str | Nested]
    prefill: str = ""


@dataclass(frozen=True)
class RenderPlan:
    """What rendering one template key of a set needs, worked out once (:meth:`TemplateSet.plan`):
    ``rubric_slots`` are the rubric slots its text (or binding) uses; ``standard_scale``: the set shows the
    1-5 scale, so a rubric without its own scale needs no scale check."""

    key: str
    system: str
    prefill: str
    rubric_slots: frozenset[str]
    standard_scale: bool


@dataclass(frozen=True)
class TemplateSet:
    """One exact prompt wording (all its templates), its system prompts and its parser.

    ``templates``: template key -> text; ``system_prompts``: template key or mode -> system prompt (an empty
    string: no system message); ``bindings``: template key -> :class:`Binding` (none: the text's placeholders
    are the item's slots themselves); ``texts``: every text of the set by file name.
    """

    name: str
    description: str
    parser: str
    output_format: str
    system_prompts: Mapping[str, str]
    templates: Mapping[str, str]
    bindings: Mapping[str, Binding] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    scale: ScaleSpec = field(default_factory=ScaleSpec)
    level_format: str = "Score {value}: {description}"
    level_order: str = "as-given"
    output_formats: Mapping[str, str] = field(default_factory=dict)
    winners: Mapping[str, str] = field(default_factory=dict)
    chat_format: str | None = None
    source: str = ""
    # Render plans by (mode, has reference), worked out on first use (a cache, not part of the set's value).
    _plans: dict[tuple[Mode, bool], RenderPlan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def plan(self, mode: Mode, has_reference: bool) -> RenderPlan:
        """What rendering an item of ``mode`` needs (template key, system prompt, prefill, rubric slots), worked
        out once per set, mode and reference; TemplateError as :meth:`template_key` raises it."""
        plan = self._plans.get((mode, has_reference))
        if plan is None:
            key = self.template_key(mode, has_reference)
            plan = RenderPlan(
                key=key,
                system=self.system_prompt(key),
                prefill=self.prefill(key),
                rubric_slots=_needed_slots(self, key),
                standard_scale=self.scale == _STANDARD,
            )
            self._plans[(mode, has_reference)] = plan
        return plan

    def template_key(self, mode: Mode, has_reference: bool) -> str:
        key = mode if has_reference else f"{mode}_wo_ref"
        if key not in self.templates:
            if not any(k.startswith(mode) for k in self.templates):
                raise TemplateError(f"template set '{self.name}' has no {mode} templates", field="mode")
            shown = "with" if has_reference else "without"
            raise TemplateError(
                f"template set '{self.name}' has no {mode} template {shown} a reference answer",
                field="reference_answer",
            )
        return key

    def system_prompt(self, key: str) -> str:
        """The system prompt of one template ("" for none): its own entry, else its mode's."""
        own = self.system_prompts.get(key)
        return own if own is not None else self.system_prompts.get(key.removesuffix("_wo_ref"), "")

    def prefill(self, key: str) -> str:
        """Text appended after the chat-formatted input of ``key`` (the start of the model's answer; "" for
        none)."""
        binding = self.bindings.get(key)
        return binding.prefill if binding is not None else ""

    def fill(self, key: str, values: Mapping[str, str]) -> str:
        """The template of ``key`` filled from the item's slot ``values`` (inputs are never re-scanned)."""
        binding = self.bindings.get(key)
        try:
            if binding is None:
                return fill(self.templates[key], values)
            return fill(
                self.templates[key],
                {name: self._value(spec, values) for name, spec in binding.fields.items()},
            )
        except KeyError as exc:
            raise TemplateError(
                f"template set '{self.name}': template '{key}' needs {exc.args[0]!r}, which this input lacks",
                field="rubric",
            ) from None

    def _value(self, spec: str | Nested, values: Mapping[str, str]) -> str:
        if isinstance(spec, Nested):
            return fill(self.texts[spec.text], {name: fill(t, values) for name, t in spec.fields.items()})
        return fill(spec, values)

    def render_direct(
        self, item: DirectItem, rubric_text: str | None = None, plan: RenderPlan | None = None
    ) -> tuple[str, str]:
        """(system prompt, user prompt) for a direct-assessment item; TemplateError when the wording cannot show
        the rubric's scale or the item's reference answer (or its absence).

        ``rubric_text``, when given, is ``item.rubric.render_absolute()`` already computed by the caller;
        ``plan``, when given, is ``self.plan("absolute", item.reference_answer is not None)``.
        """
        plan = plan or self.plan("absolute", item.reference_answer is not None)
        if item.rubric.scale is not None or not plan.standard_scale:
            self.check_scale(item.rubric)
        values = {
            "instruction": item.instruction,
            "response": item.response,
            "reference_answer": item.reference_answer or "",
        }
        self._add_rubric_slots(values, plan, item.rubric, rubric_text, "absolute")
        return plan.system, self.fill(plan.key, values)

    def render_pair(
        self, item: PairItem, rubric_text: str | None = None, plan: RenderPlan | None = None
    ) -> tuple[str, str]:
        """(system prompt, user prompt) for a pairwise item (``rubric_text`` and ``plan`` as in
        :meth:`render_direct`)."""
        plan = plan or self.plan("relative", item.reference_answer is not None)
        values = {
            "instruction": item.instruction,
            "response_a": item.response_a,
            "response_b": item.response_b,
            "reference_answer": item.reference_answer or "",
        }
        self._add_rubric_slots(values, plan, item.rubric, rubric_text, "relative")
        return plan.system, self.fill(plan.key, values)

    def render_source(self, name: str, fields: Mapping[str, str]) -> str:
        """One of the set's texts filled with the family's own fields, as its source code fills it."""
        if name not in self.texts:
            raise TemplateError(
                f"template set '{self.name}' has no text '{name}'; texts: {', '.join(self.texts)}"
            )
        try:
            return fill(self.texts[name], fields)
        except KeyError as exc:
            raise TemplateError(f"text '{name}' needs the field {exc.args[0]!r}") from None

    def check_scale(self, rubric: Rubric) -> None:
        """TemplateError when this wording cannot show the rubric's scale (direct assessment)."""
        if rubric.scale is None and self.scale == _STANDARD:
            return
        values = rubric.scale_values()
        if not self.scale.accepts(values):
            able = [
                other.name
                for other in builtin_template_sets().values()
                if "absolute_wo_ref" in other.templates and other.scale.accepts(values)
            ]
            hint = (
                f"template sets that show it: {', '.join(able)}"
                if able
                else "no built-in template set shows it"
            )
            raise TemplateError(
                f"template set '{self.name}' shows {self.scale.describe()}, but the rubric's scale is "
                f"{describe_values(values)} ({hint})",
                field="rubric",
            )

    def shows_levels(self, mode: Mode = "absolute") -> bool:
        """Whether the wording shows the rubric's level descriptions (so they must not be blank)."""
        return mode == "absolute" and self.scale.shows_levels

    def _add_rubric_slots(
        self, values: dict[str, str], plan: RenderPlan, rubric: Rubric, rubric_text: str | None, mode: Mode
    ) -> None:
        needed = plan.rubric_slots
        if "rubric" in needed:
            if rubric_text is None:
                rubric_text = rubric.render_absolute() if mode == "absolute" else rubric.render_relative()
            values["rubric"] = rubric_text
        if "criteria" in needed:
            values["criteria"] = rubric.criteria
        if needed - _CRITERIA_SLOTS:  # level slots: only where the wording shows levels
            levels = rubric.levels()
            for level in levels:
                values[slot_name(level.value)] = level.description
            order = ordered_levels([level.value for level in levels], self.level_order)
            values["levels"] = "\n".join(
                fill(self.level_format, {"value": levels[i].value, "description": levels[i].description})
                for i in order
            )

    def format_output(self, feedback: str, verdict: str, mode: Mode | None = None) -> str:
        """A training target in this set's output format, e.g. ``Feedback: ... [RESULT] 4``; a pairwise verdict
        ``A``/``B``/``tie`` is written in the family's words (``[[A>B]]``, ``Response 1``...)."""
        output_format = self.output_formats.get(mode or "", self.output_format)
        if mode == "relative":
            verdict = self.winners.get(verdict, verdict)
        return fill(output_format, {"feedback": feedback, "verdict": verdict})

    def fingerprint(self) -> str:
        """A hash of everything that changes a rendered prompt (for caches and manifests)."""
        parts: list[Any] = [self.name, dict(self.system_prompts), dict(self.templates)]
        if self.bindings or self.level_format != _LEVEL_FORMAT or self.level_order != "as-given":
            bindings = {key: [repr(sorted(b.fields.items())), b.prefill] for key, b in self.bindings.items()}
            parts += [bindings, self.level_format, self.level_order, dict(self.texts)]
        blob = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


_STANDARD = ScaleSpec()
_CRITERIA_SLOTS = frozenset({"rubric", "criteria"})
_LEVEL_FORMAT = "Score {value}: {description}"


@cache
def _rubric_slots_of(templates: tuple[str, ...]) -> frozenset[str]:
    names = {name for template in templates for name in placeholders(template)}
    return frozenset(name for name in names if name in RUBRIC_SLOTS or name.startswith("level_"))


def _field_templates(binding: Binding) -> tuple[str, ...]:
    return tuple(
        t
        for spec in binding.fields.values()
        for t in (spec.fields.values() if isinstance(spec, Nested) else [spec])
    )


def _needed_slots(template_set: TemplateSet, key: str) -> frozenset[str]:
    """The rubric slots a template uses (computed once per template text and binding)."""
    binding = template_set.bindings.get(key)
    return _rubric_slots_of((template_set.templates[key],) if binding is None else _field_templates(binding))


def load_template_set_dir(folder: Path | Traversable) -> TemplateSet:
    """Load a template set from a folder (see the module docstring for its layouts)."""
    try:
        meta = json.loads((folder / "set.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read template set in {folder}: {exc}") from exc
    texts = {
        entry.name.removesuffix(".txt"): entry.read_bytes().decode("utf-8")  # bytes: no newline translation
        for entry in folder.iterdir()
        if entry.name.endswith(".txt") and entry.is_file()
    }
    try:
        return _from_meta(meta, dict(sorted(texts.items())), str(folder))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"template set in {folder}: invalid set.json ({exc!r})") from exc


def _from_meta(meta: Mapping[str, Any], texts: dict[str, str], where: str) -> TemplateSet:
    if "templates" in meta:
        templates, systems, bindings = _source_layout(meta, texts, where)
    else:
        templates = {key: texts[key] for key in TEMPLATE_KEYS if key in texts}
        systems, bindings = dict(meta["system_prompts"]), {}
        for key, text in templates.items():
            _check_slots(placeholders(text), where, key)
    if not templates:
        raise ConfigError(f"template set in {where} has no template files")
    output = meta.get("output", {})
    rubric = meta.get("rubric", {})
    return TemplateSet(
        name=meta["name"],
        description=meta.get("description", ""),
        parser=meta.get("parser", "prometheus"),
        output_format=meta.get("output_format", "Feedback: {feedback} [RESULT] {verdict}"),
        system_prompts=systems,
        templates=templates,
        bindings=bindings,
        texts=texts,
        scale=ScaleSpec.from_json(meta.get("scale")),
        level_format=rubric.get("level_format", _LEVEL_FORMAT),
        level_order=rubric.get("level_order", "as-given"),
        output_formats={mode: output[mode] for mode in ("absolute", "relative") if mode in output},
        winners=dict(output.get("winners", {})),
        chat_format=meta.get("chat_format"),
        source=meta.get("source", ""),
    )


def _source_layout(
    meta: Mapping[str, Any], texts: Mapping[str, str], where: str
) -> tuple[dict[str, str], dict[str, str], dict[str, Binding]]:
    templates, systems, bindings = {}, {}, {}
    for key, entry in meta["templates"].items():
        if key not in TEMPLATE_KEYS:
            raise ConfigError(f"template set in {where}: unknown template key '{key}'")
        text = texts[entry["text"]]
        fields = {name: _field(value, texts, where, key) for name, value in entry.get("fields", {}).items()}
        missing = [name for name in placeholders(text) if name not in fields]
        if missing:
            raise ConfigError(f"template set in {where}: '{key}' gives no value for {missing}")
        templates[key] = text
        systems[key] = texts[entry["system"]] if entry.get("system") else ""
        bindings[key] = Binding(source=entry["text"], fields=fields, prefill=entry.get("prefill", ""))
    return templates, systems, bindings


def _field(value: Any, texts: Mapping[str, str], where: str, key: str) -> str | Nested:
    """A field of set.json: a small template over the item's slots, or ``{"text": name, "fields": {...}}``."""
    if isinstance(value, str):
        _check_slots(placeholders(value), where, key)
        return value
    nested = Nested(text=value["text"], fields=dict(value.get("fields", {})))
    missing = [name for name in placeholders(texts[nested.text]) if name not in nested.fields]
    if missing:
        raise ConfigError(f"template set in {where}: '{key}' gives no value for {missing} of '{nested.text}'")
    for template in nested.fields.values():
        _check_slots(placeholders(template), where, key)
    return nested


def _check_slots(names: tuple[str, ...], where: str, key: str) -> None:
    unknown = [
        n for n in names if n not in ITEM_SLOTS and n not in RUBRIC_SLOTS and not n.startswith("level_")
    ]
    if unknown:
        raise ConfigError(f"template set in {where}: '{key}' uses unknown placeholders {unknown}")


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
