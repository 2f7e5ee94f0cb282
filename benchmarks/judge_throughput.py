"""Judge throughput, measured side by side in one run on this machine (not part of CI).

(a) in-process transformers: batched generation vs one ``generate`` call per prompt, same tiny model;
(b) score-only logprob protocol vs full feedback generation (with their agreement), same backend; the
    best of 10 full-feedback calls against the best of 50 score-only calls (5 after each full one), and
    the ratio of the medians too;
(c) judgeforge ``openai_compat`` vs prometheus-eval 0.1.20's LiteLLM path against the same local llama.cpp
    server at equal max_tokens: completions/s and completions spent per graded item (counted by a proxy).

The model is the tests' tiny judge (toy Llama taught the Prometheus output format, ~100-word feedback).
prometheus-eval is installed into ``.venv-prometheus-eval`` (a baseline, never a runtime dependency).

    .venv/bin/python benchmarks/judge_throughput.py [--items 16] [--workdir /tmp/judge-throughput]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "backends"))

from tiny_judge import RUBRIC, build_tiny_judge, direct_items  # noqa: E402

from judgeforge import Judge  # noqa: E402
from judgeforge.backends.hf import TransformersBackend, TransformersOptions  # noqa: E402
from judgeforge.backends.openai_compat import OpenAICompatBackend, OpenAICompatOptions  # noqa: E402
from judgeforge.prompts import PromptRenderer  # noqa: E402
from judgeforge.records import Completion, Prompt  # noqa: E402
from judgeforge.sampling import SamplingParams  # noqa: E402
from judgeforge.tools.gguf import convert_to_gguf  # noqa: E402
from judgeforge.tools.local_server import llama_cpp_server  # noqa: E402

PE_VENV = REPO / ".venv-prometheus-eval"
ROUNDS = 10
FAST_PER_ROUND = 5


def part_a(model_dir: Path, items: int, max_tokens: int) -> dict[str, Any]:
    renderer = PromptRenderer("prometheus2", "mistral-inst")
    prompts = [renderer.direct(item) for item in direct_items(items, offset=200)]
    params = SamplingParams(max_tokens=max_tokens, temperature=0.0, repetition_penalty=1.0)
    backend = TransformersBackend(TransformersOptions(model=str(model_dir), batch_size=items))

    def generate(batch: list[Prompt]) -> list[Completion]:
        # through the backend's own path (its model thread), as Judge calls it: torch work on this main
        # thread would give later parts a second OpenMP team and slow them (docs/performance.md)
        return asyncio.run(backend.generate(batch, params))

    generate(prompts[:2])  # warm-up
    single_times, batched_times = [], []
    for _ in range(ROUNDS):  # alternate, and keep the best of each: other jobs share these cores
        start = time.perf_counter()
        one_by_one = [generate([prompt])[0] for prompt in prompts]
        single_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        batched = generate(prompts)
        batched_times.append(time.perf_counter() - start)
    single_s, batched_s = min(single_times), min(batched_times)
    return {
        "rounds": ROUNDS,
        "items": items,
        "max_tokens": max_tokens,
        "one_by_one_s": round(single_s, 2),
        "batched_s": round(batched_s, 2),
        "speedup": round(single_s / batched_s, 2),
        "same_texts": sum(a.text == b.text for a, b in zip(one_by_one, batched)),
        "mean_completion_tokens": sum(c.usage.completion_tokens for c in batched) / items,
    }


def part_b(model_dir: Path, items: int, max_tokens: int) -> dict[str, Any]:
    backend = TransformersBackend(TransformersOptions(model=str(model_dir), batch_size=items))
    sampling = {"max_tokens": max_tokens, "temperature": 0.0, "repetition_penalty": 1.0}
    data = direct_items(items, offset=300)
    full_judge = Judge(backend, sampling=sampling, logprobs=True, max_attempts=1)
    fast_judge = Judge(backend, sampling=sampling, score_only=True)
    fast_judge.grade_many(data[:2])  # warm-up
    full_times, fast_times = [], []
    for _ in range(ROUNDS):  # alternate; the short score-only call is timed FAST_PER_ROUND times a round
        start = time.perf_counter()
        full = full_judge.grade_many(data)
        full_times.append(time.perf_counter() - start)
        for _ in range(FAST_PER_ROUND):
            start = time.perf_counter()
            fast = fast_judge.grade_many(data)
            fast_times.append(time.perf_counter() - start)
    full_s, fast_s = min(full_times), min(fast_times)
    both = [
        (f.verdicts[0], s.verdicts[0]) for f, s in zip(full, fast) if f.verdicts[0].ok and s.verdicts[0].ok
    ]
    return {
        "items": items,
        "full_s": round(full_s, 3),
        "score_only_s": round(fast_s, 4),
        "rounds": ROUNDS,
        "score_only_per_round": FAST_PER_ROUND,
        "speedup": round(full_s / fast_s, 1),
        "speedup_of_medians": round(statistics.median(full_times) / statistics.median(fast_times), 1),
        "full_parsed": sum(j.verdicts[0].ok for j in full),
        "mean_feedback_tokens": sum(j.usage.completion_tokens for j in full) / items,
        "agreement": round(sum(a.score == b.score for a, b in both) / max(len(both), 1), 3),
        "mean_abs_expected_diff": round(
            sum(abs((a.expected_score or 0) - (b.expected_score or 0)) for a, b in both) / max(len(both), 1),
            3,
        ),
    }


class _Counter:
    def __init__(self) -> None:
        self.requests = 0
        self.lock = threading.Lock()


def counting_proxy(upstream: str, counter: _Counter) -> tuple[ThreadingHTTPServer, str]:
    """A pass-through HTTP proxy that counts completion requests (both clients go through it)."""
    client = httpx.Client(timeout=600)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with counter.lock:
                counter.requests += 1
            reply = client.post(
                upstream + self.path.removeprefix("/v1"),
                content=body,
                headers={"Content-Type": "application/json"},
            )
            self.send_response(reply.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.content)))
            self.end_headers()
            self.wfile.write(reply.content)

        def do_GET(self) -> None:
            reply = client.get(upstream + self.path.removeprefix("/v1"))
            self.send_response(reply.status_code)
            self.send_header("Content-Length", str(len(reply.content)))
            self.end_headers()
            self.wfile.write(reply.content)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def ours(base_url: str, items: int, max_tokens: int, concurrency: int) -> dict[str, Any]:
    backend = OpenAICompatBackend(
        OpenAICompatOptions(
            base_url=base_url,
            model="judge",
            endpoint="chat",
            max_concurrency=concurrency,
            repetition_penalty_field="repeat_penalty",
            api_key_env=None,
        )
    )
    judge = Judge(backend, sampling={"max_tokens": max_tokens}, max_attempts=3)
    start = time.perf_counter()
    judgments = judge.grade_many(direct_items(items, offset=400))
    elapsed = time.perf_counter() - start
    truncated = sum(1 for j in judgments for v in j.verdicts if not v.ok)
    return {
        "seconds": elapsed,
        "graded": sum(j.failure is None for j in judgments),
        "failures_recorded": truncated,
    }


PE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, time
    from prometheus_eval import PrometheusEval
    from prometheus_eval.litellm import LiteLLM
    from prometheus_eval.prompts import ABSOLUTE_PROMPT_WO_REF
    spec = json.loads(sys.argv[1])
    judge = PrometheusEval(model=LiteLLM("openai/judge", api_base=spec["base_url"]),
                           absolute_grade_template=ABSOLUTE_PROMPT_WO_REF)
    params = {"max_tokens": spec["max_tokens"], "temperature": 1.0, "top_p": 0.9, "repetition_penalty": 1.03}
    start = time.perf_counter()
    feedbacks, scores = judge.absolute_grade(instructions=spec["instructions"], responses=spec["responses"],
                                             rubric=spec["rubric"], params=params)
    print(json.dumps({"seconds": time.perf_counter() - start, "graded": sum(s is not None for s in scores)}))
    """
)


def prometheus_eval(base_url: str, items: int, max_tokens: int) -> dict[str, Any]:
    python = PE_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PE_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "-c",
                str(REPO / "constraints.txt"),
                "prometheus-eval==0.1.20",
            ],
            check=True,
        )
    data = direct_items(items, offset=400)
    rubric = RUBRIC.render_absolute()
    spec = {
        "base_url": base_url,
        "max_tokens": max_tokens,
        "rubric": rubric,
        "instructions": [i.instruction for i in data],
        "responses": [i.response for i in data],
    }
    env = {**os.environ, "OPENAI_API_KEY": "sk-local", "LITELLM_LOG": "ERROR"}
    done = subprocess.run(
        [str(python), "-c", PE_SCRIPT, json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        return {"error": done.stderr[-1500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def part_c(gguf: Path, items: int, max_tokens: int, server_url: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {"items": items, "max_tokens": max_tokens, "server": server_url or "llama.cpp"}
    # mistral-instruct: a chat format that accepts (and drops) the system turn both clients send
    server = (
        contextlib.nullcontext(server_url)
        if server_url
        else llama_cpp_server(gguf, n_ctx=2048, n_threads=1, extra_args=["--chat_format", "mistral-instruct"])
    )
    with server as url:
        runs = [
            ("prometheus-eval LiteLLM (sequential)", lambda u: prometheus_eval(u, items, max_tokens)),
            ("judgeforge openai_compat, 1 in flight", lambda u: ours(u, items, max_tokens, 1)),
            ("judgeforge openai_compat, 16 in flight", lambda u: ours(u, items, max_tokens, 16)),
        ]
        for name, run in runs:
            counter = _Counter()
            proxy, proxy_url = counting_proxy(url, counter)
            outcome = run(proxy_url)
            proxy.shutdown()
            if "seconds" in outcome:
                outcome["completions"] = counter.requests
                outcome["completions_per_s"] = round(counter.requests / outcome["seconds"], 2)
                outcome["completions_per_graded_item"] = round(
                    counter.requests / max(outcome["graded"], 1), 2
                )
                outcome["seconds"] = round(outcome["seconds"], 2)
            results[name] = outcome
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--workdir", default="/tmp/judge-throughput")
    parser.add_argument("--parts", default="abc")
    parser.add_argument("--server-url", default=None, help="(c) against this running server (e.g. vLLM)")
    args = parser.parse_args()
    work = Path(args.workdir)
    model_dir = work / "tiny-judge"
    if not (model_dir / "model.safetensors").is_file():
        build_tiny_judge(model_dir, steps=80, long_feedback=True)
    report: dict[str, Any] = {
        "conditions": {
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_start": os.getloadavg(),
        },
    }
    if "a" in args.parts:
        report["a_batched_vs_one_by_one"] = part_a(model_dir, args.items, max_tokens=128)
        print(json.dumps(report["a_batched_vs_one_by_one"]), flush=True)
    if "b" in args.parts:
        report["b_score_only_vs_feedback"] = part_b(model_dir, args.items, max_tokens=320)
        print(json.dumps(report["b_score_only_vs_feedback"]), flush=True)
    if "c" in args.parts:
        gguf = work / "tiny-judge.gguf"
        if not gguf.is_file():
            convert_to_gguf(model_dir, gguf, outtype="f32")
        # 320 tokens fit the judge's ~190-token feedback; 64 truncates it before [RESULT] every time
        report["c_openai_compat_vs_prometheus_eval"] = part_c(gguf, args.items, 320, args.server_url)
        print(json.dumps(report["c_openai_compat_vs_prometheus_eval"]), flush=True)
        report["c_truncating_max_tokens"] = part_c(gguf, args.items, 64, args.server_url)
    report["conditions"]["load_avg_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))
    (work / "report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
