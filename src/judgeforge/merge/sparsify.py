"""Delta sparsification: TIES's top-k magnitudes and DARE's mergekit-exact random drop, with the L1 rescale.

The whole-tensor forms follow mergekit 0.1.5's ``mergekit/sparsify.py`` (``magnitude``, ``bernoulli``,
``rescaled_masked_tensor``) operation for operation. The top-k selection is also available streamed: a
:class:`Cut` found in one pass over ranges of a tensor (:func:`magnitude_cut`) and applied range by range
(:func:`prune`), which keeps exactly the entries the whole-tensor ``tiebreak="index"`` selection keeps.
DARE's counter-based (fast, chunkable) drop lives in :mod:`judgeforge.merge.draws`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

TIEBREAKS = ("index", "argsort")
SAMPLE_SIZE = 1 << 16  # entries sampled to bracket the k-th value (see magnitude_cut)
EXACT_BELOW = 1 << 18  # smaller tensors go straight to torch.kthvalue

# |delta| over [start, stop) with a step, as fp32 on CPU (how TIES compares magnitudes, as mergekit does).
Magnitudes = Callable[[int, int, int], "torch.Tensor"]


def rescaled(
    tensor: torch.Tensor, mask: torch.Tensor, rescale: bool, inplace: bool = False, eps: float = 1e-7
) -> torch.Tensor:
    """``tensor * mask``, rescaled so its L1 norm matches the unmasked tensor's when ``rescale``.

    mergekit's ``rescaled_masked_tensor`` with ``RescaleNorm.l1``. ``mask`` may be boolean (multiplying by
    it is multiplying by 1.0/0.0, bit for bit). With ``inplace`` the result is written into ``tensor``.
    """
    before = tensor.abs().sum() if rescale else None
    masked = tensor.mul_(mask) if inplace else tensor * mask
    if before is None:
        return masked
    after = masked.abs().sum()
    if before < eps or after < eps:
        return masked
    return masked.mul_(before / after)


def magnitude(
    tensor: torch.Tensor, density: float, rescale: bool, tiebreak: str = "index", inplace: bool = False
) -> torch.Tensor:
    """Keep the ``k = max(1, int(density * numel))`` largest-magnitude entries, zero the rest.

    Entries whose magnitude equals the k-th largest are ambiguous. ``tiebreak="index"`` keeps the
    lowest-index ones (deterministic, selection in O(n), see :func:`magnitude_cut`); ``"argsort"`` keeps
    the ones ``torch.argsort`` happens to put first, which is what mergekit does and is needed for
    bit-identical output with it. With ``inplace`` the result is written into ``tensor``.
    """
    import torch

    if density >= 1:
        return tensor
    if density <= 0 or tensor.numel() == 0:
        return torch.zeros_like(tensor)
    n = tensor.numel()
    flat = tensor.reshape(-1)

    def magnitudes(start: int, stop: int, step: int) -> torch.Tensor:
        w = flat[start:stop:step].abs()
        return w.float() if w.device.type == "cpu" else w

    if tiebreak == "argsort":
        mask = torch.zeros(n, dtype=tensor.dtype, device=tensor.device)
        mask[torch.argsort(magnitudes(0, n, 1), descending=True)[: max(1, int(density * n))]] = 1
    elif tiebreak == "index":
        cut = magnitude_cut(magnitudes, n, density, n)
        assert cut is not None  # 0 < density < 1
        mask = kept(magnitudes(0, n, 1), cut, 0)
    else:
        raise ValueError(f"magnitude_tiebreak must be one of {TIEBREAKS}, got {tiebreak!r}")
    return rescaled(tensor, mask.reshape_as(tensor), rescale, inplace)


def bernoulli(
    tensor: torch.Tensor, density: float, rescale: bool, generator: torch.Generator
) -> torch.Tensor:
    """DARE as mergekit draws it: keep each entry with probability ``density``, one draw per entry.

    The mask is drawn with ``generator`` from a tensor filled with ``density`` in the work dtype (fp32 on
    CPU unless the delta is bf16), in storage order, exactly as mergekit draws it from the global
    generator: the same generator state gives mergekit's bits.
    """
    import torch

    if density >= 1:
        return tensor
    work = tensor.dtype if tensor.device.type != "cpu" or tensor.dtype == torch.bfloat16 else torch.float32
    probs = torch.full_like(tensor, fill_value=density, dtype=work)
    mask = torch.bernoulli(probs, generator=generator)
    return rescaled(tensor.to(work), mask, rescale).to(tensor.dtype)


@dataclass(frozen=True)
class Cut:
    """Keep ``|delta| > threshold``, and ``|delta| == threshold`` at flat indices below ``ties_before``.

    ``drop_all`` (density 0) zeroes the delta outright, as the whole-tensor selection does.
    """

    threshold: torch.Tensor
    ties_before: int
    drop_all: bool = False


def kept(magnitudes: torch.Tensor, cut: Cut, start: int) -> torch.Tensor:
    """The boolean selection of ``cut`` over the magnitudes of the flat range starting at ``start``."""
    import torch

    if cut.drop_all:
        return torch.zeros(magnitudes.shape, dtype=torch.bool, device=magnitudes.device)
    keep = magnitudes > cut.threshold
    tied_until = min(max(cut.ties_before - start, 0), magnitudes.numel())
    if tied_until:
        keep[:tied_until].logical_or_(magnitudes[:tied_until] == cut.threshold)
    return keep


def prune(delta: torch.Tensor, cut: Cut, start: int) -> None:
    """Zero the entries of one range of a delta that the cut does not keep (in place)."""
    if cut.drop_all:
        delta.zero_()
    else:
        delta.mul_(kept(delta.abs(), cut, start))


def magnitude_cut(magnitudes: Magnitudes, n: int, density: float, chunk: int) -> Cut | None:
    """Which of ``n`` magnitudes the top-``density`` selection keeps: the top ``k``, ties by lowest index.

    ``torch.kthvalue`` is a serial quickselect, so for large tensors a strided sample of ``SAMPLE_SIZE``
    entries brackets the k-th largest magnitude in ``[lo, hi]`` (:func:`sample_bracket`); one pass over
    ranges of ``chunk`` entries counts the magnitudes above ``hi`` and keeps those inside the band (in
    index order); the band's counts prove the k-th value is in it, else (an unrepresentative sample) the
    whole tensor goes to ``kthvalue``. The result is exact either way. ``None``: keep everything.
    """
    import torch

    if density >= 1:
        return None
    if density <= 0:
        return Cut(torch.tensor(math.inf), 0, drop_all=True)
    k = max(1, int(density * n))
    if n < EXACT_BELOW:
        return _whole_cut(magnitudes, n, k)
    lo, hi = sample_bracket(magnitudes(0, n, max(1, n // SAMPLE_SIZE)), n, k)
    above, bands = 0, []
    for start in range(0, n, chunk):
        part = magnitudes(start, min(start + chunk, n), 1)
        above += int(torch.count_nonzero(part > hi))  # count_nonzero: no int64 copy, unlike bool.sum()
        bands.append(part[(part >= lo).logical_and_(part <= hi)])
    band = torch.cat(bands)
    if not above < k <= above + band.numel():
        return _whole_cut(magnitudes, n, k)
    threshold = torch.kthvalue(band, band.numel() - (k - above) + 1).values
    missing = k - above - int(torch.count_nonzero(band > threshold))
    return Cut(threshold, _ties_before(magnitudes, n, bands, threshold, missing, chunk))


def sample_bracket(sample: torch.Tensor, n: int, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(lo, hi)`` around where the k-th largest of ``n`` values should lie, judged from a sample of them.

    The band spans +-6 standard deviations of a sample quantile's rank (plus a few entries). Callers must
    check with counts that the k-th value really lies in it: the sample may be unrepresentative.
    """
    ordered = sample.sort().values
    size = ordered.numel()
    centre = (n - k) * size // n  # the k-th largest is the (n - k)-th smallest, 0-based
    margin = int(6 * math.sqrt(size / 4)) + 8
    return ordered[max(centre - margin, 0)], ordered[min(centre + margin, size - 1)]


def _ties_before(
    magnitudes: Magnitudes,
    n: int,
    bands: Sequence[torch.Tensor],
    threshold: torch.Tensor,
    missing: int,
    chunk: int,
) -> int:
    """The flat index just past the ``missing``-th entry equal to ``threshold`` (band parts are per range)."""
    import torch

    seen = 0
    for number, part in enumerate(bands):
        here = int(torch.count_nonzero(part == threshold))
        if seen + here >= missing:
            start = number * chunk
            values = magnitudes(start, min(start + chunk, n), 1)
            position = (values == threshold).nonzero().reshape(-1)[missing - seen - 1]
            return start + int(position) + 1
        seen += here
    return n


def _whole_cut(magnitudes: Magnitudes, n: int, k: int) -> Cut:
    import torch

    values = magnitudes(0, n, 1)
    threshold = torch.kthvalue(values, n - k + 1).values
    missing = k - int(torch.count_nonzero(values > threshold))
    tied = (values == threshold).nonzero().reshape(-1)
    return Cut(threshold, int(tied[missing - 1]) + 1 if missing else 0)
