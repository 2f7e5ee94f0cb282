"""The report's charts as PNG files (matplotlib), for papers and slides."""

from __future__ import annotations

import re
from pathlib import Path

from judgeforge.lazy import require
from judgeforge.report.data import ReportData


def write_pngs(data: ReportData, folder: str | Path) -> list[Path]:
    """One PNG per chart of every section; returns the files written."""
    matplotlib = require("matplotlib", "report")
    matplotlib.use("Agg")
    plt = require("matplotlib.pyplot", "report")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(title: str, fig: object) -> None:
        path = out / f"{len(written):02d}-{_slug(title)}.png"
        fig.savefig(path, dpi=150, bbox_inches="tight")  # type: ignore[attr-defined]
        plt.close(fig)
        written.append(path)

    for section in data.sections:
        for title, values in section.bars.items():
            fig, ax = plt.subplots(figsize=(5, 3))
            ax.bar(list(values), list(values.values()), color="#3b6ea8")
            ax.set_title(f"{section.title}: {title}", fontsize=9)
            save(title, fig)
        for title, matrix in section.confusion.items():
            fig, ax = plt.subplots(figsize=(4, 4))
            ax.imshow(matrix, cmap="Blues")
            ax.set_xticks(range(5), [str(i) for i in range(1, 6)])
            ax.set_yticks(range(5), [str(i) for i in range(1, 6)])
            for r, row in enumerate(matrix):
                for c, value in enumerate(row):
                    ax.text(c, r, str(value), ha="center", va="center", fontsize=8)
            ax.set_xlabel("judge"), ax.set_ylabel("gold"), ax.set_title(title, fontsize=9)
            save(title, fig)
        for title, points in section.calibration.items():
            fig, ax = plt.subplots(figsize=(4, 4))
            ax.plot([1, 5], [1, 5], "--", color="#999")
            ax.plot([p for p, _, _ in points], [g for _, g, _ in points], "o-", color="#3b6ea8")
            ax.set_xlabel("judge"), ax.set_ylabel("gold"), ax.set_title(title, fontsize=9)
            save(title, fig)
        for title, series in section.lines.items():
            fig, ax = plt.subplots(figsize=(5, 3))
            for name, pts in series.items():
                ax.plot([x for x, _ in pts], [y for _, y in pts], "o-", label=name)
            ax.set_xlabel("alpha"), ax.legend(fontsize=7), ax.set_title(title, fontsize=9)
            save(title, fig)
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "chart"
