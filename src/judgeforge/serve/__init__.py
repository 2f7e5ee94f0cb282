"""Judge as a service: an HTTP API (FastAPI + uvicorn, the ``serve`` extra), its client and an RL reward.

- :func:`~judgeforge.serve.run.serve` / :func:`~judgeforge.serve.run.serve_in_thread` run the service;
  :func:`~judgeforge.serve.app.create_app` builds the ASGI app.
- :class:`~judgeforge.serve.client.JudgeClient` / :class:`~judgeforge.serve.client.AsyncJudgeClient` call it.
- :class:`~judgeforge.serve.reward.JudgeReward` is a TRL reward function backed by a judge or the service.

Importing this package does not import FastAPI or uvicorn; the client and the reward need only httpx.
"""

from __future__ import annotations

from judgeforge.serve.config import API_KEYS_ENV, KeyChecker, ServeConfig, load_api_keys

__all__ = ["API_KEYS_ENV", "KeyChecker", "ServeConfig", "load_api_keys"]
