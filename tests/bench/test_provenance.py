"""Which judge made a bench folder's results: refused when another judge takes the same label, resumed when
the same judge comes back, and every judge named in the merged manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from judgeforge.bench import make_judge
from judgeforge.cli.main import main


def bench(out: Path, data: Path, *extra: str, limit: int = 6) -> int:
    args = ["bench", "pairwise", "--data", f"pairwise={data}", "-o", str(out), "--limit", str(limit)]
    return main([*args, "--runs", "1", "--resamples", "0", "--mode", "relative", *extra])


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def rows(out: Path, label: str) -> list[dict[str, Any]]:
    path = out / "results" / label / "pairwise" / "relative.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_another_model_under_the_same_label_is_refused_and_leaves_the_folder_alone(
    chosen_rejected_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert bench(out, chosen_rejected_file, "--backend", "fake", "--backend-option", "model=judge-A") == 0
    before = snapshot(out)
    capsys.readouterr()
    assert bench(out, chosen_rejected_file, "--backend", "fake", "--backend-option", "model=judge-B") == 2
    error = capsys.readouterr().err
    assert "model judge-A" in error and "model judge-B" in error and "lm-fake" in error
    assert snapshot(out) == before  # results, judge.json, manifest and summary untouched


def test_another_baseline_under_the_same_label_is_refused(chosen_rejected_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert bench(out, chosen_rejected_file, "--judge", "length:label=base") == 0
    assert bench(out, chosen_rejected_file, "--judge", "rouge-l:label=base") == 2


def test_the_same_judge_again_resumes(chosen_rejected_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    judge = ["--backend", "fake", "--backend-option", "model=judge-A"]
    assert bench(out, chosen_rejected_file, *judge, limit=3) == 0
    first = rows(out, "lm-fake")
    # a transport option and max_attempts may change between resumes: they do not change the outputs
    assert bench(out, chosen_rejected_file, *judge, "--backend-option", "latency_ms=1", limit=6) == 0
    second = rows(out, "lm-fake")
    assert len(first) == 3 and len(second) == 6 and second[:3] == first
    manifest = json.loads((out / "manifest.json").read_text())
    assert [entry["label"] for entry in manifest["judges"]] == ["lm-fake"]


def test_a_folder_from_before_judge_json_is_accepted_with_a_warning(
    chosen_rejected_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert bench(out, chosen_rejected_file, "--backend", "fake", limit=3) == 0
    record = out / "results" / "lm-fake" / "judge.json"
    record.unlink()
    with pytest.warns(UserWarning, match="could not be checked"):
        assert bench(out, chosen_rejected_file, "--backend", "fake") == 0
    assert json.loads(record.read_text())["judge"]["label"] == "lm-fake"
    assert len(rows(out, "lm-fake")) == 6


def test_the_manifest_names_every_judge_of_every_run(chosen_rejected_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    lm = ["--backend", "fake", "--backend-option", "model=judge-A", "--sampling", "temperature=0"]
    assert bench(out, chosen_rejected_file, *lm, "--judge", "length") == 0
    assert bench(out, chosen_rejected_file, "--judge", "rouge-l") == 0
    assert bench(out, chosen_rejected_file, *lm) == 0  # the same judge again: still one entry
    manifest = json.loads((out / "manifest.json").read_text())
    entries = {entry["label"]: entry for entry in manifest["judges"]}
    assert list(entries) == ["lm-fake", "length", "rouge-l"]
    lm_entry = entries["lm-fake"]
    assert (lm_entry["backend"], lm_entry["model"], lm_entry["revision"]) == ("fake", "judge-A", "1")
    assert (lm_entry["template_set"], lm_entry["chat_format"]) == ("prometheus2", "mistral-inst")
    assert lm_entry["sampling"]["temperature"] == 0 and lm_entry["template_fingerprint"]
    assert entries["length"]["signal"] == "length_signal"
    for label, entry in entries.items():
        stored = json.loads((out / "results" / label / "judge.json").read_text())
        assert entry["settings_hash"] == stored["settings_hash"]
    assert manifest["benchmarks"] == ["pairwise"]


def lm_hash(**options: Any) -> str:
    return make_judge("lm:backend=fake", **options).settings_hash()


def test_settings_hash_follows_what_changes_outputs() -> None:
    base = lm_hash(backend_options={"model": "judge-A"})
    assert lm_hash(backend_options={"model": "judge-A"}, max_attempts=1) == base
    assert lm_hash(backend_options={"model": "judge-A", "latency_ms": 5}) == base
    assert lm_hash(backend_options={"model": "judge-B"}) != base
    assert lm_hash(backend_options={"model": "judge-A", "garbage_rate": 0.5}) != base
    assert lm_hash(backend_options={"model": "judge-A"}, sampling={"temperature": 0}) != base
    assert lm_hash(backend_options={"model": "judge-A"}, chat_format="none") != base
    assert make_judge("length").settings_hash() != make_judge("rouge-l:label=length").settings_hash()
