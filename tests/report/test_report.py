"""Reports for a grading run and a benchmark run, opened in headless Chromium (a real browser)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from judgeforge.cli.main import main
from judgeforge.report import load_report_data
from judgeforge.report.markdown import render_markdown
from paths import REPO

ARTIFACTS = REPO / "test-artifacts"


def cli(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "judgeforge", *args], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr


@pytest.fixture(scope="module")
def grading_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("grading") / "graded.jsonl"
    cli(
        "grade",
        "examples/direct.jsonl",
        "-o",
        str(out),
        "--samples",
        "3",
        "--quiet",
        "--no-cache",
        "--backend",
        "fake",
    )
    return out


@pytest.fixture(scope="module")
def bench_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    direct, pairs = root / "direct.json", root / "pairs.jsonl"
    from judgeforge.prompts import PromptRenderer
    from judgeforge.records import DirectItem
    from judgeforge.rubrics import load_rubric

    renderer = PromptRenderer("prometheus2", "none")
    records = []
    for i in range(12):
        item = DirectItem(
            instruction=f"Name {i % 5 + 1} colours.",
            response="red " * (i % 5 + 1),
            rubric=load_rubric("helpfulness"),
            reference_answer="red green blue yellow pink",
        )
        records.append(
            {
                "idx": str(i),
                "category": "colours" if i % 2 else "shapes",
                "instruction": renderer.direct(item).user,
                "gpt4_score": [i % 5 + 1] * 3,
                "gpt4_feedback": ["ok"] * 3,
                "response_source": "toy",
            }
        )
    direct.write_text(json.dumps(records), encoding="utf-8")
    pair_rows = [
        {"instruction": f"Say hello number {i}", "chosen": f"hello {i}", "rejected": "no", "source": "toy"}
        for i in range(6)
    ]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in pair_rows), encoding="utf-8")
    out = root / "out"
    assert (
        main(
            [
                "bench",
                "vicuna",
                "pairwise",
                "--data",
                f"vicuna={direct}",
                "--data",
                f"pairwise={pairs}",
                "--backend",
                "fake",
                "--judge",
                "length",
                "--resamples",
                "20",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    return out


def test_report_data_of_a_grading_run(grading_run: Path) -> None:
    data = load_report_data(grading_run)
    assert data.kind == "grading" and data.items_total == 4
    assert data.summary["rows"] == "4"
    bars = data.sections[0].bars["Verdicts (all samples)"]
    assert sum(bars.values()) == 12  # 4 items x 3 samples
    assert "| rows | 4 |" in render_markdown(data)


def test_report_data_of_a_bench_run(bench_run: Path) -> None:
    data = load_report_data(bench_run)
    assert data.kind == "bench"
    titles = [section.title for section in data.sections]
    assert "vicuna (direct)" in titles
    vicuna = data.sections[titles.index("vicuna (direct)")]
    matrix = next(iter(vicuna.confusion.values()))
    assert sum(map(sum, matrix)) == 12
    assert data.items_total == 2 * (12 + 6)


def test_png_and_markdown_outputs(tmp_path: Path, bench_run: Path) -> None:
    html = tmp_path / "r.html"
    assert (
        main(
            [
                "report",
                str(bench_run),
                "-o",
                str(html),
                "--png-dir",
                str(tmp_path / "png"),
                "--markdown",
                str(tmp_path / "r.md"),
            ]
        )
        == 0
    )
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert "## vicuna (direct)" in (tmp_path / "r.md").read_text()


def chrome() -> object:
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.skip("Debian chromium and chromium-driver are not installed (make test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)


@pytest.mark.parametrize("kind", ["grading", "bench"])
def test_report_in_headless_chromium(kind: str, grading_run: Path, bench_run: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    html = tmp_path / f"{kind}.html"
    assert main(["report", str(grading_run if kind == "grading" else bench_run), "-o", str(html)]) == 0
    driver = chrome()
    try:
        driver.get(html.as_uri())  # type: ignore[attr-defined]
        find = driver.find_elements  # type: ignore[attr-defined]
        charts = find(By.CSS_SELECTOR, "svg.chart")
        assert charts and all(c.size["width"] > 100 and c.size["height"] > 100 for c in charts)
        assert find(By.CSS_SELECTOR, "svg.chart rect.bar, svg.chart rect.cell")
        rows = find(By.CSS_SELECTOR, "#items tbody tr")
        visible = lambda: [r for r in rows if r.is_displayed()]  # noqa: E731
        assert len(visible()) == len(rows) > 0
        target = rows[1].find_elements(By.TAG_NAME, "td")[1].text
        box = driver.find_element(By.ID, "search")  # type: ignore[attr-defined]
        box.send_keys(target)
        shown = visible()
        assert 0 < len(shown) < len(rows) and all(target.lower() in r.text.lower() for r in shown)
        assert driver.find_element(By.ID, "count").text == f"{len(shown)} of {len(rows)} items"  # type: ignore[attr-defined]
        box.clear()
        box.send_keys("zzz-no-such-item")
        assert visible() == []
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]
        assert errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        box.clear()
        box.send_keys(" ")
        driver.save_screenshot(str(ARTIFACTS / f"report-{kind}.png"))  # type: ignore[attr-defined]
    finally:
        driver.quit()  # type: ignore[attr-defined]


def test_report_flag_on_grade_bench_and_merge_sweep(tmp_path: Path, bench_run: Path) -> None:
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
    assert "pairwise (relative)" in (tmp_path / "b.html").read_text()
    sweep_root = tmp_path / "sweep"
    sweep_root.mkdir()
    points = [
        {"alpha": a, "density": None, "model_dir": f"m{a}", "toy_pearson": 0.5 + a / 4} for a in (0, 0.5, 1)
    ]
    (sweep_root / "points.json").write_text(json.dumps(points))
    data = load_report_data(sweep_root)
    assert data.kind == "sweep" and data.sections[0].lines["Score vs alpha"]["toy_pearson"][1] == (0.5, 0.625)


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
