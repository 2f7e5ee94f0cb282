"""The engine's executor: a method runs range by range in fixed-size chunks when it can, else in one call.

Chunked evaluation keeps the temporaries of a merge small (``CHUNK`` entries: 1 MiB in fp32), so they stay
in the CPU's caches from one elementwise step to the next, the allocator reuses them instead of asking the
kernel for fresh zeroed pages for every temporary of a multi-GB tensor, and memory stays about one output
tensor whatever the model; much smaller chunks pay more per-range overhead than they save. This module
owns the chunk size; a method sees it only as the argument of its statistics pass (:class:`Streamed`). A streamed method
gives the same bits whatever the chunk size (tested), so a tensor below one chunk is simply one range.

:func:`merge_array` is the executor of the torch-free arithmetic (``MergeMethod.without_torch``), over numpy
arrays in fp32, rounding each range into the output as torch's conversion does (``ml_dtypes`` for bf16).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from judgeforge.merge.methods.base import ArrayInputs, MergeMethod, TensorInputs, spans

if TYPE_CHECKING:
    import torch

CHUNK = 1 << 18
_ARRAY_OUTPUTS = ("float32", "float16", "bfloat16")  # what merge_array rounds into as torch would
_CHUNK_BUFFERS = 4  # chunk-sized fp32 scratch buffers a streamed method holds per input, at most


def streams(method: MergeMethod, x: TensorInputs) -> bool:
    """Whether :func:`merge_tensor` merges ``x`` range by range (else in one whole-tensor call)."""
    return method.streamed is not None and method.streamed.applies(x)


def footprint(method: MergeMethod, x: TensorInputs, chunk: int = CHUNK) -> int:
    """An estimate of the bytes :func:`merge_tensor` holds at its peak for ``x`` (inputs are mapped, not read).

    Chunked: the output, a few chunk-sized buffers per input and what the method's statistics keep
    (``Streamed.holds``: DARE's packed masks, TIES's candidate band). Otherwise :func:`whole_footprint`.
    """
    if not streams(method, x):
        return whole_footprint(x)
    assert method.streamed is not None
    out_bytes = x.entries * (x.out_dtype or x.work_dtype).itemsize
    return streamed_footprint(x.entries, x.inputs, out_bytes, method.streamed.holds(x), chunk)


def streamed_footprint(entries: int, inputs: int, out_bytes: int, holds: int, chunk: int = CHUNK) -> int:
    """The bytes a range-by-range merge holds at its peak: the output, chunk buffers per input, statistics."""
    return out_bytes + min(chunk, entries) * 4 * _CHUNK_BUFFERS * inputs + holds


def whole_footprint(x: TensorInputs | ArrayInputs) -> int:
    """An estimate of the bytes a whole-tensor merge of ``x`` holds: every input in fp32, two fp32 temporaries."""
    return x.entries * 4 * (x.inputs + 2)


def merge_tensor(
    method: MergeMethod,
    x: TensorInputs,
    chunk: int = CHUNK,
    empty: Callable[[], torch.Tensor] | None = None,
) -> torch.Tensor:
    """The merged tensor (in ``x.out_dtype`` when streamed; the caller converts whatever it gets).

    ``empty``: where a streamed merge writes its output (a tensor of ``x.out_dtype`` and the inputs'
    shape, for example the writer's aligned buffer); by default a fresh tensor.
    """
    import torch

    streamed = method.streamed
    if streamed is None or not streamed.applies(x):
        if method.whole is None:
            raise ValueError(f"merge method '{method.name}' cannot merge these inputs")
        return method.whole(x)
    shape = x.tensors[0].shape
    n = x.tensors[0].numel()
    dtype = x.out_dtype or x.work_dtype
    out = None if empty is None else empty().reshape(-1)
    if out is None or out.dtype != dtype or out.numel() != n:
        out = torch.empty(n, dtype=dtype)
    if n:
        size = min(chunk, n)
        merge = streamed.start(x, size)
        for start, stop in spans(n, size):
            out[start:stop] = merge(start, stop)
    return out.reshape(shape)


def merge_array(method: MergeMethod, x: ArrayInputs, out: NDArray[Any], chunk: int = CHUNK) -> None:
    """Merge ``x`` with the method's torch-free arithmetic into ``out`` (flat; float32, float16 or bfloat16).

    Each fp32 range is rounded to ``out``'s dtype to nearest, ties to even, as torch rounds. ``ValueError``
    when the method has no torch-free arithmetic for ``x`` (see ``MergeMethod.without_torch``), when the
    inputs differ in length or ``out`` is not a flat float array of that length.
    """
    streamed = method.without_torch
    if streamed is None or not streamed.applies(x):
        raise ValueError(f"merge method '{method.name}' cannot merge these inputs without torch")
    n = x.entries
    if any(a.shape != (n,) for a in x.arrays):
        raise ValueError(f"the inputs must be flat and of one length, got {[a.shape for a in x.arrays]}")
    if out.shape != (n,) or out.dtype.name not in _ARRAY_OUTPUTS:
        raise ValueError(
            f"the output is {out.dtype.name}{out.shape}; expected one of {_ARRAY_OUTPUTS} of ({n},)"
        )
    if n:
        size = min(chunk, n)
        with np.errstate(all="ignore"):  # inf - inf and the like give NaN as torch does, without a warning
            merge = streamed.start(x, size)
            for start, stop in spans(n, size):
                np.copyto(out[start:stop], merge(start, stop), casting="unsafe")
