"""ROUGE-L (Lin, 2004) on word tokens: LCS-based precision, recall and F-measure, implemented here."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (punctuation dropped), as ROUGE compares them."""
    return _TOKEN.findall(text.lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists.

    Bit-parallel (Hyyrö 2004): one machine-word-style update per token of ``b`` on a Python int of
    ``len(a)`` bits, so long responses cost O(len(a)·len(b)/64) rather than a Python-level double loop.
    """
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for position, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << position)
    full = (1 << len(a)) - 1
    row = full
    for token in b:
        matches = row & masks.get(token, 0)
        row = ((row + matches) | (row - matches)) & full
    return len(a) - row.bit_count()


def rouge_l(candidate: str, reference: str, beta: float = 1.0) -> float:
    """ROUGE-L F-measure of ``candidate`` against ``reference`` (0.0 when either is empty)."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return 0.0
    lcs = lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(cand), lcs / len(ref)
    return (1 + beta**2) * precision * recall / (recall + beta**2 * precision)
