"""Linear: the weighted mean of the inputs (mergekit 0.1.5 ``mergekit/merge_methods/linear.py``).

``sum_i w_i * T_i`` accumulated in fp32 (fp64 for fp64 inputs) in merge order with ``addcmul_``, divided by
``sum_i w_i`` if ``normalize``, then rounded to the compute dtype: mergekit's operations, hence its bits.
Every step is elementwise, so the method only exists range by range; a whole tensor is one range. It has
no torch-free twin: ``addcmul_`` rounds once per product and sum (a fused multiply-add), which numpy lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgeforge.merge.methods.base import ChunkFn, MergeMethod, ParamSpec, Streamed, TensorInputs

if TYPE_CHECKING:
    import torch


def start(x: TensorInputs, chunk: int) -> ChunkFn:
    """The function merging one flat range, with its fp32 (fp64) accumulator of ``chunk`` entries."""
    import torch

    dtype = x.work_dtype
    acc_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    weights = torch.tensor([float(p["weight"]) for p in x.params], dtype=acc_dtype)
    total = weights.sum()
    flat = [t.reshape(-1) for t in x.tensors]
    acc = torch.empty(min(chunk, flat[0].numel()), dtype=acc_dtype)

    def merge(begin: int, end: int) -> torch.Tensor:
        part = acc[: end - begin].zero_()
        for tensor, weight in zip(flat, weights.unbind(0)):
            part.addcmul_(x.convert(tensor[begin:end]), weight)  # one converted input alive at a time
        if x.shared["normalize"]:
            part.div_(total)
        return part.to(dtype)

    return merge


METHOD = MergeMethod(
    "linear",
    {"weight": ParamSpec(float, required=True, scope="input"), "normalize": ParamSpec(bool, True)},
    streamed=Streamed(lambda x: True, start),
)
