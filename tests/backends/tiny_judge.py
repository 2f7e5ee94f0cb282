"""A tiny judge that really writes Prometheus-style outputs: the toy Llama, taught for a few seconds.

A randomly initialised model never writes ``[RESULT]``; these few optimisation steps teach it the output
format (and a simple rule: a response with "excellent" scores 5, others 2; in pairs, the response with
"excellent" wins), so the backends' logprob paths run on a model's own feedback. Shared by the tests and
``benchmarks/judge_throughput.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from judgeforge.prompts import PromptRenderer
from judgeforge.records import DirectItem, PairItem, Prompt, Rubric
from judgeforge.toy.tiny import build_tiny_model

RUBRIC = Rubric(
    criteria="Is the response helpful?",
    score1_description="Not helpful at all.",
    score2_description="Barely helpful.",
    score3_description="Somewhat helpful.",
    score4_description="Helpful.",
    score5_description="Excellent and complete.",
)
WORDS = ["rice", "water", "salt", "boil", "minutes", "cover", "stir", "serve", "pot", "heat", "lid", "grain"]


def direct_items(count: int, offset: int = 0) -> list[DirectItem]:
    """Items whose expected score is 5 when the response says "excellent", else 2."""
    items = []
    for index in range(offset, offset + count):
        words = " ".join(WORDS[(index + k) % len(WORDS)] for k in range(3 + index % 5))
        quality = "excellent" if index % 2 == 0 else "poor"
        items.append(
            DirectItem(
                id=f"d{index}",
                instruction=f"How do I cook {WORDS[index % len(WORDS)]}?",
                response=f"An {quality} answer: {words}.",
                rubric=RUBRIC,
            )
        )
    return items


def pair_items(count: int) -> list[PairItem]:
    items = []
    for index in range(count):
        good, bad = "An excellent answer: boil rice.", "A poor answer: stir."
        a, b = (good, bad) if index % 2 == 0 else (bad, good)
        items.append(
            PairItem(
                id=f"p{index}", instruction="How do I cook rice?", response_a=a, response_b=b, rubric=RUBRIC
            )
        )
    return items


# About the length of a real Prometheus 2 feedback paragraph (~100 words), for throughput measurements.
LONG_FEEDBACK = (
    " It follows the instruction and stays on the topic of the rubric. The steps are given in order, the"
    " quantities are plausible and the wording is clear enough for a beginner to follow without extra help."
    " Some details could be more precise, such as the exact timing, the amount of water and how to tell when"
    " the food is done, and a short note on safety would make the answer more complete. Overall the response"
    " matches the level described for this score in the rubric."
)


def target(prompt: Prompt, long_feedback: bool = False) -> str:
    if prompt.mode == "absolute":
        response = prompt.user.split("###Response to evaluate:\n", 1)[1].split("\n\n###", 1)[0]
        score = 5 if "excellent" in response else 2
        extra = LONG_FEEDBACK if long_feedback else ""
        return f"Feedback: The response is {'excellent' if score == 5 else 'poor'}.{extra} [RESULT] {score}"
    section_a = prompt.user.split("###Response A:\n", 1)[1].split("\n\n###", 1)[0]
    winner = "A" if "excellent" in section_a else "B"
    return f"Feedback: Response {winner} is better. [RESULT] {winner}"


def build_tiny_judge(
    out_dir: str | Path, steps: int = 60, seed: int = 0, long_feedback: bool = False, **model_options: Any
) -> Path:
    """Build the toy model in ``out_dir`` and teach it the judge output format; return the folder."""
    import torch
    import transformers

    out = build_tiny_model(out_dir, seed=seed, **model_options)
    tokenizer = transformers.AutoTokenizer.from_pretrained(out)
    model = transformers.AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32)
    renderer = PromptRenderer("prometheus2", "mistral-inst")
    prompts = [renderer.direct(item) for item in direct_items(6)] + [renderer.pair(i) for i in pair_items(2)]
    examples = [_example(tokenizer, prompt, long_feedback) for prompt in prompts]
    ids, labels, mask = _batch(examples, tokenizer.pad_token_id)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(steps):
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    return out


def _example(tokenizer: Any, prompt: Prompt, long_feedback: bool) -> tuple[list[int], list[int]]:
    prompt_ids = [tokenizer.bos_token_id, *tokenizer(prompt.text, add_special_tokens=False)["input_ids"]]
    answer = target(prompt, long_feedback)
    answer_ids = [*tokenizer(answer, add_special_tokens=False)["input_ids"], tokenizer.eos_token_id]
    return prompt_ids + answer_ids, [-100] * len(prompt_ids) + answer_ids


def _batch(examples: list[tuple[list[int], list[int]]], pad_id: int) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(ids) for ids, _ in examples)
    ids = torch.tensor([row + [pad_id] * (width - len(row)) for row, _ in examples])
    labels = torch.tensor([row + [-100] * (width - len(row)) for _, row in examples])
    mask = torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row, _ in examples])
    return ids, labels, mask
