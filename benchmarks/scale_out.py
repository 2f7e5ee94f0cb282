"""Scale-out throughput, measured side by side in one run (see docs/scale_out.md for recorded figures).

(a) ``openai_pool``: items/s over 1 and 2 real local OpenAI-compatible servers, each a replica of fixed
    capacity (``--server-slots`` concurrent requests of ``--server-latency`` seconds, like a GPU server whose
    batch is full), so the client is not the bottleneck: the ratio shows how the pool scales with replicas.
(b) Ray Data: items/s of a grading job with 1 and 2 CPU judge actors on a tiny local transformers model
    (greedy, 16 new tokens); on a 2-core machine this measures the overhead of Ray more than scaling.

    .venv/bin/python benchmarks/scale_out.py [--rows 400] [--ray-rows 48]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from judgeforge.backends.pool import EndpointPoolBackend, PoolOptions
from judgeforge.records import Message, Prompt
from judgeforge.sampling import SamplingParams

STUB = Path(__file__).resolve().parents[1] / "tests" / "distributed" / "openai_stub.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(log: Path, latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(STUB), str(port), str(log), str(latency)])
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(300):
        try:
            httpx.get(f"{url}/models", timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def pool_rate(urls: list[str], rows: int, slots: int) -> float:
    pool = EndpointPoolBackend(
        PoolOptions(base_urls=tuple(urls), endpoint="completions", max_concurrency=slots)
    )
    prompts = [
        Prompt(mode="absolute", template="t", messages=(Message(role="user", content=f"p{i}"),), text=f"p{i}")
        for i in range(rows)
    ]
    started = time.perf_counter()
    asyncio.run(pool.generate(prompts, SamplingParams(max_tokens=16)))
    return rows / (time.perf_counter() - started)


def bench_pool(rows: int, latency: float, slots: int, folder: Path) -> dict[str, float]:
    servers = [start_server(folder / f"server{i}.log", latency) for i in range(2)]
    try:
        urls = [url for _, url in servers]
        one = pool_rate(urls[:1], rows, slots)
        two = pool_rate(urls, rows, slots)
    finally:
        for process, _ in servers:
            process.kill()
            process.wait()
    return {"pool_1_server_items_s": one, "pool_2_servers_items_s": two, "pool_ratio": two / one}


def bench_ray(rows: int, folder: Path) -> dict[str, float]:
    from judgeforge.distributed import JudgeSpec, RayOptions, run_grading_on_ray
    from judgeforge.runner import RunOptions
    from judgeforge.toy.tiny import build_tiny_model

    model = build_tiny_model(folder / "tiny", hidden_size=64, num_layers=2)
    source = folder / "rows.jsonl"
    with source.open("w") as handle:
        for i in range(rows):
            row = {
                "id": i,
                "instruction": f"Question {i}?",
                "response": f"Answer {i}.",
                "rubric": "helpfulness",
            }
            handle.write(json.dumps(row) + "\n")
    spec = JudgeSpec(
        backend="transformers",
        backend_options={"model": str(model), "device": "cpu", "batch_size": 8},
        sampling={"temperature": 0.0, "max_tokens": 16, "seed": 0},
        max_attempts=1,
    )
    rates = {}
    for actors in (1, 2):
        options = RunOptions(batch_size=8, use_cache=False)
        ray_options = RayOptions(actors=actors, num_cpus=2)
        started = time.perf_counter()
        run_grading_on_ray(source, folder / f"ray{actors}.jsonl", spec, options, ray_options)
        rates[f"ray_{actors}_actor_items_s_incl_startup"] = rows / (time.perf_counter() - started)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--server-latency", type=float, default=0.1)
    parser.add_argument("--server-slots", type=int, default=4)
    parser.add_argument("--ray-rows", type=int, default=48)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    results: dict[str, object] = {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results.update(bench_pool(args.rows, args.server_latency, args.server_slots, folder))
        if not args.skip_ray:
            results.update(bench_ray(args.ray_rows, folder))
    results["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}, indent=2))


if __name__ == "__main__":
    main()
