"""Short greedy generation that computes the batch's common prompt prefix once.

Score-only scoring asks for one or two greedy tokens after a ~300-token prompt, so nearly all of its cost is
the prefill, and judge prompts share a long head (system prompt, task description, often the instruction).
This loop runs that shared head once with batch size 1, repeats its key/value cache across the batch, and
prefills only each row's remaining tokens, left-padded *between* the shared head and the row (the attention
mask has a hole there; position ids continue from the head, so every row sees exactly its own token
positions). Decoding then proceeds one token per row with the cache, as ``generate`` would, but with only the
last position's logits computed.

The head's cache is also kept across calls (:class:`HeadCache`): a run grades thousands of prompts with the
same template head, so after the first batches only the part past the head that every batch shares is
computed again (nothing, typically: the head ends where the instruction begins).

The result is the same greedy tokens and log-probabilities as ``model.generate`` up to floating-point
rounding of the differently shaped matrix products (the tests compare both). Used by the transformers backend
for greedy requests without repetition penalty of at most :data:`SHORT_GENERATION` tokens, on models whose
``forward`` takes ``logits_to_keep`` and ``position_ids`` (:func:`cache_keyword`); others use ``generate``.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from typing import Any

SHORT_GENERATION = 8


def common_prefix_length(rows: Sequence[Sequence[int]], keep_last: bool = True) -> int:
    """Length of the longest token prefix shared by every row (leaving each row at least one own token
    unless ``keep_last`` is false). Rows are compared as lists, by slices (a binary search per row)."""
    lists = [row if isinstance(row, list) else list(row) for row in rows]
    first = lists[0]
    length = min(len(row) for row in lists) - (1 if keep_last else 0)
    for row in lists[1:]:
        if length <= 0:
            return 0
        if row[:length] == first[:length]:
            continue
        equal, different = 0, length  # the prefix of `equal` tokens matches, that of `different` does not
        while different - equal > 1:
            middle = (equal + different) // 2
            if row[:middle] == first[:middle]:
                equal = middle
            else:
                different = middle
        length = equal
    return max(length, 0)


def cache_keyword(model: Any) -> str | None:
    """The name ``model.forward`` takes its key/value cache under (``cache`` in transformers >= 5.2x,
    else ``past_key_values``), or None when it lacks what this loop passes (``logits_to_keep``, from
    transformers 4.50, and ``position_ids``)."""
    try:
        parameters = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return None
    if "logits_to_keep" not in parameters or "position_ids" not in parameters:
        return None
    return "cache" if "cache" in parameters else "past_key_values"


class HeadCache:
    """The key/value cache of one prompt head (batch size 1), kept between calls for one model.

    :meth:`prefilled` returns a private copy of the cache for the tokens asked for, computing only what the
    kept head lacks. When a batch's head diverges inside the kept one, the part both share is recomputed and
    kept instead, so the kept head settles on what all batches have in common (the template's head).
    """

    def __init__(self, torch: Any, model: Any, keyword: str) -> None:
        self.torch, self.model, self.keyword = torch, model, keyword
        self.tokens: tuple[int, ...] = ()
        self.cache: Any = None

    def prefilled(self, tokens: Sequence[int]) -> Any:
        """A cache holding ``tokens`` (at least one), for the caller to extend or reshape at will."""
        tokens = tuple(tokens)
        kept = common_prefix_length([self.tokens, tokens], keep_last=False) if self.tokens else 0
        with self.torch.inference_mode():
            if not self.tokens or kept < len(self.tokens):
                # nothing kept yet, or a head that diverges inside the kept one: keep what both share
                head = tokens[:kept] if kept else tokens
                self.tokens, self.cache = head, self._extend(None, head)
                kept = len(head)
            cache = copy.deepcopy(self.cache)
            return self._extend(cache, tokens[kept:]) if kept < len(tokens) else cache

    def _extend(self, cache: Any, tokens: Sequence[int]) -> Any:
        torch, device = self.torch, self.model.device
        start = 0 if cache is None else cache.get_seq_length()
        output = self.model(
            input_ids=torch.tensor([list(tokens)], device=device),
            position_ids=torch.arange(start, start + len(tokens), device=device)[None, :],
            use_cache=True,
            logits_to_keep=1,
            **{self.keyword: cache},
        )
        return _cache_of(output)


def greedy_with_shared_prefix(
    heads: HeadCache,
    rows: Sequence[Sequence[int]],
    max_tokens: int,
    pad_id: int,
    stop_ids: set[int],
) -> tuple[list[list[int]], Any]:
    """Greedy new tokens per row and the raw logits of every step (``[rows, steps, vocab]``).

    ``heads`` holds the model (and its cache keyword, :func:`cache_keyword`) and the kept prompt head.
    """
    torch, model, keyword = heads.torch, heads.model, heads.keyword
    device = model.device
    shared = common_prefix_length(rows)
    cache = None
    if shared:
        cache = heads.prefilled(rows[0][:shared])
        cache.batch_repeat_interleave(len(rows))
    own_lengths = [len(row) - shared for row in rows]
    width = max(own_lengths)
    input_ids = torch.tensor(
        [[pad_id] * (width - length) + list(row[shared:]) for row, length in zip(rows, own_lengths)],
        device=device,
    )
    # column c of a row is its own token when c >= its padding; positions continue from the shared head
    padding = width - torch.tensor(own_lengths, device=device)[:, None]
    columns = torch.arange(width, device=device)[None, :]
    own = (columns >= padding).long()
    mask = torch.cat([torch.ones(len(rows), shared, dtype=own.dtype, device=device), own], dim=1)
    positions = shared + (columns - padding).clamp(min=0)
    stops = torch.tensor(sorted(stop_ids), device=device)
    finished = torch.zeros(len(rows), dtype=torch.bool, device=device)
    tokens, logits = [], []
    for _ in range(max_tokens):
        out = model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            logits_to_keep=1,
            **{keyword: cache},
        )
        cache = _cache_of(out)
        step = out.logits[:, -1, :]
        chosen = step.argmax(dim=-1).masked_fill(finished, pad_id)
        logits.append(step)
        tokens.append(chosen)
        finished |= torch.isin(chosen, stops)
        if bool(finished.all()):
            break
        input_ids = chosen[:, None]
        mask = torch.cat([mask, torch.ones(len(rows), 1, dtype=mask.dtype, device=device)], dim=1)
        positions = positions[:, -1:] + 1
    return torch.stack(tokens, dim=1).tolist(), torch.stack(logits, dim=1)


def _cache_of(output: Any) -> Any:
    cache = output.get("cache")
    return cache if cache is not None else output.get("past_key_values")
