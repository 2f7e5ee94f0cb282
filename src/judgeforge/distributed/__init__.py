"""Scale-out grading on existing engines: Ray Data jobs with judge actors (no home-made scheduler).

``run_grading_on_ray(source, output, JudgeSpec(...), RunOptions(...), RayOptions(...))`` runs the local
runner's job on Ray and writes the same files. Ray is imported only when a job starts (``pip install
'judgeforge[ray]'``). For a pool of inference servers instead, see the ``openai_pool`` backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from judgeforge.lazy import lazy_exports

if TYPE_CHECKING:
    from judgeforge.distributed.ray_grading import RayOptions, run_grading_on_ray
    from judgeforge.distributed.spec import JudgeSpec

# Exported lazily: importing the package must not load the runner or Ray.
__getattr__ = lazy_exports(
    __name__,
    {
        "JudgeSpec": "judgeforge.distributed.spec",
        "RayOptions": "judgeforge.distributed.ray_grading",
        "run_grading_on_ray": "judgeforge.distributed.ray_grading",
    },
)


__all__ = ["JudgeSpec", "RayOptions", "run_grading_on_ray"]
