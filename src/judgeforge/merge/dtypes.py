"""The merge's dtypes, named by their safetensors codes (``"BF16"``), with their torch and numpy twins.

Plans, headers and outputs carry the safetensors code (the safetensors format's ``dtype`` field,
https://github.com/huggingface/safetensors), so planning and writing need neither torch nor numpy's
bfloat16; :func:`torch_dtype` and :func:`numpy_dtype` give the array types where arrays are made (numpy's
bfloat16 is ``ml_dtypes.bfloat16``). This module imports neither torch nor ``ml_dtypes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from judgeforge.errors import MergeError

if TYPE_CHECKING:
    import numpy as np
    import torch


@dataclass(frozen=True)
class StDtype:
    """One safetensors dtype: its code, its torch/numpy name, its size in bytes, whether it is a float."""

    code: str
    name: str  # the attribute of torch (and, but for bfloat16 and bool, of numpy)
    itemsize: int
    floating: bool


DTYPES: dict[str, StDtype] = {
    d.code: d
    for d in (
        StDtype("F64", "float64", 8, True),
        StDtype("F32", "float32", 4, True),
        StDtype("F16", "float16", 2, True),
        StDtype("BF16", "bfloat16", 2, True),
        StDtype("I64", "int64", 8, False),
        StDtype("I32", "int32", 4, False),
        StDtype("I16", "int16", 2, False),
        StDtype("I8", "int8", 1, False),
        StDtype("U8", "uint8", 1, False),
        StDtype("BOOL", "bool", 1, False),
    )
}
_BY_NAME = {d.name: d.code for d in DTYPES.values()}


def code_for_name(name: str) -> str:
    """The code of a config dtype name (``"bfloat16"`` -> ``"BF16"``; names as :data:`config.DTYPE_NAMES` gives)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise MergeError(f"unsupported dtype '{name}'; use one of {sorted(_BY_NAME)}") from None


def torch_dtype(code: str) -> torch.dtype:
    """The torch dtype of ``code`` (imports torch); ``KeyError`` for a code not in :data:`DTYPES`."""
    import torch

    dtype: torch.dtype = getattr(torch, DTYPES[code].name)
    return dtype


def code_of_torch(dtype: torch.dtype) -> str:
    """The code of a torch dtype (``torch.bfloat16`` -> ``"BF16"``); ``MergeError`` for one safetensors lacks."""
    return code_for_name(str(dtype).removeprefix("torch."))


def code_of_numpy(dtype: np.dtype) -> str:
    """The code of a numpy dtype (``ml_dtypes.bfloat16`` -> ``"BF16"``); ``MergeError`` for one safetensors lacks."""
    return code_for_name(dtype.name)


def numpy_dtype(code: str) -> np.dtype:
    """The numpy dtype of ``code``: ``ml_dtypes.bfloat16`` for ``"BF16"`` (imported then), else numpy's own.

    ``KeyError`` for a code not in :data:`DTYPES`; ``ImportError`` for ``"BF16"`` without ``ml_dtypes``.
    """
    import numpy as np

    if code == "BF16":
        import ml_dtypes

        bfloat16: np.dtype = np.dtype(ml_dtypes.bfloat16)
        return bfloat16
    return np.dtype(DTYPES[code].name)
