from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from judgeforge.prompts import PromptRenderer
from judgeforge.prompts.rubrics import load_rubric
from judgeforge.records import DirectItem
from judgeforge.toy.results import model_results
from paths import REPO, read_jsonl


def run_cli(*args: str, cwd: Path = REPO, cache: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUDGEFORGE_CACHE_DIR": str(cache)} if cache else None
    return subprocess.run(
        [sys.executable, "-m", "judgeforge", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_import_judgeforge_does_not_import_heavy_stacks() -> None:
    code = (
        "import sys, judgeforge, judgeforge.cli.main as m; m.build_parser(); "
        "heavy = [n for n in ('torch', 'transformers', 'datasets', 'trl', 'vllm', 'llama_cpp') if n in sys.modules]; "
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_grade_and_compare_examples_with_fake_backend(tmp_path: Path) -> None:
    out = tmp_path / "graded.jsonl"
    result = run_cli(
        "grade",
        "examples/direct.jsonl",
        "-o",
        str(out),
        "--backend",
        "fake",
        "--backend-option",
        "latency_ms=5",
    )
    assert result.returncode == 0, result.stderr
    rows = read_jsonl(out)
    assert [row["id"] for row in rows] == ["rice-good", "rice-vague", "capital", "sum"]
    assert all(row["score"] in (1, 2, 3, 4, 5) and row["verdicts"][0]["feedback"] for row in rows)
    out = tmp_path / "compared.jsonl"
    assert (
        run_cli(
            "compare", "examples/pairs.jsonl", "-o", str(out), "--backend", "fake", cache=tmp_path / "cache"
        ).returncode
        == 0
    )
    assert [row["winner"] for row in read_jsonl(out)] == ["B", "A"]


def test_render_reports_bad_input_with_record_and_field(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"instruction": "i", "response": "r"}) + "\n")
    result = run_cli("render", str(source))
    assert result.returncode == 2
    assert "record line 1, field 'rubric'" in result.stderr


def test_render_with_tokenizer_chat_format_joins_rejected_system_role(tmp_path: Path) -> None:
    from judgeforge.toy.tiny import train_tokenizer

    tokenizer = train_tokenizer(["hello world [INST] judge"] * 20, vocab_size=300)
    tokenizer.save_pretrained(tmp_path / "tok")
    source = tmp_path / "in.jsonl"
    row = {"instruction": "i", "response": "r", "rubric": "helpfulness"}
    source.write_text(json.dumps(row) + "\n")
    result = run_cli(
        "render", str(source), "--chat-format", "tokenizer", "--tokenizer", str(tmp_path / "tok")
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout)
    expected = PromptRenderer("prometheus2", "none").direct(
        DirectItem(instruction="i", response="r", rubric=load_rubric("helpfulness"))
    )
    assert expected.system and (line["system"], line["user"]) == (expected.system, expected.user)
    assert line["text"] == f"<s>[INST] {expected.system}\n\n{expected.user} [/INST]"


def test_demo_grades_with_a_committed_toy_judge(tmp_path: Path) -> None:
    result = run_cli(
        "demo", "--model", "toy/models/da", "--groups", "1", "-o", str(tmp_path), cache=tmp_path / "c"
    )
    assert result.returncode == 0, result.stderr
    for family in ("arithmetic", "format", "keywords", "ordering", "opposites"):
        assert family in result.stdout
    assert "DA Pearson" in result.stdout
    # The toy judge graded every item with a readable verdict that tracks the known true scores.
    graded = json.loads((tmp_path / "bench" / "summary.json").read_text())["results"]["toy-da"]
    direct = graded["toy-direct"]["direct"]
    assert direct["items"] == 20 and direct["no_verdict"] == 0
    assert direct["vs_gpt4"]["pearson"]["value"] > 0.1
    # Per family: ordering is what the committed judges check well (docs/toy_reproduction.md: Pearson 1.000).
    families = model_results(tmp_path / "bench", "toy-da")["toy-direct"]["families"]
    assert families["ordering"]["pearson"] > 0.9
    assert graded["toy-direct-heldout"]["direct"]["no_verdict"] == 0
    report = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "toy-da" in report and "arithmetic-0-score1" in report


def test_demo_shows_the_merged_judge_in_both_formats(tmp_path: Path) -> None:
    result = run_cli("demo", "--groups", "1", "-o", str(tmp_path), cache=tmp_path / "c")
    assert result.returncode == 0, result.stderr
    assert "Judge output (toy/models/merged)" in result.stdout
    assert "[RESULT]" in result.stdout and "Paper's claim" in result.stdout
    summary = json.loads((tmp_path / "bench" / "summary.json").read_text())["results"]["toy-merged"]
    direct, pairs = summary["toy-direct"]["direct"], summary["toy-pairs"]["relative"]
    # The committed alpha = 0.5 merge keeps both formats (docs/toy_reproduction.md: >= 95% parsed).
    assert direct["no_verdict"] <= 0.05 * direct["items"] and pairs["no_verdict"] <= 0.05 * pairs["items"]


def test_grade_applies_a_preset_unless_options_are_explicit(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = run_cli("grade", "examples/direct.jsonl", "-o", str(tmp_path / "a.jsonl"), "--preset", "m-prometheus-7b",
                     "--backend", "fake", cache=cache)  # fmt: skip
    assert (
        result.returncode == 2 and "holds no tokenizer: pass tokenizer=PATH" in result.stderr
    )  # the preset chose 'tokenizer'
    result = run_cli("grade", "examples/direct.jsonl", "-o", str(tmp_path / "b.jsonl"), "--preset", "m-prometheus-7b",
                     "--chat-format", "none", "--quiet", "--backend", "fake", cache=cache)  # fmt: skip
    assert result.returncode == 0, result.stderr
    result = run_cli(
        "grade",
        "examples/direct.jsonl",
        "-o",
        str(tmp_path / "c.jsonl"),
        "--logprobs",
        "--backend",
        "fake",
        cache=cache,
    )
    assert result.returncode == 2 and "gives no token logprobs" in result.stderr
