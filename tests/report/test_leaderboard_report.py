"""The report of a leaderboard run (made by the library with the fake judge): what its data holds against
leaderboard.json, flagged coverage, a board written without a win-rate matrix, markdown, PNGs, and the
SVG of the ranking and the matrix (the browser checks are in test_report_browser.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from judgeforge.report import build_report, default_output, load_report_data
from judgeforge.report.data import IntervalChart, MatrixChart, ReportData, Section
from judgeforge.report.html import render_html
from judgeforge.report.leaderboard import NO_MATRIX
from judgeforge.report.svg_board import colour
from judgeforge.report.units import NONE


def _board(run: Path) -> dict[str, Any]:
    board: dict[str, Any] = json.loads((run / "leaderboard.json").read_text(encoding="utf-8"))
    return board


def _section(data: ReportData, title: str) -> Section:
    return next(s for s in data.sections if s.title == title)


def _charts(section: Section) -> tuple[IntervalChart, MatrixChart | None]:
    ranking = next(c for c in section.charts if isinstance(c, IntervalChart))
    matrix = next((c for c in section.charts if isinstance(c, MatrixChart)), None)
    return ranking, matrix


def _copy(run: Path, folder: Path) -> Path:
    copy = folder / "board"
    shutil.copytree(run, copy)
    return copy


def test_report_data_of_a_leaderboard_run(leaderboard_run: Path) -> None:
    board = _board(leaderboard_run)
    data = load_report_data(leaderboard_run)
    assert data.kind == "leaderboard" and data.source_label == "protocol"
    assert [s.title for s in data.sections] == [
        "Ranking: direct",
        "Ranking: baseline",
        "Ranking: pairs",
        "Breakdown by category and rubric",
        "Diagnostics",
    ]
    assert data.facts["models"].text == "4: steady, weak, strong-model, good"
    assert data.facts["protocols"].text == "direct, baseline (against steady), pairs"
    assert "parse coverage flagged" not in data.facts

    ranking, matrix = _charts(_section(data, "Ranking: direct"))
    rows = board["direct"]["ranking"]
    assert ranking.estimates == {r["model"]: (r["mean"], r["low"], r["high"]) for r in rows}
    assert list(ranking.estimates) == ["strong-model", "good", "steady", "weak"]  # in rank order
    assert matrix is None and ranking.y_range == (1.0, 5.0)

    ranking, matrix = _charts(_section(data, "Ranking: baseline"))
    rows = board["baseline"]["ranking"]
    assert ranking.percent and ranking.reference is not None and ranking.reference[0] == 50.0
    assert ranking.estimates["steady"] == (50.0, None, None) and ranking.missing == {"steady": "baseline"}
    good = next(r for r in rows if r["model"] == "good")
    assert ranking.estimates["good"] == (100 * good["win_rate"], 100 * good["low"], 100 * good["high"])
    assert matrix is not None and matrix.columns == ["steady"]
    assert matrix.rows == [r["model"] for r in rows if r["model"] != "steady"]
    assert [v for (v,) in matrix.values] == [r["win_rate"] for r in rows if r["model"] != "steady"]

    ranking, matrix = _charts(_section(data, "Ranking: pairs"))
    rows = board["pairs"]["ranking"]
    assert ranking.estimates == {r["model"]: (r["elo"], r["elo_low"], r["elo_high"]) for r in rows}
    assert matrix is not None and matrix.rows == matrix.columns == [r["model"] for r in rows]
    assert matrix.values == board["pairs"]["matrix"]["win_rate"] and matrix.counts[0][1] == 10

    table = _section(data, "Ranking: pairs").tables[0]
    assert [row[1].text for row in table.rows] == [r["model"] for r in rows]
    assert table.rows[0][2].text == f"{rows[0]['elo']:.0f}"
    breakdown = _section(data, "Breakdown by category and rubric").tables
    assert [t.title for t in breakdown] == ["direct: mean score by category", "direct: mean score by rubric"]
    even = board["direct"]["by_category"]["even"]["weak"]
    assert breakdown[0].rows[0][-1].text == f"{even['mean']:.2f} ({even['n']})"
    assert [row[0].text for row in breakdown[1].rows] == ["helpfulness", "honesty"]
    diagnostics = _section(data, "Diagnostics").tables
    assert [t.title for t in diagnostics] == [
        "diagnostics",
        "diagnostics by model",
        "agreement between protocols",
    ]
    consistency = board["pairs"]["diagnostics"]["position_consistency"]["share"]
    pairs_row = next(row for row in diagnostics[0].rows if row[0].text == "pairs")
    assert pairs_row[1].text == f"{100 * consistency:.1f}%"
    assert diagnostics[0].rows[0][1].text == NONE  # direct has no position consistency

    planned = sum(board[p]["run"]["rows"] for p in ("direct", "baseline", "pairs"))
    assert data.items_total == planned == len(data.items) == 40 + 30 + 60
    assert {item.source for item in data.items} == {"direct", "baseline", "pairs"}
    pair_item = next(item for item in data.items if item.source == "pairs")
    assert " vs " in pair_item.item_id and pair_item.detail.prompts and pair_item.detail.fields


def test_flagged_coverage_and_a_board_without_a_matrix(leaderboard_run: Path, tmp_path: Path) -> None:
    run = _copy(leaderboard_run, tmp_path)
    board = _board(run)
    board["direct"]["diagnostics"]["coverage"]["weak"].update(coverage=0.6, flagged=True)
    del board["pairs"]["matrix"]  # as an earlier judgeforge wrote it
    (run / "leaderboard.json").write_text(json.dumps(board), encoding="utf-8")
    data = load_report_data(run / "leaderboard.json")  # the file names its run too
    assert data.facts["parse coverage flagged"].text == "weak"
    direct = _section(data, "Ranking: direct")
    weak = next(row for row in direct.tables[0].rows if row[1].text == "weak")
    assert weak[-1].text == "60.0%" and "parse coverage" in weak[-1].warning
    assert all(not cell.warning for row in direct.tables[0].rows if row is not weak for cell in row)
    ranking, _ = _charts(direct)
    assert ranking.warnings == {"weak": "⚠ parsed 60.0%"}
    assert any(note.warning and "weak" in note.text for note in direct.notes)
    pairs = _section(data, "Ranking: pairs")
    assert _charts(pairs)[1] is None and [n.text for n in pairs.notes if n.warning] == [NO_MATRIX]
    assert _charts(_section(data, "Ranking: baseline"))[1] is not None


def test_pairs_without_ratings_say_why(leaderboard_run: Path, tmp_path: Path) -> None:
    run = _copy(leaderboard_run, tmp_path)
    board = _board(run)
    board["pairs"]["fit"] = "no maximum likelihood ratings: some models never lost"
    for row in board["pairs"]["ranking"]:
        row.update(rating=None, low=None, high=None, elo=None, elo_low=None, elo_high=None)
    (run / "leaderboard.json").write_text(json.dumps(board), encoding="utf-8")
    pairs = _section(load_report_data(run), "Ranking: pairs")
    ranking, _ = _charts(pairs)
    assert set(ranking.estimates.values()) == {(None, None, None)}
    assert board["pairs"]["fit"] in [note.text for note in pairs.notes]
    html = render_html(load_report_data(run))
    assert html.count(">no value</text>") == len(board["models"]) and "no values (see the note above)" in html


def test_html_markdown_and_pngs(leaderboard_run: Path, tmp_path: Path) -> None:
    board = _board(leaderboard_run)
    data = load_report_data(leaderboard_run)
    html = render_html(data)
    models = len(board["models"])
    intervals = sum(
        row.get(low) is not None
        for protocol, low in (("direct", "low"), ("baseline", "low"), ("pairs", "elo_low"))
        for row in board[protocol]["ranking"]
    )
    assert html.count('class="bar interval"') == intervals == 3 * models - 1  # the baseline has none
    assert html.count('class="estimate"') == 3 * models
    assert len(re.findall(r'<rect class="cell[ "]', html)) == models * models + (models - 1)
    assert html.count('class="swatch"') == 2 * 6  # two legends: five steps and "no verdicts"
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")  # no network resources
    strong = board["pairs"]["matrix"]["win_rate"][0][1]
    assert f">{100 * strong:.0f}%</text>" in html
    out = tmp_path / "report.html"
    markdown, pngs = tmp_path / "report.md", tmp_path / "png"
    build_report(leaderboard_run, out, png_dir=pngs, markdown=markdown)
    text = markdown.read_text(encoding="utf-8")
    assert "## Ranking: pairs" in text and "| category | strong-model | good | steady | weak |" in text
    assert f"vs good {100 * strong:.1f}% (10)" in text
    assert len(list(pngs.glob("*.png"))) == 5  # three rankings, two matrices
    assert default_output(leaderboard_run) == leaderboard_run / "report.html"


def test_matrix_colours_run_from_orange_through_grey_to_blue() -> None:
    assert (colour(0.0), colour(0.5), colour(1.0)) == ("#d1762f", "#f4f4f4", "#3b6ea8")
    assert colour(-1.0) == colour(0.0) and colour(0.75) == "#98b1ce"
