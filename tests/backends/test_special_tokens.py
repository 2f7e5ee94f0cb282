"""In-process backends hand the parser text without trailing special tokens (issue item 1, backend side).

transformers: ``decode_rows`` decodes with ``skip_special_tokens=True`` and also strips the texts of the
tokenizer's special tokens that still end the output (a model that spells ``</s>`` with ordinary tokens).
"""

from __future__ import annotations

from typing import Any

import pytest

from judgeforge.backends.hf_decode import Pieces, decode_rows, special_tail_start
from judgeforge.parsing import parse_verdict
from judgeforge.sampling import SamplingParams

SPECIALS = ("<s>", "</s>", "<unk>", "<pad>", "<|im_end|>")

# (text, where the special tail starts)
TAILS = [
    ("[RESULT] 4", 10),
    ("[RESULT] 4\n", 11),  # whitespace alone is not a tail: the text is kept as written
    ("[RESULT] 4</s>", 10),
    ("[RESULT] 4 </s>", 10),
    ("[RESULT] 4</s></s>", 10),
    ("[RESULT] 4 </s>\n<pad><pad>", 10),
    ("[RESULT] B<|im_end|>", 10),
    ("[RESULT] B\n<|im_end|>\n", 10),
    ("</s>", 0),
    ("", 0),
    ("[RESULT] 4</s> or 5", 19),  # only the end of the text
    ("[RESULT] 4</", 12),
]


@pytest.mark.parametrize(("text", "start"), TAILS)
def test_special_tail_start(text: str, start: int) -> None:
    assert special_tail_start(text, SPECIALS) == start


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    pytest.importorskip("transformers")
    from judgeforge.toy.tiny import train_tokenizer

    tok = train_tokenizer(
        ["Feedback: The response is fine. [RESULT] 4 B </s> <|im_end|>"] * 4, vocab_size=300
    )
    tok.add_special_tokens({"additional_special_tokens": ["<|im_end|>"]})
    return tok


def literal(tokenizer: Any, text: str) -> list[int]:
    """``text`` as ordinary byte-level tokens, one per character (never the special token's id)."""
    ids: list[int] = tokenizer.convert_tokens_to_ids([{" ": "\u0120"}.get(char, char) for char in text])
    assert tokenizer.unk_token_id not in ids
    return ids


# (tail appended after the verdict, as token ids built from the tokenizer)
def generated_rows(tokenizer: Any) -> list[tuple[str, list[int]]]:
    body = tokenizer("Feedback: The response is fine. [RESULT] 4", add_special_tokens=False)["input_ids"]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    eos = tokenizer.eos_token_id
    return [
        ("spelled </s>", [*body, *literal(tokenizer, "</s>")]),
        ("spelled </s> twice, spaced", [*body, *literal(tokenizer, " </s></s>")]),
        ("spelled <|im_end|> then eos", [*body, *literal(tokenizer, "<|im_end|>"), eos]),
        ("special <|im_end|> id then eos", [*body, im_end, eos]),
        ("eos id", [*body, eos]),
    ]


def test_transformers_decoding_strips_trailing_special_tokens(tokenizer: Any) -> None:
    torch = pytest.importorskip("torch")
    rows = generated_rows(tokenizer)
    prompts = [[1, 2, 3]] * len(rows)
    generated = [ids for _, ids in rows]
    steps = max(len(ids) for ids in generated)
    logprobs = torch.full((len(rows), steps, len(tokenizer)), -5.0).log_softmax(dim=-1)
    params = SamplingParams(logprobs=True, top_logprobs=2)
    completions = decode_rows(
        tokenizer, Pieces(tokenizer), prompts, generated, logprobs, params, {tokenizer.eos_token_id}
    )
    for (name, _), completion in zip(rows, completions, strict=True):
        assert completion.text == "Feedback: The response is fine. [RESULT] 4", name
        assert completion.logprobs is not None
        assert "".join(entry.token for entry in completion.logprobs) == completion.text, name
        verdict = parse_verdict(completion.text, "absolute")
        assert (verdict.score, verdict.failure) == (4, None), name
