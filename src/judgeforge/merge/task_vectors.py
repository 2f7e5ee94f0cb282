"""Task vectors: how far each fine-tune moved from its base, and how aligned two fine-tunes' moves are.

A task vector is ``Delta = theta_finetuned - theta_base`` over every weight (Ilharco et al., 2023, "Editing
Models with Task Arithmetic", arXiv:2212.04089). The Prometheus 2 paper (Kim et al., 2024, arXiv:2405.01535)
merges judges whose task vectors are small next to the base weights (a 7B model, lr 1e-5, one epoch); these
statistics say whether a pair of judges is in that regime:

- ``relative_norm = ||Delta|| / ||theta_base||`` (L2 over all compared tensors, as one flat vector);
- ``cosine(Delta_i, Delta_j) = <Delta_i, Delta_j> / (||Delta_i|| ||Delta_j||)``.

Tensors are streamed one name at a time from memory-mapped safetensors (memory: one tensor per model) and
accumulated in float64. Compared tensors are those of the base; a model missing one of them, or holding it
with another shape, is a :class:`~judgeforge.errors.MergeError` naming the model and the tensor.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from judgeforge.errors import MergeError
from judgeforge.merge.dtypes import DTYPES
from judgeforge.merge.io import ModelReader, TensorInfo


@dataclass(frozen=True)
class TaskVector:
    """One fine-tune's task vector against the base: L2 norms (unitless, over all compared weights)."""

    model: str
    delta_norm: float
    base_norm: float

    @property
    def relative_norm(self) -> float:
        """``||Delta|| / ||theta_base||``; ``inf`` for an all-zero base."""
        return self.delta_norm / self.base_norm if self.base_norm else math.inf


@dataclass(frozen=True)
class TaskVectorReport:
    """Per-model task vectors and the cosine of every pair of them (``None`` when a vector is zero)."""

    vectors: tuple[TaskVector, ...]
    cosines: dict[tuple[str, str], float | None]
    tensors: int

    def to_dict(self) -> dict[str, object]:
        return {
            "tensors": self.tensors,
            "models": {
                v.model: {
                    "delta_norm": v.delta_norm,
                    "base_norm": v.base_norm,
                    "relative_norm": v.relative_norm,
                }
                for v in self.vectors
            },
            "cosines": [{"a": a, "b": b, "cosine": value} for (a, b), value in self.cosines.items()],
        }


def task_vectors(
    base: str | Path, models: Sequence[str | Path], labels: Sequence[str] = ()
) -> TaskVectorReport:
    """Norms of each model's task vector against ``base`` and the pairwise cosines.

    ``models`` are model folders (safetensors, single or sharded); ``labels`` name them in the report (default:
    the paths as given). Raises ``MergeError`` for unreadable weights or a tensor a model lacks or shapes
    differently from the base.
    """
    names = list(labels) or [str(model) for model in models]
    if len(names) != len(models):
        raise MergeError(f"{len(names)} labels for {len(models)} models")
    base_reader = ModelReader(Path(base))
    readers = [ModelReader(Path(model)) for model in models]
    base_sq, delta_sq = 0.0, [0.0] * len(models)
    dots = dict.fromkeys(itertools.combinations(range(len(models)), 2), 0.0)
    compared = 0
    for tensor_name, info in sorted(base_reader.tensors.items()):
        if not DTYPES[info.dtype].floating:  # integer buffers are not task vectors
            continue
        base_tensor = base_reader.get(tensor_name).to(torch.float64).flatten()
        deltas = [
            _delta(reader, label, tensor_name, info, base_tensor) for reader, label in zip(readers, names)
        ]
        base_sq += float(base_tensor @ base_tensor)
        for index, delta in enumerate(deltas):
            delta_sq[index] += float(delta @ delta)
        for i, j in dots:
            dots[i, j] += float(deltas[i] @ deltas[j])
        compared += 1
    for reader in (base_reader, *readers):
        reader.close()
    norms = [math.sqrt(value) for value in delta_sq]
    vectors = tuple(TaskVector(name, norm, math.sqrt(base_sq)) for name, norm in zip(names, norms))
    cosines = {
        (names[i], names[j]): (dot / (norms[i] * norms[j]) if norms[i] and norms[j] else None)
        for (i, j), dot in dots.items()
    }
    return TaskVectorReport(vectors=vectors, cosines=cosines, tensors=compared)


def _delta(
    reader: ModelReader, label: str, name: str, base_info: TensorInfo, base_tensor: torch.Tensor
) -> torch.Tensor:
    """``model[name] - base[name]`` as a flat float64 vector."""
    info = reader.tensors.get(name)
    if info is None:
        raise MergeError(f"{label}: has no tensor {name!r}, which the base has")
    if info.shape != base_info.shape:
        raise MergeError(f"{label}: tensor {name!r} has shape {info.shape}, the base's {base_info.shape}")
    return reader.get(name).to(torch.float64).flatten() - base_tensor
