"""Ctrl-C and SIGTERM on running commands: one line on stderr, exit 130/143, no traceback; reruns resume."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from paths import REPO

ROWS = 300
SLOW = ("--backend", "fake", "--backend-option", "latency_ms=30", "--batch-size", "4", "--concurrency", "2")
EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "judgeforge", *args]


def environment(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "JUDGEFORGE_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO / "src")}


def write_rows(path: Path) -> Path:
    rows = (
        {
            "id": f"r{i}",
            "instruction": f"How do I cook rice, question {i}?",
            "response": " ".join(["rinse", "boil", "simmer", "rest", "fluff"][: 1 + i % 5]) + f" {i}",
            "rubric": "helpfulness",
        }
        for i in range(ROWS)
    )
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def line_set(path: Path) -> set[str]:
    """The lines as a set of canonical JSON (order ignored); duplicates are caught by the caller."""
    return {json.dumps(json.loads(line), sort_keys=True) for line in path.read_text().splitlines() if line}


def count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def default_signals() -> None:
    """In the child, before exec: Ctrl-C as a terminal delivers it. A shell that starts the test run in the
    background (``cmd &``) sets SIGINT to ignored, children inherit that, and Python then keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """A command as a child process, its output captured, SIGINT at its default."""
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals
    )


def interrupt_when(
    process: subprocess.Popen[str], ready: Callable[[], bool], signum: int, timeout: float = 60
) -> None:
    """Send ``signum`` once ``ready()``; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"finished before the signal: {process.communicate()}"
        assert time.monotonic() < deadline, "never got ready for the signal"
        time.sleep(0.02)
    process.send_signal(signum)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """An uninterrupted run of the same command (its own cache), and its lines."""
    folder = tmp_path_factory.mktemp("reference")
    source = write_rows(folder / "rows.jsonl")
    out = folder / "reference.jsonl"
    done = subprocess.run(
        command("grade", str(source), "-o", str(out), *SLOW, "--quiet"),
        env=environment(folder),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return source, line_set(out)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupted_grade_says_how_to_resume_and_the_rerun_completes(
    signum: int, reference: tuple[Path, set[str]], tmp_path: Path
) -> None:
    source, expected = reference
    out = tmp_path / "graded.jsonl"
    args = command("grade", str(source), "-o", str(out), *SLOW, "--quiet")
    env = environment(tmp_path)
    process = start(args, env)
    try:
        interrupt_when(process, lambda: count_lines(out) >= 20, signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT[signum], stderr
    assert "Traceback" not in stderr and "Task was destroyed" not in stderr, stderr
    assert stderr.strip().splitlines() == [
        f"judgeforge grade: interrupted: finished rows are saved in {out}; run the same command again to resume"
    ]
    assert 20 <= count_lines(out) < ROWS
    rerun = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert count_lines(out) == ROWS  # no row graded twice
    assert line_set(out) == expected


def test_interrupted_build_preferences_keeps_its_pairs(tmp_path: Path) -> None:
    rows = []
    for task in range(20):
        for score in range(1, 6):
            rows.append(
                {
                    "orig_instruction": f"Task {task}: list some fruits.",
                    "orig_response": f"Task {task}: " + ", ".join(["apple"] * score),
                    "orig_criteria": "Does the response list fruits?",
                    **{f"orig_score{k}_description": f"Level {k}." for k in range(1, 6)},
                    "orig_feedback": f"It lists {score} fruits.",
                    "orig_score": score,
                }
            )
    source = tmp_path / "feedback.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "prefs.jsonl"
    args = command("build-preferences", str(source), "-o", str(out), "--teacher-backend", "fake",
                   "--teacher-backend-option", "latency_ms=100", "--batch-size", "5")  # fmt: skip
    process = start(args, environment(tmp_path))
    try:
        interrupt_when(process, lambda: count_lines(out) >= 5, signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, stderr
    assert stderr.strip().splitlines() == [
        f"judgeforge build-preferences: interrupted: finished pairs are saved in {out}; "
        "run the same command again to resume"
    ]
    assert 5 <= count_lines(out) < 200
    rerun = subprocess.run(args, env=environment(tmp_path), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert count_lines(out) == 200 == len(line_set(out))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_serve_stops_gracefully_on_a_signal(signum: int, tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")
    httpx = pytest.importorskip("httpx")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = command("serve", "--port", str(port), "--insecure-no-auth", "--backend", "fake")
    process = start(args, environment(tmp_path))

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        interrupt_when(process, healthy, signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == EXIT[signum], stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == "judgeforge serve: stopped"
