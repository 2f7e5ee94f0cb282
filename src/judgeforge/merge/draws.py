"""DARE's default random drop: counter-based draws, reproducible from the seed in any order and any chunking.

mergekit draws DARE's masks from torch's one global generator, tensor after tensor, with a serial kernel
(``torch.bernoulli``); reproducing its bits forces the same order and one thread
(:func:`judgeforge.merge.sparsify.bernoulli`, ``random_stream: torch``). The default stream here instead
gives every entry its own draw, a pure function of (seed, tensor name, model index, entry index):

* **Generator**: PCG64 (O'Neill, "PCG: A family of simple fast space-efficient statistically good
  algorithms for random number generation", 2014) as numpy implements it (``numpy.random.PCG64``, whose raw
  stream numpy keeps stable), seeded with ``SeedSequence([k0, k1, 0])``: ``k0, k1`` the two little-endian
  64-bit words of the BLAKE2b-128 digest of ``"{seed}\\0{tensor name}\\0{model index}"``. ``advance(n)``
  jumps over ``n`` outputs in O(log n), so any range of entries is generated on its own. Entry ``j``
  draws the 8-bit word ``w(j)``: the ``j % 8``-th byte (little-endian) of 64-bit output ``j // 8`` of
  ``random_raw()``.
* **Drop**: with ``t = round(density * 2**32) = 2**24 * hi + lo``, entry ``j`` is kept when ``w(j) < hi``,
  or when ``w(j) == hi`` and ``r(j) < lo``: that is, when the 32-bit number ``2**24 * w(j) + r(j)`` is
  below ``t``, a keep probability within ``2**-33`` of ``density``. ``r(j)``, the refinement, is the top
  24 bits of output ``j + 1`` of SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
  generators", OOPSLA 2014; the constants of Vigna's ``splitmix64.c``, prng.di.unimi.it) seeded with
  ``SeedSequence([k0, k1, 1]).generate_state(1, uint64)[0]``: a pure function of ``j``, computed only for
  the entries where ``w(j) == hi`` and ``lo > 0`` (one in 256), so the draws cost 8 random bits per entry.
  (The first stream drew 32-bit words of Philox4x64-10, the second 16-bit words of this PCG64 refined
  from a second PCG64 stream; each change made the draws cheaper, and changed the bytes a seed gives.)
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
from typing import TYPE_CHECKING, Any, Union

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import torch

BLOCK = 1 << 13  # entries per block of the L1 sums (their rounding depends on the block layout only)
_WORD_BITS, _REFINEMENT_BITS = 8, 24  # the 32-bit number 2**24 * w(j) + r(j) is compared with t
_DRAWS_PER_OUTPUT = 64 // _WORD_BITS  # draws per 64-bit PCG64 output
_DRAWS, _REFINEMENT = 0, 1  # the SeedSequence stream words of the draws and of the refinement
# SplitMix64's increment and output mixers (Vigna, splitmix64.c)
_GOLDEN_GAMMA, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_EPS = 1e-7  # mergekit's rescaled_masked_tensor: no rescale when either norm is below this

BoolArray = npt.NDArray[np.bool_]
Delta = Union["torch.Tensor", npt.NDArray[np.float32]]  # a flat delta range: a torch tensor or fp32 numpy


@dataclass(frozen=True)
class DrawKey:
    """What the draws of one output tensor are keyed on: the merge's seed and the tensor's name."""

    seed: int
    tensor: str

    def stream_key(self, model: int) -> npt.NDArray[np.uint64]:
        """The 128-bit key of input ``model``'s draws (its index in merge order) for this tensor."""
        text = f"{self.seed}\0{self.tensor}\0{model}".encode()
        digest = hashlib.blake2b(text, digest_size=16).digest()
        return np.frombuffer(digest, dtype="<u8").astype(np.uint64)


def keep_mask(
    key: npt.NDArray[np.uint64], density: float, start: int, stop: int, draws: DrawStream | None = None
) -> BoolArray:
    """Which entries of the flat range ``[start, stop)`` the drop keeps (see the module docstring).

    ``draws``: the key's draws positioned by earlier calls (:class:`DrawStream`), so that consecutive
    ranges continue the generator instead of seeding it again; the result is the same either way.
    """
    threshold = round(density * 2**32)
    count = stop - start
    if threshold >= 2**32:
        return np.ones(count, dtype=np.bool_)
    if threshold <= 0:
        return np.zeros(count, dtype=np.bool_)
    high, low = divmod(threshold, 1 << _REFINEMENT_BITS)
    stream = draws or DrawStream(key)
    words = stream.words(start, count)
    mask: BoolArray = words < np.uint8(high)
    if low:
        ties = np.flatnonzero(words == np.uint8(high))
        if ties.size:
            mask[ties] = stream.refinement(ties + start) < low
    return mask


def splitmix64(seed: int, counters: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.uint64]:
    """Output ``c`` of SplitMix64 seeded with ``seed``, for every ``c`` of ``counters`` (shape kept).

    Steele, Lea and Flood, "Fast splittable pseudorandom number generators" (OOPSLA 2014), with the
    increment and mixing constants of Vigna's reference ``splitmix64.c`` (prng.di.unimi.it): the state
    after ``c`` steps is ``seed + c * gamma`` (mod 2**64), and the output is its mix.
    """
    z = np.uint64(seed) + counters.astype(np.uint64) * np.uint64(_GOLDEN_GAMMA)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    mixed: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return mixed


def _stream(key: npt.NDArray[np.uint64]) -> np.random.PCG64:
    return np.random.PCG64(np.random.SeedSequence([int(key[0]), int(key[1]), _DRAWS]))


class DrawStream:
    """The draws of one key, read range after range without seeding the generator again each time.

    Seeding a PCG64 (``SeedSequence`` hashing) costs as much as generating tens of thousands of draws; a
    merge reads each stream in consecutive ranges, so the generator is kept where the last range ended
    (with that range's last 64-bit output, which the next range may share) and advanced forward from
    there. A range that starts before that seeds the stream again. The refinement's SplitMix64 seed is
    derived once.
    """

    def __init__(self, key: npt.NDArray[np.uint64]) -> None:
        self.key = key
        self._generator: np.random.PCG64 | None = None
        self._position = 0  # the index of the next 64-bit output the generator gives
        self._last: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)  # output _position - 1, if drawn
        self._refinement_seed: int | None = None

    def words(self, start: int, count: int) -> npt.NDArray[np.uint8]:
        """The 8-bit draws ``w(j)`` of entries ``start`` to ``start + count - 1``."""
        if count <= 0:
            return np.empty(0, dtype=np.uint8)
        first, skip = divmod(start, _DRAWS_PER_OUTPUT)
        outputs = -(-(skip + count) // _DRAWS_PER_OUTPUT)
        shared = int(first == self._position - 1 and self._last.size == 1)  # starts in the last output
        if self._generator is None or first + shared < self._position:
            self._generator, self._position, shared = _stream(self.key), 0, 0
        self._generator.advance(first + shared - self._position)
        fresh = self._generator.random_raw(outputs - shared)
        raw = np.concatenate([self._last, fresh]) if shared else fresh
        self._position = first + outputs
        self._last = raw[-1:].copy()
        words: npt.NDArray[np.uint8] = raw.astype("<u8", copy=False).view(np.uint8)[skip : skip + count]
        return words

    def refinement(self, entries: npt.NDArray[np.intp]) -> npt.NDArray[np.uint64]:
        """The refinements ``r(j)`` of the given entries: 24-bit numbers (module docstring)."""
        if self._refinement_seed is None:
            state = np.random.SeedSequence([int(self.key[0]), int(self.key[1]), _REFINEMENT])
            self._refinement_seed = int(state.generate_state(1, np.uint64)[0])
        outputs = splitmix64(self._refinement_seed, entries + 1)
        refined: npt.NDArray[np.uint64] = outputs >> np.uint64(64 - _REFINEMENT_BITS)
        return refined


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
    hand-offs while several tensors are merged in parallel). A delta is a flat torch tensor or a 1-D fp32
    numpy array (writeable, for :meth:`apply`); numpy deltas never import torch, and a torch delta finds it
    already loaded. A numpy delta of another dtype or shape raises ``TypeError``, a read-only one given to
    :meth:`apply` ``ValueError``, before anything is drawn or consumed.
    """

    key: npt.NDArray[np.uint64]
    density: float
    rescale: bool
    scale: float | None = None
    _before: BlockL1 = field(default_factory=BlockL1)
    _after: BlockL1 = field(default_factory=BlockL1)
    _packed: dict[int, npt.NDArray[np.uint8]] = field(default_factory=dict)
    _scratch: npt.NDArray[np.float32] = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    _stream: DrawStream | None = None

    def _mask(self, start: int, stop: int) -> BoolArray:
        if self._stream is None:
            self._stream = DrawStream(self.key)
        return keep_mask(self.key, self.density, start, stop, self._stream)

    def measure(self, delta: Delta, start: int) -> None:
        """Add a range's contribution to both norms (``delta``: the flat range starting at ``start``)."""
        view = _numpy_view(delta, writing=False)
        mask = self._mask(start, start + _entries(delta))
        self._packed[start] = np.packbits(mask)
        values = np.abs(view, out=self._buffer(view.size)) if view is not None else _magnitudes_in_fp32(delta)
        self._before.add(values)
        with np.errstate(invalid="ignore"):  # inf * 0: NaN where mergekit's product is NaN, silently as torch
            np.multiply(values, mask, out=values)
        self._after.add(values)

    def finish(self) -> None:
        """Fix the scale from the measured norms (``None``: no rescale, as mergekit below ``1e-7``)."""
        before, after = self._before.total(), self._after.total()
        self.scale = None if before < _EPS or after < _EPS else before / after

    def apply(self, delta: Delta, start: int) -> None:
        """Drop (and rescale) the flat range of the delta starting at ``start``, in place."""
        values = _numpy_view(delta, writing=True)
        count = _entries(delta)
        packed = self._packed.pop(start, None)
        if packed is None:
            mask = self._mask(start, start + count)
        else:
            mask = np.unpackbits(packed, count=count).view(np.bool_)
        multiplier = self._buffer(count)
        # mask * fp32(scale) in one pass: the scale is rounded once, as torch rounds a scalar for fp32 math
        np.multiply(mask, np.float32(1.0 if self.scale is None else self.scale), out=multiplier)
        if values is not None:
            with np.errstate(invalid="ignore", over="ignore"):  # inf * 0 and overflow, silently as torch
                np.multiply(values, multiplier, out=values)
        else:  # bf16/fp16 (or strided, or not on the CPU): torch computes in fp32 and rounds once, as mergekit
            import torch

            assert isinstance(delta, torch.Tensor)
            delta.mul_(torch.from_numpy(multiplier))

    def _buffer(self, count: int) -> npt.NDArray[np.float32]:
        """``count`` fp32 entries of scratch memory, reused from range to range (no fresh pages each time)."""
        if self._scratch.size < count:
            self._scratch = np.empty(count, dtype=np.float32)
        return self._scratch[:count]


def _numpy_view(delta: Delta, writing: bool) -> npt.NDArray[np.float32] | None:
    """The delta as a numpy array: a numpy delta, checked, or a contiguous fp32 CPU tensor's memory.

    Raises ``TypeError`` for a numpy delta that is not 1-D float32, ``ValueError`` for a read-only one
    when ``writing``.
    """
    if isinstance(delta, np.ndarray):
        if delta.dtype != np.float32:
            raise TypeError(f"a numpy delta must be float32, not {delta.dtype}")
        if delta.ndim != 1:
            raise TypeError(f"a numpy delta must be a flat (1-D) range, not of shape {delta.shape}")
        if writing and not delta.flags.writeable:
            raise ValueError("a numpy delta is dropped in place: this one is read-only")
        return delta
    import torch  # already loaded: the delta is a torch tensor

    if delta.dtype != torch.float32 or delta.device.type != "cpu" or not delta.is_contiguous():
        return None
    view: npt.NDArray[np.float32] = delta.numpy()
    return view


def _entries(delta: Delta) -> int:
    return delta.size if isinstance(delta, np.ndarray) else delta.numel()


def _magnitudes_in_fp32(delta: Delta) -> npt.NDArray[np.float32]:
    """``|delta|`` in fp32 for a delta that is not fp32 (a bf16/fp16 or non-contiguous tensor)."""
    assert not isinstance(delta, np.ndarray)
    magnitudes: npt.NDArray[np.float32] = delta.abs().float().numpy()
    return magnitudes
