"""Running the service with uvicorn: in the foreground (the CLI) or on a background thread (tests, notebooks)."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.lazy import require
from judgeforge.serve.config import KeyChecker, ServeConfig

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def configure_logging(level: int = logging.INFO) -> None:
    """Access and error logs as one JSON object (or traceback) per line on stderr, unless already set up."""
    logger = logging.getLogger("judgeforge.serve")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def _app_factory() -> Any:
    require("fastapi", "serve")  # a missing extra is reported with the pip command, not an ImportError
    from judgeforge.serve.app import create_app

    return create_app


def _uvicorn_config(app: Any, host: str, port: int, **options: Any) -> Any:
    uvicorn = require("uvicorn", "serve")
    # Our Guard writes the access log (JSON, with request ids); uvicorn's own would duplicate it.
    return uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None, **options)


def serve(
    judge: Judge,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    config: ServeConfig | None = None,
    keys: KeyChecker | None = None,
) -> None:
    """Serve ``judge`` until interrupted. ``keys=None`` (no authentication) is refused off loopback."""
    create_app = _app_factory()
    if keys is None and host not in LOOPBACK:
        raise ConfigError("refusing to serve without API keys on a non-loopback address")
    configure_logging()
    uvicorn = require("uvicorn", "serve")
    uvicorn.Server(_uvicorn_config(create_app(judge, config, keys), host, port)).run()


@dataclass
class RunningServer:
    """A server started by :func:`serve_in_thread`; ``url`` is its base URL."""

    url: str
    port: int


@contextmanager
def serve_in_thread(
    judge: Judge, *, config: ServeConfig | None = None, keys: KeyChecker | None = None
) -> Iterator[RunningServer]:
    """Run the real uvicorn server on 127.0.0.1 and a free port in a background thread; stop it on exit."""
    create_app = _app_factory()
    uvicorn = require("uvicorn", "serve")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the port is ours before uvicorn starts: no race with other tests
    port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(create_app(judge, config, keys), "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield RunningServer(url=f"http://127.0.0.1:{port}", port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_started(server: Any, thread: threading.Thread, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the judge service did not start")
        time.sleep(0.01)
