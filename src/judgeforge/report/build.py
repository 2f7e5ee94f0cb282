"""Writing a report: HTML always; PNG plots and a markdown summary on request."""

from __future__ import annotations

from pathlib import Path

from judgeforge.report.html import render_html
from judgeforge.report.load import load_report_data
from judgeforge.report.markdown import render_markdown


def build_report(
    source: str | Path,
    out_html: str | Path,
    *,
    png_dir: str | Path | None = None,
    markdown: str | Path | None = None,
) -> Path:
    """Write the report of ``source`` (a grading output, bench, leaderboard or sweep folder) to ``out_html``."""
    data = load_report_data(source)
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    if png_dir is not None:
        from judgeforge.report.png import write_pngs

        write_pngs(data, png_dir)
    if markdown is not None:
        Path(markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown).write_text(render_markdown(data), encoding="utf-8")
    return out
