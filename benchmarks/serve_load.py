"""Load test of the judge service on loopback: concurrent clients against `judgeforge serve` + the fake judge.

    python benchmarks/serve_load.py [--latency-ms 50] [--max-concurrency 8] [--duration 5] [--multipliers 1,4]

Starts the real CLI server (a subprocess on 127.0.0.1, a random key, access log to a temp file), then for
each multiplier m runs m * max_concurrency clients for ``--duration`` seconds, each posting one grading
request after another (no retries, so refusals are counted). Reports requests/s (200s), client-side p50/p99
latency of the 200s, the 429 count, every other outcome as an error, the server-side p50 duration of 200s and
429s (from the JSON access log), and checks the server is still healthy.
Target: zero errors and zero 429s at m=1 (clients == limit), 429s beyond it, never a 5xx or a crash.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

HOST = "127.0.0.1"  # loopback only, by design
ITEM = {
    "instruction": "Explain why the sky is blue.",
    "response": "Sunlight scatters off air molecules; blue light scatters most (Rayleigh scattering).",
    "rubric": "helpfulness",
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Phase:
    clients: int
    seconds: float
    statuses: Counter[str]
    latencies: list[float]
    server_ms: dict[int, list[float]] = field(default_factory=dict)

    def row(self) -> str:
        ok = [latency * 1000 for latency in self.latencies]
        errors = sum(n for status, n in self.statuses.items() if status not in ("200", "429"))
        served, refused = self.server_ms.get(200, []), self.server_ms.get(429, [])
        return (
            f"| {self.clients} | {sum(self.statuses.values())} | {len(ok) / self.seconds:.1f} | "
            f"{percentile(ok, 0.5):.1f} | {percentile(ok, 0.99):.1f} | {self.statuses['429']} | {errors} | "
            f"{percentile(served, 0.5):.1f} | {percentile(refused, 0.5):.1f} |"
        )


def server_durations(log_path: Path, offset: int) -> tuple[dict[int, list[float]], int]:
    """Server-side durations by status from the JSON access log lines written since ``offset``."""
    with log_path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    durations: dict[int, list[float]] = {}
    for line in data.decode(errors="replace").splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("path") == "/v1/grade":
                durations.setdefault(entry["status"], []).append(entry["duration_ms"])
    return durations, offset + len(data)


class RawClient:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams.

    httpx costs about a millisecond of CPU per request; on a shared 2-core machine that made the load generator,
    not the server, the bottleneck. This client pre-encodes the one request it sends and only reads the status
    line, the headers and ``Content-Length`` bytes of body.
    """

    def __init__(self, port: int, request: bytes) -> None:
        self.port, self.request = port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self) -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        self.writer.write(self.request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
        await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection") == "close":
            await self.close()
        return int(lines[0].split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def grade_request(port: int, key: str) -> bytes:
    body = json.dumps(ITEM).encode()
    head = (
        f"POST /v1/grade HTTP/1.1\r\nHost: {HOST}:{port}\r\nX-API-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def run_phase(port: int, key: str, clients: int, duration: float) -> Phase:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    request = grade_request(port, key)
    stop = time.perf_counter() + duration

    async def client() -> None:
        connection = RawClient(port, request)  # one connection per client, as separate processes would have
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                status = str(await connection.post())
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                status = type(exc).__name__
                await connection.close()
            statuses[status] += 1
            if status == "200":
                latencies.append(time.perf_counter() - started)
            elif status == "429":
                await asyncio.sleep(0.005)  # a real client would honour Retry-After; keep the pressure on
        await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return Phase(clients, time.perf_counter() - began, statuses, latencies)


def start_server(args: argparse.Namespace, key: str, log: IO[bytes]) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "judgeforge", "serve", "--host", HOST, "--port", str(port),
               "--max-concurrency", str(args.max_concurrency), "--backend", "fake",
               "--backend-option", f"latency_ms={args.latency_ms}"]  # fmt: skip
    env = {**os.environ, "JUDGEFORGE_API_KEYS": key}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="fake judge latency per call")
    parser.add_argument("--max-concurrency", type=int, default=8, help="the server's in-flight limit")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase (bounded)")
    parser.add_argument("--multipliers", default="1,4", help="client counts as multiples of the limit")
    args = parser.parse_args()
    multipliers = [int(m) for m in args.multipliers.split(",")]
    if args.duration > 60 or max(multipliers) * args.max_concurrency > 256:
        raise SystemExit("keep it bounded: at most 60 s per phase and 256 clients")
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as folder, (Path(folder) / "access.log").open("wb") as log:
        process, port = start_server(args, key, log)
        log_path, offset, phases = Path(folder) / "access.log", 0, []
        try:
            for multiplier in multipliers:
                phase = asyncio.run(run_phase(port, key, multiplier * args.max_concurrency, args.duration))
                time.sleep(0.2)  # let the last access-log lines land
                phase.server_ms, offset = server_durations(log_path, offset)
                phases.append(phase)
            healthy = httpx.get(f"http://{HOST}:{port}/healthz", timeout=5).status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=15)
    print(f"fake judge latency {args.latency_ms:g} ms, max_concurrency {args.max_concurrency}, "
          f"{args.duration:g} s per phase, 1 item per request, {os.cpu_count()} CPUs")  # fmt: skip
    print(
        "| clients | requests | req/s (200) | p50 ms | p99 ms | 429s | errors | server p50 ms (200) | server p50 ms (429) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for phase in phases:
        print(phase.row())
    # uvicorn re-raises SIGTERM after its graceful shutdown, hence -15 rather than 0.
    print(f"server healthy after the run: {healthy}; exit after SIGTERM: {process.returncode}")
    other = {
        status: n for phase in phases for status, n in phase.statuses.items() if status not in ("200", "429")
    }
    if other:
        print(f"non-200/429 outcomes: {other}")


if __name__ == "__main__":
    main()
