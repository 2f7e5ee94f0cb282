"""Peak RSS of a grading run against its length: resume and duplicate-detection state must not grow with it.

For each size (default 100k, 1M and 10M rows) a fresh Python process writes a synthetic input (the rows of
runner_overhead.py), grades it with the fake backend (no cache), and reports its peak RSS (``ru_maxrss``),
rows per second and the on-disk spill of the id index. A second pass resumes the finished run (every row
skipped as done), which reads the whole results file back into the index. Sizes run one after the other.

    .venv/bin/python benchmarks/runner_memory.py [--sizes 100000 1000000 10000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
from runner_overhead import write_input
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, run_grading

folder, rows = Path(sys.argv[1]), int(sys.argv[2])
source = folder / "input.jsonl"
write_input(source, rows)
options = RunOptions(batch_size=256, use_cache=False)
started = time.perf_counter()
first = run_grading(source, folder / "out.jsonl", Judge("fake"), options)
seconds = time.perf_counter() - started
graded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
again = run_grading(source, folder / "out.jsonl", Judge("fake"), options)
print(json.dumps({{
    "rows": rows, "graded": first.summary["this_run"]["graded"], "rows_per_s": rows / seconds,
    "peak_rss_mib_after_grading": graded_rss / 1024,
    "resumed_skipped": again.summary["this_run"]["skipped_done"],
    "peak_rss_mib_after_resume": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    args = parser.parse_args()
    code = CHILD.format(bench=str(Path(__file__).resolve().parent))
    results = []
    for rows in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            done = subprocess.run(
                [sys.executable, "-c", code, folder, str(rows)], capture_output=True, text=True, check=True
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{rows:>11,} rows: peak RSS {result['peak_rss_mib_after_grading']:7.1f} MiB graded, "
            f"{result['peak_rss_mib_after_resume']:7.1f} MiB after resuming "
            f"({result['resumed_skipped']:,} skipped); {result['rows_per_s']:,.0f} rows/s",
            flush=True,
        )
    base = results[0]["peak_rss_mib_after_resume"]
    for result in results[1:]:
        ratio = result["peak_rss_mib_after_resume"] / base
        print(f"{result['rows']:>11,} rows vs {results[0]['rows']:,}: peak RSS x{ratio:.3f}")


if __name__ == "__main__":
    main()
