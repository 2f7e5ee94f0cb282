"""DARE's default random drop: counter-based draws, reproducible from the seed in any order and any chunking.

mergekit draws DARE's masks from torch's one global generator, tensor after tensor, with a serial kernel
(``torch.bernoulli``); reproducing its bits forces the same order and one thread
(:func:`judgeforge.merge.sparsify.bernoulli`, ``random_stream: torch``). The default stream here instead
gives every entry its own draw, a pure function of (seed, tensor name, model index, entry index):

* **Generator**: Philox4x64-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
  SC'11), as numpy implements it (``numpy.random.Philox``). Its key (128 bits) is the BLAKE2b-128 digest of
  ``"{seed}\\0{tensor name}\\0{model index}"``; its counter addresses the stream, so any range of entries
  is generated on its own. Entry ``j`` draws the 32-bit word ``u_j``: the ``j % 2``-th little-endian half of
  64-bit word ``j // 2`` of ``Philox(key, counter=0).random_raw()``; ``Philox(key, counter=c)`` starts at
  word ``4c``, so the range ``[start, stop)`` starts from counter ``start // 8``.
* **Drop**: entry ``j`` is kept when ``u_j < round(density * 2**32)``: a keep probability within ``2**-33``
  of ``density``.
* **Rescale** (``rescale: true``, mergekit's ``RescaleNorm.l1``): the kept entries are multiplied by
  ``||delta||_1 / ||mask * delta||_1`` (not rescaled when either norm is below 1e-7, as mergekit). Both
  norms are computed in the streaming pass that precedes the merge (:class:`RandomDrop`), as sums over
  fixed blocks of ``BLOCK`` entries counted from the tensor's first entry, each block summed in fp64 by
  numpy (single-threaded, pairwise), the block sums added by ``math.fsum`` (correctly rounded). The norms,
  hence the bytes, depend neither on the chunk size nor on the thread count; the ratio of the two fp64
  norms is rounded once, to the delta's dtype's arithmetic (fp32), when it multiplies the kept entries.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import torch

BLOCK = 1 << 13  # entries per block of the L1 sums (their rounding depends on the block layout only)
_WORDS_PER_COUNTER = 8  # 32-bit draws per Philox4x64 counter step
_EPS = 1e-7  # mergekit's rescaled_masked_tensor: no rescale when either norm is below this

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class DrawKey:
    """What the draws of one output tensor are keyed on: the merge's seed and the tensor's name."""

    seed: int
    tensor: str

    def philox_key(self, model: int) -> npt.NDArray[np.uint64]:
        """The 128-bit Philox key of input ``model`` (its index in merge order) for this tensor."""
        text = f"{self.seed}\0{self.tensor}\0{model}".encode()
        digest = hashlib.blake2b(text, digest_size=16).digest()
        return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


def keep_mask(key: npt.NDArray[np.uint64], density: float, start: int, stop: int) -> BoolArray:
    """Which entries of the flat range ``[start, stop)`` the drop keeps (see the module docstring)."""
    threshold = round(density * 2**32)
    count = stop - start
    if threshold >= 2**32:
        return np.ones(count, dtype=np.bool_)
    if threshold <= 0:
        return np.zeros(count, dtype=np.bool_)
    skip = start % _WORDS_PER_COUNTER
    generator = np.random.Philox(key=key, counter=start // _WORDS_PER_COUNTER)
    raw = generator.random_raw((skip + count + 1) // 2)
    words = raw.astype("<u8", copy=False).view("<u4")[skip : skip + count]
    mask: BoolArray = words < np.uint32(threshold)
    return mask


@dataclass
class BlockL1:
    """The L1 norm of a flat tensor fed range by range, independent of the ranges (module docstring)."""

    sums: list[float] = field(default_factory=list)
    carry: npt.NDArray[np.float32] = field(default_factory=lambda: np.empty(0, dtype=np.float32))

    def add(self, magnitudes: npt.NDArray[np.float32]) -> None:
        """Add the next entries' magnitudes (1-D fp32, in index order)."""
        if self.carry.size:
            need = BLOCK - self.carry.size
            self.carry = np.concatenate([self.carry, magnitudes[:need]])
            magnitudes = magnitudes[need:]
            if self.carry.size < BLOCK:
                return
            self.sums.append(float(np.add.reduce(self.carry, dtype=np.float64)))
            self.carry = np.empty(0, dtype=np.float32)
        whole = magnitudes.size // BLOCK * BLOCK
        if whole:
            rows = magnitudes[:whole].reshape(-1, BLOCK)
            self.sums.extend(np.add.reduce(rows, axis=1, dtype=np.float64).tolist())
        if whole < magnitudes.size:
            self.carry = magnitudes[whole:].copy()

    def total(self) -> float:
        """The norm of everything added (the last, partial block included)."""
        tail = [float(np.add.reduce(self.carry, dtype=np.float64))] if self.carry.size else []
        return math.fsum(self.sums + tail)


@dataclass
class RandomDrop:
    """DARE's drop and L1 rescale of one model's delta, range by range.

    With ``rescale``, every range is first passed to :meth:`measure` (in index order), then
    :meth:`finish` fixes the scale; :meth:`apply` then masks (and scales) any range in place. The masks
    drawn while measuring are kept as packed bits (an eighth of a byte per entry) for :meth:`apply`.
    mergekit multiplies by the mask, then by the scale; one multiplication by ``mask * fp32(scale)`` gives
    the same bits (``x * 1 * s == x * s``; ``x * 0 * s`` and ``x * 0`` are the same signed zero or NaN).
    The elementwise steps run in numpy for fp32 deltas (single-threaded kernels: no intra-op thread
    hand-offs while several tensors are merged in parallel).
    """

    key: npt.NDArray[np.uint64]
    density: float
    rescale: bool
    scale: float | None = None
    _before: BlockL1 = field(default_factory=BlockL1)
    _after: BlockL1 = field(default_factory=BlockL1)
    _packed: dict[int, npt.NDArray[np.uint8]] = field(default_factory=dict)

    def measure(self, delta: torch.Tensor, start: int) -> None:
        """Add a range's contribution to both norms (``delta``: the flat range starting at ``start``)."""
        mask = keep_mask(self.key, self.density, start, start + delta.numel())
        self._packed[start] = np.packbits(mask)
        view = _numpy_view(delta)
        values = np.abs(view) if view is not None else delta.abs().float().numpy()
        self._before.add(values)
        np.multiply(values, mask, out=values)  # |mask * delta|, NaN where mergekit's product is NaN
        self._after.add(values)

    def finish(self) -> None:
        """Fix the scale from the measured norms (``None``: no rescale, as mergekit below ``1e-7``)."""
        before, after = self._before.total(), self._after.total()
        self.scale = None if before < _EPS or after < _EPS else before / after

    def apply(self, delta: torch.Tensor, start: int) -> None:
        """Drop (and rescale) the flat range of the delta starting at ``start``, in place."""
        count = delta.numel()
        packed = self._packed.pop(start, None)
        if packed is None:
            mask = keep_mask(self.key, self.density, start, start + count)
        else:
            mask = np.unpackbits(packed, count=count).view(np.bool_)
        multiplier = mask.astype(np.float32)
        if self.scale is not None:
            multiplier *= np.float32(self.scale)  # rounded once, as torch rounds a scalar for fp32 math
        values = _numpy_view(delta)
        if values is not None:
            np.multiply(values, multiplier, out=values)
        else:  # bf16/fp16: torch computes in fp32 and rounds once, as mergekit's two products do
            delta.mul_(torch.from_numpy(multiplier))


def _numpy_view(tensor: torch.Tensor) -> npt.NDArray[np.float32] | None:
    """The tensor's memory as a numpy array when it is a contiguous fp32 CPU tensor."""
    if tensor.dtype != torch.float32 or tensor.device.type != "cpu" or not tensor.is_contiguous():
        return None
    view: npt.NDArray[np.float32] = tensor.numpy()
    return view
