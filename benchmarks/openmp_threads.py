"""Why in-process backends share one model thread: torch on a second thread, measured (not part of CI).

Times the same greedy ``model.generate`` (16 prompts x 300 tokens, 60 new tokens, the tests' tiny judge) on
a fresh thread, then lets the main thread run it twice, then times it on another fresh thread. With torch's
libgomp, each thread that runs parallel regions gets its own OpenMP team; once there are more OpenMP threads
than cores, libgomp nearly stops spin-waiting between regions and small forward passes slow down. A control
run (``--control``) skips the main-thread step.

    .venv/bin/python benchmarks/openmp_threads.py [--control] [--workdir /tmp/judge-throughput]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "backends"))

from tiny_judge import build_tiny_judge  # noqa: E402

ROUNDS = 3


def on_fresh_thread(work: Callable[[], object]) -> float:
    """Seconds per call of ``work`` on a new thread (after one warm-up call there)."""
    seconds: list[float] = []

    def body() -> None:
        work()
        start = time.perf_counter()
        for _ in range(ROUNDS):
            work()
        seconds.append((time.perf_counter() - start) / ROUNDS)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return seconds[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", action="store_true", help="no torch work on the main thread")
    parser.add_argument("--workdir", default="/tmp/judge-throughput")
    args = parser.parse_args()
    import torch
    from transformers import AutoModelForCausalLM

    model_dir = Path(args.workdir) / "tiny-judge"
    if not (model_dir / "model.safetensors").is_file():
        build_tiny_judge(model_dir, steps=80, long_feedback=True)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    prompts = torch.randint(4, 1000, (16, 300), generator=torch.Generator().manual_seed(0))

    def work() -> object:
        with torch.inference_mode():
            return model.generate(
                input_ids=prompts,
                attention_mask=torch.ones_like(prompts),
                max_new_tokens=60,
                do_sample=False,
                pad_token_id=3,
                eos_token_id=[],
            )

    before = on_fresh_thread(work)
    if not args.control:
        work()
        work()
    after = on_fresh_thread(work)
    step = "nothing" if args.control else "two calls"
    print(f"torch threads {torch.get_num_threads()}; main thread ran {step} in between")
    print(f"fresh thread before: {before * 1000:.0f} ms; fresh thread after: {after * 1000:.0f} ms")
    print(f"after / before: {after / before:.2f}")


if __name__ == "__main__":
    main()
