"""Words for the code names found in run files: metric keys, modes, gold sources, verdicts."""

from __future__ import annotations

import re

MODES = {
    "direct": "direct assessment",
    "relative": "pairwise ranking",
    "a2r": "pairwise from direct scores",
    "both": "pairwise ranking, both orders",
    "absolute": "direct assessment",
}
_SOURCES = {"gpt4": "GPT-4", "gpt-4": "GPT-4", "human": "human", "claude": "Claude"}
_WORDS = {
    "pearson": "Pearson r",
    "spearman": "Spearman ρ",
    "kendall": "Kendall τ",
    "accuracy": "accuracy",
    "exact": "exact",
    "alpha": "α",
}
# Keys whose values are shares (0..1): shown as percentages everywhere.
_SHARE = re.compile(r"accuracy|consisten|agreement|exact_match|share|transitiv|coverage")


def mode(name: str) -> str:
    return MODES.get(name, name.replace("_", " "))


def source(name: str) -> str:
    """A gold source: ``gpt4`` -> ``GPT-4``."""
    return _SOURCES.get(name.lower(), name.replace("_", " "))


def is_share(key: str) -> bool:
    return _SHARE.search(key) is not None


def metric(key: str) -> str:
    """A metric key as words: ``accuracy_ties_counted`` -> ``accuracy, ties counted``,
    ``exact_match_gpt4`` -> ``exact match with GPT-4``, ``toy_pearson`` -> ``toy Pearson r``."""
    before, found, after = key.partition("accuracy_ties_")
    if found:
        return (
            f"{metric(before.rstrip('_'))} " if before else ""
        ) + f"accuracy, ties {after.replace('_', ' ')}"
    if key.startswith("exact_match_"):
        return f"exact match with {source(key[12:])}"
    if key.startswith("vs_"):
        return f"agreement with {source(key[3:])}"
    words = [_WORDS.get(word, word) for word in key.split("_") if word]
    return " ".join(words) or key


def verdict(value: object) -> str:
    """A verdict as shown in a chart or table: a score level, a winner, or "no verdict"."""
    if value is None:
        return "no verdict"
    if value == "tie":
        return "tie"
    if value in ("A", "B"):
        return f"{value} wins"
    return str(value)
