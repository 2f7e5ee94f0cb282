"""The transformers backend on the tiny taught judge: batching, padding, seeds, logprobs, both protocols."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from tiny_judge import direct_items, pair_items

from judgeforge import Judge
from judgeforge.backends.hf import TransformersBackend, TransformersOptions
from judgeforge.judge.scoring import SCORE_ONLY_PROTOCOL
from judgeforge.prompts import PromptRenderer
from judgeforge.sampling import SamplingParams

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


def test_common_prefix_length_leaves_each_row_a_token_unless_told_not_to() -> None:
    from judgeforge.backends.hf_prefix import common_prefix_length

    assert common_prefix_length([[1, 2, 3, 4], [1, 2, 3, 9], (1, 2, 3, 4, 5)]) == 3
    assert common_prefix_length([[1, 2, 3], [1, 2, 3]]) == 2
    assert common_prefix_length([[1, 2, 3], [1, 2, 3]], keep_last=False) == 3
    assert common_prefix_length([[7, 2], [1, 2]]) == 0
    assert common_prefix_length([[1], [1]]) == 0
    assert common_prefix_length([list(range(300)), [*range(137), -1], list(range(200))]) == 137


def test_the_kept_prompt_head_settles_on_what_batches_share_and_matches_a_fresh_prefill(
    backend: TransformersBackend, prompts: list
) -> None:
    import torch

    from judgeforge.backends.hf_prefix import HeadCache, cache_keyword, common_prefix_length

    keyword = cache_keyword(backend.model)
    assert keyword is not None
    heads = HeadCache(torch, backend.model, keyword)
    first, second = backend.encode(prompts[0]), backend.encode(prompts[1])
    template_head = common_prefix_length([first, second])
    assert 20 < template_head < 250 < min(len(first), len(second))

    def next_logits(cache: object, tokens: list[int]) -> torch.Tensor:
        with torch.inference_mode():
            position = torch.tensor([[len(tokens) - 1]])
            out = backend.model(
                input_ids=torch.tensor([tokens[-1:]]),
                position_ids=position,
                logits_to_keep=1,
                **{keyword: cache},
            )
            return out.logits[0, -1]

    def fresh_logits(tokens: list[int]) -> torch.Tensor:
        with torch.inference_mode():
            return backend.model(input_ids=torch.tensor([tokens]), logits_to_keep=1).logits[0, -1]

    heads.prefilled(first[:250])
    assert heads.tokens == tuple(first[:250])
    cache = heads.prefilled(second[:250])  # diverges inside the kept head: only the shared part is kept
    assert heads.tokens == tuple(first[:template_head])
    assert torch.allclose(next_logits(cache, second[:251]), fresh_logits(second[:251]), atol=1e-4)
    cache = heads.prefilled(first[:260])  # starts with the kept head: extended from a copy of it
    assert heads.tokens == tuple(first[:template_head])
    assert torch.allclose(next_logits(cache, first[:261]), fresh_logits(first[:261]), atol=1e-4)
    # the copies handed out are private: extending one left the kept head as it was
    cache = heads.prefilled(first[:template_head])
    assert torch.allclose(
        next_logits(cache, first[: template_head + 1]), fresh_logits(first[: template_head + 1]), atol=1e-4
    )


def test_score_only_batches_give_the_same_results_whatever_was_graded_before(
    backend: TransformersBackend, tiny_judge_dir: Path
) -> None:
    cold = TransformersBackend(TransformersOptions(model=str(tiny_judge_dir), batch_size=3))
    items = direct_items(6, offset=120)
    judge = Judge(backend, score_only=True)
    fresh = [Judge(cold, score_only=True).grade_many(items[i : i + 3]) for i in (3, 0)]
    judge.grade_many(items[:3])
    warm = [judge.grade_many(items[i : i + 3]) for i in (3, 0)]
    for cold_batch, warm_batch in zip(fresh, warm):
        for one, other in zip(cold_batch, warm_batch):
            [mine], [theirs] = one.verdicts, other.verdicts
            assert mine.score == theirs.score and mine.raw == theirs.raw
            assert mine.probabilities == pytest.approx(theirs.probabilities, abs=1e-4)


def test_token_ids_come_straight_from_the_rust_tokenizer_only_in_the_state_the_call_would_set(
    tiny_judge_dir: Path, prompts: list
) -> None:
    fresh = TransformersBackend(TransformersOptions(model=str(tiny_judge_dir)))
    texts = [prompt.text for prompt in prompts]
    expected = fresh.tokenizer(texts, add_special_tokens=False)["input_ids"]
    assert [ids[1:] for ids in fresh.encode_all(prompts)] == expected  # after the BOS the backend adds
    fresh.tokenizer.backend_tokenizer.enable_truncation(max_length=10)  # a state the call would undo
    assert [ids[1:] for ids in fresh.encode_all(prompts)] == expected
