"""Smoke test of `judgeforge toy models --quick`: every step through the real commands, at minimal size.

Real parts: the toy world on disk, the tokenizer and tiny Llama, the preference builder with the toy teacher,
TRL training for a few steps, the merge engine, and the bench harness on the transformers backend. The
numbers are meaningless at this size; the test checks that each stage hands the next what it needs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.toy.pipeline import Pipeline

pytest.importorskip("trl")

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_pipeline_end_to_end(tmp_path: Path) -> None:
    root, models = tmp_path / "build", tmp_path / "models"
    pipeline = Pipeline(configs=REPO / "toy" / "configs", root=root, models_out=models, quick=True)
    timings = pipeline.run()
    for step in (
        "generate",
        "pretrain",
        "build-preferences",
        "train-da",
        "train-pr",
        "train-joint",
        "train-da-seed1",
        "merge-sweep",
        "merge-ties",
        "merge-da-seeds",
        "task-vectors",
        "sweep-report",
    ):
        assert step in timings
    prefs = (root / "world" / "preference_collection.jsonl").read_text().splitlines()
    assert len(prefs) == 4 * 8 * 10  # quick size: 8 groups per trained family, 10 pairs each
    for name in ("da", "pr", "joint", "merged"):
        assert (models / name / "model.safetensors").is_file() or (
            models / name / "model.safetensors.index.json"
        ).is_file()
        assert (models / name / "tokenizer.json").is_file()
    assert (models / "da" / "train_log.jsonl").is_file()
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results) == {"da", "linear-0.5"}
    assert results["da"]["toy-direct"]["overall"]["parse_rate_ci"] is not None
    vectors = json.loads((tmp_path / "task_vectors.json").read_text())
    assert set(vectors["models"]) == {"da", "pr", "joint", "da-seed1", "pr-seed1"}
    assert list((root / "sweep-charts").glob("*.png"))
    direct = results["da"]["toy-direct"]
    assert direct["overall"]["items"] == 4 * 2 * 5
    assert set(direct["families"]) == {"format", "keywords", "ordering", "arithmetic"}
    assert set(results["da"]["toy-pairs-heldout"]["families"]) == {"opposites"}
