"""The leaderboard as tables: the data a report section renders, and the terminal view (rich) built on it.

:func:`report_tables` turns a board (``leaderboard.json``'s content) into plain :class:`BoardTable` records
(title, column names, rows of display strings, notes, flagged cells): :func:`ranking_table` per protocol,
then :func:`breakdown_tables` (per category and rubric) and :func:`diagnostic_tables`. :func:`print_board`
shows them with rich, and the HTML report (:mod:`judgeforge.report.leaderboard`) takes the same records, so
the terminal and the report cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from judgeforge.leaderboard.diagnostics import COVERAGE_GAP

COVERAGE_FLAG = f"parse coverage more than {100 * COVERAGE_GAP:.0f} points below the other models'"


@dataclass(frozen=True)
class BoardTable:
    """A table as display strings: ``rows[i][j]`` under ``columns[j]``; ``flags`` maps (row, column) of a
    flagged cell to why it is flagged (the terminal marks it ``(!)``, the report ⚠ with the reason)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    flags: Mapping[tuple[int, int], str] = field(default_factory=dict)


def load_board(path: str | Path) -> dict[str, Any]:
    """``leaderboard.json`` from a leaderboard output folder (or the file itself)."""
    path = Path(path)
    data: dict[str, Any] = json.loads(
        (path / "leaderboard.json" if path.is_dir() else path).read_text("utf-8")
    )
    return data


def report_tables(board: dict[str, Any]) -> list[BoardTable]:
    """One ranking table per protocol run, the per-category and per-rubric tables, then the diagnostics
    (overall and per model) and the agreement between protocols."""
    rankings = [ranking_table(board, protocol) for protocol in _RANKINGS if protocol in board]
    return rankings + breakdown_tables(board) + diagnostic_tables(board)


def ranking_table(board: dict[str, Any], protocol: str) -> BoardTable:
    """The ranking of ``protocol`` (``direct``, ``baseline`` or ``pairs``; KeyError if it did not run)."""
    return _RANKINGS[protocol](board[protocol], board["settings"]["confidence"])


def breakdown_tables(board: dict[str, Any]) -> list[BoardTable]:
    """The direct protocol's mean score per category and, with more than one rubric, per rubric: one
    column per model (ranking order), cells ``mean (n)``; none without the direct protocol."""
    section = board.get("direct")
    if section is None:
        return []
    models = [row["model"] for row in section["ranking"]]
    tables = []
    if section.get("by_category"):
        tables.append(_group_table("category", section["by_category"], models))
    if len(section.get("by_rubric") or {}) > 1:
        tables.append(_group_table("rubric", section["by_rubric"], models))
    return tables


def diagnostic_tables(board: dict[str, Any]) -> list[BoardTable]:
    """The diagnostics per protocol, per model, and the agreement between protocols (when several ran)."""
    tables = [_diagnostics_table(board), _model_diagnostics_table(board)]
    if board.get("agreement"):
        tables.append(_agreement_table(board["agreement"]))
    return tables


def _interval(low: float | None, high: float | None, digits: int = 2) -> str:
    return "-" if low is None or high is None else f"[{low:.{digits}f}, {high:.{digits}f}]"


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _parsed(section: dict[str, Any], model: str) -> str:
    entry = section["diagnostics"]["coverage"].get(model)
    return "-" if entry is None else _percent(entry["coverage"])


def _coverage_flags(
    section: dict[str, Any], models: Sequence[str], column: int
) -> dict[tuple[int, int], str]:
    """(row, ``column``) -> why, for the rows of models whose parse coverage is flagged."""
    coverage = section["diagnostics"]["coverage"]
    return {
        (row, column): COVERAGE_FLAG
        for row, model in enumerate(models)
        if (coverage.get(model) or {}).get("flagged")
    }


def _ranked_models(section: dict[str, Any]) -> list[str]:
    return [row["model"] for row in section["ranking"]]


def _direct_table(section: dict[str, Any], confidence: float) -> BoardTable:
    level = f"{confidence:.0%} interval"
    rows = tuple(
        (
            str(r["rank"]),
            r["model"],
            _number(r["mean"]),
            _interval(r["low"], r["high"]),
            str(r["n"]),
            "/".join(str(v) for v in r["distribution"].values()),
            _parsed(section, r["model"]),
        )
        for r in section["ranking"]
    )
    columns = ("rank", "model", "mean score", level, "n", "scores 1/2/3/4/5", "parsed")
    flags = _coverage_flags(section, _ranked_models(section), len(columns) - 1)
    return BoardTable("direct: mean score 1-5", columns, rows, flags=flags)


def _baseline_table(section: dict[str, Any], confidence: float) -> BoardTable:
    rows = []
    for r in section["ranking"]:
        if r.get("baseline"):
            rows.append((str(r["rank"]), f"{r['model']} (baseline)", "50.0%", "-", "-", "-", "-", "-"))
            continue
        lc = r.get("length_controlled")
        rows.append(
            (
                str(r["rank"]),
                r["model"],
                _percent(r["win_rate"]),
                _percent_interval(r["low"], r["high"]),
                _percent(r["standard_error"]),
                "-" if lc is None else _percent(lc["win_rate"]),
                f"{r['wins']}/{r['ties']}/{r['losses']}",
                _parsed(section, r["model"]),
            )
        )
    columns = (
        "rank",
        "model",
        "win rate",
        f"{confidence:.0%} interval",
        "s.e.",
        "LC win rate",
        "W/T/L",
        "parsed",
    )
    title = f"baseline: win rate against {section['baseline']} (ties half)"
    notes = ("LC: length-controlled win rate, at equal length (docs/leaderboard.md)",)
    return BoardTable(
        title,
        columns,
        tuple(rows),
        notes if any(r.get("length_controlled") for r in section["ranking"]) else (),
        _coverage_flags(section, _ranked_models(section), len(columns) - 1),
    )


def _percent_interval(low: float | None, high: float | None) -> str:
    return "-" if low is None or high is None else f"[{100 * low:.1f}, {100 * high:.1f}]"


def _pairs_table(section: dict[str, Any], confidence: float) -> BoardTable:
    rows = tuple(
        (
            str(r["rank"]),
            r["model"],
            _number(r["elo"], 0),
            _interval(r["elo_low"], r["elo_high"], 0),
            _number(r["rating"]),
            _percent(r["win_rate"]),
            str(r["n"]),
            _parsed(section, r["model"]),
        )
        for r in section["ranking"]
    )
    columns = (
        "rank",
        "model",
        "Elo",
        f"{confidence:.0%} interval",
        "BT rating",
        "win rate",
        "n",
        "parsed",
    )
    notes = [] if section["fit"] == "maximum likelihood" else [section["fit"]]
    if "length_coefficient" in section:
        notes.append(
            f"length coefficient {section['length_coefficient']['value']:.3f} (ratings at equal length)"
        )
    flags = _coverage_flags(section, _ranked_models(section), len(columns) - 1)
    return BoardTable("pairs: Bradley-Terry ratings", columns, rows, tuple(notes), flags)


_RANKINGS: dict[str, Callable[[dict[str, Any], float], BoardTable]] = {
    "direct": _direct_table,
    "baseline": _baseline_table,
    "pairs": _pairs_table,
}


def _group_table(
    kind: str, groups: dict[str, dict[str, dict[str, Any]]], models: Sequence[str]
) -> BoardTable:
    rows = tuple(
        (group, *(_group_cell(means.get(model)) for model in models)) for group, means in groups.items()
    )
    note = "mean score 1-5 over the group's instructions with a verdict (n); no intervals: groups are small"
    return BoardTable(f"direct: mean score by {kind}", (kind, *models), rows, (note,))


def _group_cell(entry: dict[str, Any] | None) -> str:
    return "-" if entry is None else f"{entry['mean']:.2f} ({entry['n']})"


def _diagnostics_table(board: dict[str, Any]) -> BoardTable:
    rows = []
    for protocol in ("direct", "baseline", "pairs"):
        if protocol not in board:
            continue
        d = board[protocol]["diagnostics"]
        rho = d.get("length_spearman")
        flagged = [model for model, entry in d["coverage"].items() if entry["flagged"]]
        rows.append(
            (
                protocol,
                _share(d.get("position_consistency")),
                _share(d.get("ties")),
                "-" if rho is None else f"{rho['rho']:+.2f}",
                _share(d.get("longer_wins")),
                ", ".join(flagged) or "-",
            )
        )
    columns = ("protocol", "position consistency", "ties", "length rho", "longer wins", "coverage flagged")
    return BoardTable("diagnostics", columns, tuple(rows))


def _share(entry: dict[str, Any] | None) -> str:
    return "-" if entry is None else _percent(entry["share"])


def _model_diagnostics_table(board: dict[str, Any]) -> BoardTable:
    """Per model: parse coverage in each protocol, and position consistency and ties in the pairwise ones."""
    models = board["models"]
    columns: list[tuple[str, list[str], set[str]]] = []  # (name, a cell per model, flagged models)
    for protocol in (p for p in _RANKINGS if p in board):
        d = board[protocol]["diagnostics"]
        coverage = [d["coverage"].get(m) or {} for m in models]
        flagged = {m for m, entry in zip(models, coverage, strict=True) if entry.get("flagged")}
        columns.append((f"{protocol} parsed", [_percent(e.get("coverage")) for e in coverage], flagged))
        for key, label in (("position_consistency", "position consistency"), ("ties", "ties")):
            if key in d:
                shares = [_share(d[key]["by_model"].get(m)) for m in models]
                columns.append((f"{protocol} {label}", shares, set()))
    rows = tuple((model, *(cells[i] for _, cells, _ in columns)) for i, model in enumerate(models))
    flags = {
        (row, column): COVERAGE_FLAG
        for column, (_, _, flagged) in enumerate(columns, start=1)
        for row, model in enumerate(models)
        if model in flagged
    }
    names = ("model", *(name for name, _, _ in columns))
    return BoardTable("diagnostics by model", names, rows, flags=flags)


def _agreement_table(agreement: Sequence[dict[str, Any]]) -> BoardTable:
    rows = tuple(
        (
            " vs ".join(a["protocols"]),
            "-" if a["kendall"] is None else f"{a['kendall']['tau']:+.2f}",
            str(a["models"]),
        )
        for a in agreement
    )
    return BoardTable("agreement between protocols", ("protocols", "Kendall tau", "models"), rows)


def print_board(board: dict[str, Any], file: IO[str] | None = None) -> None:
    """The tables of :func:`report_tables`, drawn with rich (to stdout unless ``file``)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file)
    for table in report_tables(board):
        notes = [*table.notes, *sorted({f"(!) {why}" for why in table.flags.values()})]
        view = Table(title=table.title, caption="\n".join(notes) or None)
        for index, column in enumerate(table.columns):
            view.add_column(column, justify="left" if index == 0 or column == "model" else "right")
        for r, row in enumerate(table.rows):
            view.add_row(*(text + (" (!)" if (r, c) in table.flags else "") for c, text in enumerate(row)))
        console.print(view)
