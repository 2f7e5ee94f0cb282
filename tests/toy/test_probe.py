"""The base probe: checklists scored outcome by outcome, and the committed base measured with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from judgeforge.toy.probe import probe, score_checklist

BASE = Path(__file__).resolve().parents[2] / "toy" / "base"


def test_outcomes_are_compared_position_by_position() -> None:
    expected = "Has red: met (1). Has gold: missed (1). Has rice: met (2). Has door: met (3)."
    assert score_checklist(expected, expected) == (4, 4, True)
    written = "Has red: met (1). Has gold: met (2). Has rice: met (3)."  # one wrong, one missing
    assert score_checklist(expected, written) == (2, 4, False)
    assert score_checklist(expected, "no checklist at all") == (0, 4, False)


@pytest.mark.skipif(not (BASE / "config.json").is_file(), reason="no committed toy base")
def test_the_committed_base_checks_ordering_in_the_neutral_format() -> None:
    pytest.importorskip("transformers")
    scores = {score.family: score for score in probe(BASE, groups=1)}
    assert set(scores) == {"arithmetic", "format", "keywords", "ordering", "opposites"}
    assert all(score.documents == 5 and score.outcomes == 20 for score in scores.values())
    assert scores["ordering"].accuracy >= 0.9  # measured 1.0 on 4 groups (docs/toy_reproduction.md)
