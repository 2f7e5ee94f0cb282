"""``judgeforge bench --ray``: the LM judge's generation on Ray actors gives the same results as a local run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paths import REPO

pytest.importorskip("ray")


def bench(out: Path, data: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    command = [sys.executable, "-m", "judgeforge", "bench", "pairwise", "vicuna-like", "--backend", "fake",
               "--data", f"pairwise={data / 'pairs.jsonl'}", "--data", f"vicuna={data / 'direct.json'}",
               "--resamples", "0", "--runs", "2", "-o", str(out), *extra]  # fmt: skip
    command = [part.replace("vicuna-like", "vicuna") for part in command]
    env = {**os.environ, "JUDGEFORGE_CACHE_DIR": str(out.parent / "cache"), "RAY_DEDUP_LOGS": "0"}
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())["results"]
    assert len(summary) == 1
    return next(iter(summary.values()))  # type: ignore[no-any-return]


def test_bench_on_ray_actors_matches_a_local_run(tmp_path: Path) -> None:
    from judgeforge.prompts import PromptRenderer
    from judgeforge.prompts.rubrics import load_rubric
    from judgeforge.records import DirectItem

    renderer = PromptRenderer("prometheus2", "none")
    records = []
    for i in range(10):
        item = DirectItem(instruction=f"List {i % 5 + 1} fruits.", response="apple " * (i % 5 + 1),
                          rubric=load_rubric("helpfulness"), reference_answer="apple pear plum fig kiwi")  # fmt: skip
        records.append({"idx": str(i), "category": "fruit", "instruction": renderer.direct(item).user,
                        "gpt4_score": [i % 5 + 1] * 3, "gpt4_feedback": ["ok"] * 3, "response_source": "t"})  # fmt: skip
    (tmp_path / "direct.json").write_text(json.dumps(records))
    pairs = [
        {"instruction": f"Say hi {i}", "chosen": f"hi {i}, hello", "rejected": "no", "source": "t"}
        for i in range(8)
    ]
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    local = bench(tmp_path / "local", tmp_path)
    on_ray = bench(tmp_path / "ray", tmp_path, "--ray", "--ray-actors", "2", "--ray-num-cpus", "2")
    assert on_ray == local
    assert local["vicuna"]["direct"]["items"] == 10 and local["pairwise"]["relative"]["items"] == 8
