"""The registered merge methods, as data (mergekit 0.1.5's ``mergekit/merge_methods/registry.py``).

One module per family: :mod:`.linear`, :mod:`.task_arithmetic` (task arithmetic, TIES and DARE are its
settings), :mod:`.slerp`; the contract they share is :mod:`.base`, sparsification is
:mod:`judgeforge.merge.sparsify` and :mod:`judgeforge.merge.draws`.
"""

from __future__ import annotations

from judgeforge.merge.methods import linear, slerp
from judgeforge.merge.methods.base import MergeMethod, ParamSpec, TensorInputs
from judgeforge.merge.methods.task_arithmetic import TaskSettings, method
from judgeforge.registry import Registry

__all__ = ["METHODS", "MergeMethod", "ParamSpec", "TensorInputs"]

TASK_FAMILY = {
    "task_arithmetic": TaskSettings(sparsification=None, consensus=False),
    "ties": TaskSettings(sparsification="magnitude", consensus=True, normalize=True),
    "dare_linear": TaskSettings(sparsification="random", consensus=False, rescale=True),
    "dare_ties": TaskSettings(sparsification="random", consensus=True, rescale=True),
}

METHODS: Registry[MergeMethod] = Registry("merge method")
METHODS.add("linear", linear.METHOD)
for _name, _settings in TASK_FAMILY.items():
    METHODS.add(_name, method(_name, _settings))
METHODS.add("slerp", slerp.METHOD)
