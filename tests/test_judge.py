from __future__ import annotations

import pytest

from judgeforge import Judge
from judgeforge.backends import create_backend
from judgeforge.backends.fake import FakeBackend
from judgeforge.errors import ConfigError
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem, PairItem
from support.scripted import ScriptedBackend

RUBRIC = load_rubric("helpfulness")
REFERENCE = "Rinse the rice, boil two cups of water per cup of rice, simmer covered for 15 minutes."


def test_grade_and_compare_with_fake_backend_are_deterministic() -> None:
    first = Judge("fake").grade("How to cook rice?", "Rinse and simmer 15 minutes.", "helpfulness", REFERENCE)
    second = Judge("fake").grade(
        "How to cook rice?", "Rinse and simmer 15 minutes.", "helpfulness", REFERENCE
    )
    assert first == second
    assert first.verdicts[0].feedback and first.failure is None
    assert first.verdicts[0].raw.endswith(f"[RESULT] {first.score:.0f}")  # the score is the output's verdict
    # The fake's verdict follows the response's overlap with the reference (jitter at most one point).
    best = Judge("fake").grade("How to cook rice?", REFERENCE, RUBRIC, REFERENCE)
    worst = Judge("fake").grade("How to cook rice?", "Buy bread.", RUBRIC, REFERENCE)
    assert best.score is not None and best.score >= 4
    assert worst.score is not None and worst.score <= 2
    pairs = [
        Judge("fake").compare(
            "How to cook rice?", "Buy bread.", "Rinse, boil, simmer 15 minutes.", RUBRIC, REFERENCE
        )
        for _ in range(2)
    ]
    assert pairs[0] == pairs[1] and pairs[0].winner == "B"


def test_parse_failure_is_regenerated_with_a_new_seed() -> None:
    backend = ScriptedBackend(["no verdict here", "Feedback: fine. [RESULT] 4"])
    judgment = Judge(backend, sampling={"seed": 7}).grade("i", "r", RUBRIC)
    assert judgment.score == 4.0
    assert judgment.verdicts[0].attempts == 2
    seeds = [params.seed for _, params in backend.calls]
    assert len(set(seeds)) == 2 and seeds[0] == 7


def test_failure_after_all_attempts_keeps_raw_output() -> None:
    backend = ScriptedBackend(["garbage 1", "garbage 2", "garbage 3"])
    judgment = Judge(backend, max_attempts=3).grade("i", "r", RUBRIC)
    assert judgment.score is None
    assert judgment.failure == "no [RESULT] marker"
    assert judgment.verdicts[0].raw == "garbage 3"
    assert judgment.verdicts[0].attempts == 3


def test_fake_first_attempt_garbage_recovers_and_garbage_rate_one_fails() -> None:
    recovered = Judge("fake", backend_options={"first_attempt_garbage": "true"}).grade(
        "i", "some answer", RUBRIC
    )
    assert recovered.failure is None and recovered.verdicts[0].attempts == 2
    failed = Judge("fake", backend_options={"garbage_rate": "1"}, max_attempts=2).grade("i", "r", RUBRIC)
    assert failed.failure == "no [RESULT] marker" and failed.score is None


def test_backend_errors_become_failures_in_batches() -> None:
    judge = Judge("fake", backend_options={"fail_rate": 1.0}, max_attempts=2)
    judgment = judge.grade("i", "r", RUBRIC)
    assert judgment.failure is not None and judgment.failure.startswith("backend error")


def test_samples_are_aggregated_with_agreement() -> None:
    judge = Judge("fake", samples=5, aggregate="median", sampling={"seed": 1})
    judgment = judge.grade("How to cook rice?", "Rinse and simmer.", RUBRIC, REFERENCE)
    scores = sorted(v.score for v in judgment.verdicts if v.score is not None)
    assert len(scores) == 5
    assert judgment.score == float(scores[2])
    assert judgment.agreement is not None and 0.2 <= judgment.agreement <= 1.0


def test_batch_forms_take_per_item_rubrics_and_references() -> None:
    backend = ScriptedBackend(["[RESULT] 5", "[RESULT] 1", "[RESULT] A"])
    judge = Judge(backend, chat_format="none")
    items = [
        DirectItem(id="a", instruction="i1", response="r1", rubric=RUBRIC, reference_answer="ref one"),
        DirectItem(id="b", instruction="i2", response="r2", rubric=load_rubric("honesty")),
    ]
    judgments = judge.grade_many(items)
    assert [(j.item_id, j.score) for j in judgments] == [("a", 5.0), ("b", 1.0)]
    texts = backend.calls[0][0]
    assert "###Reference Answer (Score 5):\nref one" in texts[0]
    assert "Reference Answer" not in texts[1] and "truthfulness" in texts[1]
    pair = PairItem(id="p", instruction="i", response_a="x", response_b="y", rubric=RUBRIC)
    assert judge.compare_many([pair])[0].winner == "A"


def test_sampling_defaults_follow_the_paper_and_overrides_merge() -> None:
    judge = Judge("fake", sampling={"temperature": 0.0})
    assert judge.sampling.temperature == 0.0
    assert (judge.sampling.max_tokens, judge.sampling.top_p, judge.sampling.repetition_penalty) == (
        1024,
        0.9,
        1.03,
    )
    with pytest.raises(ConfigError, match="temprature"):
        Judge("fake", sampling={"temprature": 0.5})


def test_backend_options_from_strings_are_validated() -> None:
    backend = create_backend("fake", {"latency_ms": "5", "fail_rate": "0.25"})
    assert isinstance(backend, FakeBackend)
    assert backend.options.latency_ms == 5.0 and backend.options.fail_rate == 0.25
    with pytest.raises(ConfigError, match="fail_rate"):
        create_backend("fake", {"fail_rate": "2"})
    with pytest.raises(ConfigError, match="unknown backend 'nope'"):
        create_backend("nope")


@pytest.mark.parametrize(
    ("response", "reference", "shared"),
    [
        ("Boil the RICE, then rest it.", "rice: boil; rest! fluff", "75%"),  # case and punctuation
        ("a\x1cb c\x1fd e\tf", "b d f g", "75%"),  # \x1c-\x1f separate words like any whitespace
        ("caf\u00e9 au lait", "CAF\u00c9 lait", "100%"),  # non-ASCII letters, any case
        ("plain words", "words\u2003and\u00a0more", "33%"),  # Unicode whitespace in the reference
        ("Caf\u00e9, please", "cafe please", "50%"),  # an accent makes another word
        # every ASCII character: punctuation splits, upper case folds, control characters stay in words
        ("".join(map(chr, range(128))) * 2, "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ q", "67%"),
    ],
)
def test_fake_grades_by_the_share_of_reference_words_used(response: str, reference: str, shared: str) -> None:
    """The fake's feedback reports the share of the reference's distinct words the response uses: words
    split at whitespace and punctuation, compared case-insensitively, for ASCII and other text alike."""
    judgment = Judge("fake").grade("How?", response, RUBRIC, reference)
    assert judgment.failure is None
    assert f"It shares about {shared} of the key terms" in str(judgment.verdicts[0].feedback)


def test_required_returns_the_value_or_raises_parse_error() -> None:
    from judgeforge import Judge, ParseError

    judge = Judge("fake", check_preset=False)
    good = judge.grade("Cook rice?", "Boil it.", "helpfulness")
    assert good.required() == good.score and good.verdicts[0].required() == good.verdicts[0].score
    garbage = Judge("fake", backend_options={"garbage_rate": 1.0}, max_attempts=1, check_preset=False)
    failed = garbage.grade("Cook rice?", "Boil it.", "helpfulness")
    with pytest.raises(ParseError, match="has no verdict"):
        failed.required()
    with pytest.raises(ParseError, match="raw output"):
        failed.verdicts[0].required()
