"""A leaderboard run folder (``judgeforge leaderboard -o DIR``: ``leaderboard.json`` and one folder of graded
rows per protocol) as report data.

Sections: per protocol its ranking with interval bars and, for ``baseline`` and ``pairs``, the win-rate
matrix heatmap, the numbers in the ranking table; the per-category and per-rubric breakdown; the
diagnostics (per protocol, per model, agreement between protocols). The tables are the terminal's
(:func:`judgeforge.leaderboard.report_tables`), so the two cannot disagree; a flagged parse coverage is a
flagged cell. The items are the graded rows of every protocol, each with its full view.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgeforge.report import units
from judgeforge.report.data import Cell, Chart, ItemRow, ReportData, Section, Table
from judgeforge.report.grading import MAX_ITEMS
from judgeforge.report.leaderboard_charts import coverage_flags, ranking_chart, win_matrix_chart

if TYPE_CHECKING:
    from judgeforge.leaderboard import BoardTable

PROTOCOLS = ("direct", "baseline", "pairs")
NO_MATRIX = (
    "leaderboard.json has no win-rate matrix (written by an earlier judgeforge): run the same judgeforge "
    "leaderboard command again to add it; what is graded already is not graded again"
)
READING = (
    "Position consistency: share of pairs whose two orders agree (a pair that flips counts as a tie). "
    "Ties: share of pairwise outcomes that are ties. Length ρ: Spearman's ρ of the score (or outcome) "
    "against the length (or length difference); longer wins: share of decisive verdicts won by the longer "
    "response. Parsed: share of a model's verdicts the judge's output could be read for. Kendall τ: "
    "agreement of two protocols' rankings. See docs/leaderboard.md."
)


def is_leaderboard(path: Path) -> bool:
    """Whether ``path`` is a leaderboard run folder or its ``leaderboard.json``."""
    from judgeforge.leaderboard import LEADERBOARD_FILE

    return (path / LEADERBOARD_FILE).is_file() if path.is_dir() else path.name == LEADERBOARD_FILE


def leaderboard_report(path: Path) -> ReportData:
    """The report data of a leaderboard run (its folder or its ``leaderboard.json``)."""
    from judgeforge.leaderboard import load_board

    root = path if path.is_dir() else path.parent
    board = load_board(root)
    protocols = [p for p in PROTOCOLS if p in board]
    items, total, notes = _items(root, board, protocols)
    sections = [_protocol_section(board, p, notes.get(p, [])) for p in protocols]
    sections += [_breakdown_section(board), _diagnostics_section(board)]
    return ReportData(
        "leaderboard", f"Leaderboard: {root.name}", _facts(board), sections, items, total, "protocol"
    )


def _table(table: BoardTable) -> Table:
    """A board table as a report table: flags become flagged cells, "-" the report's dash."""
    rows = [
        [Cell(units.NONE if text == "-" else text, table.flags.get((r, c), "")) for c, text in enumerate(row)]
        for r, row in enumerate(table.rows)
    ]
    return Table(table.title, list(table.columns), rows)


def _protocol_section(board: dict[str, Any], protocol: str, item_notes: list[str]) -> Section:
    from judgeforge.leaderboard.tables import ranking_table

    ranking = ranking_table(board, protocol)
    charts: list[Chart] = [ranking_chart(board, protocol)]
    notes = [Cell(note) for note in ranking.notes]
    if protocol != "direct":
        matrix = win_matrix_chart(board[protocol], protocol)
        if matrix is None:
            notes.append(Cell(NO_MATRIX, "no win-rate matrix"))
        else:
            charts.append(matrix)
    flagged = coverage_flags(board[protocol])
    if flagged:
        text = "Parse coverage flagged ⚠: " + ", ".join(sorted(flagged))
        notes.append(Cell(text, "their rankings stand on fewer verdicts"))
    notes += [Cell(f"Items: {note}") for note in item_notes]
    return Section(f"Ranking: {protocol}", charts, [_table(ranking)], notes)


def _breakdown_section(board: dict[str, Any]) -> Section:
    from judgeforge.leaderboard.tables import breakdown_tables

    tables = breakdown_tables(board)
    notes = list(dict.fromkeys(note for table in tables for note in table.notes))
    if "direct" not in board:
        notes.append("The breakdown comes from the direct protocol, which this run did not use.")
    elif not tables:
        notes.append("The input has no categories and one rubric: nothing to break down.")
    return Section(
        "Breakdown by category and rubric",
        tables=[_table(table) for table in tables],
        notes=[Cell(note) for note in notes],
    )


def _diagnostics_section(board: dict[str, Any]) -> Section:
    from judgeforge.leaderboard.tables import diagnostic_tables

    tables = [_table(table) for table in diagnostic_tables(board)]
    return Section("Diagnostics", tables=tables, notes=[Cell(READING)])


def _facts(board: dict[str, Any]) -> dict[str, Cell]:
    settings = board["settings"]
    models = board["models"]
    facts = {
        "models": Cell(f"{len(models)}: {', '.join(models)}"),
        "instructions": Cell(units.count(board["instructions"])),
        "protocols": Cell(", ".join(_protocol(p, settings) for p in settings["protocols"])),
    }
    resamples = units.count(settings["resamples"])
    facts["intervals"] = Cell(
        f"{settings['confidence']:.0%}, percentile bootstrap over instructions ({resamples} resamples)"
    )
    facts.update(_judge_facts(settings.get("judge") or {}))
    failed = {p: board[p]["run"]["failed"] for p in PROTOCOLS if p in board and board[p]["run"]["failed"]}
    if failed:
        where = ", ".join(f"{p} {n}" for p, n in failed.items())
        facts["rows without a verdict"] = Cell(where, "see results.errors.jsonl in the protocol's folder")
    flagged = sorted({m for p in PROTOCOLS if p in board for m in coverage_flags(board[p])})
    if flagged:
        facts["parse coverage flagged"] = Cell(", ".join(flagged), "their rankings stand on fewer verdicts")
    return facts


def _protocol(protocol: str, settings: dict[str, Any]) -> str:
    if protocol == "baseline":
        return f"baseline (against {settings['baseline']})"
    if protocol == "pairs" and settings.get("budget"):
        return f"pairs (budget {units.count(settings['budget'])})"
    return protocol


def _judge_facts(judge: dict[str, Any]) -> dict[str, Cell]:
    facts: dict[str, Cell] = {}
    identity = judge.get("identity") or {}
    if identity:
        facts["judge model"] = Cell(f"{identity.get('model', '')} ({identity.get('backend', '')})")
    if judge.get("template_set"):
        chat = judge.get("chat_format")
        facts["prompt"] = Cell(judge["template_set"] + (f", chat format {chat}" if chat else ""))
    return facts


def _items(
    root: Path, board: dict[str, Any], protocols: list[str]
) -> tuple[list[ItemRow], int, dict[str, list[str]]]:
    """Every protocol's graded rows (the first :data:`MAX_ITEMS` in all) with their full views, their
    total, and per protocol what could not be shown."""
    from judgeforge.report.grading_items import grading_items
    from judgeforge.runner.bookkeeping import read_run_files

    items: list[ItemRow] = []
    total = 0
    notes: dict[str, list[str]] = {}
    for protocol in protocols:
        results = root / board[protocol]["run"]["results"]
        if not results.is_file():
            notes[protocol] = [f"{results} is not there: no items to show"]
            continue
        run = read_run_files(results)
        total += len(run.lines)
        shown, notes[protocol] = grading_items(results, run.lines[: MAX_ITEMS - len(items)], run.manifest)
        items += [replace(item, source=protocol) for item in shown]
    return items, total, notes
