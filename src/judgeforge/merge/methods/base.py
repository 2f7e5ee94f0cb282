"""The contract between the engine and the merge methods: inputs, parameters, and how a method runs.

As in mergekit 0.1.5 (``mergekit/merge_methods/base.py``), a method is data: its parameters (type, default,
scope) and its arithmetic. The arithmetic comes in up to two shapes, both pure functions over tensors:

* ``whole``: one call on whole tensors, for the steps that need the whole tensor at once (a global sort,
  norms whose rounding must match mergekit's, draws from one sequential generator);
* ``streamed``: a statistics pass (if any) and then one call per range of flat indices, for methods whose
  steps are elementwise once a few whole-tensor statistics are known.

Which one runs, and over which ranges, is the engine's decision (:mod:`judgeforge.merge.chunked`, the only
owner of the chunk size). Reading, dtype conversion, sharding and traversal order live in the engine too.

A streamed method may also give its arithmetic over numpy arrays in fp32 (``without_torch``:
:class:`ArrayStreamed` over :class:`ArrayInputs`), with the same bits as its torch arithmetic in fp32 for every
value but NaN (a NaN stays a NaN; its sign and payload bits may differ). The engine then merges without
importing torch, which saves its start-up. Importing this module imports neither torch nor ``ml_dtypes``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import torch

    from judgeforge.merge.draws import DrawKey

# ``random_stream`` values: counter-based draws keyed on seed, tensor name and model (the default), or
# mergekit's one torch generator drawn in traversal order (``--mergekit-dare``).
COUNTER_STREAM = "philox"
SEQUENTIAL_STREAM = "torch"


@dataclass(frozen=True)
class TensorInputs:
    """Everything a method needs for one output tensor.

    ``params[i]`` belongs to ``tensors[i]``; the base model's entry only holds input-scoped parameters
    (for example linear's ``weight``). ``tensors`` are as stored; methods read them through :meth:`tensor`
    (or :meth:`convert` for a slice), which converts to the compute ``dtype`` on demand so that only the
    copies in use are alive. Random methods draw either from ``generator`` (one sequential torch generator
    advanced in the engine's traversal order: mergekit's stream) or from the counter-based streams of
    ``draws`` (keyed on the seed and the tensor name: any order, any chunking).
    """

    tensors: tuple[torch.Tensor, ...]
    params: tuple[Mapping[str, Any], ...]
    shared: Mapping[str, Any]
    base_index: int | None = None
    generator: torch.Generator | None = None
    dtype: torch.dtype | None = None
    out_dtype: torch.dtype | None = None
    draws: DrawKey | None = None

    def tensor(self, i: int) -> torch.Tensor:
        """Input ``i`` in the compute dtype (a fresh copy when a conversion is needed)."""
        return self.convert(self.tensors[i])

    def convert(self, t: torch.Tensor) -> torch.Tensor:
        """``t`` (an input or a slice of one) in the compute dtype; unchanged when ``dtype`` is not set."""
        return t if self.dtype is None else t.to(self.dtype)

    @property
    def work_dtype(self) -> torch.dtype:
        """The dtype the arithmetic runs in: the compute dtype, else the first input's."""
        return self.dtype or self.tensors[0].dtype

    @property
    def others(self) -> list[int]:
        """Indices of the non-base inputs, in merge order."""
        return _others(len(self.tensors), self.base_index)

    @property
    def entries(self) -> int:
        """Entries per input tensor."""
        return self.tensors[0].numel()

    @property
    def inputs(self) -> int:
        """How many input tensors there are."""
        return len(self.tensors)


@dataclass(frozen=True)
class ArrayInputs:
    """What a method's torch-free arithmetic sees for one output tensor (the engine's fp32 compute only).

    ``arrays[i]``: input ``i`` flat, as stored (``float32``, ``float16`` or ``ml_dtypes.bfloat16``: each
    converts to fp32 exactly); ``params``, ``shared``, ``base_index`` and ``draws`` as in :class:`TensorInputs`.
    """

    arrays: tuple[NDArray[Any], ...]
    params: tuple[Mapping[str, Any], ...]
    shared: Mapping[str, Any]
    base_index: int | None = None
    draws: DrawKey | None = None

    @property
    def others(self) -> list[int]:
        """Indices of the non-base inputs, in merge order."""
        return _others(len(self.arrays), self.base_index)

    @property
    def entries(self) -> int:
        """Entries per input array."""
        return int(self.arrays[0].size)

    @property
    def inputs(self) -> int:
        """How many input arrays there are."""
        return len(self.arrays)


def _others(inputs: int, base_index: int | None) -> list[int]:
    return [i for i in range(inputs) if i != base_index]


MethodFn = Callable[[TensorInputs], "torch.Tensor"]
ChunkFn = Callable[[int, int], "torch.Tensor"]  # (start, stop) of the flat tensor -> merged values there
ArrayChunkFn = Callable[[int, int], NDArray[np.float32]]  # the same, in fp32 numpy


@dataclass(frozen=True)
class Streamed:
    """How a method runs range by range.

    ``applies(x)`` says whether this shape computes the merge (else ``whole`` does). ``start(x, chunk)``
    makes any statistics pass it needs over ranges of ``chunk`` entries (see :func:`spans`) and returns the
    function that merges the flat range ``[start, stop)``; the executor calls it on consecutive ranges of
    at most ``chunk`` entries, in order. A streamed method gives the same bits whatever ``chunk`` is.
    """

    applies: Callable[[TensorInputs], bool]
    start: Callable[[TensorInputs, int], ChunkFn]
    holds: Callable[[TensorInputs | ArrayInputs], int] = lambda x: 0  # bytes the statistics keep, at most


@dataclass(frozen=True)
class ArrayStreamed:
    """A streamed method's arithmetic over numpy arrays in fp32, for merges that run without torch.

    As :class:`Streamed`: ``applies(x)`` says whether it computes this merge (else the engine uses torch),
    from ``x``'s settings, parameters and number of inputs only (the engine asks before reading anything);
    ``start(x, chunk)`` makes the statistics pass and returns the function merging the flat range
    ``[start, stop)`` into fp32 values (a scratch array the caller copies out before the next call). The
    results must be :class:`Streamed`'s bits for an fp32 compute dtype, NaNs aside (tested side by side).
    """

    applies: Callable[[ArrayInputs], bool]
    start: Callable[[ArrayInputs, int], ArrayChunkFn]


def spans(n: int, chunk: int) -> Iterator[tuple[int, int]]:
    """The ranges ``[start, stop)`` of ``chunk`` entries (the last one shorter) covering ``range(n)``."""
    for start in range(0, n, chunk):
        yield start, min(start + chunk, n)


@dataclass(frozen=True)
class ParamSpec:
    """A method parameter: its type, default (``required`` when there is none), scope and allowed values."""

    kind: type
    default: Any = None
    required: bool = False
    scope: str = "shared"  # "shared", "input" (every model) or "non_base" (every model but the base)
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class MergeMethod:
    """A registered method: its arithmetic plus the contract the engine validates before writing."""

    name: str
    params: Mapping[str, ParamSpec]
    whole: MethodFn | None = None
    streamed: Streamed | None = None
    without_torch: ArrayStreamed | None = None
    needs_base: bool = False
    random: bool = False
    min_inputs: int = 1
    max_inputs: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def sequential_draws(self, shared: Mapping[str, Any]) -> bool:
        """Whether this tensor draws from the one sequential generator (mergekit's stream, in order)."""
        return self.random and shared.get("random_stream") == SEQUENTIAL_STREAM
