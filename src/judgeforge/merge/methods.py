"""Merge methods: small registered pure functions over one tensor name's inputs.

Each method receives :class:`TensorInputs` (the tensors of every input model for one tensor name, already in
the compute dtype, in merge order, with their resolved parameters) and returns the merged tensor. Reading,
dtype conversion, sharding and traversal order live in :mod:`judgeforge.merge.engine`. The formulas are
documented in ``docs/merge.md``; the operation order follows mergekit 0.1.5 so that results are
bit-identical to it (see that page for the one documented exception, magnitude ties).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from judgeforge.merge import chunked, sparsify
from judgeforge.registry import Registry


@dataclass(frozen=True)
class TensorInputs:
    """Everything a method needs for one output tensor.

    ``params[i]`` belongs to ``tensors[i]``; the base model's entry only holds input-scoped parameters
    (for example linear's ``weight``). ``generator`` is set for random methods and is advanced in the
    engine's fixed traversal order. ``tensors`` are as stored; methods read them through :meth:`tensor`,
    which converts to the compute ``dtype`` on demand so that only the copies in use are alive. A method
    may return its result already in ``out_dtype`` (the engine converts whatever it gets to that).
    """

    tensors: tuple[torch.Tensor, ...]
    params: tuple[Mapping[str, Any], ...]
    shared: Mapping[str, Any]
    base_index: int | None = None
    generator: torch.Generator | None = None
    dtype: torch.dtype | None = None
    out_dtype: torch.dtype | None = None

    def tensor(self, i: int) -> torch.Tensor:
        """Input ``i`` in the compute dtype (a fresh copy when a conversion is needed)."""
        t = self.tensors[i]
        return t if self.dtype is None else t.to(self.dtype)


MethodFn = Callable[[TensorInputs], torch.Tensor]


@dataclass(frozen=True)
class ParamSpec:
    """A method parameter: its type, default (``required`` when there is none) and scope."""

    kind: type
    default: Any = None
    required: bool = False
    scope: str = "shared"  # "shared", "input" (every model) or "non_base" (every model but the base)


@dataclass(frozen=True)
class MergeMethod:
    """A registered method: the function plus the contract the engine validates before writing."""

    name: str
    fn: MethodFn
    params: Mapping[str, ParamSpec]
    needs_base: bool = False
    random: bool = False
    min_inputs: int = 1
    max_inputs: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


METHODS: Registry[MergeMethod] = Registry("merge method")


def _float_accumulator(first: torch.Tensor) -> torch.dtype:
    return torch.float64 if first.dtype == torch.float64 else torch.float32


def linear(x: TensorInputs) -> torch.Tensor:
    """``sum_i w_i * T_i`` accumulated in fp32 in merge order, divided by ``sum_i w_i`` if ``normalize``."""
    if x.tensors[0].numel() > chunked.CHUNK and all(t.dtype == x.tensors[0].dtype for t in x.tensors):
        return chunked.linear(x, x.out_dtype or x.dtype or x.tensors[0].dtype)
    dtype = x.dtype or x.tensors[0].dtype
    acc = torch.float64 if dtype == torch.float64 else torch.float32
    weights = torch.tensor([float(p["weight"]) for p in x.params], dtype=acc)
    result = torch.zeros(x.tensors[0].shape, dtype=acc)
    for i, w in enumerate(weights.unbind(0)):
        result.addcmul_(x.tensor(i), w)  # one converted input alive at a time
    if x.shared["normalize"]:
        result.div_(weights.sum())
    return result.to(dtype)


def _sparsified_delta(x: TensorInputs, delta: torch.Tensor, p: Mapping[str, Any], how: str) -> torch.Tensor:
    """``delta`` sparsified as ``how`` says; magnitude pruning writes into ``delta`` itself."""
    rescale = bool(x.shared["rescale"])
    if how == "magnitude":
        tiebreak = str(x.shared["magnitude_tiebreak"])
        return sparsify.magnitude(delta, float(p["density"]), rescale, tiebreak, inplace=True)
    if how == "random":
        if x.generator is None:
            raise ValueError("random sparsification needs a generator")
        return sparsify.bernoulli(delta, float(p["density"]), rescale, x.generator)
    return delta


def _delta_into(out: torch.Tensor, x: TensorInputs, i: int, base: torch.Tensor) -> None:
    """``out = T_i - base`` in the compute dtype, converting ``T_i`` straight into ``out``."""
    if x.tensors[i].dtype == base.dtype or x.dtype is not None:
        out.copy_(x.tensors[i]).sub_(base)  # the same conversion and subtraction as x.tensor(i) - base
    else:
        out.copy_(x.tensor(i) - base)


def _task_family(x: TensorInputs, *, sparsification: str | None, consensus: bool) -> torch.Tensor:
    """Generalised task arithmetic: sparsify deltas, weight them, optionally elect signs, add to base.

    The arithmetic is mergekit's, operation for operation, in the kernels of :func:`chunked.combine`
    (which give the same bits); tensors over one chunk are streamed by :mod:`judgeforge.merge.chunked`.
    """
    assert x.base_index is not None
    if len(x.tensors) > 1 and chunked.applies(x, sparsification):
        out_dtype = x.out_dtype or x.dtype or x.tensors[x.base_index].dtype
        return chunked.task_family(
            x, magnitude=sparsification == "magnitude", consensus=consensus, out_dtype=out_dtype
        )
    base = x.tensor(x.base_index)
    others = [i for i in range(len(x.tensors)) if i != x.base_index]
    if not others:
        return base
    deltas = base.new_empty((len(others), *base.shape))
    for row, i in enumerate(others):
        _delta_into(deltas[row], x, i, base)
        sparse = _sparsified_delta(x, deltas[row], x.params[i], sparsification or "")
        if sparse.data_ptr() != deltas[row].data_ptr():
            deltas[row] = sparse
    weights = torch.tensor([float(x.params[i]["weight"]) for i in others], dtype=deltas.dtype)
    mixed = chunked.combine(deltas.reshape(len(others), -1), weights.reshape(-1, 1), x.shared, consensus)
    return mixed.add_(base.reshape(-1)).reshape(base.shape).to(base.dtype)  # base + mixed, bit for bit


def task_arithmetic(x: TensorInputs) -> torch.Tensor:
    """``base + lambda * sum_i w_i (T_i - base)`` (divided by ``sum_i w_i`` if ``normalize``)."""
    return _task_family(x, sparsification=None, consensus=False)


def ties(x: TensorInputs) -> torch.Tensor:
    """Top-``density`` magnitude deltas, sign election on weighted deltas, agreeing-weight normalisation."""
    return _task_family(x, sparsification="magnitude", consensus=True)


def dare_linear(x: TensorInputs) -> torch.Tensor:
    """Bernoulli(``density``) drop of each delta, L1-norm rescale, then task arithmetic."""
    return _task_family(x, sparsification="random", consensus=False)


def dare_ties(x: TensorInputs) -> torch.Tensor:
    """Bernoulli(``density``) drop of each delta, L1-norm rescale, then TIES sign election."""
    return _task_family(x, sparsification="random", consensus=True)


def slerp(x: TensorInputs) -> torch.Tensor:
    """Spherical interpolation from the base (``t = 0``) to the other model (``t = 1``) over the tensor.

    Falls back to linear interpolation when the normalised vectors are (anti)collinear
    (``|cos| > 0.9995``). Computed in fp32 (fp64 for fp64 inputs).
    """
    assert x.base_index is not None
    v0, v1 = x.tensor(x.base_index), x.tensor(1 - x.base_index)
    dtype = _float_accumulator(v0)
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


def _task_params(normalize: bool, rescale: bool) -> dict[str, ParamSpec]:
    return {
        "weight": ParamSpec(float, required=True, scope="non_base"),
        "density": ParamSpec(float, 1.0, scope="non_base"),
        "normalize": ParamSpec(bool, normalize),
        "rescale": ParamSpec(bool, rescale),
        "lambda": ParamSpec(float, 1.0),
        "int8_mask": ParamSpec(bool, False),
        # judgeforge extension: how equal magnitudes at the top-k boundary are chosen (see docs/merge.md).
        "magnitude_tiebreak": ParamSpec(str, "index"),
    }


def _register_builtins() -> None:
    METHODS.add(
        "linear",
        MergeMethod(
            "linear",
            linear,
            {"weight": ParamSpec(float, required=True, scope="input"), "normalize": ParamSpec(bool, True)},
        ),
    )
    family: Sequence[tuple[str, MethodFn, bool, bool, bool]] = (
        ("task_arithmetic", task_arithmetic, False, False, False),
        ("ties", ties, True, False, False),
        ("dare_linear", dare_linear, False, True, True),
        ("dare_ties", dare_ties, False, True, True),
    )
    for name, fn, normalize, rescale, random in family:
        METHODS.add(
            name, MergeMethod(name, fn, _task_params(normalize, rescale), needs_base=True, random=random)
        )
    METHODS.add(
        "slerp",
        MergeMethod(
            "slerp",
            slerp,
            {"t": ParamSpec(float, required=True)},
            needs_base=True,
            min_inputs=2,
            max_inputs=2,
        ),
    )


_register_builtins()
