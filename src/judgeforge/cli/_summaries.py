"""End-of-run summaries on the terminal (stderr, rich): what a run did, what it cost, where its files are."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from judgeforge.runner.api import RunReport


def print_run_summary(report: RunReport, command: str, currency: str = "USD") -> None:
    """Counts, failures by reason, duration, tokens, cost (with its unit when a price was given), retries,
    cache use and the files written, for ``grade``/``compare``."""
    summary, this_run = report.summary, report.summary["this_run"]
    console = _console()
    console.print(
        f"[bold]judgeforge {command}[/bold]: {summary['graded']} graded, {summary['failed']} failed, "
        f"{summary['bad_rows']} bad input; this run read {this_run['rows_read']} rows and graded "
        f"{this_run['graded']} in {_duration(this_run['seconds'])}"
        + (f" ({this_run['items_per_s']:,.1f} rows/s)" if this_run.get("items_per_s") else "")
    )
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim")
    table.add_column()
    for label, value in _facts(summary, this_run, currency):
        table.add_row(label, value)
    for label, path in _files(report):
        table.add_row(label, path)
    console.print(table)


def _facts(summary: dict[str, Any], this_run: dict[str, Any], currency: str) -> list[tuple[str, str]]:
    facts = []
    if summary["failures_by_reason"]:
        facts.append(("failures", _counts(summary["failures_by_reason"])))
    if summary["bad_rows_by_field"]:
        facts.append(("bad rows by field", _counts(summary["bad_rows_by_field"])))
    if summary.get("rows_with_failed_samples"):
        detail = _counts(summary["failed_samples_by_reason"])
        facts.append(("rows missing samples", f"{summary['rows_with_failed_samples']} ({detail})"))
    if summary.get("logprobs_missing"):
        facts.append(("verdicts without logprobs", str(summary["logprobs_missing"])))
    tokens = f"{summary['tokens_in']:,} in, {summary['tokens_out']:,} out"
    if summary.get("cost") is not None:
        tokens += f"; cost {summary['cost']:,.4f} {currency}"
    facts.append(("tokens", tokens))
    calls = f"{this_run['backend_calls']} calls, {this_run['prompts_sent']} prompts sent"
    facts.append(("backend", f"{calls}, {this_run['backend_retries']} retries"))
    cache = this_run.get("cache")
    if cache:
        facts.append(("cache", f"{cache['hits']} hits, {cache['misses']} misses ({cache['path']})"))
    return facts


def _files(report: RunReport) -> list[tuple[str, str]]:
    files = [("results", str(report.output))]
    if report.summary["bad_rows"]:
        files.append(("bad rows", str(report.errors)))
    return [*files, ("summary", str(report.summary_path)), ("manifest", str(report.manifest_path))]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason}: {count}" for reason, count in counts.items())


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def print_bench_summary(summary: dict[str, Any], out_dir: str) -> None:
    """The judges x benchmarks table of headline metrics, with 95% intervals and coverage (items with a
    verdict of all items), as ``bench`` ends; then one note per judge graded on another scale than the gold's
    (:func:`judgeforge.bench.report.scale_notes`)."""
    from judgeforge.bench.report import scale_notes

    table = Table(title="judgeforge bench", title_justify="left")
    for column in ("judge", "benchmark", "mode", "metric", "value", "95% CI", "coverage"):
        table.add_column(column, justify="right" if column in ("value", "coverage") else "left", no_wrap=True)
    for judge, benchmarks in summary["results"].items():
        for benchmark, modes in benchmarks.items():
            for mode, metrics in modes.items():
                if mode != "cross":
                    table.add_row(judge, benchmark, mode, *headline(metrics), coverage(metrics))
    console = _console()
    console.print(table)
    for note in scale_notes(summary):
        console.print(f"note: {note}", markup=False)
    console.print(f"[dim]all metrics: {out_dir}/summary.json and {out_dir}/report.md[/dim]")


def headline(metrics: dict[str, Any]) -> tuple[str, str, str]:
    """(metric name, value, interval) of one mode's metrics: Pearson against the first gold source for
    direct assessment, accuracy (ties skipped) for pairwise modes."""
    gold = next((key for key in metrics if key.startswith("vs_")), None)
    if gold is not None:
        pearson = metrics[gold].get("pearson") or {}
        return f"Pearson (vs {gold.removeprefix('vs_')})", _number(pearson.get("value")), _interval(pearson)
    if "accuracy_ties_skipped" in metrics:
        accuracy = metrics["accuracy_ties_skipped"]
        graded = (
            (metrics.get("items") or 0) - (metrics.get("no_verdict") or 0) - (metrics.get("gold_ties") or 0)
        )
        return "accuracy", _percent(accuracy), _proportion_interval(accuracy, graded)
    return "-", "-", ""


def _proportion_interval(share: Any, count: int) -> str:
    """The normal-approximation 95% interval of a proportion, p +- 1.96 sqrt(p (1 - p) / n), in percent."""
    if not isinstance(share, float) or count <= 0:
        return ""
    half = 1.96 * (share * (1 - share) / count) ** 0.5
    return f"[{100 * max(0.0, share - half):.1f}, {100 * min(1.0, share + half):.1f}]"


def coverage(metrics: dict[str, Any]) -> str:
    items = metrics.get("items") or 0
    graded = items - (metrics.get("no_verdict") or 0)
    share = graded / items if items else 0.0
    text = f"{graded}/{items}"
    return text if share >= 0.9 else f"[bold red]{text} (low)[/bold red]"


def _interval(metric: Any) -> str:
    low_high = metric.get("ci95") if isinstance(metric, dict) else None
    return f"[{low_high[0]:.2f}, {low_high[1]:.2f}]" if low_high else ""


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-"


def _percent(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, float) else "-"


def _console() -> Console:
    """stderr; a terminal's own width, else wide enough that tables are not cut (logs, pipes)."""
    import sys

    return Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
