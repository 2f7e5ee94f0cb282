"""Turning generated token ids (and their log-probabilities) into :class:`Completion` records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from judgeforge.records import Completion, TokenLogprob, Usage
from judgeforge.sampling import SamplingParams


class Pieces:
    """The text of single tokens, decoded once per token id (log-probability alternatives repeat a lot)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self._texts: dict[int, str] = {}

    def __call__(self, token: int) -> str:
        text = self._texts.get(token)
        if text is None:
            text = self._texts[token] = str(self.tokenizer.decode([token], skip_special_tokens=False))
        return text


def decode_rows(
    tokenizer: Any,
    pieces: Pieces,
    prompts: Sequence[Sequence[int]],
    generated: Sequence[Sequence[int]],
    logprobs: Any | None,
    params: SamplingParams,
    stop_ids: set[int],
) -> list[Completion]:
    """One completion per row: cut at the first stop token and at the first stop string.

    Special tokens are skipped when decoding, and the ones that end the output (e.g. an end-of-turn token that
    is not a stop token) are dropped with their logprobs; the texts of special tokens that still end the text
    (a model that spells ``</s>`` with ordinary tokens) are stripped too, so the parser sees the verdict.
    ``logprobs`` is a ``[rows, steps, vocab]`` tensor of log-probabilities (or None).
    """
    specials = tuple(token for token in getattr(tokenizer, "all_special_tokens", ()) if token)
    special_ids = set(getattr(tokenizer, "all_special_ids", ()))
    completions = []
    for row, (prompt, tokens) in enumerate(zip(prompts, generated)):
        length = next((i for i, token in enumerate(tokens) if token in stop_ids), len(tokens))
        hit_eos = length < len(tokens)
        kept = list(tokens[:length])
        while kept and kept[-1] in special_ids:
            kept.pop()
        text = tokenizer.decode(kept, skip_special_tokens=True)
        cut = _first_stop(text, params.stop)
        if cut is not None:
            text = text[:cut]
        end = special_tail_start(text, specials)
        limit = end if end < len(text) else cut
        text = text[:end]
        token_logprobs = None
        if logprobs is not None:
            token_logprobs = _token_logprobs(pieces, kept, logprobs[row], params.top_logprobs, limit)
        completions.append(
            Completion(
                text=text,
                logprobs=token_logprobs,
                usage=Usage(prompt_tokens=len(prompt), completion_tokens=length + int(hit_eos)),
                finish_reason="stop" if hit_eos or cut is not None else "length",
            )
        )
    return completions


def special_tail_start(text: str, specials: Sequence[str]) -> int:
    """Where the run of ``specials`` (and the whitespace around them) that ends ``text`` starts.

    ``len(text)`` when ``text`` does not end with one of them.
    """
    end, trimmed = len(text), text.rstrip()
    while token := next((special for special in specials if trimmed.endswith(special)), None):
        trimmed = trimmed[: -len(token)].rstrip()
        end = len(trimmed)
    return end


def _first_stop(text: str, stops: Sequence[str]) -> int | None:
    positions = [text.find(stop) for stop in stops if stop and stop in text]
    return min(positions) if positions else None


def _token_logprobs(
    pieces: Pieces, tokens: list[int], steps: Any, top_k: int, limit: int | None
) -> tuple[TokenLogprob, ...]:
    """Per kept token: its logprob and the ``top_k`` best alternatives (up to ``limit`` characters if cut)."""
    out: list[TokenLogprob] = []
    offset = 0
    for step, token in enumerate(tokens):
        if limit is not None and offset >= limit and out:
            break
        row = steps[step]
        text = pieces(token)
        top: dict[str, float] = {}
        if top_k > 0:
            values, ids = row.topk(top_k)
            for value, alternative in zip(values.tolist(), ids.tolist()):
                piece = pieces(alternative)
                # Different ids can decode to the same text (e.g. byte fallbacks); keep the likelier one.
                top.setdefault(piece, float(value))
        out.append(TokenLogprob(token=text, logprob=float(row[token]), top=top))
        offset += len(text)
    return tuple(out)
