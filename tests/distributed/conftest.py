"""Fixtures for the scale-out tests: real OpenAI-compatible stub servers on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import httpx
import pytest

STUB = Path(__file__).resolve().parent / "openai_stub.py"


def _load_stub() -> ModuleType:
    # tests/distributed is not on sys.path (importlib import mode): load the server module by file.
    spec = importlib.util.spec_from_file_location("judgeforge_openai_stub", STUB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def expected_score() -> Callable[[str], int]:
    """The verdict every stub replica gives for a prompt text."""
    score: Callable[[str], int] = _load_stub().expected_score
    return score


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class StubServer:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def events(self, kind: str) -> list[str]:
        if not self.log.exists():
            return []
        return [line.split()[1] for line in self.log.read_text().splitlines() if line.startswith(kind + " ")]

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight requests lose their connection."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def spawn_stub(log: Path, delay_s: float, port: int | None = None) -> StubServer:
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, str(STUB), str(port), str(log), str(delay_s)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return StubServer(port, log, process)


def wait_ready(server: StubServer) -> StubServer:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"stub server exited with {server.process.returncode}")
        try:
            if httpx.get(f"{server.url}/models", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("stub server did not start")


@pytest.fixture
def stub_servers(tmp_path: Path) -> Iterator[Callable[..., StubServer]]:
    """``stub_servers(name, ..., delay_s=, port=)`` starts real servers; all are killed at teardown."""
    started: list[StubServer] = []

    def factory(*names: str, delay_s: float = 0.02, port: int | None = None) -> list[StubServer]:
        """Start one server per name (in parallel: start-up is mostly imports) and wait for all."""
        servers = [spawn_stub(tmp_path / f"{name}.log", delay_s, port) for name in names]
        started.extend(servers)
        return [wait_ready(server) for server in servers]

    yield factory
    for server in started:
        server.kill()
