"""The HTML report in headless Chromium (a real browser): no console errors, titled axes with ticks on every
chart, search, an item's full view (prompt and raw output, long text opened by a click), coverage flags, a
leaderboard's interval bars and win-rate matrices, and screenshots that are looked at (saved under
test-artifacts/)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from judgeforge.cli.main import main
from paths import REPO

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture
def chrome() -> Iterator[Any]:
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        pytest.skip("Debian chromium and chromium-driver are not installed (make test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or ""), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver: Any, source: Path, html: Path) -> None:
    assert main(["report", str(source), "-o", str(html)]) == 0
    driver.get(html.as_uri())


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def check_charts(driver: Any) -> None:
    """Every chart has a size, a title, both axis titles, and at least two ticks on each axis."""
    from selenium.webdriver.common.by import By

    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert charts
    for svg in charts:
        assert svg.size["width"] > 100 and svg.size["height"] > 100
        title = svg.find_element(By.CSS_SELECTOR, "text.title").text
        axes = {
            a.get_attribute("class"): a.text for a in svg.find_elements(By.CSS_SELECTOR, "text.axis-title")
        }
        assert axes.keys() == {"axis-title x", "axis-title y"} and all(axes.values()), title
        categories = len(svg.find_elements(By.CSS_SELECTOR, "rect.bar, text.missing"))
        cells = svg.find_elements(By.CSS_SELECTOR, "rect.cell")
        grid = {axis: {cell.get_attribute(axis) for cell in cells} for axis in ("x", "y")}
        for axis in ("x", "y"):
            ticks = [t.text for t in svg.find_elements(By.CSS_SELECTOR, f"text.tick.{axis}") if t.text]
            if axis == "x" and categories:  # a bar chart: one tick per bar (a single reason is one bar)
                assert len(ticks) == categories, (title, ticks)
            elif cells:  # a heatmap: one tick per column and per row (a baseline's matrix has one column)
                assert len(ticks) == len(grid[axis]), (title, axis, ticks)
            else:
                assert len(ticks) >= 2, (title, axis, ticks)
        text = svg.text
        assert "None" not in text and "_" not in text.replace(title, ""), title


def check_search(driver: Any) -> None:
    from selenium.webdriver.common.by import By

    items = driver.find_elements(By.CSS_SELECTOR, "#items tbody.item")

    def shown() -> list[Any]:
        return [i for i in items if i.is_displayed()]

    assert len(shown()) == len(items) > 1
    target = items[1].find_elements(By.TAG_NAME, "td")[1].text
    box = driver.find_element(By.ID, "search")
    box.send_keys(target)
    found = shown()
    assert 0 < len(found) < len(items) and all(target.lower() in i.text.lower() for i in found)
    assert driver.find_element(By.ID, "count").text == f"{len(found)} of {len(items)} items"
    box.clear()
    box.send_keys("zzz-no-such-item")
    assert shown() == []
    box.clear()
    box.send_keys(" ")
    assert len(shown()) == len(items)


def screenshot(driver: Any, name: str) -> Path:
    """A full-page screenshot under test-artifacts/ (and the first chart alone), checked to be non-blank."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1300, min(int(height), 4000))
    path = ARTIFACTS / f"report-{name}.png"
    driver.save_screenshot(str(path))
    first = driver.find_element(By.CSS_SELECTOR, "svg.chart")
    chart = ARTIFACTS / f"report-{name}-chart.png"
    chart.write_bytes(first.screenshot_as_png)
    for png in (path, chart):
        image = Image.open(io.BytesIO(png.read_bytes())).convert("L")
        low, high = cast(tuple[int, int], image.getextrema())
        assert high - low > 100, f"{png} is blank"
        assert len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 8, f"{png} has no detail"
    return path


def with_runaway_feedback(run: Path, folder: Path) -> Path:
    """A copy of ``run`` whose first verdict rambles on for ~6,000 characters."""
    for path in run.parent.glob(f"{run.stem}.*"):
        shutil.copy(path, folder / path.name)
    copy = folder / run.name
    lines = [json.loads(line) for line in copy.read_text().splitlines()]
    lines[0]["verdicts"][0]["feedback"] = "The response is fine. " * 280
    copy.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return copy


def test_grading_report_with_failures(chrome: Any, failing_run: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    run = with_runaway_feedback(failing_run, tmp_path)
    open_report(chrome, run, tmp_path / "grading.html")
    check_charts(chrome)
    check_search(chrome)
    rows = chrome.find_elements(By.CSS_SELECTOR, "#items tr.summary")
    assert max(row.size["height"] for row in rows) < 110  # the runaway feedback is clipped, not 300 px tall
    toggle = rows[0].find_element(By.CSS_SELECTOR, "td.feedback button.more")
    toggle.click()
    assert rows[0].size["height"] > 300 and toggle.text == "show less"  # and opens on a click
    toggle.click()
    assert rows[0].size["height"] < 110
    lines = [json.loads(line) for line in run.read_text().splitlines()]
    index, line = next((i, x) for i, x in enumerate(lines) if any(v.get("failure") for v in x["verdicts"]))
    raw = next(v["raw"] for v in line["verdicts"] if v.get("failure"))
    item = chrome.find_elements(By.CSS_SELECTOR, "#items tbody.item")[index]
    detail = item.find_element(By.CSS_SELECTOR, "tr.detail")
    assert not detail.is_displayed()
    item.find_element(By.CSS_SELECTOR, "button.view").click()
    assert detail.is_displayed()
    prompt = detail.find_element(By.CSS_SELECTOR, "pre.prompt")
    assert prompt.text.startswith("[INST] ") and "###Score Rubric" in prompt.text
    sizes = "return [arguments[0].clientHeight, arguments[0].scrollHeight]"
    shown, full = chrome.execute_script(sizes, prompt)
    assert shown < full / 2  # clipped to its first lines
    more = prompt.find_element(By.XPATH, "following-sibling::button[1]")
    assert more.text == "show all"
    more.click()
    assert chrome.execute_script(sizes, prompt)[0] >= full and more.text == "show less"
    assert raw in [p.text for p in detail.find_elements(By.CSS_SELECTOR, "pre.raw")]
    assert "no verdict: no [RESULT] marker" in detail.text and "Instruction" in detail.text
    assert console_errors(chrome) == []
    screenshot(chrome, "grading")


def test_bench_report_flags_low_coverage(chrome: Any, sparse_bench_run: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    open_report(chrome, sparse_bench_run, tmp_path / "bench.html")
    check_charts(chrome)
    check_search(chrome)
    flagged = [td.text for td in chrome.find_elements(By.CSS_SELECTOR, "td.warn") if td.is_displayed()]
    assert any(text.startswith("⚠ 4 of 20 items (20%)") for text in flagged)
    assert any(text.startswith("⚠ 0 of 20 items (0%)") for text in flagged)
    notes = [p.text for p in chrome.find_elements(By.CSS_SELECTOR, "p.flag-note")]
    assert any("No verdicts: silent" in note for note in notes)
    flags_in_charts = [t.text for t in chrome.find_elements(By.CSS_SELECTOR, "svg.chart text.flag")]
    assert "⚠ 4 of 20 items" in flags_in_charts and "no verdicts" in flags_in_charts
    assert console_errors(chrome) == []
    screenshot(chrome, "bench")


def _chart_titled(driver: Any, start: str) -> Any:
    from selenium.webdriver.common.by import By

    charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    [found] = [c for c in charts if c.find_element(By.CSS_SELECTOR, "text.title").text.startswith(start)]
    return found


def test_leaderboard_report(chrome: Any, leaderboard_run: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    board = json.loads((leaderboard_run / "leaderboard.json").read_text(encoding="utf-8"))
    models = board["models"]
    open_report(chrome, leaderboard_run, tmp_path / "leaderboard.html")
    check_charts(chrome)
    check_search(chrome)
    rankings = {
        "direct": ("direct: mean score", "low"),
        "baseline": ("baseline: win rate against steady, with", "low"),
        "pairs": ("pairs: Bradley-Terry rating", "elo_low"),
    }
    for protocol, (title, low) in rankings.items():
        ranking = _chart_titled(chrome, title)
        assert "95% intervals" in ranking.find_element(By.CSS_SELECTOR, "text.title").text
        bars = ranking.find_elements(By.CSS_SELECTOR, "rect.bar")
        assert len(bars) == sum(row.get(low) is not None for row in board[protocol]["ranking"])
        assert len(bars) + len(ranking.find_elements(By.CSS_SELECTOR, "text.missing")) == len(models)
        assert len(ranking.find_elements(By.CSS_SELECTOR, "circle.estimate")) == len(models)
        assert all(bar.size["height"] >= 2 for bar in bars)
        ticks = [t.text for t in ranking.find_elements(By.CSS_SELECTOR, "text.tick.x")]
        assert ticks == [row["model"] for row in board[protocol]["ranking"]]
    missing = _chart_titled(chrome, "baseline: win rate against").find_element(
        By.CSS_SELECTOR, "text.missing"
    )
    assert missing.text == "baseline"
    pairs = _chart_titled(chrome, "pairs: win rate of the row model")
    cells = pairs.find_elements(By.CSS_SELECTOR, "rect.cell")
    assert len(cells) == len(models) ** 2 and len(pairs.find_elements(By.CSS_SELECTOR, "rect.cell.none")) == 4
    matrix = board["pairs"]["matrix"]
    shown = [t.text for t in pairs.find_elements(By.CSS_SELECTOR, "text.value")]
    assert shown == [units_share(v) for row in matrix["win_rate"] for v in row]
    assert len(pairs.find_elements(By.CSS_SELECTOR, "rect.swatch")) == 6
    legend = [t.text for t in pairs.find_elements(By.CSS_SELECTOR, "text.legend")]
    assert legend[:3] == ["row's win rate", "100%", "75%"] and legend[-1] == "no verdicts"
    slanted = pairs.find_elements(By.CSS_SELECTOR, "text.tick.x.slanted")
    assert [t.text for t in slanted] == matrix["columns"]  # "strong-model" is too long to stand upright
    against = _chart_titled(chrome, "baseline: win rate of each model against steady")
    assert len(against.find_elements(By.CSS_SELECTOR, "rect.cell")) == len(models) - 1
    headers = [h.text for h in chrome.find_elements(By.CSS_SELECTOR, "section h3")]
    for title in ("direct: mean score by category", "direct: mean score by rubric", "diagnostics by model"):
        assert title in headers
    assert console_errors(chrome) == []
    screenshot(chrome, "leaderboard")


def units_share(value: float | None) -> str:
    """A matrix cell as the page writes it."""
    return "–" if value is None else f"{100 * value:.0f}%"
