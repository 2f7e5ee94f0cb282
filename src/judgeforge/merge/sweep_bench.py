"""A sweep's benchmark: the bench harness run with an LM judge on every merged model of the sweep.

``merge-sweep --bench NAME`` names benchmarks of :data:`judgeforge.bench.registry.benchmarks` (``toy-direct``,
``toy-pairs``, ``vicuna``, ...). For every grid point the merged model becomes an LM judge on the in-process
``transformers`` backend (the model's own chat template, greedy decoding: the settings of
``judgeforge.toy.demo.lm_judge``), labelled after the point; :func:`judgeforge.bench.harness.run_bench`
runs it on every benchmark into one bench folder, ``OUT_ROOT/bench`` (one judge per point, so
``judgeforge report OUT_ROOT/bench`` compares the points item by item, and a rerun resumes), and the
point's headline numbers go into the sweep table (``points.json``), from which the sweep report plots each
metric against alpha:

* direct benchmarks: ``<bench>_pearson`` (with the gold scores; ``<bench>_pearson_<source>`` when a
  benchmark has several gold sources) and ``<bench>_verdict_share`` (items with a parsed score);
* pairwise benchmarks: ``<bench>_accuracy`` (ties counted, a missing verdict wrong) and
  ``<bench>_verdict_share``.

A metric that is undefined for a point (a Pearson r of constant scores) is left out of its row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgeforge.bench.harness import run_bench, safe_name
from judgeforge.bench.judges import BenchJudge, make_judge
from judgeforge.bench.modes import ModeConfig
from judgeforge.bench.registry import benchmarks
from judgeforge.prompts.chat import load_tokenizer

if TYPE_CHECKING:
    from judgeforge.merge.sweep import SweepPoint

GREEDY = {"temperature": 0.0, "repetition_penalty": 1.0, "max_tokens": 200}  # judgeforge.toy.demo.SAMPLING


@dataclass(frozen=True)
class HarnessBench:
    """A sweep bench hook (``bench(model_dir, point) -> {metric: value}``) running the bench harness.

    ``paths`` gives benchmark files (``NAME -> PATH``; the toy benchmarks have no default file), ``limit``
    the first N items of each benchmark, ``out_dir`` the bench folder (default: ``bench`` beside the
    points' model folders).
    """

    names: tuple[str, ...]
    paths: Mapping[str, str] = field(default_factory=dict)
    limit: int | None = None
    runs: int = 1
    seed: int = 0
    resamples: int = 0
    sampling: Mapping[str, Any] = field(default_factory=lambda: dict(GREEDY))
    backend_options: Mapping[str, Any] = field(default_factory=lambda: {"batch_size": 64, "dtype": "float32"})
    out_dir: Path | None = None

    def check(self) -> None:
        """Refuse unknown benchmarks and missing files before anything is merged."""
        for name in self.names:
            benchmarks.get(name).resolve(self.paths.get(name))

    def judge(self, model_dir: Path, label: str) -> BenchJudge:
        """The LM judge of one merged model."""
        return make_judge(
            f"lm:label={label}",
            backend="transformers",
            backend_options={"model": str(model_dir), **self.backend_options},
            chat_format="tokenizer",
            tokenizer=load_tokenizer(str(model_dir)),
            sampling=dict(self.sampling),
        )

    def __call__(self, model_dir: Path, point: SweepPoint) -> dict[str, float]:
        judge = self.judge(model_dir, point.label)
        summary = run_bench(
            self.names,
            [judge],
            self.out_dir or model_dir.parent / "bench",
            config=ModeConfig(runs=self.runs, seed=self.seed),
            paths=self.paths,
            limit=self.limit,
            resamples=self.resamples,
        )
        return headline_metrics(summary["results"].get(safe_name(judge.label), {}), self.names)


def headline_metrics(results: Mapping[str, Any], names: Sequence[str]) -> dict[str, float]:
    """The numbers a sweep plots, from one judge's part of a bench summary (see the module docstring)."""
    found: dict[str, float] = {}
    for name in names:
        for mode, metrics in results.get(name, {}).items():
            if mode == "direct":
                found |= _direct(name, metrics)
            elif mode != "cross":
                found |= _pairs(name, metrics)
    return found


def _direct(name: str, metrics: Mapping[str, Any]) -> dict[str, float]:
    sources = sorted(key[3:] for key in metrics if key.startswith("vs_"))
    found = _verdict_share(name, metrics)
    for source in sources:
        value = metrics[f"vs_{source}"]["pearson"]["value"]
        if value is not None:
            found[f"{name}_pearson" + (f"_{source}" if len(sources) > 1 else "")] = float(value)
    return found


def _pairs(name: str, metrics: Mapping[str, Any]) -> dict[str, float]:
    found = _verdict_share(name, metrics)
    if metrics.get("accuracy_ties_counted") is not None:
        found[f"{name}_accuracy"] = float(metrics["accuracy_ties_counted"])
    return found


def _verdict_share(name: str, metrics: Mapping[str, Any]) -> dict[str, float]:
    items = int(metrics.get("items") or 0)
    return {f"{name}_verdict_share": 1 - int(metrics.get("no_verdict") or 0) / items} if items else {}
