"""Build a Preference Collection from a Feedback Collection (the Prometheus 2 recipe).

Pairs come from :mod:`judgeforge.data.pairing`; a teacher LM writes comparative feedback
(:mod:`judgeforge.data.teacher`); each output row (a :class:`~judgeforge.data.collections.PreferenceRow`)
carries both sides' original fields, the preference, the teacher feedback, and the training pair (``instruction``: the rendered relative prompt of the chosen template
set, reference included; ``output``: ``Feedback: ... [RESULT] A`` in the set's format).

Runs are resumable: rows are appended as pairs finish and a re-run skips pairs already in the output.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from judgeforge.backends import Backend
from judgeforge.backends.cache import CompletionCache, default_cache_path
from judgeforge.backends.middleware import ReliableBackend
from judgeforge.backends.retry import RetryPolicy
from judgeforge.data.collections import SCORE, PreferenceRow
from judgeforge.data.feedback import load_feedback_collection
from judgeforge.data.pairing import GroupReport, PreferencePair, build_pairs
from judgeforge.data.teacher import clean_teacher_feedback, teacher_prompt
from judgeforge.errors import InputError
from judgeforge.prompts import TemplateSet, get_template_set
from judgeforge.records import Completion, Record
from judgeforge.sampling import SamplingParams


class BuildSummary(Record):
    rows_read: int
    bad_rows: int
    groups: int
    pairs: int
    skipped_equal_scores: int
    odd_groups: tuple[str, ...]
    duplicate_score_groups: tuple[str, ...]
    built: int
    already_done: int
    dropped: int
    drop_reasons: dict[str, int]


def preference_row(pair: PreferencePair, feedback: str, template_set: TemplateSet) -> PreferenceRow:
    """The output row of one pair (original fields of both sides + the training pair)."""
    a, b = pair.a, pair.b
    row = PreferenceRow(
        pair_id=pair.pair_id,
        instruction=a.instruction,
        criteria=a.rubric.criteria,
        score_descriptions=tuple(a.rubric.descriptions()),
        reference_answer=a.reference_answer,
        response_a=a.response,
        response_b=b.response,
        score_a=a.score,
        score_b=b.score,
        feedback_a=a.feedback,
        feedback_b=b.feedback,
        preference=pair.winner,
        feedback=feedback,
        source_rows=(a.row, b.row),
    )
    return row.rendered(template_set)


async def _teach(
    backend: ReliableBackend,
    pairs: Sequence[PreferencePair],
    template_set: TemplateSet,
    params: SamplingParams,
    max_attempts: int,
) -> list[str | None]:
    """Teacher feedback per pair; None where every attempt failed or came back empty."""
    feedback: list[str | None] = [None] * len(pairs)
    pending = list(range(len(pairs)))
    for attempt in range(max_attempts):
        prompts = [teacher_prompt(pairs[i], template_set) for i in pending]
        outcomes = await backend.generate(prompts, params.for_sample(0, attempt))
        texts = [clean_teacher_feedback(o.text) if isinstance(o, Completion) else "" for o in outcomes]
        for index, text in zip(pending, texts, strict=True):
            feedback[index] = text or None
        pending = [i for i in pending if feedback[i] is None]
        if not pending:
            break
    return feedback


def done_pair_ids(out: Path) -> set[str]:
    """Pair ids already written; a torn last line (a killed run) is cut off first."""
    if not out.exists():
        return set()
    data = out.read_bytes()
    if data and not data.endswith(b"\n"):
        out.write_bytes(data[: data.rfind(b"\n") + 1])
    with out.open(encoding="utf-8") as handle:
        return {json.loads(line)["pair_id"] for line in handle if line.strip()}


def build_preferences(
    feedback_source: str | Path,
    out: str | Path,
    teacher: Backend,
    *,
    template_set: str | TemplateSet = "prometheus2",
    seed: int = 0,
    sampling: SamplingParams | None = None,
    max_attempts: int = 3,
    batch_size: int = 32,
    use_cache: bool = True,
    cache_path: str | Path | None = None,
    retry: RetryPolicy | None = None,
) -> BuildSummary:
    """Build the Preference Collection into ``out`` (JSONL; bad rows into ``out.errors.jsonl``).

    Teacher calls go through the same middleware as grading (:class:`ReliableBackend`): the completion cache
    (``cache_path``, default the runner's; keyed by the exact teacher request, so a rebuild reuses identical
    teacher work; ``use_cache=False`` turns it off) and the one retry policy (``retry``).
    """
    template_set = get_template_set(template_set)
    out = Path(out)
    records, errors = load_feedback_collection(feedback_source)
    pairs, report = build_pairs(records, seed)
    _write_errors(out, errors, report)
    done = done_pair_ids(out)
    todo = [pair for pair in pairs if pair.pair_id not in done]
    params = (sampling or SamplingParams()).model_copy(update={"seed": seed})
    cache = CompletionCache(Path(cache_path) if cache_path else default_cache_path()) if use_cache else None
    cached = ReliableBackend(teacher, retry, cache)
    try:
        dropped = asyncio.run(_build(cached, todo, out, template_set, params, max_attempts, batch_size))
    finally:
        if cache is not None:
            cache.close()
    return _summary(
        len(records) + len(errors), len(errors), report, len(todo) - dropped, len(pairs) - len(todo), dropped
    )


async def _build(
    teacher: ReliableBackend,
    todo: list[PreferencePair],
    out: Path,
    template_set: TemplateSet,
    params: SamplingParams,
    max_attempts: int,
    batch_size: int,
) -> int:
    dropped = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as handle:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            feedbacks = await _teach(teacher, batch, template_set, params, max_attempts)
            for pair, feedback in zip(batch, feedbacks, strict=True):
                if feedback is None:
                    dropped += 1
                    continue
                row = preference_row(pair, feedback, template_set).to_row()
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
    return dropped


def errors_path(out: Path) -> Path:
    return (
        out.with_suffix(".errors.jsonl")
        if out.suffix == ".jsonl"
        else out.with_name(out.name + ".errors.jsonl")
    )


def _write_errors(out: Path, errors: Sequence[InputError], report: GroupReport) -> None:
    """Bad rows and suspicious groups, one JSON object a line (rewritten on every run)."""
    entries = [{"record": e.record, "field": e.field, "message": e.reason} for e in errors]
    entries += [
        {"record": g, "field": SCORE, "message": "group has duplicate scores"}
        for g in report.duplicate_score_groups
    ]
    entries += [{"record": g, "field": None, "message": "group is not of size 5"} for g in report.odd_groups]
    path = errors_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _summary(
    rows: int, bad: int, report: GroupReport, built: int, already: int, dropped: int
) -> BuildSummary:
    return BuildSummary(
        rows_read=rows,
        bad_rows=bad,
        groups=report.groups,
        pairs=report.pairs,
        skipped_equal_scores=report.skipped_equal_scores,
        odd_groups=report.odd_groups,
        duplicate_score_groups=report.duplicate_score_groups,
        built=built,
        already_done=already,
        dropped=dropped,
        drop_reasons={"teacher output empty or failed": dropped} if dropped else {},
    )


def export_dataset(
    preferences: str | Path, out_dir: str | Path, *, test_size: float = 0.1, seed: int = 0
) -> Any:
    """Save the Preference Collection as a Hugging Face DatasetDict (seeded train/test split) to disk."""
    from judgeforge.lazy import require

    datasets = require("datasets", "data")
    dataset = datasets.load_dataset("json", data_files=str(preferences), split="train")
    split = dataset.train_test_split(test_size=test_size, seed=seed)
    split.save_to_disk(str(out_dir))
    return split
