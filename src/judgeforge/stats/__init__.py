"""Statistics shared by the runner and the benchmarks (agreement, reliability)."""

from __future__ import annotations

from judgeforge.stats.krippendorff import CoincidenceAccumulator, Level, krippendorff_alpha

__all__ = ["CoincidenceAccumulator", "Level", "krippendorff_alpha"]
