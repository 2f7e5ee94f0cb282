"""Linear, task arithmetic and TIES in fixed-size chunks, bit for bit the whole-tensor result.

Every step of these methods is elementwise (or a sum over the model axis), except TIES's choice of the
top-``density`` magnitudes, which needs one threshold per model over the whole tensor. So the threshold is
found first, in a streaming pass (:func:`_magnitude_cut`), and then each chunk of ``CHUNK`` elements is
merged on its own: converted, subtracted, pruned, weighted, sign-elected, normalised, added to the base and
converted to the output dtype, into buffers small enough (16 MB in fp32) that the allocator reuses them
instead of asking the kernel for fresh zeroed pages for every temporary of a multi-GB tensor.

Not used (the whole-tensor path in :mod:`judgeforge.merge.methods` is) for tensors of at most one chunk,
for ``rescale`` (its L1 norms are whole-tensor sums whose rounding depends on the summation order), for the
``argsort`` tie-break (a global sort) and for DARE (its random draws follow the storage order of one
whole-tensor call).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from judgeforge.merge.sparsify import EXACT_BELOW, SAMPLE_SIZE, sample_bracket

if TYPE_CHECKING:
    from judgeforge.merge.methods import TensorInputs

CHUNK = 1 << 22


@dataclass(frozen=True)
class _Cut:
    """Keep ``|delta| > threshold``, and ``|delta| == threshold`` at flat indices below ``ties_before``.

    ``drop_all`` (density 0) zeroes the delta outright, as the whole-tensor path does.
    """

    threshold: torch.Tensor
    ties_before: int
    drop_all: bool = False


def applies(x: TensorInputs, sparsification: str | None, chunk: int = CHUNK) -> bool:
    """Whether the chunked path computes this merge (and gives the same bits as the whole-tensor one)."""
    if x.base_index is None or x.tensors[x.base_index].numel() <= chunk:
        return False
    if any(t.dtype != x.tensors[x.base_index].dtype for t in x.tensors) and x.dtype is None:
        return False
    if sparsification is None:
        return True
    return (
        sparsification == "magnitude"
        and not x.shared["rescale"]
        and str(x.shared["magnitude_tiebreak"]) == "index"
    )


def task_family(
    x: TensorInputs, *, magnitude: bool, consensus: bool, out_dtype: torch.dtype, chunk: int = CHUNK
) -> torch.Tensor:
    """The merged tensor in ``out_dtype`` (see the module docstring for when this applies)."""
    assert x.base_index is not None
    base = x.tensors[x.base_index].reshape(-1)
    dtype = x.dtype or base.dtype
    others = [i for i in range(len(x.tensors)) if i != x.base_index]
    flat = [x.tensors[i].reshape(-1) for i in others]
    cuts: list[_Cut | None] = [None] * len(others)
    if magnitude:
        cuts = [
            _magnitude_cut(tensor, base, dtype, float(x.params[i]["density"]), chunk)
            for tensor, i in zip(flat, others)
        ]
    weights = torch.tensor([float(x.params[i]["weight"]) for i in others], dtype=dtype).reshape(-1, 1)
    out = torch.empty(base.numel(), dtype=out_dtype)
    deltas = torch.empty((len(others), min(chunk, base.numel())), dtype=dtype)
    for start in range(0, base.numel(), chunk):
        stop = min(start + chunk, base.numel())
        base_chunk = base[start:stop].to(dtype)
        rows = deltas[:, : stop - start]
        for row, (tensor, cut) in enumerate(zip(flat, cuts)):
            rows[row].copy_(tensor[start:stop]).sub_(base_chunk)
            if cut is not None:
                _prune(rows[row], cut, start)
        merged = combine(rows, weights, x.shared, consensus)
        out[start:stop] = merged.add_(base_chunk)
    return out.reshape(x.tensors[x.base_index].shape)


def linear(x: TensorInputs, out_dtype: torch.dtype, chunk: int = CHUNK) -> torch.Tensor:
    """:func:`judgeforge.merge.methods.linear` chunk by chunk: the same fp32 (fp64) ``addcmul_`` sums."""
    dtype = x.dtype or x.tensors[0].dtype
    acc_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    weights = torch.tensor([float(p["weight"]) for p in x.params], dtype=acc_dtype)
    total = weights.sum()
    flat = [t.reshape(-1) for t in x.tensors]
    n = flat[0].numel()
    out = torch.empty(n, dtype=out_dtype)
    acc = torch.empty(min(chunk, n), dtype=acc_dtype)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        part = acc[: stop - start].zero_()
        for tensor, weight in zip(flat, weights.unbind(0)):
            part.addcmul_(tensor[start:stop].to(dtype), weight)
        if x.shared["normalize"]:
            part.div_(total)
        out[start:stop] = part.to(dtype)
    return out.reshape(x.tensors[0].shape)


def combine(
    rows: torch.Tensor, weights: torch.Tensor, shared: Mapping[str, Any], consensus: bool
) -> torch.Tensor:
    """The weighted, optionally sign-elected and normalised sum of deltas (``rows``: one per model).

    ``weights`` has shape ``(models, 1)``; ``rows`` is consumed (weighted and masked in place). Used for
    every chunk here and, on whole tensors, by :mod:`judgeforge.merge.methods`.

    mergekit's arithmetic in cheaper kernels with the same results: the sign election as boolean algebra
    instead of comparing ``sign()`` tensors, the zero-divisor fix as ``+ (divisor == 0)`` instead of an
    indexed fill, and one-model sums as ``x + 0.0`` (what a sum starting from +0 gives).
    """
    if bool((weights != 1).any()):  # multiplying by 1.0 changes no bit
        rows.mul_(weights)
    if consensus and rows.shape[0] == 1 and float(weights[0]) > 0:
        mixed = _one_model_consensus(rows[0], float(weights[0]), bool(shared["normalize"]))
    else:
        mixed, divisor = _consensus_sum(rows, weights) if consensus else _plain_sum(rows, weights)
        if shared["normalize"]:
            mixed /= divisor
    lam = float(shared["lambda"])
    if lam != 1:
        mixed *= lam
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


def _plain_sum(rows: torch.Tensor, weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Task arithmetic: the sum of the deltas, and of the weights (a sum below 1e-8 counts as 1)."""
    divisor = weights.sum(dim=0)
    divisor[divisor.abs() < 1e-8] = 1
    return _sum_models(rows), divisor


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


def _prune(delta: torch.Tensor, cut: _Cut, start: int) -> None:
    """Zero the entries of one chunk's delta that the magnitude cut does not keep (in place)."""
    if cut.drop_all:
        delta.zero_()
        return
    magnitudes = delta.abs()
    keep = magnitudes > cut.threshold
    tied_until = min(max(cut.ties_before - start, 0), delta.numel())
    if tied_until:
        keep[:tied_until].logical_or_(magnitudes[:tied_until] == cut.threshold)
    delta.mul_(keep)


def _delta_magnitudes(
    tensor: torch.Tensor, base: torch.Tensor, dtype: torch.dtype, start: int, stop: int, step: int = 1
) -> torch.Tensor:
    """``|T - base|`` over ``[start, stop)``, compared in fp32 on CPU like the whole-tensor selection."""
    magnitudes = (tensor[start:stop:step].to(dtype) - base[start:stop:step].to(dtype)).abs_()
    return magnitudes.float() if magnitudes.device.type == "cpu" else magnitudes


def _magnitude_cut(
    tensor: torch.Tensor, base: torch.Tensor, dtype: torch.dtype, density: float, chunk: int
) -> _Cut | None:
    """Which magnitudes of ``tensor - base`` TIES keeps: the top ``k``, ties at the k-th by lowest index.

    Same selection as :func:`judgeforge.merge.sparsify.magnitude` with ``tiebreak="index"``, streamed: a
    strided sample brackets the k-th largest magnitude in ``[lo, hi]``; one pass over the chunks counts the
    magnitudes above ``hi`` and keeps those inside the band (in index order); the band's counts prove the
    k-th value is in it (else the whole tensor is materialised and ``kthvalue`` decides).
    """
    n = tensor.numel()
    if density >= 1:
        return None
    if density <= 0:
        return _Cut(torch.tensor(math.inf), 0, drop_all=True)
    k = max(1, int(density * n))
    if n < EXACT_BELOW:
        return _whole_tensor_cut(tensor, base, dtype, k)
    lo, hi = sample_bracket(_delta_magnitudes(tensor, base, dtype, 0, n, max(1, n // SAMPLE_SIZE)), n, k)
    above, bands = 0, []
    for start in range(0, n, chunk):
        magnitudes = _delta_magnitudes(tensor, base, dtype, start, min(start + chunk, n))
        above += int(torch.count_nonzero(magnitudes > hi))
        bands.append(magnitudes[(magnitudes >= lo).logical_and_(magnitudes <= hi)])
    band = torch.cat(bands)
    if not above < k <= above + band.numel():
        return _whole_tensor_cut(tensor, base, dtype, k)
    threshold = torch.kthvalue(band, band.numel() - (k - above) + 1).values
    missing = k - above - int(torch.count_nonzero(band > threshold))
    return _Cut(threshold, _ties_before(bands, threshold, missing, tensor, base, dtype, chunk))


def _ties_before(
    bands: Sequence[torch.Tensor],
    threshold: torch.Tensor,
    missing: int,
    tensor: torch.Tensor,
    base: torch.Tensor,
    dtype: torch.dtype,
    chunk: int,
) -> int:
    """The flat index just past the ``missing``-th entry equal to ``threshold`` (band parts are per chunk)."""
    seen = 0
    for number, part in enumerate(bands):
        here = int(torch.count_nonzero(part == threshold))
        if seen + here >= missing:
            start = number * chunk
            magnitudes = _delta_magnitudes(tensor, base, dtype, start, min(start + chunk, tensor.numel()))
            position = (magnitudes == threshold).nonzero().reshape(-1)[missing - seen - 1]
            return start + int(position) + 1
        seen += here
    return tensor.numel()


def _whole_tensor_cut(tensor: torch.Tensor, base: torch.Tensor, dtype: torch.dtype, k: int) -> _Cut:
    magnitudes = _delta_magnitudes(tensor, base, dtype, 0, tensor.numel())
    threshold = torch.kthvalue(magnitudes, magnitudes.numel() - k + 1).values
    missing = k - int(torch.count_nonzero(magnitudes > threshold))
    tied = (magnitudes == threshold).nonzero().reshape(-1)
    return _Cut(threshold, int(tied[missing - 1]) + 1 if missing else 0)
