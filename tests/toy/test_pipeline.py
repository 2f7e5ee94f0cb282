"""Smoke test of `judgeforge toy models --quick`: every step through the real commands, at minimal size.

Real parts: the toy world on disk, the tokenizer and tiny Llama, the preference builder with the toy teacher,
TRL training for a few steps, the merge engine, and the bench harness on the transformers backend. The
numbers are meaningless at this size; the test checks that each stage hands the next what it needs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from judgeforge.errors import ConfigError
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
    assert list((tmp_path / "sweep-charts").glob("*.png")) and (tmp_path / "sweep.md").is_file()
    assert "total" in json.loads((tmp_path / "timings.json").read_text())  # published after the total
    direct = results["da"]["toy-direct"]
    assert direct["overall"]["items"] == 4 * 2 * 5
    assert set(direct["families"]) == {"format", "keywords", "ordering", "arithmetic"}
    assert set(results["da"]["toy-pairs-heldout"]["families"]) == {"opposites"}


@pytest.mark.slow
def test_the_base_build_records_its_corpus_and_a_models_run_refuses_another(tmp_path: Path) -> None:
    base = tmp_path / "base"
    pipeline = Pipeline(configs=REPO / "toy" / "configs", root=tmp_path / "build", base=base, quick=True)
    pipeline.build_base()
    meta = json.loads((base / "toy_meta.json").read_text())
    world_corpus = tmp_path / "build" / "world" / "pretrain.jsonl"
    assert meta["corpus_sha256"] == hashlib.sha256(world_corpus.read_bytes()).hexdigest()
    assert "total (base)" in json.loads((base / "build_timings.json").read_text())
    meta["corpus_sha256"] = "0" * 64  # as if pre-trained on another world
    (base / "toy_meta.json").write_text(json.dumps(meta))
    models = Pipeline(configs=REPO / "toy" / "configs", root=tmp_path / "build", base=base)
    with pytest.raises(ConfigError, match="pre-trained on another corpus"):
        models.use_base()
