"""``-o`` into a folder that does not exist yet; no silent ``fake`` backend or teacher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from judgeforge.cli.main import main
from paths import REPO

EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUDGEFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("JUDGEFORGE_API_KEYS", "")


def feedback_file(path: Path) -> Path:
    rows = [
        {
            "orig_instruction": "List some fruits.",
            "orig_response": ", ".join(["apple"] * score),
            "orig_criteria": "Does the response list fruits?",
            **{f"orig_score{k}_description": f"Level {k}." for k in range(1, 6)},
            "orig_feedback": f"It lists {score} fruits.",
            "orig_score": score,
        }
        for score in range(1, 6)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("command", "source"), [("grade", "direct.jsonl"), ("compare", "pairs.jsonl")])
def test_grade_and_compare_create_the_output_folder(command: str, source: str, tmp_path: Path) -> None:
    out = tmp_path / "new" / "deeper" / "results.jsonl"
    assert main([command, str(EXAMPLES / source), "-o", str(out), "--backend", "fake", "--quiet"]) == 0
    folder = out.parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "results.errors.jsonl",
        "results.jsonl",
        "results.manifest.json",
        "results.summary.json",
    ]
    assert out.read_text().count("\n") == (4 if command == "grade" else 2)


def test_build_preferences_creates_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "new" / "prefs.jsonl"
    source = str(feedback_file(tmp_path / "feedback.jsonl"))
    assert main(["build-preferences", source, "-o", str(out), "--teacher-backend", "fake"]) == 0
    assert out.read_text().count("\n") == 10


def test_render_and_report_create_the_output_folder(tmp_path: Path) -> None:
    rendered = tmp_path / "new" / "prompts.jsonl"
    assert main(["render", str(EXAMPLES / "direct.jsonl"), "-o", str(rendered)]) == 0
    assert rendered.read_text().count("\n") == 4
    graded = tmp_path / "graded.jsonl"
    assert (
        main(["grade", str(EXAMPLES / "direct.jsonl"), "-o", str(graded), "--backend", "fake", "--quiet"])
        == 0
    )
    html, markdown = tmp_path / "other" / "report.html", tmp_path / "third" / "report.md"
    assert main(["report", str(graded), "-o", str(html), "--markdown", str(markdown)]) == 0
    assert html.is_file() and markdown.is_file()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["grade", str(EXAMPLES / "direct.jsonl"), "-o", "{out}"], "--backend"),
        (["compare", str(EXAMPLES / "pairs.jsonl"), "-o", "{out}"], "--backend"),
        (["build-preferences", "{feedback}", "-o", "{out}"], "--teacher-backend"),
        (["serve"], "--backend"),  # no keys either: a regression fails at once instead of serving
    ],
    ids=["grade", "compare", "build-preferences", "serve"],
)
def test_the_backend_must_be_named(
    args: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    feedback = feedback_file(tmp_path / "feedback.jsonl")
    argv = [arg.format(out=out, feedback=feedback) for arg in args]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert f"{argv[0]}: error: {flag} is required (e.g. {flag} openai_compat " in error
    assert f"{flag} fake for a dry run" in error
    assert not out.exists()
