"""Task arithmetic and its variants: TIES and DARE are settings of one method, as in mergekit.

mergekit 0.1.5's ``GeneralizedTaskArithmeticMerge`` (``mergekit/merge_methods/generalized_task_arithmetic.py``):
the deltas ``T_i - base`` are sparsified (``magnitude``: TIES's top-k; ``random``: DARE's drop), weighted,
optionally sign-elected (``consensus``: TIES), summed, normalised, scaled by ``lambda`` and added to the
base. The arithmetic is mergekit's, operation for operation, written with kernels that give the same bits
(:func:`combine`); the formulas are in ``docs/merge.md``.

Every step is elementwise once the sparsifiers know their whole-tensor statistics (TIES's threshold, DARE's
L1 norms), so the method runs range by range (:func:`start`) unless a step needs the whole tensor in
mergekit's own way (:func:`whole`): the ``argsort`` tie-break (a global sort), ``rescale`` of a magnitude
cut (whole-tensor sums rounded as mergekit rounds them) and the ``torch`` random stream (one sequential
generator, mergekit's draws).

Task arithmetic and DARE-linear (no sign election, counter-based draws, at most
:data:`MAX_MODELS_WITHOUT_TORCH` models besides the base) also run on numpy arrays in fp32
(:func:`start_without_torch`), with the bits of :func:`start` for an fp32 compute dtype: the same operations
in the same order, sums of deltas added model by model from +0.0 as torch adds up to four rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from judgeforge.merge import draws, sparsify
from judgeforge.merge.methods.base import (
    COUNTER_STREAM,
    SEQUENTIAL_STREAM,
    ArrayChunkFn,
    ArrayInputs,
    ArrayStreamed,
    ChunkFn,
    MergeMethod,
    ParamSpec,
    Streamed,
    TensorInputs,
    spans,
)

if TYPE_CHECKING:
    import torch

Sparsifier = Callable[["torch.Tensor", int], None]  # prunes the delta range starting at the index, in place
# torch sums up to four rows of deltas model by model from +0.0 (numpy's order here); more rows it adds in
# another order (measured with torch 2.13 on CPU; tests/merge/test_without_torch.py checks it side by side).
MAX_MODELS_WITHOUT_TORCH = 4


@dataclass(frozen=True)
class TaskSettings:
    """One member of the family: how deltas are sparsified, whether signs are elected, the defaults."""

    sparsification: str | None  # None, "magnitude" (TIES) or "random" (DARE)
    consensus: bool
    normalize: bool = False
    rescale: bool = False


def method(name: str, settings: TaskSettings) -> MergeMethod:
    """The registered method for ``settings``."""
    params = {
        "weight": ParamSpec(float, required=True, scope="non_base"),
        "density": ParamSpec(float, 1.0, scope="non_base"),
        "normalize": ParamSpec(bool, settings.normalize),
        "rescale": ParamSpec(bool, settings.rescale),
        "lambda": ParamSpec(float, 1.0),
        "int8_mask": ParamSpec(bool, False),
        # judgeforge extension: how equal magnitudes at the top-k boundary are chosen (docs/merge.md).
        "magnitude_tiebreak": ParamSpec(str, "index", choices=sparsify.TIEBREAKS),
    }
    random = settings.sparsification == "random"
    if random:  # judgeforge extension: counter-based draws, or mergekit's sequential ones (docs/merge.md)
        params["random_stream"] = ParamSpec(str, COUNTER_STREAM, choices=(COUNTER_STREAM, SEQUENTIAL_STREAM))
    streamed = Streamed(partial(applies, settings), partial(start, settings), partial(holds, settings))
    without_torch = None
    if not settings.consensus and settings.sparsification != "magnitude":  # TIES's cut and election: torch
        without_torch = ArrayStreamed(
            partial(applies_without_torch, settings), partial(start_without_torch, settings)
        )
    return MergeMethod(
        name, params, partial(whole, settings), streamed, without_torch, needs_base=True, random=random
    )


def applies(settings: TaskSettings, x: TensorInputs) -> bool:
    """Whether the merge runs range by range (and gives the same bits as :func:`whole` would)."""
    if x.base_index is None or not x.others:
        return False
    if x.dtype is None and any(t.dtype != x.tensors[x.base_index].dtype for t in x.tensors):
        return False
    if settings.sparsification == "magnitude":
        return not x.shared["rescale"] and x.shared["magnitude_tiebreak"] == "index"
    if settings.sparsification == "random":
        return bool(x.shared["random_stream"] == COUNTER_STREAM)
    return True


def holds(settings: TaskSettings, x: TensorInputs | ArrayInputs) -> int:
    """The most bytes the statistics pass keeps for the merge (see :func:`judgeforge.merge.chunked.footprint`).

    DARE keeps its masks as packed bits, an eighth of a byte per entry and model. TIES keeps the magnitudes
    in its candidate band and their concatenation, at worst every entry twice in fp32 (many equal
    magnitudes, zeros for example), or falls back to the whole tensor's magnitudes.
    """
    n, models = x.entries, len(x.others)
    if settings.sparsification == "random":
        return -(-n // 8) * models
    if settings.sparsification == "magnitude":
        return n * 8 * models
    return 0


def start(settings: TaskSettings, x: TensorInputs, chunk: int) -> ChunkFn:
    """Find the sparsifiers' statistics in a pass over the ranges, then merge range by range."""
    import torch

    assert x.base_index is not None
    base = x.tensors[x.base_index].reshape(-1)
    dtype = x.dtype or base.dtype
    others = x.others
    flat = [x.tensors[i].reshape(-1) for i in others]
    sparsifiers: list[Sparsifier | None]
    if settings.sparsification == "random":
        rescale = bool(x.shared["rescale"])
        drops = [_random_drop(x, i, float(x.params[i]["density"]), rescale) for i in others]
        if rescale:
            _measure(flat, drops, base, dtype, chunk)
        sparsifiers = [None if drop is None else drop.apply for drop in drops]
    else:
        sparsifiers = [
            _magnitude_pruner(settings, x, i, tensor, base, dtype, chunk) for i, tensor in zip(others, flat)
        ]
    mix = mixing(_weights(x, dtype), x.shared, settings.consensus)
    deltas = torch.empty((len(others), min(chunk, base.numel())), dtype=dtype)
    # reused from range to range (fresh multi-MB buffers cost the kernel's page zeroing every time)
    converted = None if base.dtype == dtype else torch.empty(deltas.shape[1], dtype=dtype)

    def merge(begin: int, end: int) -> torch.Tensor:
        base_part = base[begin:end] if converted is None else converted[: end - begin].copy_(base[begin:end])
        rows = deltas[:, : end - begin]
        for row, (tensor, prune) in enumerate(zip(flat, sparsifiers)):
            rows[row].copy_(tensor[begin:end]).sub_(base_part)
            if prune is not None:
                prune(rows[row], begin)
        return combine(rows, mix).add_(base_part)

    return merge


def applies_without_torch(settings: TaskSettings, x: ArrayInputs) -> bool:
    """Whether :func:`start_without_torch` merges ``x`` (task arithmetic or DARE-linear): counter-based
    draws, a base and one to :data:`MAX_MODELS_WITHOUT_TORCH` other models (the engine checks the dtypes)."""
    if x.base_index is None or not 0 < len(x.others) <= MAX_MODELS_WITHOUT_TORCH:
        return False
    return settings.sparsification is None or x.shared["random_stream"] == COUNTER_STREAM


def start_without_torch(settings: TaskSettings, x: ArrayInputs, chunk: int) -> ArrayChunkFn:
    """:func:`start` for an fp32 compute dtype, on numpy arrays: the same operations in the same order.

    Per range: each delta ``T_i - base`` in fp32, DARE's drop and rescale (:mod:`judgeforge.merge.draws`,
    statistics first), times its weight unless every weight is 1, summed model by model from +0.0, divided
    by the weights' sum if ``normalize`` (1 where its magnitude is below 1e-8), times ``lambda`` unless it
    is 1, plus the base. The returned fp32 range is scratch, valid until the next call.
    """
    assert x.base_index is not None
    base, others = x.arrays[x.base_index], x.others
    flat = [x.arrays[i] for i in others]
    size = min(chunk, base.size)
    drops: list[draws.RandomDrop | None] = [None] * len(others)
    if settings.sparsification == "random":
        rescale = bool(x.shared["rescale"])
        drops = [_random_drop(x, i, float(x.params[i]["density"]), rescale) for i in others]
        if rescale:
            _measure_arrays(flat, drops, base, size)
    weights = np.array([float(x.params[i]["weight"]) for i in others], dtype=np.float32).reshape(-1, 1)
    weighted = bool((weights != 1).any())
    divisor = _sum_rows(weights.copy())
    divisor[np.abs(divisor) < np.float32(1e-8)] = 1  # as :func:`mixing` (torch compares in fp32 too)
    normalize, lam = bool(x.shared["normalize"]), float(x.shared["lambda"])
    deltas = np.empty((len(others), size), dtype=np.float32)
    converted = np.empty(size, dtype=np.float32)

    def merge(begin: int, end: int) -> NDArray[np.float32]:
        base_part = converted[: end - begin]
        np.copyto(base_part, base[begin:end])
        rows = deltas[:, : end - begin]
        for row, (array, drop) in enumerate(zip(flat, drops)):
            np.copyto(rows[row], array[begin:end])
            np.subtract(rows[row], base_part, out=rows[row])
            if drop is not None:
                drop.apply(rows[row], begin)
        if weighted:
            np.multiply(rows, weights, out=rows)
        mixed = _sum_rows(rows)
        if normalize:
            np.divide(mixed, divisor, out=mixed)
        if lam != 1:
            np.multiply(mixed, np.float32(lam), out=mixed)
        np.add(mixed, base_part, out=mixed)
        return mixed

    return merge


def _sum_rows(rows: NDArray[np.float32]) -> NDArray[np.float32]:
    """``rows.sum(axis=0)`` as torch adds up to four rows: from +0.0, row by row (into row 0, in place)."""
    total: NDArray[np.float32] = rows[0]
    np.add(total, np.float32(0.0), out=total)
    for row in rows[1:]:
        np.add(total, row, out=total)
    return total


def _measure_arrays(
    flat: list[NDArray[Any]], drops: list[draws.RandomDrop | None], base: NDArray[Any], chunk: int
) -> None:
    """:func:`_measure` on numpy arrays: every drop's L1 norms in one pass over the ranges, in fp32."""
    delta, converted = np.empty((2, chunk), dtype=np.float32)
    for begin, end in spans(base.size, chunk):
        base_part = converted[: end - begin]
        np.copyto(base_part, base[begin:end])
        for array, drop in zip(flat, drops):
            if drop is not None:
                part = delta[: end - begin]
                np.copyto(part, array[begin:end])
                drop.measure(np.subtract(part, base_part, out=part), begin)
    for drop in drops:
        if drop is not None:
            drop.finish()


def whole(settings: TaskSettings, x: TensorInputs) -> torch.Tensor:
    """The merge on whole tensors (used where :func:`applies` is false)."""
    assert x.base_index is not None
    base = x.tensor(x.base_index)
    others = x.others
    if not others:
        return base
    deltas = base.new_empty((len(others), *base.shape))
    for row, i in enumerate(others):
        _delta_into(deltas[row], x, i, base)
        sparse = _sparsified(settings, x, i, deltas[row])
        if sparse.data_ptr() != deltas[row].data_ptr():
            deltas[row] = sparse
    mix = mixing(_weights(x, deltas.dtype), x.shared, settings.consensus)
    mixed = combine(deltas.reshape(len(others), -1), mix)
    return mixed.add_(base.reshape(-1)).reshape(base.shape).to(base.dtype)  # base + mixed, bit for bit


def _weights(x: TensorInputs, dtype: torch.dtype) -> torch.Tensor:
    import torch

    return torch.tensor([float(x.params[i]["weight"]) for i in x.others], dtype=dtype).reshape(-1, 1)


def _delta_into(out: torch.Tensor, x: TensorInputs, i: int, base: torch.Tensor) -> None:
    """``out = T_i - base`` in the compute dtype, converting ``T_i`` straight into ``out``."""
    if x.tensors[i].dtype == base.dtype or x.dtype is not None:
        out.copy_(x.tensors[i]).sub_(base)  # the same conversion and subtraction as x.tensor(i) - base
    else:
        out.copy_(x.tensor(i) - base)


def _sparsified(settings: TaskSettings, x: TensorInputs, i: int, delta: torch.Tensor) -> torch.Tensor:
    """A whole delta sparsified as mergekit does; magnitude pruning writes into ``delta`` itself."""
    if settings.sparsification is None:
        return delta
    density, rescale = float(x.params[i]["density"]), bool(x.shared["rescale"])
    if settings.sparsification == "magnitude":
        tiebreak = str(x.shared["magnitude_tiebreak"])
        return sparsify.magnitude(delta, density, rescale, tiebreak, inplace=True)
    if settings.sparsification == "random":
        if x.generator is not None:
            return sparsify.bernoulli(delta, density, rescale, x.generator)
        drop = _random_drop(x, i, density, rescale)
        if drop is not None:
            flat = delta.reshape(-1)
            if rescale:
                drop.measure(flat, 0)
                drop.finish()
            drop.apply(flat, 0)
    return delta


def _random_drop(
    x: TensorInputs | ArrayInputs, i: int, density: float, rescale: bool
) -> draws.RandomDrop | None:
    if density >= 1:
        return None
    if x.draws is None:
        raise ValueError("the counter-based random stream needs a DrawKey (TensorInputs.draws)")
    return draws.RandomDrop(x.draws.stream_key(i), density, rescale)


def _magnitude_pruner(
    settings: TaskSettings,
    x: TensorInputs,
    i: int,
    tensor: torch.Tensor,
    base: torch.Tensor,
    dtype: torch.dtype,
    chunk: int,
) -> Sparsifier | None:
    """TIES's in-place top-k pruning of model ``i``'s delta ranges, its threshold found first."""
    if settings.sparsification != "magnitude":
        return None
    density, n = float(x.params[i]["density"]), base.numel()

    def magnitudes(begin: int, end: int, step: int) -> torch.Tensor:
        values = (tensor[begin:end:step].to(dtype) - base[begin:end:step].to(dtype)).abs_()
        return values.float() if values.device.type == "cpu" else values

    cut = sparsify.magnitude_cut(magnitudes, n, density, chunk)
    return None if cut is None else partial(_prune, cut)


def _measure(
    flat: list[torch.Tensor],
    drops: list[draws.RandomDrop | None],
    base: torch.Tensor,
    dtype: torch.dtype,
    chunk: int,
) -> None:
    """DARE's statistics pass: every drop's L1 norms, in one pass over the ranges (base converted once)."""
    import torch

    n = base.numel()
    delta, converted = torch.empty((2, min(chunk, n)), dtype=dtype)  # reused: no fresh pages per range
    for begin, end in spans(n, chunk):
        base_part = converted[: end - begin].copy_(base[begin:end])
        for tensor, drop in zip(flat, drops):
            if drop is not None:
                drop.measure(delta[: end - begin].copy_(tensor[begin:end]).sub_(base_part), begin)
    for drop in drops:
        if drop is not None:
            drop.finish()


def _prune(cut: sparsify.Cut, delta: torch.Tensor, begin: int) -> None:
    sparsify.prune(delta, cut, begin)


@dataclass(frozen=True)
class Mixing:
    """What :func:`combine` needs of one tensor, found once per tensor rather than once per range.

    ``weights`` has shape ``(models, 1)``; ``plain_divisor`` is task arithmetic's normalising divisor, the
    weights' sum (1 where its magnitude is below 1e-8, as mergekit).
    """

    weights: torch.Tensor
    weighted: bool  # some weight differs from 1 (multiplying by 1.0 changes no bit)
    one_positive: float | None  # the weight when there is one model and it is positive (TIES's shortcut)
    consensus: bool
    normalize: bool
    lam: float
    plain_divisor: torch.Tensor


def mixing(weights: torch.Tensor, shared: Mapping[str, Any], consensus: bool) -> Mixing:
    """The constants of :func:`combine` for ``weights`` (shape ``(models, 1)``) and the method's settings."""
    divisor = weights.sum(dim=0)
    divisor[divisor.abs() < 1e-8] = 1
    single = float(weights[0]) if weights.shape[0] == 1 and float(weights[0]) > 0 else None
    return Mixing(
        weights,
        bool((weights != 1).any()),
        single,
        consensus,
        bool(shared["normalize"]),
        float(shared["lambda"]),
        divisor,
    )


def combine(rows: torch.Tensor, mix: Mixing) -> torch.Tensor:
    """The weighted, optionally sign-elected and normalised sum of deltas (``rows``: one per model).

    ``rows`` is consumed (weighted and masked in place).

    mergekit's arithmetic in cheaper kernels with the same results: the sign election as boolean algebra
    instead of comparing ``sign()`` tensors, the zero-divisor fix as ``+ (divisor == 0)`` instead of an
    indexed fill, and one-model sums as ``x + 0.0`` (what a sum starting from +0 gives).
    """
    if mix.weighted:
        rows.mul_(mix.weights)
    if mix.consensus and mix.one_positive is not None:
        mixed = _one_model_consensus(rows[0], mix.one_positive, mix.normalize)
    else:
        if mix.consensus:
            mixed, divisor = _consensus_sum(rows, mix.weights)
        else:
            mixed, divisor = _plain_sum(rows), mix.plain_divisor
        if mix.normalize:
            mixed /= divisor
    if mix.lam != 1:
        mixed *= mix.lam
    return mixed


def _consensus_sum(rows: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """TIES: the sum of the deltas whose sign agrees with their sum's, and the sum of their weights.

    A delta agrees when it is positive and the sum is >= 0, or negative and the sum is < 0; zeros and NaNs
    never agree (mergekit: ``sign(d) == 2 * (sum >= 0) - 1``). A zero weight sum counts as 1.
    """
    positive = _sum_models(rows) >= 0
    mask = (rows > 0).logical_and_(positive).logical_or_((rows < 0).logical_and_(~positive))
    divisor = _sum_models(weights * mask)
    divisor += divisor == 0  # a zero divisor becomes 1; x + 0.0 leaves any other value as it is
    return _sum_models(rows.mul_(mask)), divisor


def _plain_sum(rows: torch.Tensor) -> torch.Tensor:
    """Task arithmetic: the sum of the deltas (one row's sum, ``row + 0.0``, is computed in place)."""
    return rows[0].add_(0.0) if rows.shape[0] == 1 else _sum_models(rows)


def _one_model_consensus(delta: torch.Tensor, weight: float, normalize: bool) -> torch.Tensor:
    """TIES with one model of positive weight, already weighted: the general formulas, simplified exactly.

    With one model the elected sign is the delta's own, so the mask is "delta is neither zero nor NaN";
    ``(delta * mask).sum(0)`` is then ``delta + 0.0`` (masked-out entries are zeros or NaN, and the sum
    starts from +0); the divisor is ``weight`` where the mask holds and 1 elsewhere, where the numerator
    is +0 or NaN and dividing it by ``weight > 0`` instead changes nothing.
    """
    mixed = delta + 0.0
    if normalize and weight != 1:
        mixed /= weight
    return mixed


def _sum_models(rows: torch.Tensor) -> torch.Tensor:
    """``rows.sum(dim=0)``; for one row the same bits as ``row + 0.0`` (a -0.0 becomes +0.0)."""
    return rows[0] + 0.0 if rows.shape[0] == 1 else rows.sum(dim=0)
