"""Meta-evaluation: benchmark registry and loaders, modes, metrics, baseline judges and reports.

Typical use::

    from judgeforge.bench import make_judge, run_bench
    summary = run_bench(["vicuna", "hhh"], [make_judge("lm:backend=fake"), make_judge("rouge-l")], "out/")
"""

from __future__ import annotations

from judgeforge.bench.harness import run_bench, score_dir
from judgeforge.bench.items import DirectBenchItem, PairBenchItem, SidedPair, assign_sides
from judgeforge.bench.judges import BenchJudge, LMJudge, judges, make_judge
from judgeforge.bench.modes import ModeConfig, modes
from judgeforge.bench.registry import Benchmark, benchmarks, load_benchmark

__all__ = [
    "BenchJudge",
    "Benchmark",
    "DirectBenchItem",
    "LMJudge",
    "ModeConfig",
    "PairBenchItem",
    "SidedPair",
    "assign_sides",
    "benchmarks",
    "judges",
    "load_benchmark",
    "make_judge",
    "modes",
    "run_bench",
    "score_dir",
]
