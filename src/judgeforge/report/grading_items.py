"""Full views of a grading run's items: the input row joined by id, the prompt as the judge saw it, and
every output with its parse result.

Result lines hold verdicts (feedback always, the raw output on failure) but not the inputs; the manifest
names the input file and the template set, chat format, mode, default rubric and field mapping, so the
input rows are read again (:func:`judgeforge.runner.readers.read_rows`, checked as the run checked them) and
the prompts rendered again (:class:`judgeforge.prompts.PromptRenderer`). What cannot be done here (the input
moved, a dataset id, a tokenizer chat template, a changed template set) becomes a note on the view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgeforge.errors import JudgeforgeError
from judgeforge.inputs import Item
from judgeforge.prompts import PromptRenderer
from judgeforge.records import DirectItem, Mode, Rubric
from judgeforge.report import units, verdicts
from judgeforge.report.data import ItemDetail, ItemRow
from judgeforge.runner.bookkeeping import RunManifest

if TYPE_CHECKING:
    from judgeforge.runner.readers import RawRow
    from judgeforge.runner.rows import RowChecker

MISSING_RAW = "raw output not kept: the runner keeps raw outputs of failed verdicts only (feedback shown)"


@dataclass
class _Rendering:
    renderer: PromptRenderer
    chat: str  # the run's chat format ('tokenizer' is shown as messages: the report loads no tokenizer)


def grading_items(
    out: Path, lines: list[dict[str, Any]], manifest: RunManifest | None
) -> tuple[list[ItemRow], list[str]]:
    """Item rows with full views for ``lines``, and notes for the whole run (e.g. input not found)."""
    notes: list[str] = []
    inputs: dict[str, Item] = {}
    renderer: _Rendering | None = None
    if manifest is None:
        notes.append("no manifest next to the results: inputs and prompts cannot be shown")
    else:
        inputs, note = _read_inputs(manifest, out, {str(line.get("id")) for line in lines})
        renderer, render_notes = _renderer(manifest.judge)
        notes += [note] if note else []
        notes += render_notes
    both = bool(manifest and manifest.both_orders)
    rows = [_row(out.name, line, inputs.get(str(line.get("id"))), renderer, both) for line in lines]
    return rows, notes


def _row(
    source: str, line: dict[str, Any], item: Item | None, renderer: _Rendering | None, both: bool
) -> ItemRow:
    detail = ItemDetail(outputs=verdicts.outputs(line, MISSING_RAW))
    if item is None:
        detail.notes.append("input row not found: only the result line is shown")
    else:
        detail.fields = _fields(item)
        if renderer is not None:
            _add_prompts(detail, renderer, item, both)
    first = (line.get("verdicts") or [{}])[0]
    relative = line.get("mode") == "relative"
    return ItemRow(
        source=source,
        item_id=str(line.get("id")),
        verdict=_verdict_text(line, relative, verdicts.samples_with_verdict([line])[0]),
        gold="",
        feedback=str(first.get("feedback") or ""),
        failure=_failure(line),
        detail=detail,
    )


def _failure(line: dict[str, Any]) -> str:
    if line.get("failure"):
        return str(line["failure"])
    parsed, samples = verdicts.samples_with_verdict([line])
    return f"{samples - parsed} of {samples} samples without a verdict" if parsed < samples else ""


def _verdict_text(line: dict[str, Any], relative: bool, samples: int) -> str:
    """The item's aggregate: a winner (with its mean margin, A positive), a score (the mean of the samples'
    scores) or a label (their majority)."""
    if relative:
        winner = line.get("winner")
        if winner is None:
            return verdicts.NO_VERDICT
        margin = line.get("margin")
        return (
            f"{winner} (margin {units.score(margin)})" if margin is not None and winner != "tie" else winner
        )
    if line.get("score") is not None:
        text = units.score(line["score"])
        return f"{text} (mean of {samples})" if samples > 1 else text
    if line.get("label") is not None:
        label = str(line["label"])
        return f"{label} (majority of {samples})" if samples > 1 else label
    return verdicts.NO_VERDICT


def _fields(item: Item) -> list[tuple[str, str]]:
    fields = [("Instruction", item.instruction)]
    if isinstance(item, DirectItem):
        fields.append(("Response", item.response))
        fields.append(("Rubric", item.rubric.render_absolute()))
    else:
        fields += [("Response A", item.response_a), ("Response B", item.response_b)]
        fields.append(("Rubric", item.rubric.render_relative()))
    fields.append(("Reference answer", item.reference_answer or "none given (the no-reference template)"))
    return fields


def _add_prompts(detail: ItemDetail, rendering: _Rendering, item: Item, both: bool) -> None:
    renderer = rendering.renderer
    try:
        if isinstance(item, DirectItem):
            prompts = [("", renderer.direct(item))]
        else:
            prompts = [(" (order A, B)" if both else "", renderer.pair(item))]
            if both:
                swapped = item.model_copy(
                    update={"response_a": item.response_b, "response_b": item.response_a}
                )
                prompts.append((" (swapped order B, A)", renderer.pair(swapped)))
    except JudgeforgeError as exc:
        detail.notes.append(f"the prompt cannot be rendered: {exc}")
        return
    chat = rendering.chat
    for suffix, prompt in prompts:
        if chat == "tokenizer":  # the model's own chat template: shown as the messages it was given
            detail.prompts.append((f"System message{suffix}", prompt.system))
            detail.prompts.append((f"User message{suffix}", prompt.user))
        else:
            detail.prompts.append((f"Rendered prompt{suffix}: model input, chat format {chat}", prompt.text))


def _renderer(judge: dict[str, Any]) -> tuple[_Rendering | None, list[str]]:
    name = judge.get("template_set")
    chat = str(judge.get("chat_format") or "mistral-inst")
    if not isinstance(name, str):
        return None, ["the manifest names no template set: prompts cannot be shown"]
    try:
        renderer = PromptRenderer(name, "none" if chat == "tokenizer" else chat)
    except JudgeforgeError as exc:
        return None, [f"prompts cannot be rendered here: {exc}"]
    notes = []
    if chat == "tokenizer":
        notes.append(
            "chat format 'tokenizer': prompts are shown as the messages given to the model's chat template"
        )
    fingerprint = judge.get("template_fingerprint")
    if fingerprint and fingerprint != renderer.template_set.fingerprint():
        notes.append(
            f"template set '{name}' has changed since this run (fingerprint {fingerprint}, now "
            f"{renderer.template_set.fingerprint()}): prompts are shown in today's wording"
        )
    return _Rendering(renderer, chat), notes


def _read_inputs(manifest: RunManifest, out: Path, wanted: set[str]) -> tuple[dict[str, Item], str]:
    source = _input_path(manifest.input, out)
    if source is None:
        return {}, f"input '{manifest.input}' not found from here: items show their result lines only"
    from judgeforge.runner.readers import read_rows
    from judgeforge.runner.rows import RowChecker

    rubric = Rubric.model_validate(manifest.default_rubric) if manifest.default_rubric else None
    mode: Mode = "relative" if manifest.mode == "relative" else "absolute"
    checker = RowChecker(mode, rubric, manifest.field_map)
    options = manifest.options
    try:
        raw_rows = read_rows(
            source, str(options.get("input_format") or "auto"), str(options.get("split") or "train")
        )
        return _join(raw_rows, checker, wanted), ""
    except (JudgeforgeError, OSError) as exc:
        return {}, f"input '{manifest.input}' cannot be read: {exc}"


def _join(raw_rows: Iterable[RawRow], checker: RowChecker, wanted: set[str]) -> dict[str, Item]:
    found: dict[str, Item] = {}
    for raw in raw_rows:
        if raw.error is not None:
            continue
        try:
            valid = checker.check(raw.row, raw.index)
        except JudgeforgeError:
            continue  # a bad row has no result line either
        if valid.key in wanted and valid.key not in found:
            found[valid.key] = valid.item
    return found


def _input_path(name: str, out: Path) -> Path | None:
    """The run's input as named in its manifest: as given (from here), else next to the results file."""
    if not name or name == "-":
        return None
    given = Path(name).expanduser()
    for candidate in (given, out.parent / given, out.parent / given.name):
        if candidate.exists():
            return candidate
    return None
