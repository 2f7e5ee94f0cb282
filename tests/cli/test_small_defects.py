"""Small defects found on the way: each was a traceback, a silent default or a misleading message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.backends import create_backend
from judgeforge.cli.main import main
from judgeforge.errors import ConfigError, InputError
from judgeforge.judge import Judge

ROW = {"instruction": "Cook rice?", "response": "Boil it.", "rubric": "helpfulness"}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.startswith("judgeforge 0.")


def test_render_applies_the_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    assert main(["render", str(source)]) == 0
    assert capsys.readouterr().out.count("[INST]") == 1  # the default: Mistral's format
    # the M-Prometheus preset formats with the model's own tokenizer, which must then be given
    assert main(["render", str(source), "--preset", "m-prometheus-3b"]) == 2
    assert "tokenizer" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value"), [("--samples", "0"), ("--max-attempts", "0"), ("--aggregate", "mode")]
)
def test_invalid_judge_settings_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    code = main(["grade", str(source), "-o", str(tmp_path / "out.jsonl"), "--backend", "fake", flag, value])
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error and "error:" in error


def test_grade_many_takes_mappings_and_names_a_bad_one() -> None:
    judge = Judge("fake", check_preset=False)
    [judgment] = judge.grade_many([ROW])
    assert judgment.failure is None and judgment.score is not None
    with pytest.raises(InputError, match=r"item 1.*field 'response'"):
        judge.grade_many([ROW, {"instruction": "x", "rubric": "helpfulness"}])
    with pytest.raises(InputError, match="expected a PairItem or a mapping"):
        judge.compare_many(["not an item"])  # type: ignore[list-item]


@pytest.mark.parametrize("model", ["/no/such/dir", "./no/such/dir", "../no-such-model"])
def test_a_missing_local_model_folder_is_named(model: str) -> None:
    with pytest.raises(ConfigError, match=f"model folder not found: {model}"):
        create_backend("transformers", {"model": model})


def test_the_demo_finds_the_committed_toy_judges_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from judgeforge.toy.demo import DEFAULT_MODELS, committed_model

    monkeypatch.chdir(tmp_path)
    found = [committed_model(model) for model in DEFAULT_MODELS]
    assert all((folder / "config.json").is_file() and folder.is_absolute() for folder in found)
    with pytest.raises(ConfigError, match="no toy judge at toy/models/none"):
        committed_model("toy/models/none")
