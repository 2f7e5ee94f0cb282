"""The board as tables (what the terminal prints and the report renders): rankings, the per-category and
per-rubric breakdown, diagnostics per protocol and per model, and flagged parse coverage."""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest

from judgeforge.leaderboard import print_board, report_tables
from judgeforge.leaderboard.tables import COVERAGE_FLAG, BoardTable, breakdown_tables, diagnostic_tables
from support.leaderboard_rows import fake_board


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three models on 8 instructions, two categories and two rubrics, every protocol."""
    root = tmp_path_factory.mktemp("tables")
    result = fake_board(root, {"q3": 3, "q1": 1, "q5": 5}, instructions=8, baseline="q3", resamples=50)
    board: dict[str, Any] = result.board
    return board


def _table(tables: list[BoardTable], title: str) -> BoardTable:
    return next(table for table in tables if table.title == title)


def test_tables_in_order_with_the_breakdown_and_model_diagnostics(board: dict[str, Any]) -> None:
    titles = [table.title for table in report_tables(board)]
    assert titles == [
        "direct: mean score 1-5",
        "baseline: win rate against q3 (ties half)",
        "pairs: Bradley-Terry ratings",
        "direct: mean score by category",
        "direct: mean score by rubric",
        "diagnostics",
        "diagnostics by model",
        "agreement between protocols",
    ]
    order = [row["model"] for row in board["direct"]["ranking"]]
    category = _table(breakdown_tables(board), "direct: mean score by category")
    assert category.columns == ("category", *order)
    even = board["direct"]["by_category"]["even"]
    assert category.rows[0] == ("even", *(f"{even[m]['mean']:.2f} ({even[m]['n']})" for m in order))
    rubric = _table(breakdown_tables(board), "direct: mean score by rubric")
    assert [row[0] for row in rubric.rows] == ["helpfulness", "honesty"]
    by_model = _table(diagnostic_tables(board), "diagnostics by model")
    assert by_model.columns == (
        "model",
        "direct parsed",
        "baseline parsed",
        "baseline position consistency",
        "baseline ties",
        "pairs parsed",
        "pairs position consistency",
        "pairs ties",
    )
    consistency = board["pairs"]["diagnostics"]["position_consistency"]["by_model"]["q5"]["share"]
    q5 = next(row for row in by_model.rows if row[0] == "q5")
    assert q5[6] == f"{100 * consistency:.1f}%" and q5[1] == "100.0%"
    assert all(not table.flags for table in report_tables(board))


def test_one_rubric_gives_no_rubric_table(board: dict[str, Any]) -> None:
    single = copy.deepcopy(board)
    del single["direct"]["by_rubric"]["honesty"]
    assert [t.title for t in breakdown_tables(single)] == ["direct: mean score by category"]
    no_direct = {key: value for key, value in board.items() if key != "direct"}
    assert breakdown_tables(no_direct) == []


def test_flagged_coverage_is_a_flag_on_the_cell(
    board: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    flagged = copy.deepcopy(board)
    flagged["direct"]["diagnostics"]["coverage"]["q1"].update(coverage=0.7, flagged=True)
    tables = report_tables(flagged)
    direct = _table(tables, "direct: mean score 1-5")
    row = [r[1] for r in direct.rows].index("q1")
    assert direct.flags == {(row, direct.columns.index("parsed")): COVERAGE_FLAG}
    assert direct.rows[row][-1] == "70.0%"
    by_model = _table(tables, "diagnostics by model")
    assert by_model.flags == {(board["models"].index("q1"), 1): COVERAGE_FLAG}
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps cells to the terminal's width
    printed = io.StringIO()
    print_board(flagged, file=printed)
    assert printed.getvalue().count("70.0% (!)") == 2 and f"(!) {COVERAGE_FLAG}"[:40] in printed.getvalue()
    plain = io.StringIO()
    print_board(board, file=plain)
    assert "(!)" not in plain.getvalue()
