"""Write the toy world to a folder: training collections, pre-training corpus and benchmark files.

The Preference Collection is built from ``feedback_collection.jsonl`` by the project's preference builder
(``judgeforge build-preferences ... --teacher-backend toy-teacher``, see :mod:`judgeforge.toy.teacher`).

Layout of ``OUT``::

    feedback_collection.jsonl      Feedback Collection rows (trained families, train split)
    pretrain.jsonl                 pre-training documents (system, user, output): true checklists in a neutral
                                   format, judge formats with coin-flip verdicts
    bench/toy_direct.json          Vicuna-Bench-style direct set, trained families (test split)
    bench/toy_direct_heldout.json  the same for the held-out family
    bench/toy_pairs.json           HHH-style pairwise set, trained families (test split)
    bench/toy_pairs_heldout.json   the same for the held-out family
    manifest.json                  the spec, row counts and a SHA-256 per file
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.toy.corpus import pretraining_documents
from judgeforge.toy.families import held_out_families, trained_families
from judgeforge.toy.world import Group, direct_bench_rows, feedback_rows, make_groups, pair_bench_rows


class WorldSpec(BaseModel):
    """How much of the world to generate (groups of five responses per family and split) and the seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 0
    train_groups: int = Field(default=400, ge=1)
    test_groups: int = Field(default=16, ge=1)
    pretrain_groups: int = Field(default=150, ge=1)
    pairs_per_test_group: int = Field(default=4, ge=1, le=10)
    checking_documents: bool = True


RECIPE_WORLD = WorldSpec(train_groups=400, test_groups=8, pretrain_groups=1000)  # make toy-base / toy-models
QUICK_WORLD = WorldSpec(train_groups=8, test_groups=2, pretrain_groups=4)  # the pipeline's --quick smoke test


def corpus_sha256(world_dir: str | Path) -> str:
    """The SHA-256 of a generated world's ``pretrain.jsonl``, as its ``manifest.json`` records it."""
    manifest = json.loads((Path(world_dir) / "manifest.json").read_text(encoding="utf-8"))
    return str(manifest["sha256"]["pretrain.jsonl"])


def _dump_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _dump_json(path: Path, rows: list[dict[str, Any]]) -> int:
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(rows)


def split_groups(spec: WorldSpec) -> dict[str, dict[str, list[Group]]]:
    """Groups by split and family. Test is drawn first; train and pretrain exclude test instructions."""
    names = trained_families() + held_out_families()
    test = {name: make_groups(name, spec.test_groups, spec.seed, "test") for name in names}
    held = [g.task.instruction for groups in test.values() for g in groups]
    train = {
        name: make_groups(name, spec.train_groups, spec.seed, "train", held) for name in trained_families()
    }
    pretrain = {name: make_groups(name, spec.pretrain_groups, spec.seed, "pretrain", held) for name in names}
    return {"test": test, "train": train, "pretrain": pretrain}


def write_world(out_dir: str | Path, spec: WorldSpec | None = None) -> dict[str, Any]:
    """Generate the world described by ``spec`` into ``out_dir``; return the manifest."""
    spec = spec or WorldSpec()
    out = Path(out_dir)
    (out / "bench").mkdir(parents=True, exist_ok=True)
    groups = split_groups(spec)
    train = [g for name in trained_families() for g in groups["train"][name]]
    pretrain = [g for groups_ in groups["pretrain"].values() for g in groups_]
    test_in = [g for name in trained_families() for g in groups["test"][name]]
    test_out = [g for name in held_out_families() for g in groups["test"][name]]
    pairs = spec.pairs_per_test_group
    counts = {
        "feedback_collection.jsonl": _dump_jsonl(out / "feedback_collection.jsonl", feedback_rows(train)),
        "pretrain.jsonl": _dump_jsonl(
            out / "pretrain.jsonl",
            (asdict(d) for d in pretraining_documents(pretrain, spec.seed, spec.checking_documents)),
        ),
        "bench/toy_direct.json": _dump_json(out / "bench/toy_direct.json", direct_bench_rows(test_in)),
        "bench/toy_direct_heldout.json": _dump_json(
            out / "bench/toy_direct_heldout.json", direct_bench_rows(test_out)
        ),
        "bench/toy_pairs.json": _dump_json(
            out / "bench/toy_pairs.json", pair_bench_rows(test_in, pairs, spec.seed)
        ),
        "bench/toy_pairs_heldout.json": _dump_json(
            out / "bench/toy_pairs_heldout.json", pair_bench_rows(test_out, pairs, spec.seed)
        ),
    }
    manifest = {
        "spec": spec.model_dump(),
        "trained_families": trained_families(),
        "held_out_families": held_out_families(),
        "rows": counts,
        "sha256": {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in counts},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
