"""Where judgeforge keeps its own code for what a maintained library does (docs/architecture.md says why),
a test checks it against that library on random inputs: Krippendorff's alpha against ``krippendorff``,
ROUGE-L against Google's ``rouge-score``."""

from __future__ import annotations

import random

import pytest

from judgeforge.bench.rouge import rouge_l
from judgeforge.metrics import krippendorff_alpha

krippendorff = pytest.importorskip("krippendorff")
rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
@pytest.mark.parametrize("seed", range(12))
def test_krippendorff_alpha_matches_the_krippendorff_package(level: str, seed: int) -> None:
    rng = random.Random(seed)
    coders, units = rng.randint(2, 5), rng.randint(5, 40)
    values = list(range(1, rng.randint(3, 6) + 1))
    data = [[rng.choice(values) if rng.random() > 0.2 else None for _ in range(units)] for _ in range(coders)]
    matrix = [[float("nan") if value is None else float(value) for value in coder] for coder in data]
    try:
        expected = krippendorff.alpha(
            reliability_data=matrix, level_of_measurement=level, value_domain=values
        )
    except ValueError:  # the package refuses data with fewer than two distinct values: so do we (None)
        expected = None
    ours = krippendorff_alpha([list(unit) for unit in zip(*data)], level)  # type: ignore[arg-type]
    if expected is None or ours is None:
        assert expected is None and ours is None
        return
    assert ours == pytest.approx(expected, abs=1e-9)


WORDS = ["rice", "water", "boil", "salt", "cover", "simmer", "rest", "pot", "heat", "cup", "2", "15"]


@pytest.mark.parametrize("seed", range(40))
def test_rouge_l_matches_rouge_score(seed: int) -> None:
    rng = random.Random(seed)
    candidate = " ".join(rng.choices(WORDS, k=rng.randint(0, 30)))
    reference = " ".join(rng.choices(WORDS, k=rng.randint(1, 30)))
    if rng.random() < 0.3:  # punctuation and case, which both tokenizers drop
        candidate = candidate.upper().replace(" ", ", ")
    expected = rouge_scorer.RougeScorer(["rougeL"]).score(reference, candidate)["rougeL"].fmeasure
    assert rouge_l(candidate, reference) == pytest.approx(expected, abs=1e-12)
