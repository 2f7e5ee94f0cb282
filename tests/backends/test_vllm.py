"""vLLM on the tiny taught judge: the offline engine and its OpenAI-compatible server (``make test-vllm``)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tiny_judge import build_tiny_judge, direct_items, pair_items

from judgeforge import Judge
from judgeforge.backends.hf import TransformersBackend, TransformersOptions
from judgeforge.backends.openai_compat import OpenAICompatBackend, OpenAICompatOptions
from judgeforge.judge.scoring import SCORE_ONLY_PROTOCOL
from judgeforge.prompts import PromptRenderer
from judgeforge.sampling import SamplingParams
from judgeforge.tools.local_server import free_port, local_server

pytest.importorskip("vllm")
pytestmark = pytest.mark.vllm

GREEDY = SamplingParams(max_tokens=24, temperature=0.0, repetition_penalty=1.0)
SAMPLING = {"max_tokens": 24, "temperature": 0.0, "repetition_penalty": 1.0}


@pytest.fixture(scope="module")
def judge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # vLLM's CPU attention kernels want a head size of 32 or more: 128 hidden / 2 heads = 64
    return build_tiny_judge(tmp_path_factory.mktemp("vllm-judge"), hidden_size=128, num_heads=2)


@pytest.fixture(scope="module")
def backend(judge_dir: Path):  # type: ignore[no-untyped-def]
    from judgeforge.backends.vllm_offline import VLLMBackend, VLLMOptions

    return VLLMBackend(
        VLLMOptions(model=str(judge_dir), dtype="float32", max_model_len=1024, enforce_eager=True)
    )


def direct_prompts() -> list:
    renderer = PromptRenderer("prometheus2", "mistral-inst")
    return [renderer.direct(item) for item in direct_items(4, offset=90)]


def test_offline_engine_matches_transformers_and_gives_logprobs(backend, judge_dir: Path) -> None:  # type: ignore[no-untyped-def]
    reference = TransformersBackend(TransformersOptions(model=str(judge_dir)))
    expected = [c.text for c in reference.generate_sync(direct_prompts(), GREEDY)]
    params = GREEDY.model_copy(update={"logprobs": True, "top_logprobs": 5})
    got = asyncio.run(backend.generate(direct_prompts(), params))
    assert sum(a == b.text for a, b in zip(expected, got)) >= len(expected) - 1
    assert all(c.logprobs and "".join(t.token for t in c.logprobs) == c.text for c in got)
    assert backend.encode(direct_prompts()[0])[0] == backend.tokenizer.bos_token_id


def test_offline_engine_in_judge_both_protocols(backend) -> None:  # type: ignore[no-untyped-def]
    full = Judge(backend, sampling=SAMPLING, logprobs=True).grade_many(direct_items(3))
    assert all(j.verdicts[0].ok and j.verdicts[0].probabilities for j in full)
    fast = Judge(backend, sampling=SAMPLING, score_only=True).compare_many(pair_items(2))
    assert all(j.extra["protocol"] == SCORE_ONLY_PROTOCOL and j.winner in ("A", "B") for j in fast)
    seeded = SamplingParams(max_tokens=8, temperature=1.0, seed=5)
    first = backend.generate_sync(direct_prompts(), seeded)
    assert [c.text for c in first] == [c.text for c in backend.generate_sync(direct_prompts(), seeded)]


@pytest.fixture(scope="module")
def vllm_server(judge_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(judge_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--served-model-name", "judge"]
    command += ["--dtype", "float32", "--max-model-len", "1024", "--enforce-eager"]
    with local_server(command, port, name="vllm", startup_timeout=600, stop_timeout=30) as base_url:
        yield base_url


def test_openai_server_with_openai_compat(vllm_server: str, backend) -> None:  # type: ignore[no-untyped-def]
    client = OpenAICompatBackend(
        OpenAICompatOptions(base_url=vllm_server, model="judge", endpoint="completions")
    )
    over_http = asyncio.run(client.generate(direct_prompts(), GREEDY))
    # the server tokenizes the text itself (adding BOS), so it sees the same tokens as the offline engine
    offline = backend.generate_sync(direct_prompts(), GREEDY)
    assert sum(a.text == b.text for a, b in zip(over_http, offline)) >= len(offline) - 1
    full = Judge(client, sampling=SAMPLING, logprobs=True).grade_many(direct_items(2))
    assert all(j.verdicts[0].ok and j.verdicts[0].probabilities for j in full)
