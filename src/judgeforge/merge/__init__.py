"""Model merging: mergekit-style configs, registered tensor methods and a streaming safetensors engine.

Public API::

    from judgeforge.merge import load_config, merge_models, merge_sweep
    merge_models(load_config("merge.yaml"), "out/merged")

Importing this package does not import torch; the engine and methods load it on first use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgeforge.merge.config import MergeConfig, ModelSpec, load_config, parse_config

if TYPE_CHECKING:
    from judgeforge.merge.engine import MergeResult
    from judgeforge.merge.sweep import SweepPoint

__all__ = ["MergeConfig", "ModelSpec", "load_config", "merge_models", "merge_sweep", "parse_config"]


def merge_models(config: MergeConfig | str | Path, out_dir: str | Path, **options: Any) -> MergeResult:
    """Merge into ``out_dir``; ``config`` is a :class:`MergeConfig` or a YAML path.

    Options are those of :func:`judgeforge.merge.engine.merge_models` (``seed``, ``workers``,
    ``overwrite``, ``max_shard_bytes``, ``progress``).
    """
    from judgeforge.merge import engine

    cfg = config if isinstance(config, MergeConfig) else load_config(config)
    return engine.merge_models(cfg, out_dir, **options)


def merge_sweep(config: MergeConfig | str | Path, out_root: str | Path, **options: Any) -> list[SweepPoint]:
    """Grid over the linear weight (and density); see :func:`judgeforge.merge.sweep.sweep`."""
    from judgeforge.merge import sweep

    cfg = config if isinstance(config, MergeConfig) else load_config(config)
    return sweep.sweep(cfg, out_root, **options)
