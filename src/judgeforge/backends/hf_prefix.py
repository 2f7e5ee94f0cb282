"""Short greedy generation that computes the batch's common prompt prefix once.

Score-only scoring asks for one or two greedy tokens after a ~300-token prompt, so nearly all of its cost is
the prefill, and judge prompts share a long head (system prompt, task description, often the instruction).
This loop runs that shared head once with batch size 1, repeats its key/value cache across the batch, and
prefills only each row's remaining tokens, left-padded *between* the shared head and the row (the attention
mask has a hole there; position ids continue from the head, so every row sees exactly its own token
positions). Decoding then proceeds one token per row with the cache, as ``generate`` would, but with only the
last position's logits computed.

The result is the same greedy tokens and log-probabilities as ``model.generate`` up to floating-point
rounding of the differently shaped matrix products (the tests compare both). Used by the transformers backend
for greedy requests without repetition penalty of at most :data:`SHORT_GENERATION` tokens, on models whose
``forward`` takes ``logits_to_keep`` and ``position_ids`` (:func:`cache_keyword`); others use ``generate``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

SHORT_GENERATION = 8


def common_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """Length of the longest token prefix shared by every row, leaving each row at least one own token."""
    shortest = min(len(row) for row in rows)
    first = rows[0]
    length = 0
    while length < shortest - 1 and all(row[length] == first[length] for row in rows):
        length += 1
    return length


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


def greedy_with_shared_prefix(
    torch: Any,
    model: Any,
    keyword: str,
    rows: Sequence[Sequence[int]],
    max_tokens: int,
    pad_id: int,
    stop_ids: set[int],
) -> tuple[list[list[int]], Any]:
    """Greedy new tokens per row and the raw logits of every step (``[rows, steps, vocab]``).

    ``keyword`` is :func:`cache_keyword` of ``model`` (computed once by the caller).
    """
    device = model.device
    shared = common_prefix_length(rows)
    cache = None
    if shared:
        head = torch.tensor([list(rows[0][:shared])], device=device)
        cache = _cache_of(model(input_ids=head, use_cache=True, logits_to_keep=1))
        cache.batch_repeat_interleave(len(rows))
    width = max(len(row) - shared for row in rows)
    input_ids = torch.tensor(
        [[pad_id] * (width - len(row) + shared) + list(row[shared:]) for row in rows], device=device
    )
    own = torch.tensor([[0] * (width - len(row) + shared) + [1] * (len(row) - shared) for row in rows])
    mask = torch.cat([torch.ones(len(rows), shared, dtype=own.dtype), own], dim=1).to(device)
    positions = (shared + own.cumsum(dim=1) - 1).clamp(min=0).to(device)
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
