"""Reports people can read: one self-contained HTML file, PNG plots and a markdown summary.

``build_report(path, out_html)`` detects what ``path`` is (a grading run's output JSONL, a benchmark output
folder, a leaderboard folder or its ``leaderboard.json``, or a merge-sweep folder), loads it into a
:class:`ReportData` and writes the report;
``default_output(path)`` is where the report goes when no file is named (next to its source).
"""

from judgeforge.report.build import build_report
from judgeforge.report.data import ReportData
from judgeforge.report.load import default_output, load_report_data

__all__ = ["ReportData", "build_report", "default_output", "load_report_data"]
