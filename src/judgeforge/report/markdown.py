"""The report as a markdown summary (facts and tables; the charts live in the HTML and the PNGs)."""

from __future__ import annotations

from judgeforge.report.data import ReportData


def render_markdown(data: ReportData) -> str:
    lines = [f"# {data.title}", "", "| fact | value |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in data.summary.items()]
    for section in data.sections:
        lines += ["", f"## {section.title}"]
        for title, values in section.bars.items():
            lines += ["", f"{title}: " + ", ".join(f"{k}: {v:g}" for k, v in values.items())]
        for title, (header, rows) in section.tables.items():
            lines += ["", f"### {title}", "", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in rows]
    failures = sum(1 for item in data.items if item.failure)
    lines += ["", f"{data.items_total} items; {failures} with a failure among those shown."]
    return "\n".join(lines) + "\n"
