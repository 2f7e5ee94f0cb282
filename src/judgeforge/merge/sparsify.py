"""Delta sparsification used by TIES (magnitude) and DARE (random drop), with optional L1 rescale."""

from __future__ import annotations

import math

import torch

TIEBREAKS = ("index", "argsort")
SAMPLE_SIZE = 1 << 16  # entries sampled to bracket the k-th value (see _threshold_and_counts)
EXACT_BELOW = 1 << 18  # smaller tensors go straight to torch.kthvalue


def _rescaled(
    tensor: torch.Tensor, mask: torch.Tensor, rescale: bool, inplace: bool = False, eps: float = 1e-7
) -> torch.Tensor:
    """``tensor * mask``, rescaled so its L1 norm matches the unmasked tensor's when ``rescale``.

    ``mask`` may be boolean (multiplying by it is multiplying by 1.0/0.0, bit for bit). With ``inplace``
    the result is written into ``tensor``.
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
    lowest-index ones (deterministic, selection in O(n)); ``"argsort"`` keeps the ones ``torch.argsort``
    happens to put first, which is what mergekit does and is needed for bit-identical output with it.
    With ``inplace`` the result is written into ``tensor`` (the caller's buffer).
    """
    if density >= 1:
        return tensor
    if density <= 0 or tensor.numel() == 0:
        return torch.zeros_like(tensor)
    n = tensor.numel()
    k = max(1, int(density * n))
    w = tensor.abs().reshape(-1)
    if w.device.type == "cpu":
        w = w.float()
    if tiebreak == "argsort":
        mask = torch.zeros(n, dtype=tensor.dtype, device=tensor.device)
        mask[torch.argsort(w, descending=True)[:k]] = 1
    elif tiebreak == "index":
        mask = _top_k_lowest_index(w, k)
    else:
        raise ValueError(f"magnitude_tiebreak must be one of {TIEBREAKS}, got {tiebreak!r}")
    return _rescaled(tensor, mask.reshape_as(tensor), rescale, inplace)


def _top_k_lowest_index(w: torch.Tensor, k: int) -> torch.Tensor:
    """A boolean selection of the k largest values of 1-D ``w``; ties at the threshold by lowest index."""
    threshold, greater, equal = _threshold_and_counts(w, k)
    missing = k - greater
    if equal == missing:  # every entry equal to the threshold is kept: one comparison does it
        return w >= threshold
    selected = w > threshold
    tied = w == threshold
    cut = _index_after_nth_true(tied, missing)
    selected[:cut].logical_or_(tied[:cut])
    return selected


def _index_after_nth_true(flags: torch.Tensor, count: int, chunks: int = 4096) -> int:
    """The index just past the ``count``-th True of 1-D boolean ``flags`` (``count`` >= 1 Trues exist).

    Counts per chunk first, so only one chunk is searched element by element.
    """
    width = max(1, flags.numel() // chunks)
    whole = flags.numel() // width * width
    running = flags[:whole].reshape(-1, width).sum(dim=1).cumsum(dim=0)
    chunk = int(torch.searchsorted(running, torch.tensor(count, dtype=running.dtype)))
    before = int(running[chunk - 1]) if chunk else 0
    start = chunk * width
    end = start + width if chunk < running.numel() else flags.numel()  # past the chunks: the tail
    within = flags[start:end].nonzero().reshape(-1)
    return start + int(within[count - before - 1]) + 1


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


def _threshold_and_counts(w: torch.Tensor, k: int) -> tuple[torch.Tensor, int, int]:
    """The k-th largest value of 1-D ``w``, how many entries exceed it and how many equal it.

    ``torch.kthvalue`` is a serial quickselect. For large tensors a strided sample of ``SAMPLE_SIZE``
    entries brackets the answer instead: the band ``[lo, hi]`` around the sample's matching quantile
    (+-6 standard deviations of a sample quantile's rank) is counted and extracted in a few vectorised
    passes, and the exact k-th value is selected within the band. The counts prove the answer lies in the
    band; when they do not (an unlucky or adversarial sample), the whole tensor goes to ``kthvalue``, so
    the result is exact either way.
    """
    n = w.numel()
    if n >= EXACT_BELOW:
        lo, hi = sample_bracket(w[:: n // SAMPLE_SIZE], n, k)
        above = int(torch.count_nonzero(w > hi))  # count_nonzero: no int64 copy, unlike bool.sum()
        band = w[(w >= lo).logical_and_(w <= hi)]
        if above < k <= above + band.numel():
            threshold = torch.kthvalue(band, band.numel() - (k - above) + 1).values
            greater = above + int(torch.count_nonzero(band > threshold))
            return threshold, greater, int(torch.count_nonzero(band == threshold))
    threshold = torch.kthvalue(w, n - k + 1).values
    return threshold, int(torch.count_nonzero(w > threshold)), int(torch.count_nonzero(w == threshold))


def bernoulli(
    tensor: torch.Tensor, density: float, rescale: bool, generator: torch.Generator
) -> torch.Tensor:
    """DARE: keep each entry with probability ``density`` (one Bernoulli draw per entry, in storage order).

    The mask is drawn with ``generator`` from a tensor filled with ``density`` in the work dtype (fp32 on
    CPU unless the delta is bf16), exactly as mergekit draws it from the global generator.
    """
    if density >= 1:
        return tensor
    work = tensor.dtype if tensor.device.type != "cpu" or tensor.dtype == torch.bfloat16 else torch.float32
    probs = torch.full_like(tensor, fill_value=density, dtype=work)
    mask = torch.bernoulli(probs, generator=generator)
    return _rescaled(tensor.to(work), mask, rescale).to(tensor.dtype)
