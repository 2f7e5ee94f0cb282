"""The ``gold-feedback`` judge: replays the GPT-4 feedback stored in a benchmark file as a judge's output.

Run k of an item is the k-th stored feedback followed by its score, written in the template set's output
format (``Feedback: ... [RESULT] k``) and read back through the project's parser, exactly as a model's
output would be. This measures the gold annotator's own inter-run reliability with the judge metrics.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from judgeforge.bench.items import DirectBenchItem
from judgeforge.bench.judges import BenchJudge
from judgeforge.errors import ConfigError
from judgeforge.parsing import parse_verdict
from judgeforge.prompts import get_template_set
from judgeforge.records import DirectItem, PairItem, Verdict


def replay_outputs(item: DirectBenchItem, template_set: str = "prometheus2") -> list[str]:
    """The stored GPT-4 runs of ``item`` as judge outputs."""
    feedbacks = item.meta.get("gpt4_feedback")
    scores = item.gold.get("gpt4", ())
    if not isinstance(feedbacks, list) or len(feedbacks) != len(scores):
        return []
    output_format = get_template_set(template_set)
    return [output_format.format_output(str(f), str(int(s))) for f, s in zip(feedbacks, scores)]


class GoldFeedbackJudge(BenchJudge):
    """Replays stored outputs by item id (direct assessment only)."""

    def __init__(self, outputs: Mapping[str, Sequence[str]], label: str = "gold-feedback") -> None:
        self.outputs = dict(outputs)
        self.label = label

    async def grade(self, items: Sequence[DirectItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        results = []
        for item in items:
            stored = list(self.outputs.get(item.id or "", ()))[:runs]
            verdicts = [parse_verdict(text, "absolute") for text in stored]
            verdicts += [Verdict(failure="no stored output")] * (runs - len(verdicts))
            results.append(tuple(verdicts))
        return results

    async def compare(self, items: Sequence[PairItem], runs: int, seed: int) -> list[tuple[Verdict, ...]]:
        return [(Verdict(failure="gold-feedback replays direct assessment only"),) * runs for _ in items]

    def describe(self) -> dict[str, Any]:
        blob = json.dumps(self.outputs, sort_keys=True, ensure_ascii=False)
        return {"label": self.label, "outputs": hashlib.sha256(blob.encode()).hexdigest()[:16]}


def gold_feedback_judge(options: Mapping[str, Any]) -> BenchJudge:
    """``gold-feedback:benchmark=vicuna[,path=FILE]``."""
    from judgeforge.bench.registry import load_benchmark

    benchmark = options.get("benchmark")
    if not benchmark:
        raise ConfigError(
            "judge 'gold-feedback' needs benchmark=NAME (a direct benchmark with gpt4_feedback)"
        )
    items = load_benchmark(str(benchmark), options.get("path"))
    outputs = {item.id: replay_outputs(item) for item in items if isinstance(item, DirectBenchItem)}
    return GoldFeedbackJudge(outputs, str(options.get("label", "gold-feedback")))
