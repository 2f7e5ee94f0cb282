"""The item table of the HTML report: one summary row per item, and each item's full view as JSON data that
the page script turns into elements when the row is opened.

Full views hold whole prompts and outputs (a few KB per item); as page elements, thousands of them made the
page take seconds to open, while the same text as one JSON block parses in a fraction of that. The script
writes it with ``textContent`` only, so no input text is ever read as markup.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from judgeforge.report.data import ItemDetail, ItemRow, Output

_LINE = 80  # characters per line of the feedback column, roughly: longer text gets a "show all" toggle
_LINES = 3  # lines shown before the toggle (the CSS clip height)


def items_head(source_label: str, gold: bool) -> str:
    names = [source_label, "id", "verdict", *(["gold"] if gold else []), "feedback", "failure", "full view"]
    return "<tr>" + "".join(f"<th>{escape(name)}</th>" for name in names) + "</tr>"


def item_rows(items: list[ItemRow], gold: bool) -> str:
    return "".join(_row(index, item, gold) for index, item in enumerate(items))


def _row(index: int, item: ItemRow, gold: bool) -> str:
    cells = [item.source, item.item_id, item.verdict, *([item.gold] if gold else [])]
    row = "".join(f"<td>{escape(c)}</td>" for c in cells)
    row += (
        f'<td class="feedback">{clipped(item.feedback)}</td><td class="failure">{escape(item.failure)}</td>'
    )
    row += (
        f'<td><button type="button" class="view" data-item="{index}" aria-expanded="false">view</button></td>'
    )
    return (
        f'<tbody class="item"><tr class="summary">{row}</tr>'
        f'<tr class="detail" hidden><td colspan="{len(cells) + 3}"></td></tr></tbody>'
    )


def clipped(text: str) -> str:
    """Text clipped to a few lines, with a toggle where it is longer (decided here, so that the page does not
    have to measure thousands of cells when it opens)."""
    if not text:
        return ""
    lines = sum(max(1, -(-len(line) // _LINE)) for line in text.split("\n"))
    toggle = '<button type="button" class="more">show all</button>' if lines > _LINES else ""
    return f'<div class="clip">{escape(text)}</div>{toggle}'


def details_json(items: list[ItemRow]) -> str:
    """The full views as JSON, safe inside a ``<script type="application/json">`` element."""
    text = json.dumps([_detail(item.detail) for item in items], ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")  # no "</script>" or "<!--" can end or bend the element


def _detail(detail: ItemDetail) -> dict[str, Any]:
    blocks = []
    if detail.fields:
        blocks.append({"title": "Inputs", "entries": [[k, v, ""] for k, v in detail.fields]})
    if detail.prompts:
        blocks.append({"title": "Prompt", "entries": [[k, v, "prompt"] for k, v in detail.prompts]})
    return {"notes": detail.notes, "blocks": blocks, "outputs": [_output(o) for o in detail.outputs]}


def _output(output: Output) -> dict[str, Any]:
    entries = []
    if output.feedback and output.feedback != output.raw:  # a failed output's feedback is its raw text
        entries.append(["Feedback", output.feedback, ""])
    entries.append(
        ["Raw output", output.raw_note, "note"] if output.raw_note else ["Raw output", output.raw, "raw"]
    )
    return {"label": output.label, "parsed": output.parsed, "failed": output.failed, "entries": entries}
