"""Scale-out grading on existing engines: Ray Data jobs with judge actors (no home-made scheduler).

``run_grading_on_ray(source, output, JudgeSpec(...), RunOptions(...), RayOptions(...))`` runs the local
runner's job on Ray and writes the same files. Ray is imported only when a job starts (``pip install
'judgeforge[ray]'``). For a pool of inference servers instead, see the ``openai_pool`` backend.
"""

from __future__ import annotations

from judgeforge.distributed.ray_grading import RayOptions, run_grading_on_ray
from judgeforge.distributed.spec import JudgeSpec

__all__ = ["JudgeSpec", "RayOptions", "run_grading_on_ray"]
