"""Judges as the harness sees them: anything that grades direct items and compares pairs.

An LM judge wraps :class:`judgeforge.judge.Judge` (any backend, template set, chat format); the baselines
in :mod:`judgeforge.bench.baselines` need no LM. All are registered in :data:`judges` and built from a spec
``NAME[:key=value,key=value...]``, e.g. ``lm:backend=fake``, ``rouge-l`` or ``embedding:label=emb``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, get_args

from judgeforge.errors import ConfigError
from judgeforge.prompts.scales import describe_values
from judgeforge.records import DirectItem, Mode, PairItem, Rubric, Verdict
from judgeforge.registry import Registry

ItemT = TypeVar("ItemT", DirectItem, PairItem)
MODES: tuple[Mode, ...] = get_args(Mode)


class BenchJudge(ABC):
    """A judge under meta-evaluation. ``runs`` verdicts per item; ``seed`` makes runs reproducible."""

    label: str = "judge"

    @abstractmethod
    async def grade(self, items: Sequence[DirectItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        """``runs`` absolute verdicts (score 1..5 or a failure) per item, in order."""

    @abstractmethod
    async def compare(self, items: Sequence[PairItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        """``runs`` relative verdicts (winner A/B or a failure) per pair, in order."""

    def calibrate(self, items: Sequence[DirectItem], gold: Sequence[float] | None) -> None:  # noqa: B027
        """Fit anything that maps a raw signal to 1..5 on the whole item set (LM judges need nothing)."""

    def scale_for(self, rubric: Rubric) -> tuple[str, ...]:
        """The values this judge's direct verdicts on ``rubric`` take: by default the rubric's own scale."""
        return rubric.scale_values()

    def describe(self) -> dict[str, Any]:
        """What identifies this judge in a manifest."""
        return {"label": self.label}

    def settings(self) -> dict[str, Any]:
        """Everything that changes this judge's outputs (not its label): results made with other settings
        must not be mixed with its own. By default the judge's class and its :meth:`describe`."""
        described = {key: value for key, value in self.describe().items() if key != "label"}
        return {"judge": type(self).__name__, **described}

    def settings_hash(self) -> str:
        """A short hash of :meth:`settings`: equal hashes, interchangeable results."""
        return settings_hash(self.settings())


def settings_hash(settings: Mapping[str, Any]) -> str:
    blob = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def lm_settings(judge: Any) -> dict[str, Any]:
    """What changes a :class:`~judgeforge.judge.Judge`'s outputs: :meth:`Judge.settings` (backend and its
    output-affecting options, template set and fingerprint, chat format, sampling, logprob protocol) plus
    the model's identity (model, revision), which those leave out. ``max_attempts`` is in neither."""
    return {**judge.settings(), "identity": judge.backend.identity()}


class LMJudge(BenchJudge):
    """A language-model judge: the project's :class:`~judgeforge.judge.Judge` with per-call seeds.

    A template set without a template that shows a reference answer in a mode (Arena-Hard, Auto-J,
    OffsetBias, PandaLM, Selene pairwise: their families judge without one) is given the benchmark's items
    without their reference answers, as its family's own harness runs it, instead of refusing every item:
    :meth:`describe` records it (``reference_answers``) and a warning says so once per mode.

    A set whose direct wording names a fixed scale and shows no levels (MT-Bench's and Auto-J's 1-10:
    ``ScaleSpec.shows_levels`` False) grades the benchmark's items on that scale (:meth:`scale_for`): the
    rubric it is given keeps the criterion and takes the set's values, since the wording would show neither
    the rubric's levels nor its range. :meth:`describe` records it (``direct_scale``). A set that shows levels
    and cannot show the rubric's scale (Selene's Yes/No for a 1-5 rubric) still refuses it.
    """

    def __init__(self, judge: Any, label: str) -> None:
        self.judge = judge
        self.label = label
        self._warned: set[str] = set()

    def _seeded(self, runs: int, seed: int) -> Any:
        # A shallow copy shares the backend (and its connections) but not the sampling settings.
        judge = copy.copy(self.judge)
        judge.samples = runs
        judge.sampling = self.judge.sampling.model_copy(update={"seed": seed})
        return judge

    async def grade(self, items: Sequence[DirectItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        shown = self._on_scale(self._shown(items, "absolute"))
        judgments = await self._seeded(runs, seed).agrade_many(shown)
        return [judgment.verdicts for judgment in judgments]

    def fixed_scale(self) -> tuple[str, ...] | None:
        """The values of the set's own fixed direct scale (a wording that names it and shows no levels), or
        None when the set grades on the rubric's scale."""
        spec = self.judge.renderer.template_set.scale
        return None if spec.shows_levels or spec.values is None else spec.values

    def scale_for(self, rubric: Rubric) -> tuple[str, ...]:
        """The set's fixed scale where it has one that is not the rubric's; else the rubric's scale."""
        fixed = self.fixed_scale()
        values = rubric.scale_values()
        if fixed is None or self.judge.renderer.template_set.scale.accepts(values):
            return values
        return fixed

    def _on_scale(self, items: Sequence[DirectItem]) -> Sequence[DirectItem]:
        """The items with their rubrics on the scale this judge grades them on (see the class docstring)."""
        shown: list[DirectItem] = []
        for item in items:
            scale = self.scale_for(item.rubric)
            if scale != item.rubric.scale_values():
                rubric = Rubric.model_validate({"criteria": item.rubric.criteria, "scale": scale})
                item = item.model_copy(update={"rubric": rubric})
            shown.append(item)
        return shown

    async def compare(self, items: Sequence[PairItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        judgments = await self._seeded(runs, seed).acompare_many(self._shown(items, "relative"))
        return [judgment.verdicts for judgment in judgments]

    def shows_reference(self, mode: Mode) -> bool:
        """Whether the template set shows a reference answer in ``mode`` (a set without any template of the
        mode counts as showing one: rendering then names what is missing)."""
        templates = self.judge.renderer.template_set.templates
        return mode in templates or not any(key.startswith(mode) for key in templates)

    def _shown(self, items: Sequence[ItemT], mode: Mode) -> Sequence[ItemT]:
        """The items as the template set can show them: without reference answers where it has no template
        with one (see the class docstring)."""
        if self.shows_reference(mode) or all(item.reference_answer is None for item in items):
            return items
        if mode not in self._warned:
            self._warned.add(mode)
            name = self.judge.renderer.template_set.name
            warnings.warn(
                f"judge {self.label}: template set '{name}' has no {mode} template with a reference answer, so "
                "the benchmark's reference answers are left out (as its family judges)",
                UserWarning,
                stacklevel=3,
            )
        return [item.model_copy(update={"reference_answer": None}) for item in items]

    def describe(self) -> dict[str, Any]:
        renderer = self.judge.renderer
        identity = self.judge.backend.identity()
        return {
            "label": self.label,
            "backend": self.judge.backend.name,
            "model": identity.get("model"),
            "revision": identity.get("revision", "unknown"),  # HTTP servers do not report one
            "identity": identity,
            "template_set": renderer.template_set.name,
            "template_fingerprint": renderer.template_set.fingerprint(),
            "chat_format": renderer.chat_format_name,
            "sampling": self.judge.sampling.payload(),
            "logprobs": bool(self.judge.logprobs),
            "score_only": bool(self.judge.score_only),
            "reference_answers": {
                mode: "shown" if self.shows_reference(mode) else "left out (no template with one)"
                for mode in MODES
            },
            "direct_scale": self._scale_description(),
        }

    def settings(self) -> dict[str, Any]:
        return lm_settings(self.judge)

    def _scale_description(self) -> str:
        fixed = self.fixed_scale()
        return "the rubric's" if fixed is None else f"{describe_values(fixed)} (the set's fixed scale)"


JudgeFactory = Callable[[Mapping[str, Any]], BenchJudge]
judges: Registry[JudgeFactory] = Registry("bench judge")


@judges.register("lm")
def lm_judge(options: Mapping[str, Any]) -> BenchJudge:
    """``lm:backend=NAME,template_set=...,chat_format=...`` plus ``backend_options``/``sampling`` mappings."""
    from judgeforge.judge import Judge

    options = dict(options)
    backend = str(options.pop("backend", "fake"))
    label = str(options.pop("label", f"lm-{backend}"))
    judge = Judge(
        backend,
        options.pop("template_set", "prometheus2"),
        options.pop("chat_format", None),  # None: the template set's own (mistral-inst for prometheus2)
        sampling=options.pop("sampling", None),
        max_attempts=int(options.pop("max_attempts", 3)),
        backend_options=options.pop("backend_options", None),
        tokenizer=options.pop("tokenizer", None),
        logprobs=bool(options.pop("logprobs", False)),
        score_only=bool(options.pop("score_only", False)),
        check_preset=options.pop("check_preset", True) is not False,
    )
    if options:
        raise ConfigError(f"unknown options for judge 'lm': {', '.join(sorted(options))}")
    return LMJudge(judge, label)


judges.register_lazy("length", "judgeforge.bench.baselines:length_judge")
judges.register_lazy("rouge-l", "judgeforge.bench.baselines:rouge_judge")
judges.register_lazy("embedding", "judgeforge.bench.baselines:embedding_judge")
judges.register_lazy("gold-feedback", "judgeforge.bench.replay:gold_feedback_judge")


def parse_judge_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``NAME[:key=value,...]`` -> (name, options)."""
    name, _, rest = spec.partition(":")
    options: dict[str, str] = {}
    for part in filter(None, rest.split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ConfigError(f"judge option must look like key=value, got {part!r} in {spec!r}")
        options[key.strip()] = value
    return name.strip(), options


def make_judge(spec: str, **extra: Any) -> BenchJudge:
    """Build the judge a spec names; ``extra`` options (e.g. from CLI flags) are merged in."""
    name, options = parse_judge_spec(spec)
    return judges.get(name)({**options, **{k: v for k, v in extra.items() if v is not None}})
