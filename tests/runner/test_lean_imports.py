"""A grading run with an HTTP or fake backend loads no numerical stack: numpy would start its BLAS thread pool
in every grading process (CPU the runner's benchmark counts), and the runner needs none of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_CODE = """
import sys
from pathlib import Path
from judgeforge.judge import Judge
from judgeforge.runner import RunOptions, run_grading

report = run_grading(Path(sys.argv[1]), Path(sys.argv[2]), Judge("fake"), RunOptions(use_cache=False))
assert report.summary["this_run"]["graded"] > 0, report.summary
print(sorted(n for n in ("numpy", "scipy", "torch", "rapidfuzz", "pandas") if n in sys.modules))
"""


def test_a_fake_backend_run_imports_no_numerical_stack(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CODE, str(REPO / "examples" / "direct.jsonl"), str(tmp_path / "out.jsonl")],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
