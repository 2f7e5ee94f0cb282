"""The completion cache: round trips and what its key depends on."""

from __future__ import annotations

from pathlib import Path

from judgeforge.backends import create_backend
from judgeforge.backends.cache import CompletionCache
from judgeforge.prompts import PromptRenderer
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import Completion, DirectItem, TokenLogprob, Usage
from judgeforge.sampling import SamplingParams

FAKE = create_backend("fake")


def _prompt(response: str):  # type: ignore[no-untyped-def]
    item = DirectItem(instruction="q", response=response, rubric=load_rubric("honesty"))
    return PromptRenderer().direct(item)


def test_round_trip_with_logprobs_and_group_commits(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    completion = Completion(
        text="Good. [RESULT] 4",
        logprobs=(TokenLogprob(token="4", logprob=-0.1, top={"4": -0.1, "5": -2.5}),),
        usage=Usage(prompt_tokens=12, completion_tokens=5),
        finish_reason="stop",
    )
    cache = CompletionCache(path, commit_every=1000, commit_seconds=3600)
    [key] = cache.keys(FAKE, SamplingParams(), [_prompt("a")])
    cache.put_many([(key, completion)])
    assert cache.get_many([key]) == {key: completion}  # visible before the commit
    cache.close()  # commits
    reopened = CompletionCache(path)
    assert reopened.get_many([key]) == {key: completion}
    assert (reopened.hits, reopened.misses) == (1, 0)
    reopened.close()


def test_key_depends_on_everything_that_changes_an_output(tmp_path: Path) -> None:
    cache = CompletionCache(tmp_path / "c.sqlite")
    base = SamplingParams(seed=1)
    prompt = _prompt("a")
    [reference] = cache.keys(FAKE, base, [prompt])
    variants = [
        cache.keys(create_backend("fake", {"model": "other"}), base, [prompt]),
        cache.keys(FAKE, base.merged({"seed": 2}), [prompt]),
        cache.keys(FAKE, base.merged({"temperature": 0.0}), [prompt]),
        cache.keys(FAKE, base.model_copy(update={"sample_index": 1}), [prompt]),
        cache.keys(FAKE, base.model_copy(update={"attempt": 1}), [prompt]),
        cache.keys(FAKE, base, [_prompt("b")]),
    ]
    keys = [reference] + [key for [key] in variants]
    assert len(set(keys)) == len(keys)
    assert cache.keys(FAKE, SamplingParams(seed=1), [prompt]) == [reference]
    cache.close()
