"""Report data, markdown, PNGs and the CLI for grading runs, benchmark runs and merge sweeps (the browser
checks are in test_report_browser.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from judgeforge.cli.main import main
from judgeforge.report import default_output, load_report_data
from judgeforge.report.data import BarChart, Heatmap, LineChart, ReportData, Section
from judgeforge.report.html import render_html
from judgeforge.report.markdown import render_markdown
from judgeforge.report.svg import nice_ticks
from paths import REPO


def cli(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "judgeforge", *args], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr


def section(data: ReportData, title: str) -> Section:
    return next(s for s in data.sections if s.title == title)


def chart(section: Section, title: str) -> BarChart | Heatmap | LineChart:
    return next(c for c in section.charts if c.title == title)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (tags, the style sheet and the script removed)."""
    html = re.sub(r"<(style|script)>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_report_data_of_a_grading_run(grading_run: Path) -> None:
    data = load_report_data(grading_run)
    assert data.kind == "grading" and data.items_total == 4
    assert data.facts["items"].text == "4"
    assert data.facts["items with a verdict"].text == "4 of 4 items (100%)"
    bars = chart(data.sections[0], "Verdicts over all samples")
    assert isinstance(bars, BarChart)
    assert list(bars.values) == ["1", "2", "3", "4", "5", "no verdict"]  # every level, empty ones too
    assert sum(v or 0 for v in bars.values.values()) == 12  # 4 items x 3 samples
    assert "| items | 4 |" in render_markdown(data)


def test_grading_items_join_their_input_and_prompt(failing_run: Path) -> None:
    data = load_report_data(failing_run)
    lines = [json.loads(line) for line in failing_run.read_text().splitlines()]
    failed = next(line for line in lines if any(v.get("failure") for v in line["verdicts"]))
    item = next(i for i in data.items if i.item_id == failed["id"])
    fields = dict(item.detail.fields)
    source = next(
        json.loads(row) for row in (failing_run.parent / "input.jsonl").read_text().splitlines()
        if json.loads(row)["id"] == failed["id"]
    )  # fmt: skip
    assert fields["Instruction"] == source["instruction"] and fields["Response"] == source["response"]
    assert fields["Rubric"].startswith("[") and "Score 5:" in fields["Rubric"]
    assert fields["Reference answer"] == source["reference_answer"]
    (label, prompt), = item.detail.prompts  # fmt: skip
    assert "mistral-inst" in label and prompt.startswith("[INST] ") and source["response"] in prompt
    outputs = item.detail.outputs
    assert len(outputs) == 2
    bad = next(o for o in outputs if o.failed)
    assert bad.parsed.startswith("no verdict: ") and bad.raw and not bad.raw_note
    good = [o for o in outputs if not o.failed]
    assert all(o.parsed.startswith("score ") and o.raw_note for o in good)  # raw kept on failure only
    assert "samples without a verdict" in item.failure or item.verdict == "no verdict"


def test_grading_items_say_when_the_input_is_gone(failing_run: Path, tmp_path: Path) -> None:
    moved = tmp_path / "graded.jsonl"
    for suffix in (".jsonl", ".summary.json", ".manifest.json"):
        source = failing_run.with_suffix(suffix)
        manifest = source.read_text()
        if suffix == ".manifest.json":
            manifest = manifest.replace(str(failing_run.parent / "input.jsonl"), "gone/input.jsonl")
        moved.with_suffix(suffix).write_text(manifest)
    data = load_report_data(moved)
    assert any("not found" in note.text for note in data.sections[0].notes)
    assert data.items[0].detail.outputs and not data.items[0].detail.prompts


def test_grading_items_say_what_they_cannot_render(failing_run: Path, tmp_path: Path) -> None:
    for path in failing_run.parent.glob("graded.*"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    manifest_path = tmp_path / "graded.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["judge"].update(chat_format="tokenizer", template_fingerprint="0" * 16)
    manifest_path.write_text(json.dumps(manifest))
    data = load_report_data(tmp_path / "graded.jsonl")
    notes = " ".join(note.text for note in data.sections[0].notes)
    assert "chat format 'tokenizer'" in notes and "has changed since this run" in notes
    labels = [label for label, _ in data.items[0].detail.prompts]
    assert labels == ["System message", "User message"]


def test_report_data_of_a_bench_run(bench_run: Path) -> None:
    data = load_report_data(bench_run)
    assert data.kind == "bench"
    titles = [s.title for s in data.sections]
    assert titles == ["pairwise: pairwise ranking", "vicuna: direct assessment"]
    vicuna = section(data, "vicuna: direct assessment")
    heatmap = chart(vicuna, "lm-fake: judge score vs GPT-4 score")
    assert isinstance(heatmap, Heatmap) and sum(map(sum, heatmap.matrix)) == 12
    assert data.items_total == 2 * (12 + 6)
    metrics = vicuna.tables[0]
    assert metrics.rows[0][0].text == "items with a verdict"
    assert [c.text for c in metrics.rows[0][1:]] == ["12 of 12 items (100%)"] * 2


def test_every_chart_has_axis_titles_and_human_labels(bench_run: Path, sparse_bench_run: Path) -> None:
    for source in (bench_run, sparse_bench_run):
        data = load_report_data(source)
        for chart_ in (c for s in data.sections for c in s.charts):
            assert chart_.x_title and chart_.y_title, chart_.title
        text = visible_text(render_html(data)) + render_markdown(data)
        for code in ("None", "vs_gpt4", "ties_counted", "exact_match", "no_verdict", "inter_run", "(direct)"):
            assert code not in text, code


def test_shares_are_percent_in_html_and_markdown(sparse_bench_run: Path) -> None:
    data = load_report_data(sparse_bench_run)
    metrics = section(data, "vicuna: direct assessment").tables[0]
    exact = next(row for row in metrics.rows if row[0].text.startswith("exact match"))
    assert exact[0].text == "exact match with GPT-4 (%)" and exact[1].text == "100.0%"
    assert "| exact match with GPT-4 (%) | 100.0% |" in render_markdown(data)
    assert "<td>100.0%</td>" in render_html(data)


def test_low_coverage_is_flagged_and_silent_judges_are_listed(sparse_bench_run: Path) -> None:
    data = load_report_data(sparse_bench_run)
    vicuna = section(data, "vicuna: direct assessment")
    header, rows = vicuna.tables[0].header, vicuna.tables[0].rows
    column = {judge: i for i, judge in enumerate(header)}
    coverage = rows[0]
    assert coverage[column["sparse"]].text == "4 of 20 items (20%)" and coverage[column["sparse"]].warning
    assert not coverage[column["length"]].warning
    pearson = next(row for row in rows if row[0].text.startswith("Pearson r"))
    assert "4 of 20 items" in pearson[column["sparse"]].warning and not pearson[column["length"]].warning
    assert pearson[column["silent"]].warning == "no verdicts"
    notes = " ".join(note.text for note in vicuna.notes)
    assert "No verdicts: silent" in notes and "sparse, 4 of 20 items (20%)" in notes
    bars = chart(vicuna, "Pearson r with GPT-4, by judge")
    assert isinstance(bars, BarChart) and list(bars.values) == ["length", "lm-fake", "silent", "sparse"]
    assert bars.values["silent"] is None and bars.warnings["silent"] == "no verdicts"
    assert bars.warnings["sparse"] == "⚠ 4 of 20 items"
    silent = chart(vicuna, "silent: scores given (no verdicts)")
    assert isinstance(silent, BarChart) and silent.values["no verdict"] == 20
    assert "silent" in data.facts["judges with low coverage"].text


def test_default_output_is_next_to_the_source(
    grading_run: Path, bench_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_output(grading_run) == grading_run.with_suffix(".html")
    assert default_output(bench_run) == bench_run / "report.html"
    monkeypatch.chdir(tmp_path)
    for source, expected in (
        (grading_run, grading_run.with_suffix(".html")),
        (bench_run, bench_run / "report.html"),
    ):
        expected.unlink(missing_ok=True)
        assert main(["report", str(source)]) == 0
        assert expected.is_file()
    assert not (tmp_path / "report.html").exists()


def test_png_and_markdown_outputs(tmp_path: Path, bench_run: Path) -> None:
    html = tmp_path / "r.html"
    argv = ["report", str(bench_run), "-o", str(html), "--png-dir", str(tmp_path / "png"),
            "--markdown", str(tmp_path / "r.md")]  # fmt: skip
    assert main(argv) == 0
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert len(pngs) == sum(len(s.charts) for s in load_report_data(bench_run).sections)
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert "## vicuna: direct assessment" in (tmp_path / "r.md").read_text()


def test_nice_ticks() -> None:
    assert nice_ticks(0, 9) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(-0.71, 1) == [-1, -0.5, 0, 0.5, 1]
    assert nice_ticks(1, 5) == [1, 2, 3, 4, 5]
    assert nice_ticks(0, 2, whole=True) == [0, 1, 2]
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_report_flag_on_grade_and_bench(tmp_path: Path, bench_run: Path) -> None:
    out = tmp_path / "g.jsonl"
    cli(
        "grade",
        "examples/direct.jsonl",
        "-o",
        str(out),
        "--quiet",
        "--no-cache",
        "--report",
        "--backend",
        "fake",
    )
    assert "<svg" in out.with_suffix(".html").read_text()
    assert main(["bench", "score", str(bench_run)]) == 0  # re-score, then report via bench's own flag
    bench_out = tmp_path / "bench"
    assert main(["bench", "pairwise", "--data", f"pairwise={bench_run.parent / 'pairs.jsonl'}", "--judge", "length",
                 "--resamples", "0", "-o", str(bench_out), "--report", str(tmp_path / "b.html")]) == 0  # fmt: skip
    assert "pairwise: pairwise ranking" in (tmp_path / "b.html").read_text()


def test_merge_sweep_report(tmp_path: Path) -> None:
    points = [
        {"alpha": a, "density": None, "model_dir": f"m{a}", "toy_pearson": 0.5 + a / 4, "toy_accuracy": 0.5}
        for a in (0, 0.5, 1)
    ]
    (tmp_path / "points.json").write_text(json.dumps(points))
    data = load_report_data(tmp_path)
    lines = [c for c in data.sections[0].charts if isinstance(c, LineChart)]
    assert [c.y_title for c in lines] == ["toy Pearson r", "score (%)"]  # one unit per chart
    assert lines[0].series["toy Pearson r"][1] == (0.5, 0.625) and lines[0].x_ticks == [0, 0.5, 1]
    assert lines[1].series["toy accuracy"][0] == (0, 50.0)
    assert all(c.x_title == "alpha (weight of the second model)" for c in lines)
    text = visible_text(render_html(data))
    assert "None" not in text and "not set" in text and "toy_pearson" not in text


def test_merge_sweep_report_flag(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    for name, value in (("da", 1.0), ("pr", 3.0)):
        folder = tmp_path / name
        folder.mkdir()
        save_file({"w": torch.full((4, 4), value)}, str(folder / "model.safetensors"))
        (folder / "config.json").write_text(json.dumps({"architectures": ["Toy"], "model_type": "toy"}))
    config = tmp_path / "merge.yaml"
    config.write_text(f"merge_method: linear\nmodels:\n  - model: {tmp_path / 'da'}\n    parameters: {{weight: 0.5}}\n"
                      f"  - model: {tmp_path / 'pr'}\n    parameters: {{weight: 0.5}}\ndtype: float32\n")  # fmt: skip
    root = tmp_path / "sweep"
    assert main(["merge-sweep", str(config), str(root), "--alphas", "0,0.5,1", "--quiet", "--report"]) == 0
    html = (root / "report.html").read_text()
    assert "Merge sweep" in html and html.count("<tr>") >= 3
