"""Running ``python -m llama_cpp.server`` (or any OpenAI-compatible server command) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from judgeforge.errors import BackendError


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def llama_cpp_server(
    model_path: str | Path,
    *,
    port: int | None = None,
    n_ctx: int = 2048,
    n_threads: int | None = None,
    model_alias: str = "judge",
    extra_args: Sequence[str] = (),
    startup_timeout: float = 180.0,
) -> Iterator[str]:
    """Start the server, wait until it answers, yield its base URL (``http://127.0.0.1:PORT/v1``), stop it."""
    port = port or free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path)]
    command += [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--model_alias",
        model_alias,
    ]
    if n_threads:
        command += ["--n_threads", str(n_threads), "--n_threads_batch", str(n_threads)]
    command += list(extra_args)
    with local_server(command, port, name="llama_cpp.server", startup_timeout=startup_timeout) as base_url:
        yield base_url


@contextlib.contextmanager
def local_server(
    command: Sequence[str], port: int, *, name: str, startup_timeout: float, stop_timeout: float = 15.0
) -> Iterator[str]:
    """Run an OpenAI-compatible server ``command`` listening on 127.0.0.1:``port``; yield its base URL
    once ``/v1/models`` answers; terminate it (kill after ``stop_timeout``) on exit. A server that exits
    or stays silent raises :class:`BackendError` with the tail of its log."""
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            _wait_until_ready(process, base_url, startup_timeout, log, name)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, timeout: float, log: object, name: str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackendError(f"{name} exited with {process.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/models", timeout=2.0).status_code == 200:
                return
        time.sleep(0.25)
    raise BackendError(f"{name} did not answer within {timeout:.0f}s:\n{_tail(log)}")


def _tail(log: object) -> str:
    try:
        log.seek(0)  # type: ignore[attr-defined]
        return str(log.read())[-2000:]  # type: ignore[attr-defined]
    except (OSError, AttributeError):
        return ""
