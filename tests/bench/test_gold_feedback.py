"""The GPT-4 feedback stored in Vicuna and MT Bench, scored as if it were a judge's output.

Run k = feedback k + its score, written in the Prometheus output format and read back by our parser. The
inter-run Krippendorff alpha and the run-vs-mean correlations the harness reports must match an
independent computation on the stored scores.
"""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from judgeforge.bench import ModeConfig, make_judge, run_bench

FILES = {"vicuna": "vicuna_eval.json", "mt-bench": "mt_bench_eval.json"}


def pairwise_alpha(units: list[list[float]], delta: str) -> float:
    """Krippendorff's alpha from its pairwise definition (no coincidence matrix): 1 - D_o / D_e."""
    units = [u for u in units if len(u) >= 2]
    values = [v for u in units for v in u]
    n = len(values)

    def distance(a: float, b: float) -> float:
        return (a - b) ** 2 if delta == "interval" else float(a != b)

    observed = sum(
        sum(distance(u[i], u[j]) for i, j in permutations(range(len(u)), 2)) / (len(u) - 1) for u in units
    )
    expected = sum(distance(a, b) for i, a in enumerate(values) for j, b in enumerate(values) if i != j)
    return 1.0 - (observed / n) / (expected / (n * (n - 1)))


@pytest.mark.parametrize("name", sorted(FILES))
def test_gold_feedback_alpha_and_run_vs_mean(shared_dir: Path, tmp_path: Path, name: str) -> None:
    path = shared_dir / "benchmarks" / "prometheus-eval" / FILES[name]
    rows = json.loads(path.read_text())
    gold_runs = [[float(s) for s in row["gpt4_score"]] for row in rows]
    judge = make_judge(f"gold-feedback:benchmark={name},path={path}")
    summary = run_bench(
        [name], [judge], tmp_path, config=ModeConfig(runs=3), paths={name: str(path)}, resamples=0
    )
    metrics = summary["results"]["gold-feedback"][name]["direct"]
    saved = [
        json.loads(line) for line in (tmp_path / "results" / "gold-feedback" / name / "direct.jsonl").open()
    ]
    # the parser read back exactly the stored scores, run by run
    assert [row["scores"] for row in saved] == [[int(s) for s in run] for run in gold_runs]
    assert metrics["no_verdict"] == 0
    inter_run = metrics["inter_run"]
    assert inter_run["alpha_interval"] == pytest.approx(pairwise_alpha(gold_runs, "interval"), abs=1e-9)
    means = np.mean(gold_runs, axis=1)
    expected = [stats.pearsonr(np.asarray(gold_runs)[:, k], means)[0] for k in range(3)]
    assert inter_run["run_vs_mean_pearson"] == pytest.approx(expected, abs=1e-9)
    assert 0.3 < inter_run["alpha_ordinal"] < 1.0
    # the judge's mean is the gold mean: a perfect correlation with the gold, by construction
    assert metrics["vs_gpt4"]["pearson"]["value"] == pytest.approx(1.0)


def test_pairwise_alpha_reference_on_krippendorff_example() -> None:
    # Krippendorff (2011) nominal example (4 coders, 12 units, missing values): alpha = 0.743
    data = [
        [1, 1, None, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
        [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [None, 5, 5, 5], [None, None, 1, 1], [None, None, 3, None],
    ]  # fmt: skip
    units = [[float(v) for v in unit if v is not None] for unit in data]
    assert pairwise_alpha(units, "nominal") == pytest.approx(0.743, abs=1e-3)
