"""``merge-sweep --bench``: the bench harness on every merged model, plotted against alpha in the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from judgeforge.cli.main import main
from judgeforge.errors import ConfigError
from judgeforge.merge import merge_sweep, parse_config
from judgeforge.merge.sweep_bench import HarnessBench, headline_metrics
from judgeforge.report import load_report_data
from judgeforge.report.data import LineChart
from paths import REPO, read_jsonl

ALPHAS = [0.0, 0.5, 1.0]
LABELS = ["alpha-0.000", "alpha-0.500", "alpha-1.000"]


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread, as the toy demo runs: on a shared 2-core machine a second one stalls decoding."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def sweep_config(tmp_path: Path) -> Path:
    """The toy pipeline's linear merge of the committed DA and PR judges (alpha = the PR judge's weight)."""
    path = tmp_path / "merge.yaml"
    path.write_text(
        "merge_method: linear\nmodels:\n"
        f"  - model: {REPO / 'toy/models/da'}\n    parameters: {{weight: 0.5}}\n"
        f"  - model: {REPO / 'toy/models/pr'}\n    parameters: {{weight: 0.5}}\n"
        "dtype: float32\n"
    )
    return path


def test_merge_sweep_benchmarks_every_point(tmp_path: Path, one_thread: None) -> None:
    from judgeforge.toy.dataset import WorldSpec, write_world

    write_world(tmp_path / "world", WorldSpec(seed=7, train_groups=1, test_groups=1, pretrain_groups=1))
    files = tmp_path / "world" / "bench"
    root = tmp_path / "sweep"
    argv = ["merge-sweep", str(sweep_config(tmp_path)), str(root), "--alphas", "0,0.5,1",
            "--bench", "toy-direct", "--bench", "toy-pairs", "--data", f"toy-direct={files / 'toy_direct.json'}",
            "--data", f"toy-pairs={files / 'toy_pairs.json'}", "--limit", "2", "--quiet", "--report"]  # fmt: skip
    assert main(argv) == 0

    points = json.loads((root / "points.json").read_text())
    assert [p["alpha"] for p in points] == ALPHAS
    # each point's judge is its own merged model: the DA judge (alpha 0) parses direct assessment, the
    # PR judge (alpha 1) pairwise ranking
    judges = json.loads((root / "bench" / "manifest.json").read_text())["judges"]
    assert {j["label"]: Path(j["model"]).name for j in judges} == dict(zip(LABELS, LABELS))
    assert points[0]["toy-direct_verdict_share"] == 1.0 and points[2]["toy-pairs_verdict_share"] == 1.0
    for point, label in zip(points, LABELS):  # the harness's numbers, from its own result rows
        rows = read_jsonl(root / "bench" / "results" / label / "toy-pairs" / "relative.jsonl")
        assert len(rows) == 2
        assert point["toy-pairs_accuracy"] == sum(r["winner"] == r["gold"] for r in rows) / 2
        direct = read_jsonl(root / "bench" / "results" / label / "toy-direct" / "direct.jsonl")
        assert point["toy-direct_verdict_share"] == sum(r["score"] is not None for r in direct) / 2

    charts = [c for c in load_report_data(root).sections[0].charts if isinstance(c, LineChart)]
    plotted = {name: values for chart in charts for name, values in chart.series.items()}
    for metric in ("toy-direct verdict share", "toy-pairs verdict share", "toy-pairs accuracy"):
        assert [x for x, _ in plotted[metric]] == ALPHAS, metric  # one point per alpha
    assert (root / "report.html").is_file()


def test_unknown_benchmarks_and_missing_files_are_refused_before_merging(tmp_path: Path) -> None:
    config = parse_config(
        {
            "merge_method": "linear",
            "models": [
                {"model": str(REPO / "toy/models/da"), "parameters": {"weight": 1.0}},
                {"model": str(REPO / "toy/models/pr"), "parameters": {"weight": 1.0}},
            ],
        }
    )
    with pytest.raises(ConfigError, match="unknown benchmark 'nope'"):
        merge_sweep(config, tmp_path / "a", alphas=[0.5], bench=HarnessBench(("nope",)))
    with pytest.raises(ConfigError, match="file not found"):
        bench = HarnessBench(("toy-direct",), {"toy-direct": str(tmp_path / "missing.json")})
        merge_sweep(config, tmp_path / "b", alphas=[0.5], bench=bench)
    assert not list((tmp_path / "a").glob("alpha-*")) and not list((tmp_path / "b").glob("alpha-*"))


def test_headline_metrics() -> None:
    def corr(value: float | None) -> dict[str, object]:
        return {"pearson": {"value": value, "ci95": None}}

    results = {
        "d": {"direct": {"items": 4, "no_verdict": 1, "vs_gpt4": corr(0.5)}},
        "two": {"direct": {"items": 2, "no_verdict": 0, "vs_gpt4": corr(0.1), "vs_human": corr(None)}},
        "p": {"relative": {"items": 4, "no_verdict": 0, "accuracy_ties_counted": 0.75}, "cross": {}},
    }
    assert headline_metrics(results, ["d", "two", "p", "absent"]) == {
        "d_verdict_share": 0.75,
        "d_pearson": 0.5,
        "two_verdict_share": 1.0,
        "two_pearson_gpt4": 0.1,  # several gold sources: named; an undefined r is left out
        "p_verdict_share": 1.0,
        "p_accuracy": 0.75,
    }
