"""Real judge services on 127.0.0.1 (uvicorn on a background thread, free port) for the serve tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from judgeforge.judge import Judge
from judgeforge.serve import KeyChecker, ServeConfig
from judgeforge.serve.run import RunningServer, serve_in_thread
from serve.support import API_KEY, OTHER_KEY, ServerFactory, fake_judge


@pytest.fixture
def start_server() -> ServerFactory:
    """``with start_server(judge, max_items=2) as server: ...`` — a real server with both test keys."""

    def start(judge: Judge | None = None, **limits: Any) -> AbstractContextManager[RunningServer]:
        return serve_in_thread(
            judge or fake_judge(),
            config=ServeConfig(**limits),
            keys=KeyChecker([API_KEY, OTHER_KEY]),
        )

    return start


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """One shared fake-judge server with small limits (4 items, 8 KiB bodies)."""
    limits = ServeConfig(max_items=4, max_body_bytes=8192, max_concurrency=4)
    with serve_in_thread(fake_judge(), config=limits, keys=KeyChecker([API_KEY, OTHER_KEY])) as running:
        yield running
