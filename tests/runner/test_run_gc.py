"""A run tunes the cyclic garbage collector for its duration and puts it back."""

from __future__ import annotations

import json
from pathlib import Path


def test_a_run_raises_the_gc_threshold_while_it_streams_and_restores_it(tmp_path: Path) -> None:
    import gc

    from judgeforge import Judge
    from judgeforge.backends.fake import FakeBackend
    from judgeforge.runner import RunOptions, run_grading

    seen: list[tuple[int, int, int]] = []

    class Watching(FakeBackend):  # the backend seam: records the GC thresholds in effect mid-run
        async def generate(self, prompts, params):  # type: ignore[no-untyped-def]
            seen.append(gc.get_threshold())
            return await super().generate(prompts, params)

    source = tmp_path / "in.jsonl"
    row = {"instruction": "i", "response": "r", "rubric": "helpfulness"}
    source.write_text("\n".join(json.dumps(row) for _ in range(3)) + "\n")
    before = gc.get_threshold()
    run_grading(
        source, tmp_path / "out.jsonl", Judge(Watching()), RunOptions(use_cache=False, progress=False)
    )
    assert gc.get_threshold() == before
    assert seen and all(t[0] >= 20_000 and t[1:] == before[1:] for t in seen)
