"""Merge sweeps: one merged model per (alpha, density) grid point, an optional benchmark per point, a table.

``alpha`` is the weight of the second weighted model; the first gets ``1 - alpha`` (for linear the two
weighted models are the first two inputs, for task methods the first two non-base models). ``density``,
when given, is set on every non-base model. Points already merged (``OUT/<point>/`` complete) are reused,
so an interrupted sweep resumes. ``points.csv`` and ``points.json`` are rewritten after every point.

A benchmark per point is any ``bench(model_dir, point) -> {metric: value}`` callable; the bench harness
on registered benchmarks is :class:`judgeforge.merge.sweep_bench.HarnessBench` (``merge-sweep --bench``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from judgeforge.errors import ConfigError
from judgeforge.merge.config import MergeConfig, ModelSpec
from judgeforge.merge.engine import merge_models
from judgeforge.merge.io import INDEX_NAME
from judgeforge.merge.methods import METHODS

BenchHook = Callable[[Path, "SweepPoint"], Mapping[str, float]]


@dataclass
class SweepPoint:
    """One grid point, where it was written, and the metrics its benchmark returned."""

    alpha: float
    density: float | None
    model_dir: Path
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        tail = "" if self.density is None else f"_density-{self.density:.3f}"
        return f"alpha-{self.alpha:.3f}{tail}"


def point_config(config: MergeConfig, alpha: float, density: float | None) -> MergeConfig:
    """``config`` with the two weighted models set to ``1 - alpha`` / ``alpha`` (and the density)."""
    weighted = [
        i
        for i, m in enumerate(config.models)
        if config.merge_method == "linear" or m.path != config.base_model
    ]
    if len(weighted) < 2:
        raise ConfigError("a sweep needs two weighted models (besides the base model)")
    models = list(config.models)
    for slot, value in zip(weighted[:2], (1.0 - alpha, alpha), strict=True):
        params = dict(models[slot].parameters, weight=value)
        models[slot] = ModelSpec(models[slot].path, params)
    if density is not None:
        for i in weighted:
            models[i] = ModelSpec(models[i].path, dict(models[i].parameters, density=density))
    return config.with_overrides(models=tuple(models))


def sweep(
    config: MergeConfig,
    out_root: str | Path,
    *,
    alphas: Sequence[float],
    densities: Sequence[float] | None = None,
    bench: BenchHook | None = None,
    **merge_options: Any,
) -> list[SweepPoint]:
    """Merge every grid point into ``out_root/<label>`` and run ``bench(model_dir, point)`` if given.

    A ``bench`` with a ``check()`` method (:class:`~judgeforge.merge.sweep_bench.HarnessBench`) is checked
    before anything is merged.
    """
    if densities and "density" not in METHODS.get(config.merge_method).params:
        # a parameter the method does not take would be ignored: every density would give the same model
        raise ConfigError(f"densities: merge method '{config.merge_method}' takes no 'density'")
    check = getattr(bench, "check", None)
    if callable(check):
        check()
    root = Path(out_root)
    root.mkdir(parents=True, exist_ok=True)
    points: list[SweepPoint] = []
    grid: Sequence[float | None] = list(densities) if densities else [None]
    for density in grid:
        for alpha in alphas:
            point = SweepPoint(float(alpha), None if density is None else float(density), root)
            point.model_dir = root / point.label
            if not (point.model_dir / INDEX_NAME).is_file():
                merge_models(
                    point_config(config, point.alpha, point.density), point.model_dir, **merge_options
                )
            if bench is not None:
                point.metrics = {k: float(v) for k, v in bench(point.model_dir, point).items()}
            points.append(point)
            write_table(points, root)
    return points


def write_table(points: Sequence[SweepPoint], root: Path) -> None:
    """Write ``points.csv`` and ``points.json`` (alpha, density, model_dir, then metric columns)."""
    metric_names = sorted({k for p in points for k in p.metrics})
    rows = [
        {"alpha": p.alpha, "density": p.density, "model_dir": str(p.model_dir), **p.metrics} for p in points
    ]
    (root / "points.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    with (root / "points.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, fieldnames=["alpha", "density", "model_dir", *metric_names])
        out.writeheader()
        out.writerows(rows)
