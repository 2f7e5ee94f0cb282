"""End-to-end items/s of ``judgeforge grade`` machinery with the fake backend at zero latency.

Writes a synthetic JSONL input (short instruction/response rows, a library rubric, a reference answer on half
of them), then runs ``run_grading`` over it in-process on one core, with and without the completion cache,
and a second time over a warm cache. Prints one line per configuration and round (rows, seconds, items/s),
then the median of the rounds per configuration.

    .venv/bin/python benchmarks/runner_overhead.py [--rows 100000] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from judgeforge.inputs import item_from_row
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, run_grading

WORDS = [
    "rice",
    "water",
    "boil",
    "salt",
    "cover",
    "simmer",
    "rest",
    "fluff",
    "pot",
    "heat",
    "stove",
    "minutes",
    "cup",
    "rinse",
    "clear",
    "low",
]


def write_input(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(rows):
            row = {
                "id": f"r{index}",
                "instruction": "How do I cook white rice? " + " ".join(rng.choices(WORDS, k=8)),
                "response": " ".join(rng.choices(WORDS, k=30)),
                "rubric": "helpfulness",
            }
            if index % 2:
                row["reference_answer"] = " ".join(rng.choices(WORDS, k=30))
            handle.write(json.dumps(row) + "\n")


def measure(source: Path, out: Path, options: RunOptions) -> tuple[int, float, float]:
    """(rows graded, wall seconds, CPU seconds of this process)."""
    started, cpu = time.perf_counter(), time.process_time()
    report = run_grading(source, out, Judge("fake"), options)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return report.summary["this_run"]["graded"], seconds, cpu


def judge_only(source: Path, batch_size: int) -> tuple[int, float, float]:
    """The floor: rows already parsed and checked in memory, rendered and judged in batches, no I/O."""
    judge = Judge("fake")
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    items = [item_from_row(row, record=index) for index, row in enumerate(rows)]
    started, cpu = time.perf_counter(), time.process_time()

    async def run() -> None:
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            prompts = [judge.renderer.direct(item) for item in batch]  # type: ignore[arg-type]
            await judge.judge_prompts(prompts, [item.id for item in batch])

    asyncio.run(run())
    return len(items), time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of all configurations; medians reported"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    gc.freeze()  # as `judgeforge grade` does before a run
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "input.jsonl"
        write_input(source, args.rows)
        (folder / "round").mkdir()
        cache = folder / "round" / "cache.sqlite"
        runs = [
            ("no cache", RunOptions(batch_size=args.batch_size, use_cache=False), "a.jsonl"),
            ("cold cache", RunOptions(batch_size=args.batch_size, cache=cache), "b.jsonl"),
            ("warm cache", RunOptions(batch_size=args.batch_size, cache=cache), "c.jsonl"),
        ]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"rows={args.rows} batch_size={args.batch_size} backend=fake latency_ms=0 cores=1 load={load:.1f}"
        )
        rounds = []
        for number in range(args.repeat):  # configurations alternate, so slow spells hit them alike
            for stale in folder.glob("round/*"):  # outputs and cache of the last round: a fresh start
                stale.unlink()
            results = [("judge only", *judge_only(source, args.batch_size))]
            results += [
                (label, *measure(source, folder / "round" / name, options)) for label, options, name in runs
            ]
            print(f"round {number + 1}:")
            for label, graded, seconds, cpu in results:
                print(
                    f"{label:>12}: {graded} rows in {seconds:6.2f} s wall = {graded / seconds:9,.0f} items/s; "
                    f"{cpu:6.2f} s CPU = {graded / cpu:9,.0f} items per CPU-second"
                )
            rounds.append(results)
        print(f"median of {args.repeat} rounds, items per CPU-second:")
        medians = {}
        for position, (label, *_rest) in enumerate(rounds[0]):
            medians[label] = statistics.median(r[position][1] / r[position][3] for r in rounds)
            print(f"{label:>12}: {medians[label]:9,.0f}")
        overhead = 1 / medians["no cache"] - 1 / medians["judge only"]
        print(
            f"runner's own CPU per row (no cache minus judge only, medians): {overhead * 1e6:.1f} us "
            f"= {1 / overhead:,.0f} rows per CPU-second"
        )


if __name__ == "__main__":
    main()
