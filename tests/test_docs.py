"""Docs that run: every fenced ``bash`` and ``python`` block of README.md and docs/*.md runs here, in a
scratch folder holding a copy of ``examples/``, against the fake backend, the toy judges or local files, as
the block itself says. A block that cannot run here (a GPU, a remote server, a model hub, hours of CPU) is
preceded by ``<!-- docs-test: skip REASON -->``, and the reason shows in the test report; a block that
talks to the service is preceded by ``<!-- docs-test: server -->`` and runs against a fake-backend
``judgeforge serve`` on localhost:8000 with its key in ``$KEY``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from paths import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(
    r"(?:<!--\s*docs-test:\s*(?P<directive>[^>]*?)\s*-->\s*\n)?^```(?P<lang>bash|python)\n(?P<body>.*?)^```",
    re.M | re.S,
)


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    lang: str
    body: str
    directive: str

    @property
    def name(self) -> str:
        return f"{self.doc.relative_to(REPO)}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start("lang")) + 1
            found.append(Block(doc, line, match["lang"], match["body"], (match["directive"] or "").strip()))
    return found


BLOCKS = blocks()


def scratch(tmp_path: Path) -> dict[str, str]:
    """A working folder with the examples and the toy judges' paths as the docs use them; the environment."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    (tmp_path / "toy").symlink_to(REPO / "toy")
    bin_dir = Path(sys.executable).parent
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "JUDGEFORGE_CACHE_DIR": str(tmp_path / "cache"),
        "JUDGEFORGE_BENCHMARKS": str(REPO.parent / "shared" / "benchmarks"),
        "PYTHONPATH": str(REPO / "src"),
    }


@pytest.mark.parametrize("block", BLOCKS, ids=[block.name for block in BLOCKS])
def test_doc_block_runs(block: Block, tmp_path: Path) -> None:
    if block.directive.startswith("skip"):
        pytest.skip(f"{block.name}: {block.directive[4:].strip() or 'no reason given'}")
    env = scratch(tmp_path)
    if block.lang == "bash":
        command = ["bash", "-euo", "pipefail", "-c", block.body]
    else:
        command = [sys.executable, "-c", block.body]
    with fake_server(env, tmp_path) if block.directive == "server" else contextlib.nullcontext():
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (
        f"{block.name} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )


@contextlib.contextmanager
def fake_server(env: dict[str, str], folder: Path) -> Iterator[None]:
    """``<!-- docs-test: server -->``: the docs' service on localhost:8000 (fake backend), key in ``$KEY``."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8000)) == 0:
            pytest.skip("port 8000 is taken: the block talks to localhost:8000")
    env["KEY"] = env["JUDGEFORGE_API_KEYS"] = "docs-test-key-0123456789abcdef"
    command = [sys.executable, "-m", "judgeforge", "serve", "--backend", "fake", "--port", "8000"]
    server = subprocess.Popen(command, cwd=folder, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _answers("http://127.0.0.1:8000/healthz"):
            assert server.poll() is None and time.monotonic() < deadline, "the docs' server did not start"
            time.sleep(0.2)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_every_skip_gives_a_reason() -> None:
    for block in BLOCKS:
        if block.directive.startswith("skip"):
            assert len(block.directive[4:].strip()) > 10, f"{block.name}: say why the block cannot run here"
    assert len(BLOCKS) >= 15  # the parser sees the docs' blocks
