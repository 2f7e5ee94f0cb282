"""The service with a real (tiny, random, locally built) transformers judge behind it.

A random model rarely writes a ``[RESULT]``: the point is that real generation runs behind the real server,
every item gets an answer (a score or a failure reason) and concurrent requests do not corrupt each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from judgeforge.backends import backends
from judgeforge.judge import Judge
from judgeforge.serve import KeyChecker, ServeConfig
from judgeforge.serve.client import JudgeClient
from judgeforge.serve.run import RunningServer, serve_in_thread
from serve.support import API_KEY, AUTH, ITEM, PAIR

pytest.importorskip("torch")
pytest.importorskip("transformers")
if "transformers" not in backends:
    pytest.skip("no transformers backend registered", allow_module_level=True)


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    from judgeforge.toy.tiny import build_tiny_model

    model = build_tiny_model(Path(tmp_path_factory.mktemp("tiny")) / "judge", hidden_size=32, num_layers=1)
    judge = Judge(
        "transformers",
        backend_options={"model": str(model), "device": "cpu", "dtype": "float32", "batch_size": 4},
        sampling={"max_tokens": 8, "temperature": 0},
        max_attempts=1,
    )
    config = ServeConfig(max_items=4, max_concurrency=4)
    with serve_in_thread(judge, config=config, keys=KeyChecker([API_KEY])) as server:
        yield server


def test_tiny_model_judge_answers_every_item(tiny_server: RunningServer) -> None:
    with JudgeClient(tiny_server.url, API_KEY) as client:
        grades = client.grade([ITEM, {**ITEM, "response": "No idea."}])
        pairs = client.compare([PAIR])
    for result in grades:
        assert result.mode == "absolute"
        assert (result.score is not None and 1 <= result.score <= 5) or result.failure
        assert result.verdicts and result.verdicts[0].attempts == 1
    assert pairs[0].mode == "relative" and (pairs[0].winner in ("A", "B") or pairs[0].failure)
    info = httpx.get(f"{tiny_server.url}/v1/info", headers=AUTH).json()
    assert info["backend"]["backend"] == "transformers"
    assert httpx.get(f"{tiny_server.url}/v1/grade", headers={}).status_code == 401


def test_tiny_model_judge_serves_concurrent_clients_deterministically(tiny_server: RunningServer) -> None:
    rows = [{**ITEM, "id": str(n), "response": f"Answer number {n}."} for n in range(3)]

    def ask(_: int) -> list[tuple[str | None, float | None, str | None]]:
        with JudgeClient(tiny_server.url, API_KEY) as client:
            return [(r.id, r.score, r.failure) for r in client.grade(rows)]

    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(ask, range(3)))
    # greedy decoding: the same items get the same answers whichever requests overlapped
    assert answers[0] == answers[1] == answers[2]
    assert [a[0] for a in answers[0]] == ["0", "1", "2"]
