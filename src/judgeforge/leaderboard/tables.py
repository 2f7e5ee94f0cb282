"""The leaderboard as tables: the data a report section renders, and the terminal view (rich) built on it.

:func:`report_tables` turns a board (``leaderboard.json``'s content) into plain :class:`BoardTable` records
(title, column names, rows of display strings, notes); :func:`print_board` shows them with rich. A report
renderer can take the same records, so the terminal and the report cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


@dataclass(frozen=True)
class BoardTable:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


def load_board(path: str | Path) -> dict[str, Any]:
    """``leaderboard.json`` from a leaderboard output folder (or the file itself)."""
    path = Path(path)
    data: dict[str, Any] = json.loads(
        (path / "leaderboard.json" if path.is_dir() else path).read_text("utf-8")
    )
    return data


def report_tables(board: dict[str, Any]) -> list[BoardTable]:
    """One ranking table per protocol run, then the diagnostics and the agreement between protocols."""
    tables = []
    if "direct" in board:
        tables.append(_direct_table(board["direct"], board["settings"]["confidence"]))
    if "baseline" in board:
        tables.append(_baseline_table(board["baseline"], board["settings"]["confidence"]))
    if "pairs" in board:
        tables.append(_pairs_table(board["pairs"], board["settings"]["confidence"]))
    tables.append(_diagnostics_table(board))
    if board.get("agreement"):
        tables.append(_agreement_table(board["agreement"]))
    return tables


def _interval(low: float | None, high: float | None, digits: int = 2) -> str:
    return "-" if low is None or high is None else f"[{low:.{digits}f}, {high:.{digits}f}]"


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _flag(section: dict[str, Any], model: str) -> str:
    entry = section["diagnostics"]["coverage"].get(model)
    if entry is None:
        return "-"
    return _percent(entry["coverage"]) + (" (!)" if entry["flagged"] else "")


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
            _flag(section, r["model"]),
        )
        for r in section["ranking"]
    )
    columns = ("rank", "model", "mean score", level, "n", "scores 1/2/3/4/5", "parsed")
    return BoardTable(
        "direct: mean score 1-5", columns, rows, ("(!) parse failures > 10 points above the others",)
    )


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
                _flag(section, r["model"]),
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
            _flag(section, r["model"]),
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
    return BoardTable("pairs: Bradley-Terry ratings", columns, rows, tuple(notes))


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
        view = Table(title=table.title, caption="\n".join(table.notes) or None)
        for index, column in enumerate(table.columns):
            view.add_column(column, justify="left" if index in (0, 1) else "right")
        for row in table.rows:
            view.add_row(*row)
        console.print(view)
