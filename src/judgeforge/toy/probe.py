"""``judgeforge toy probe MODEL``: how well a toy model checks responses in the neutral checking format.

The toy base must already have the checking skill that the judges' fine-tunes only steer (see
:mod:`judgeforge.toy.corpus`). This probe measures it directly: for test-split groups of each family, the model
writes the checklist of every response in the neutral format (greedy), and each written ``met``/``missed`` is
compared with the checker's outcome for the same position. Reported per family: the share of check outcomes
right (a missing outcome counts as wrong; chance is about 0.5) and the share of checklists written exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgeforge.lazy import require
from judgeforge.toy.base import chat_text
from judgeforge.toy.corpus import Document, checking_documents
from judgeforge.toy.dataset import RECIPE_WORLD, WorldSpec, split_groups

OUTCOME = re.compile(r": (met|missed) \(")


@dataclass(frozen=True)
class CheckingScore:
    """One family's probe result: outcomes right / outcomes expected, and exact checklists / documents."""

    family: str
    outcomes_right: int
    outcomes: int
    exact: int
    documents: int

    @property
    def accuracy(self) -> float:
        return self.outcomes_right / self.outcomes if self.outcomes else 0.0


def score_checklist(expected: str, written: str) -> tuple[int, int, bool]:
    """(outcomes right, outcomes expected, exact) of one written checklist against the expected one."""
    want, got = OUTCOME.findall(expected), OUTCOME.findall(written)
    right = sum(a == b for a, b in zip(want, got))
    return right, len(want), written.strip() == expected.strip()


def probe(model_dir: str | Path, groups: int = 4, spec: WorldSpec | None = None) -> list[CheckingScore]:
    """Probe ``model_dir`` on the first ``groups`` test groups of every family of the world ``spec``
    (default: the world ``make toy-models`` generates); 5 documents per group, greedy, 60 new tokens."""
    spec = spec or RECIPE_WORLD
    transformers = require("transformers", "hf")
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    tokenizer.padding_side = "left"
    model = transformers.AutoModelForCausalLM.from_pretrained(str(model_dir)).eval()
    scores = []
    for family, family_groups in split_groups(spec)["test"].items():
        documents = checking_documents(family_groups[:groups])
        written = _generate(model, tokenizer, documents)
        right = total = exact = 0
        for document, text in zip(documents, written):
            r, t, e = score_checklist(document.output, text)
            right, total, exact = right + r, total + t, exact + e
        scores.append(CheckingScore(family, right, total, exact, len(documents)))
    return scores


def _generate(model: Any, tokenizer: Any, documents: list[Document]) -> list[str]:
    torch = require("torch", "hf")
    prompts = [chat_text(tokenizer, document)[0] for document in documents]
    encoded = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(
            **encoded, max_new_tokens=60, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    width = encoded["input_ids"].shape[1]
    return [tokenizer.decode(row[width:], skip_special_tokens=True) for row in out]
