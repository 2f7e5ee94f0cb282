from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from judgeforge.metrics import CoincidenceAccumulator, krippendorff_alpha

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 coders x 12 units.
CODERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
UNITS = [list(unit) for unit in zip(*CODERS)]


@pytest.mark.parametrize(("level", "expected"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_published_example(level: str, expected: float) -> None:
    assert krippendorff_alpha(UNITS, level) == pytest.approx(expected, abs=5e-4)  # type: ignore[arg-type]


def test_hand_computed_nominal() -> None:
    # Units (a,a) (a,b) (b,b): coincidences o_aa=2, o_ab=o_ba=1, o_bb=2; n_a=n_b=3, n=6.
    # D_o = 2/6, D_e = 2*3*3/(6*5) = 0.6, alpha = 1 - (1/3)/0.6 = 4/9.
    assert krippendorff_alpha([["a", "a"], ["a", "b"], ["b", "b"]]) == pytest.approx(4 / 9)


def test_hand_computed_ordinal_and_interval() -> None:
    # Units (1,1) (1,2) (3,3): n_1=3, n_2=1, n_3=2, n=6; o_12=o_21=1.
    # interval: D_o ∝ 2*1 = 2; D_e ∝ 2*(3*1*1 + 3*2*4 + 1*2*1) = 58; alpha = 1 - 5*2/58.
    units = [[1, 1], [1, 2], [3, 3]]
    assert krippendorff_alpha(units, "interval") == pytest.approx(1 - 10 / 58)
    # ordinal: δ(1,2) = (3+1 - 2)^2 = 4, δ(1,3) = (6 - 2.5)^2 = 12.25, δ(2,3) = (3 - 1.5)^2 = 2.25.
    expected_disagreement = 2 * (3 * 1 * 4 + 3 * 2 * 12.25 + 1 * 2 * 2.25)
    assert krippendorff_alpha(units, "ordinal") == pytest.approx(1 - 5 * 2 * 4 / expected_disagreement)


def brute_force(units: list[list[int | None]], level: str) -> float:
    """Alpha straight from its pairwise definition: mean disagreement within units vs among all values."""
    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [unit for unit in pairable if len(unit) >= 2]
    values = [v for unit in pairable for v in unit]
    counts = Counter(values)
    order = sorted(counts)

    def delta(c: int, k: int) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return float((c - k) ** 2)
        low, high = min(c, k), max(c, k)
        between = sum(counts[g] for g in order if low <= g <= high)
        return (between - (counts[c] + counts[k]) / 2) ** 2

    n = len(values)
    within = sum(
        sum(delta(a, b) for a, b in itertools.permutations(unit, 2)) / (len(unit) - 1) for unit in pairable
    )
    between = sum(delta(a, b) for a, b in itertools.permutations(values, 2))
    return 1 - (within / n) / (between / (n * (n - 1)))


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_matches_brute_force_with_missing_values(level: str) -> None:
    rng = random.Random(7)
    units: list[list[int | None]] = []
    for _ in range(60):
        truth = rng.randint(1, 5)
        units.append([rng.choice([truth, truth, truth + 1, None, rng.randint(1, 5)]) for _ in range(4)])
    units = [[None if v is None else min(v, 5) for v in unit] for unit in units]
    assert krippendorff_alpha(units, level) == pytest.approx(brute_force(units, level))  # type: ignore[arg-type]


def test_undefined_and_streaming() -> None:
    assert krippendorff_alpha([[3, 3], [3, 3]]) is None  # no variation at all
    assert krippendorff_alpha([[1], [2, None]]) is None  # nothing pairable
    accumulator = CoincidenceAccumulator()
    for unit in UNITS:
        accumulator.add_unit(unit)
    assert accumulator.units == 11  # unit 12 has a single value
    assert accumulator.alpha("ordinal") == pytest.approx(0.815, abs=5e-4)
    with pytest.raises(ValueError):
        accumulator.alpha("ratio")  # type: ignore[arg-type]
