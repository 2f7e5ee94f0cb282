"""Reading OpenAI-shaped responses (chat and legacy completions) into :class:`Completion` records.

Shared by the ``openai_compat`` HTTP backend and the in-process ``llama_cpp`` backend (llama-cpp-python returns
the same shapes). A body that does not have the expected shape raises :class:`MalformedResponse`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from judgeforge.errors import BackendError
from judgeforge.records import Completion, TokenLogprob, Usage


class MalformedResponse(BackendError):
    """A response body that is not the OpenAI shape (e.g. an HTML error page from a proxy)."""


def completion_from_body(body: Any, *, chat: bool) -> Completion:
    """The first choice of a chat or completions response body as a :class:`Completion`."""
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"] if chat else choice["text"]
    except (KeyError, IndexError, TypeError) as exc:
        raise MalformedResponse(
            f"response has no {'message content' if chat else 'text'}: {_clip(body)}"
        ) from exc
    if not isinstance(text, str):
        raise MalformedResponse(f"response text is not a string: {_clip(body)}")
    return Completion(
        text=text,
        logprobs=logprobs_of(choice.get("logprobs")),
        usage=usage_from_body(body),
        finish_reason=choice.get("finish_reason"),
    )


def logprobs_of(raw: Any) -> tuple[TokenLogprob, ...] | None:
    """A choice's token logprobs in either shape, whatever the endpoint: chat's ``content`` list or the
    legacy parallel ``tokens``/``token_logprobs``/``top_logprobs`` lists (some servers send the legacy
    shape inside chat responses). None when absent or unreadable: the Judge then says so on the verdict
    (``logprobs_missing``), the completion itself is kept."""
    if not raw or not isinstance(raw, Mapping):
        return None
    try:
        if "content" in raw:
            return chat_logprobs(raw) or None
        if "tokens" in raw:
            return completion_logprobs(raw) or None
    except MalformedResponse:
        return None
    return None


def usage_from_body(body: Mapping[str, Any]) -> Usage:
    usage = body.get("usage") or {}
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )


def chat_logprobs(raw: Mapping[str, Any]) -> tuple[TokenLogprob, ...]:
    """``choice.logprobs.content``: one entry per token with ``top_logprobs`` as a list of objects."""
    try:
        return tuple(
            TokenLogprob(
                token=entry["token"],
                logprob=_finite(entry["logprob"]),
                top={alt["token"]: _finite(alt["logprob"]) for alt in entry.get("top_logprobs") or []},
            )
            for entry in raw.get("content") or []
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unreadable chat logprobs: {_clip(raw)}") from exc


def completion_logprobs(raw: Mapping[str, Any]) -> tuple[TokenLogprob, ...]:
    """Legacy ``choice.logprobs``: parallel ``tokens``/``token_logprobs`` lists, ``top_logprobs`` as dicts."""
    try:
        tokens: Sequence[str] = raw["tokens"]
        values: Sequence[float | None] = raw["token_logprobs"]
        tops: Sequence[Mapping[str, float] | None] = raw.get("top_logprobs") or [None] * len(tokens)
        return tuple(
            TokenLogprob(
                token=token,
                logprob=_finite(value),
                top={alt: _finite(lp) for alt, lp in (top or {}).items()},
            )
            for token, value, top in zip(tokens, values, tops, strict=True)
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"unreadable completion logprobs: {_clip(raw)}") from exc


def _finite(value: Any) -> float:
    # Servers write -inf as null or a huge negative number; both mean "impossible" to us.
    if value is None:
        return float("-inf")
    return float(value)


def _clip(body: Any, limit: int = 300) -> str:
    text = repr(body)
    return text if len(text) <= limit else text[:limit] + "..."
