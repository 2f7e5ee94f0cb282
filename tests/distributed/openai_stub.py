"""A real OpenAI-compatible judge server for the pool tests (FastAPI on uvicorn, one process).

``python openai_stub.py PORT LOG DELAY_S`` serves ``/v1/models``, ``/v1/completions`` and
``/v1/chat/completions``. Each answer is Prometheus-style feedback ending in ``[RESULT] k`` where ``k`` depends
only on the prompt, so every replica gives the same verdict. ``LOG`` gets one line per request received
(``start <digest>``) and per answer sent (``done <digest>``), flushed at once, so a test can tell which requests
were in flight when it killed the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Request


def expected_score(prompt_text: str) -> int:
    """The verdict every replica gives for a prompt (the test computes it too)."""
    return int(hashlib.sha256(prompt_text.encode()).hexdigest(), 16) % 5 + 1


def make_app(log_path: str, delay_s: float) -> FastAPI:
    app = FastAPI()
    log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the server

    async def answer(key: str) -> tuple[str, str]:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        log.write(f"start {digest}\n")
        await asyncio.sleep(delay_s)
        log.write(f"done {digest}\n")
        return digest, f"The response addresses the criterion. [RESULT] {expected_score(key)}"

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "stub-judge", "object": "model"}]}

    @app.post("/v1/completions")
    async def completions(request: Request) -> dict[str, Any]:
        body = await request.json()
        _digest, text = await answer(body["prompt"])
        return {
            "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 8},
        }

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        body = await request.json()
        _digest, text = await answer(body["messages"][-1]["content"])
        message = {"role": "assistant", "content": text}
        return {
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 8},
        }

    return app


if __name__ == "__main__":
    port, log_path, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    uvicorn.run(make_app(log_path, delay), host="127.0.0.1", port=port, log_level="warning")
