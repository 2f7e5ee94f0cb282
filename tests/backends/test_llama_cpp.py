"""llama.cpp on the tiny judge converted to GGUF: in-process, and behind its real OpenAI-compatible server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tiny_judge import RUBRIC, direct_items, pair_items

from judgeforge import Judge
from judgeforge.backends.hf import TransformersBackend, TransformersOptions
from judgeforge.backends.llamacpp import LlamaCppBackend, LlamaCppOptions
from judgeforge.backends.middleware import ReliableBackend
from judgeforge.backends.openai_compat import OpenAICompatBackend, OpenAICompatOptions
from judgeforge.judge.scoring import SCORE_ONLY_PROTOCOL
from judgeforge.prompts import PromptRenderer
from judgeforge.records import Completion, DirectItem, GenerationFailure
from judgeforge.sampling import SamplingParams

pytest.importorskip("llama_cpp")

GREEDY = SamplingParams(max_tokens=24, temperature=0.0, repetition_penalty=1.0)
SAMPLING = {"max_tokens": 24, "temperature": 0.0, "repetition_penalty": 1.0}


@pytest.fixture(scope="module")
def in_process(tiny_gguf: Path) -> LlamaCppBackend:
    return LlamaCppBackend(LlamaCppOptions(model_path=str(tiny_gguf), n_ctx=1024, n_threads=1, logprobs=True))


def server_backend(base_url: str, **options: object) -> OpenAICompatBackend:
    return OpenAICompatBackend(
        OpenAICompatOptions(
            base_url=base_url,
            model="judge",
            repetition_penalty_field="repeat_penalty",
            timeout=60,
            **options,  # type: ignore[arg-type]
        )
    )


def prompts() -> list:
    renderer = PromptRenderer("prometheus2", "mistral-inst")
    return [renderer.direct(item) for item in direct_items(3, offset=70)] + [renderer.pair(pair_items(1)[0])]


def test_gguf_conversion_keeps_the_model(in_process: LlamaCppBackend, tiny_judge_dir: Path) -> None:
    """Same tokens in, same greedy text out as the safetensors model under transformers, except where the
    reference itself is at a near tie (fp32 kernels differ in the last bits)."""
    reference = TransformersBackend(TransformersOptions(model=str(tiny_judge_dir)))
    params = GREEDY.model_copy(update={"logprobs": True, "top_logprobs": 2})
    expected = reference.generate_sync(prompts(), params)
    got = asyncio.run(in_process.generate(prompts(), GREEDY))
    identical = 0
    for want, have in zip(expected, got):
        if want.text == have.text:
            identical += 1
            continue
        assert want.logprobs is not None
        offset = 0
        for position in want.logprobs:  # find where the texts part and check it was a near tie
            if have.text[: offset + len(position.token)] != want.text[: offset + len(position.token)]:
                first, second = sorted(position.top.values(), reverse=True)[:2]
                assert first - second < 0.2, (want.text, have.text)
                break
            offset += len(position.token)
    assert identical >= len(expected) - 1
    assert in_process.identity()["model"] == "tiny-judge.gguf"


def test_in_process_judge_with_logprobs(in_process: LlamaCppBackend) -> None:
    [judgment] = Judge(in_process, sampling=SAMPLING, logprobs=True).grade_many(direct_items(1, offset=3))
    [verdict] = judgment.verdicts
    assert verdict.ok and verdict.probabilities is not None and verdict.expected_score is not None


def test_server_completions_endpoint_matches_in_process(
    llama_server: str, in_process: LlamaCppBackend
) -> None:
    server = server_backend(llama_server, endpoint="completions")
    params = GREEDY.model_copy(update={"logprobs": True, "top_logprobs": 5})
    direct = prompts()[:3]  # confident items; the pair item sits at a near tie in this tiny model
    over_http = asyncio.run(server.generate(direct, params))
    local = asyncio.run(in_process.generate(direct, params))
    assert [c.text for c in over_http] == [c.text for c in local]
    for remote, here in zip(over_http, local):
        assert remote.logprobs is not None and here.logprobs is not None
        assert [t.logprob for t in remote.logprobs] == pytest.approx(
            [t.logprob for t in here.logprobs], abs=1e-3
        )
        assert remote.usage.completion_tokens == here.usage.completion_tokens > 0
    assert server.requests_sent == len(direct)


def test_server_judges_with_both_protocols_and_chat_endpoint(llama_server: str) -> None:
    completions = server_backend(llama_server, endpoint="completions")
    full = Judge(completions, sampling=SAMPLING, logprobs=True).grade_many(direct_items(2))
    assert all(j.verdicts[0].ok and j.verdicts[0].probabilities for j in full)
    fast = Judge(completions, sampling=SAMPLING, score_only=True).compare_many(pair_items(2))
    assert all(j.extra["protocol"] == SCORE_ONLY_PROTOCOL and j.winner in ("A", "B") for j in fast)
    # the server applies the GGUF's chat template, which rejects a system role: merge it into the user turn
    chat = server_backend(llama_server, endpoint="chat", system_role="merge")
    [judgment] = Judge(chat, sampling=SAMPLING).grade_many(direct_items(1))
    assert judgment.verdicts[0].raw  # the model answered through the chat template


def test_server_input_error_fails_that_prompt_at_once(llama_server: str) -> None:
    backend = server_backend(llama_server, endpoint="completions")
    too_long = DirectItem(instruction="rice " * 3000, response="boil", rubric=RUBRIC)
    renderer = PromptRenderer()
    fine = renderer.direct(DirectItem(instruction="Cook rice?", response="boil", rubric=RUBRIC))
    outcomes = asyncio.run(ReliableBackend(backend).generate([renderer.direct(too_long), fine], GREEDY))
    assert isinstance(outcomes[0], GenerationFailure) and outcomes[0].kind == "permanent"
    assert isinstance(outcomes[1], Completion)
    assert backend.requests_sent == 2
