"""The transformers backend on the tiny taught judge: batching, padding, seeds, logprobs, both protocols."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from tiny_judge import direct_items, pair_items

from judgeforge import Judge
from judgeforge.backends.hf import TransformersBackend, TransformersOptions
from judgeforge.prompts import PromptRenderer
from judgeforge.sampling import SamplingParams
from judgeforge.scoring import SCORE_ONLY_PROTOCOL

GREEDY = SamplingParams(max_tokens=24, temperature=0.0, repetition_penalty=1.0)


@pytest.fixture(scope="module")
def backend(tiny_judge_dir: Path) -> TransformersBackend:
    return TransformersBackend(TransformersOptions(model=str(tiny_judge_dir), batch_size=4))


@pytest.fixture(scope="module")
def prompts() -> list:
    renderer = PromptRenderer("prometheus2", "mistral-inst")
    return [renderer.direct(item) for item in direct_items(5, offset=50)] + [renderer.pair(pair_items(1)[0])]


def test_batched_left_padded_generation_equals_one_by_one(
    backend: TransformersBackend, prompts: list, tiny_judge_dir: Path
) -> None:
    batched = backend.generate_sync(prompts, GREEDY)
    single = TransformersBackend(TransformersOptions(model=str(tiny_judge_dir), batch_size=1))
    one_by_one = [single.generate_sync([prompt], GREEDY)[0] for prompt in prompts]
    assert [c.text for c in batched] == [c.text for c in one_by_one]
    assert [c.usage for c in batched] == [c.usage for c in one_by_one]
    # the taught judge writes its own feedback and verdict, and stops at </s>
    assert all("[RESULT]" in c.text and c.finish_reason == "stop" for c in batched)
    assert len({c.usage.prompt_tokens for c in batched}) > 1  # lengths differed: padding was exercised


def test_prompt_starts_with_one_bos_whichever_chat_format(
    backend: TransformersBackend, tiny_judge_dir: Path
) -> None:
    item = direct_items(1)[0]
    bos = backend.tokenizer.bos_token_id
    inst = backend.encode(PromptRenderer("prometheus2", "mistral-inst").direct(item))
    templated = backend.encode(PromptRenderer("prometheus2", "tokenizer", backend.tokenizer).direct(item))
    assert inst[0] == bos and inst[1] != bos
    assert templated[0] == bos and templated[1] != bos


def test_seeded_sampling_is_reproducible_and_stop_strings_cut(
    backend: TransformersBackend, prompts: list
) -> None:
    sampled = SamplingParams(max_tokens=12, temperature=1.5, top_p=1.0, seed=3)
    first = backend.generate_sync(prompts[:3], sampled)
    again = backend.generate_sync(prompts[:3], sampled)
    assert [c.text for c in first] == [c.text for c in again]
    [cut] = backend.generate_sync(prompts[:1], GREEDY.model_copy(update={"stop": ("[RESULT]",)}))
    assert "[RESULT]" not in cut.text and cut.finish_reason == "stop" and cut.text.startswith("Feedback")


def test_logprobs_are_the_models_own_distribution(backend: TransformersBackend, prompts: list) -> None:
    params = GREEDY.model_copy(update={"logprobs": True, "top_logprobs": 5})
    [completion] = asyncio.run(backend.generate(prompts[:1], params))
    assert completion.logprobs is not None
    assert "".join(t.token for t in completion.logprobs) == completion.text
    for position in completion.logprobs:
        best = max(position.top.values())
        assert position.logprob == pytest.approx(best, abs=1e-5)  # greedy picks the top token
        assert sum(math.exp(v) for v in position.top.values()) <= 1.0 + 1e-4


def test_feedback_then_score_and_score_only_protocols(backend: TransformersBackend) -> None:
    sampling = {"max_tokens": 24, "temperature": 0.0, "repetition_penalty": 1.0}
    items = direct_items(4, offset=20)
    full = Judge(backend, sampling=sampling, logprobs=True).grade_many(items)
    fast = Judge(backend, sampling=sampling, score_only=True).grade_many(items)
    for judgment in full:
        [verdict] = judgment.verdicts
        assert verdict.ok and verdict.feedback and verdict.probabilities is not None
        assert sum(verdict.probabilities.values()) == pytest.approx(1.0)
        assert 1.0 <= (verdict.expected_score or 0) <= 5.0
        # the parsed verdict is the value the model wrote; greedy wrote its most likely value
        assert verdict.score == int(max(verdict.probabilities, key=verdict.probabilities.__getitem__))
    for judgment in fast:
        [verdict] = judgment.verdicts
        assert judgment.extra["protocol"] == SCORE_ONLY_PROTOCOL
        assert verdict.ok and verdict.feedback == "" and verdict.raw.startswith("[RESULT] ")
        assert judgment.usage.completion_tokens <= 2 * len(judgment.verdicts)
    pairs = Judge(backend, sampling=sampling, logprobs=True).compare_many(pair_items(2))
    assert all(j.verdicts[0].probabilities and set(j.verdicts[0].probabilities) == {"A", "B"} for j in pairs)


def test_preset_with_tokenizer_chat_format_uses_the_models_template(backend: TransformersBackend) -> None:
    judge = Judge.from_preset("m-prometheus-3b", backend)
    prompt = judge.renderer.direct(direct_items(1)[0])
    # the tiny template rejects a system role: the system prompt is joined to the user turn
    assert prompt.text.startswith("<s>[INST] You are a fair judge assistant")
    assert prompt.text.endswith(" [/INST]")


def test_short_greedy_with_shared_prefix_equals_generate(
    backend: TransformersBackend, prompts: list, tiny_judge_dir: Path
) -> None:
    plain = TransformersBackend(
        TransformersOptions(model=str(tiny_judge_dir), batch_size=4, share_prefix=False)
    )
    written = plain.generate_sync(prompts, GREEDY.model_copy(update={"max_tokens": 400}))
    # half the prompts continue just before the verdict, so those rows stop at </s> within the budget
    forced = [
        prompt.model_copy(update={"text": prompt.text + done.text.split("[RESULT]")[0] + "[RESULT]"})
        if number % 2
        else prompt
        for number, (prompt, done) in enumerate(zip(prompts, written))
    ]
    params = GREEDY.model_copy(update={"max_tokens": 8, "logprobs": True, "top_logprobs": 5})
    shared = backend.generate_sync(forced, params)
    reference = plain.generate_sync(forced, params)
    assert [c.text for c in shared] == [c.text for c in reference]
    assert [c.finish_reason for c in shared] == [c.finish_reason for c in reference]
    assert {c.finish_reason for c in shared} == {"stop", "length"}
    assert [c.usage for c in shared] == [c.usage for c in reference]
    for ours, theirs in zip(shared, reference):
        assert ours.logprobs is not None and theirs.logprobs is not None
        assert [t.token for t in ours.logprobs] == [t.token for t in theirs.logprobs]
        for mine, other in zip(ours.logprobs, theirs.logprobs):
            assert mine.logprob == pytest.approx(other.logprob, abs=1e-4)
            assert mine.top.keys() == other.top.keys()


def test_the_shared_prefix_loop_is_used_only_where_forward_takes_its_arguments(
    backend: TransformersBackend,
) -> None:
    from judgeforge.backends.hf_prefix import cache_keyword

    class OlderModel:  # a forward from before logits_to_keep: generate() is used instead
        def forward(self, input_ids: object = None, attention_mask: object = None) -> None: ...

    assert cache_keyword(backend.model) in ("cache", "past_key_values")
    assert cache_keyword(OlderModel()) is None
