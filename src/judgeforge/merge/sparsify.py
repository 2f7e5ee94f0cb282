"""Delta sparsification used by TIES (magnitude) and DARE (random drop), with optional L1 rescale."""

from __future__ import annotations

import torch

TIEBREAKS = ("index", "argsort")


def _rescaled(tensor: torch.Tensor, mask: torch.Tensor, rescale: bool, eps: float = 1e-7) -> torch.Tensor:
    """``tensor * mask``, rescaled so its L1 norm matches the unmasked tensor's when ``rescale``."""
    masked = tensor * mask
    if not rescale:
        return masked
    before = tensor.abs().sum()
    after = masked.abs().sum()
    if before < eps or after < eps:
        return masked
    return masked * (before / after)


def magnitude(tensor: torch.Tensor, density: float, rescale: bool, tiebreak: str = "index") -> torch.Tensor:
    """Keep the ``k = max(1, int(density * numel))`` largest-magnitude entries, zero the rest.

    Entries whose magnitude equals the k-th largest are ambiguous. ``tiebreak="index"`` keeps the
    lowest-index ones (deterministic, selection in O(n)); ``"argsort"`` keeps the ones ``torch.argsort``
    happens to put first, which is what mergekit does and is needed for bit-identical output with it.
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
        # A cast of the boolean selection: a boolean index-put into zeros costs ~2x more on large tensors.
        mask = _top_k_lowest_index(w, k).to(tensor.dtype)
    else:
        raise ValueError(f"magnitude_tiebreak must be one of {TIEBREAKS}, got {tiebreak!r}")
    return _rescaled(tensor, mask.reshape_as(tensor), rescale)


def _top_k_lowest_index(w: torch.Tensor, k: int) -> torch.Tensor:
    """A boolean selection of the k largest values of 1-D ``w``; ties at the threshold by lowest index."""
    threshold = torch.kthvalue(w, w.numel() - k + 1).values
    selected = w > threshold
    missing = k - int(torch.count_nonzero(selected))  # count_nonzero: no int64 copy, unlike bool.sum()
    tied = w == threshold
    if int(torch.count_nonzero(tied)) == missing:
        return selected | tied
    selected[tied.nonzero().reshape(-1)[:missing]] = True
    return selected


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
