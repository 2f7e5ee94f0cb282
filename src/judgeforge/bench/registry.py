"""The benchmark registry: each entry names its kind, its published file and its loader.

Files are looked up under a benchmark root: ``$JUDGEFORGE_BENCHMARKS`` when set, else ``shared/benchmarks``
in the working directory or its parent. Any benchmark can also be given an explicit path.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from judgeforge.bench import loaders
from judgeforge.bench.items import DirectBenchItem, PairBenchItem
from judgeforge.errors import ConfigError
from judgeforge.registry import Registry

BenchItem = DirectBenchItem | PairBenchItem
Loader = Callable[[Path], Sequence[BenchItem]]


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark: ``kind`` is ``direct`` (gold scores) or ``pair`` (gold winner)."""

    name: str
    kind: Literal["direct", "pair"]
    title: str
    loader: Loader
    default_file: str | None = None

    def load(self, path: str | Path | None = None) -> list[BenchItem]:
        """Load the items from ``path`` or from the default file under the benchmark root.

        An item whose required text is blank (an empty response, say) cannot be judged: it is left out, with
        one warning per benchmark naming each such item and field (Auto-J's published file has one)."""
        resolved = self.resolve(path)
        items = list(self.loader(resolved))
        blank = {item.id: fields for item in items if (fields := blank_fields(item))}
        if blank:
            listed = "; ".join(f"item {item_id}: {', '.join(fields)}" for item_id, fields in blank.items())
            warnings.warn(
                f"benchmark '{self.name}' ({resolved.name}): {len(blank)} of {len(items)} items left out, their "
                f"required text is blank ({listed})",
                UserWarning,
                stacklevel=2,
            )
        return [item for item in items if item.id not in blank]

    def resolve(self, path: str | Path | None = None) -> Path:
        if path is not None:
            resolved = Path(path)
        elif self.default_file is None:
            raise ConfigError(f"benchmark '{self.name}' has no default file; give its path")
        else:
            resolved = benchmark_root() / self.default_file
        if not resolved.is_file():
            raise ConfigError(f"benchmark '{self.name}': file not found: {resolved}")
        return resolved


def blank_fields(item: BenchItem) -> list[str]:
    """The required text fields of ``item`` that are empty or whitespace only."""
    names = (
        ("instruction", "response")
        if isinstance(item, DirectBenchItem)
        else ("instruction", "chosen", "rejected")
    )
    values = {name: getattr(item, name) for name in names}
    if item.reference_answer is not None:
        values["reference_answer"] = item.reference_answer
    return [name for name, value in values.items() if not value or value.isspace()]


def benchmark_root() -> Path:
    """Where the published benchmark files live (see the module docstring)."""
    if os.environ.get("JUDGEFORGE_BENCHMARKS"):
        return Path(os.environ["JUDGEFORGE_BENCHMARKS"])
    for candidate in (Path("shared/benchmarks"), Path("../shared/benchmarks")):
        if candidate.is_dir():
            return candidate
    return Path("shared/benchmarks")


benchmarks: Registry[Benchmark] = Registry("benchmark")


def _add(name: str, kind: Literal["direct", "pair"], title: str, loader: Loader, file: str | None) -> None:
    benchmarks.add(name, Benchmark(name, kind, title, loader, file))


_PE = "prometheus-eval/"
_direct, _pair = loaders.load_prometheus_direct, loaders.load_prometheus_pairwise
_add("vicuna", "direct", "Vicuna Bench", partial(_direct, benchmark="vicuna"), _PE + "vicuna_eval.json")
_add("mt-bench", "direct", "MT Bench", partial(_direct, benchmark="mt-bench"), _PE + "mt_bench_eval.json")
_add("flask", "direct", "FLASK", partial(_direct, benchmark="flask"), _PE + "flask_eval.json")
_add(
    "feedback-bench",
    "direct",
    "Feedback Bench",
    partial(_direct, benchmark="feedback-bench"),
    _PE + "feedback_collection_ood_test.json",
)
_add("hhh", "pair", "HHH Alignment", partial(_pair, benchmark="hhh"), _PE + "hhh_alignment_eval.json")
_add(
    "mt-bench-human",
    "pair",
    "MT Bench Human Judgments",
    partial(_pair, benchmark="mt-bench-human"),
    _PE + "mt_bench_human_judgement_eval.json",
)
_add(
    "autoj",
    "pair",
    "Auto-J Eval",
    partial(loaders.load_autoj, benchmark="autoj"),
    _PE + "autoj_pairwise.json",
)
_add(
    "preference-bench",
    "pair",
    "Preference Bench",
    partial(_pair, benchmark="preference-bench"),
    _PE + "preference_collection_ood_test.json",
)
_add(
    "judgebench",
    "pair",
    "JudgeBench (GPT-4o responses)",
    partial(loaders.load_judgebench, benchmark="judgebench"),
    "judgebench/dataset=judgebench,response_model=gpt-4o-2024-05-13.jsonl",
)
_add(
    "judgebench-claude",
    "pair",
    "JudgeBench (Claude-3.5-Sonnet responses)",
    partial(loaders.load_judgebench, benchmark="judgebench-claude"),
    "judgebench/dataset=judgebench,response_model=claude-3-5-sonnet-20240620.jsonl",
)
_add(
    "pairwise",
    "pair",
    "chosen/rejected file",
    partial(loaders.load_chosen_rejected, benchmark="pairwise"),
    None,
)

# The toy world's test sets (written by `judgeforge toy generate OUT` under OUT/bench/; give them with --data).
for _name, _kind, _title, _load in (
    ("toy-direct", "direct", "Toy world, trained families (direct)", _direct),
    ("toy-direct-heldout", "direct", "Toy world, held-out family (direct)", _direct),
    ("toy-pairs", "pair", "Toy world, trained families (pairwise)", _pair),
    ("toy-pairs-heldout", "pair", "Toy world, held-out family (pairwise)", _pair),
):
    _add(_name, _kind, _title, partial(_load, benchmark=_name), None)  # type: ignore[arg-type]


def load_benchmark(name: str, path: str | Path | None = None) -> list[BenchItem]:
    """Items of the benchmark registered as ``name``."""
    return benchmarks.get(name).load(path)
