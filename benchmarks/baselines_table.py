"""Run the no-LM baseline judges on the shared benchmarks and print the bench report (for docs/benchmarks.md).

    python benchmarks/baselines_table.py OUT_DIR

Needs the ``bench`` extra for the embedding baseline. Deterministic: A/B sides and bootstrap use seed 0.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from judgeforge.bench import ModeConfig, make_judge, run_bench


def main(out_dir: str) -> None:
    judges = [make_judge("length"), make_judge("rouge-l"), make_judge("embedding")]
    started = time.perf_counter()
    run_bench(
        ["vicuna", "mt-bench", "hhh", "autoj", "judgebench"],
        judges,
        out_dir,
        requested_modes=["direct", "relative", "a2r"],
        config=ModeConfig(runs=1, seed=0),
        resamples=1000,
    )
    print(Path(out_dir, "report.md").read_text(encoding="utf-8"))
    print(f"(wall time {time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-baselines")
