"""Chunked and whole-tensor merges give mergekit's formula bit for bit: ties, fallbacks, special values."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from judgeforge.merge import chunked
from judgeforge.merge.methods import METHODS, MergeMethod, TensorInputs
from judgeforge.merge.sparsify import EXACT_BELOW, SAMPLE_SIZE

SHAPE = (523, 527)  # 275,621 entries: enough for the sampled threshold, not a multiple of the chunks
N = SHAPE[0] * SHAPE[1]
SHARED = {"rescale": False, "magnitude_tiebreak": "index", "int8_mask": False}


def checkpoints(count: int, seed: int) -> list[torch.Tensor]:
    """A bf16 base and ``count`` fine-tunes of it: bf16 rounding makes many equal delta magnitudes."""
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(N, generator=g) * 0.02
    tuned = [base + torch.randn(N, generator=g) * 0.002 * (i + 1) for i in range(count)]
    return [t.to(torch.bfloat16).reshape(SHAPE) for t in [base, *tuned]]


def test_the_tensors_are_large_enough_for_the_sampled_selection() -> None:
    assert N > EXACT_BELOW


def inputs(tensors: list[torch.Tensor], params: list[dict[str, Any]], **shared: Any) -> TensorInputs:
    merged = {**SHARED, "normalize": True, "lambda": 1.0, **shared}
    return TensorInputs(
        tuple(tensors), ({"weight": 1.0}, *params), merged, 0, None, torch.float32, torch.bfloat16
    )


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and torch.equal(a.view(torch.int16), b.view(torch.int16))


def whole(method: str, x: TensorInputs) -> torch.Tensor:
    """The method's whole-tensor arithmetic (what runs where its streamed form does not apply)."""
    fn = METHODS.get(method).whole
    assert fn is not None
    return fn(x).to(torch.bfloat16)


def streamed(method: str, x: TensorInputs, chunk: int) -> torch.Tensor:
    """The executor's chunk-by-chunk run, checking that it is the one that runs."""
    spec: MergeMethod = METHODS.get(method)
    assert spec.streamed is not None and spec.streamed.applies(x)
    return chunked.merge_tensor(spec, x, chunk=chunk)


CASES = [
    ("ties", [{"weight": 1.0, "density": 0.5}], {}),
    ("ties", [{"weight": 0.7, "density": 0.2}, {"weight": 0.3, "density": 0.9}], {}),
    (
        "ties",
        [{"weight": -0.5, "density": 0.3}, {"weight": 1.2, "density": 1.0}, {"weight": 0.4, "density": 0.0}],
        {},
    ),
    (
        "ties",
        [{"weight": 0.6, "density": 0.4}, {"weight": 0.6, "density": 0.4}],
        {"normalize": False, "lambda": 0.8},
    ),
    ("ties", [{"weight": 0.7, "density": 0.5}], {}),
    ("ties", [{"weight": -0.4, "density": 0.5}], {}),
    ("ties", [{"weight": 0.0, "density": 0.5}], {}),
    ("ties", [{"weight": 2.5, "density": 0.3}], {"normalize": False, "lambda": 0.5}),
    ("task_arithmetic", [{"weight": 0.7}], {}),
    ("task_arithmetic", [{"weight": 0.25}, {"weight": 0.5}, {"weight": 0.25}], {"lambda": 1.3}),
]


def reference(x: TensorInputs, method: str) -> torch.Tensor:
    """mergekit 0.1.5's generalized task arithmetic, transcribed plainly (the top-k keeps the lowest-index
    entries among ties at the k-th magnitude, found here with a full kthvalue)."""
    base = x.tensors[0].to(torch.float32)
    deltas, weights = [], []
    for tensor, p in zip(x.tensors[1:], x.params[1:]):
        delta = tensor.to(torch.float32) - base
        if method == "ties" and p["density"] < 1:
            flat = delta.abs().reshape(-1)
            k = max(1, int(p["density"] * flat.numel()))
            keep = torch.zeros(flat.numel(), dtype=torch.bool)
            if p["density"] > 0:
                threshold = torch.kthvalue(flat, flat.numel() - k + 1).values
                keep = flat > threshold
                tied = (flat == threshold).nonzero().reshape(-1)
                keep[tied[: k - int(keep.sum())]] = True
            delta = (
                delta * keep.reshape(delta.shape).to(delta.dtype)
                if p["density"] > 0
                else torch.zeros_like(delta)
            )
        deltas.append(delta)
        weights.append(p["weight"])
    stacked = torch.stack(deltas, dim=0)
    w = torch.tensor(weights, dtype=stacked.dtype).reshape(-1, *([1] * base.dim()))
    weighted = stacked * w
    if method == "ties":
        sign = weighted.sign()
        majority = (weighted.sum(dim=0) >= 0).to(base.dtype) * 2 - 1
        mask = (sign == majority).to(base.dtype)
        mixed = (weighted * mask).sum(dim=0)
        divisor = (w * mask).sum(dim=0)
        divisor[divisor == 0] = 1
    else:
        mixed = weighted.sum(dim=0)
        divisor = w.sum(dim=0)
        divisor[divisor.abs() < 1e-8] = 1
    if x.shared["normalize"]:
        mixed /= divisor
    if x.shared["lambda"] != 1:
        mixed *= x.shared["lambda"]
    return (base + mixed).to(torch.bfloat16)


@pytest.mark.parametrize(("method", "params", "shared"), CASES)
def test_whole_and_chunked_paths_equal_the_plain_formula(
    method: str, params: list[dict[str, Any]], shared: dict[str, Any]
) -> None:
    x = inputs(checkpoints(len(params), seed=len(params)), params, **shared)
    expected = reference(x, method)
    assert same_bits(whole(method, x), expected)
    assert same_bits(streamed(method, x, chunk=10_007), expected)
    assert same_bits(streamed(method, x, chunk=N), expected)  # one range: what small tensors get


def test_an_unrepresentative_sample_falls_back_to_the_exact_selection() -> None:
    base, tuned = checkpoints(1, seed=5)
    flat = tuned.reshape(-1).clone()
    flat[:: N // SAMPLE_SIZE] += 1.0  # every sampled position gets a delta far above all others
    x = inputs([base, flat.reshape(tuned.shape)], [{"weight": 1.0, "density": 0.5}])
    assert same_bits(streamed("ties", x, chunk=4096), whole("ties", x))


def test_not_used_where_it_could_change_bits() -> None:
    tensors = checkpoints(1, seed=1)
    x = inputs(tensors, [{"weight": 1.0, "density": 0.5}])
    applies = {name: METHODS.get(name).streamed for name in ("ties", "task_arithmetic", "dare_linear")}
    ties, task, dare = (spec.applies if spec else None for spec in applies.values())
    assert ties and task and dare
    assert ties(x) and task(x)
    assert dare(inputs(tensors, [{"density": 0.5}], random_stream="philox"))
    assert not dare(inputs(tensors, [{"density": 0.5}], random_stream="torch"))  # mergekit's draws, in order
    assert not ties(
        inputs(tensors, [{"density": 0.5}], rescale=True)
    )  # whole-tensor sums, mergekit's rounding
    assert not ties(inputs(tensors, [{"density": 0.5}], magnitude_tiebreak="argsort"))  # a global sort
    assert METHODS.get("slerp").streamed is None  # one angle over the whole tensor


@pytest.mark.parametrize("weights", [[1.0], [0.7], [-0.4], [0.5, 0.5]])
def test_signed_zeros_infinities_and_nans_come_out_the_same(weights: list[float]) -> None:
    tensors = checkpoints(len(weights), seed=9)
    base = tensors[0].reshape(-1)
    base[:50] = -0.0
    for tuned in tensors[1:]:
        flat = tuned.reshape(-1)
        flat[:25] = -0.0  # deltas of +0 (base -0) ...
        flat[50:75] = -0.0  # ... and of -0 where the base is +0 or not zero
        base[50:75] = 0.0
        flat[100:110] = float("inf")
        flat[110:120] = float("-inf")
        flat[120:130] = float("nan")
    x = inputs(tensors, [{"weight": w, "density": 0.5} for w in weights])
    expected, got = whole("ties", x), streamed("ties", x, chunk=4096)
    nan = expected.isnan()
    assert torch.equal(nan, got.isnan())
    assert same_bits(got[~nan], expected[~nan])


@pytest.mark.parametrize("compute", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("normalize", [True, False])
def test_chunked_linear_equals_whole_tensor_bit_for_bit(compute: torch.dtype, normalize: bool) -> None:
    a, b, c = checkpoints(2, seed=3)
    params = ({"weight": 0.3}, {"weight": 0.7}, {"weight": -0.15})
    x = TensorInputs((a, b, c), params, {"normalize": normalize}, None, None, compute, torch.bfloat16)
    expected = reference_linear(x)
    assert same_bits(streamed("linear", x, chunk=N), expected)
    assert same_bits(streamed("linear", x, chunk=10_007), expected)


def reference_linear(x: TensorInputs) -> torch.Tensor:
    """mergekit 0.1.5's ``linear_merge`` transcribed plainly (``mergekit/merge_methods/linear.py``)."""
    assert x.dtype is not None
    tensors = [t.to(x.dtype) for t in x.tensors]
    weight = torch.tensor([p["weight"] for p in x.params], dtype=torch.float32)
    result = torch.zeros_like(tensors[0], dtype=torch.float32)
    for tensor, coefficient in zip(tensors, weight.unbind(0)):
        result.addcmul_(tensor, coefficient)
    if x.shared["normalize"]:
        result.div_(weight.sum())
    return result.to(x.dtype).to(torch.bfloat16)
