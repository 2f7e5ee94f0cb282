"""Spherical linear interpolation between the base and one other model (mergekit 0.1.5 ``slerp.py``).

The angle is taken over the whole tensor (both tensors flattened and normalised), so the method runs on
whole tensors only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgeforge.merge.methods.base import MergeMethod, ParamSpec, TensorInputs

if TYPE_CHECKING:
    import torch


def slerp(x: TensorInputs) -> torch.Tensor:
    """Interpolate from the base (``t = 0``) to the other model (``t = 1``) along the great circle.

    Falls back to linear interpolation when the normalised vectors are (anti)collinear
    (``|cos| > 0.9995``). Computed in fp32 (fp64 for fp64 inputs).
    """
    import torch

    assert x.base_index is not None
    v0, v1 = x.tensor(x.base_index), x.tensor(1 - x.base_index)
    dtype = torch.float64 if v0.dtype == torch.float64 else torch.float32
    t = float(x.shared["t"])
    a, b = v0.reshape(-1).to(dtype), v1.reshape(-1).to(dtype)
    if a.numel() == 0:
        return v0
    eps = 1e-8
    na, nb = torch.linalg.vector_norm(a), torch.linalg.vector_norm(b)
    na = torch.where(na > eps, na, 1)
    nb = torch.where(nb > eps, nb, 1)
    dot = ((a / na) * (b / nb)).sum().clamp(-1, 1)
    if dot.abs() > 0.9995:
        out = (1 - t) * a + t * b
    else:
        theta = torch.acos(dot)
        sin_theta = torch.sin(theta)
        out = (torch.sin((1 - t) * theta) / sin_theta) * a + (torch.sin(t * theta) / sin_theta) * b
    return out.reshape(v0.shape).to(v0.dtype)


METHOD = MergeMethod(
    "slerp", {"t": ParamSpec(float, required=True)}, whole=slerp, needs_base=True, min_inputs=2, max_inputs=2
)
