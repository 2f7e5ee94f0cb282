"""Run accounting: the summary (rows, failures, distribution, agreement, alpha, tokens, cost, speed) and
the manifest (what produced the file: versions, backend, template set, parameters, times)."""

from __future__ import annotations

import platform
import re
from collections import Counter
from importlib import metadata
from typing import Any

from judgeforge.metrics import CoincidenceAccumulator, Level

_QUOTED = re.compile(r"""(:\s*)?(['"]).*$""")
_PACKAGES = (
    "judgeforge",
    "pydantic",
    "httpx",
    "numpy",
    "rich",
    "torch",
    "transformers",
    "datasets",
    "pyarrow",
)


def failure_reason(failure: str) -> str:
    """A failure's kind without the quoted output, e.g. ``unreadable verdict after [RESULT]``."""
    reason = _QUOTED.sub("", failure).strip()
    if reason.startswith("backend error"):
        return "backend error"
    return reason.rstrip(":") or "failure"


class SummaryAccumulator:
    """Fed every final result line (from the previous file and from this run); reports at the end."""

    def __init__(self) -> None:
        self.rows = 0
        self.failed: Counter[str] = Counter()
        self.distribution: Counter[str] = Counter()
        self.sample_distribution: Counter[str] = Counter()
        self.tokens_in = 0
        self.tokens_out = 0
        self.agreement_sum = 0.0
        self.agreement_rows = 0
        self.swap_checked = 0
        self.swap_consistent = 0
        self.resolutions: Counter[str] = Counter()
        self.alpha = CoincidenceAccumulator()
        self.rows_with_failed_samples = 0
        self.failed_samples: Counter[str] = Counter()
        self.logprobs_missing: Counter[str] = Counter()

    def add(self, line: dict[str, Any]) -> None:
        self.rows += 1
        failure = line.get("failure")
        if failure is not None:
            self.failed[failure_reason(failure)] += 1
        absolute = line.get("mode") == "absolute"
        field = ("label" if "label" in line else "score") if absolute else "winner"  # label: a Yes/No scale
        outcome = line.get(field)
        self.distribution[str(round(outcome, 3) if isinstance(outcome, float) else outcome)] += 1
        verdicts = line.get("verdicts", ())
        if len(verdicts) == 1:  # the common case, without a list or generator
            verdict = verdicts[0]
            value = verdict.get(field)
            if value is not None:
                self.sample_distribution[str(value)] += 1
            if "logprobs_missing" in verdict:
                self.logprobs_missing[verdict["logprobs_missing"]] += 1
        else:
            self._add_samples(verdicts, field, failure is None)
        usage = line.get("usage")
        if isinstance(usage, dict):
            self.tokens_in += usage.get("prompt_tokens", 0)
            self.tokens_out += usage.get("completion_tokens", 0)
        elif usage:  # files written before usage was labelled: [in, out]
            self.tokens_in += usage[0]
            self.tokens_out += usage[1]
        agreement = line.get("agreement")
        if agreement is not None:
            self.agreement_sum += agreement
            self.agreement_rows += 1
        if "resolution" in line:
            self.resolutions[line["resolution"]] += 1
            if line.get("swap_consistent") is not None:
                self.swap_checked += 1
                self.swap_consistent += bool(line["swap_consistent"])

    def _add_samples(self, verdicts: list[dict[str, Any]], field: str, graded: bool) -> None:
        values = [v.get(field) for v in verdicts]
        self.sample_distribution.update(str(v) for v in values if v is not None)
        if len(values) > 1:
            self.alpha.add_unit(values)
        failed = [v["failure"] for v in verdicts if v.get("failure") is not None]
        if failed and graded:  # a failed row is counted as failed; here the aggregate lacks samples
            self.rows_with_failed_samples += 1
            self.failed_samples.update(failure_reason(reason) for reason in failed)
        self.logprobs_missing.update(v["logprobs_missing"] for v in verdicts if "logprobs_missing" in v)

    def report(self, mode: str, price_per_1k_tokens: float | None) -> dict[str, Any]:
        level: Level = "ordinal" if mode == "absolute" else "nominal"
        report: dict[str, Any] = {
            "rows": self.rows,
            "graded": self.rows - sum(self.failed.values()),
            "failed": sum(self.failed.values()),
            "failures_by_reason": dict(self.failed.most_common()),
            "distribution": dict(sorted(self.distribution.items())),
            "sample_distribution": dict(sorted(self.sample_distribution.items())),
            "mean_agreement": self.agreement_sum / self.agreement_rows if self.agreement_rows else None,
            "krippendorff_alpha": {
                "level": level,
                "units": self.alpha.units,
                "alpha": self.alpha.alpha(level),
            },
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            # Graded rows whose aggregate rests on fewer samples than asked for, and why samples failed.
            "rows_with_failed_samples": self.rows_with_failed_samples,
            "failed_samples_by_reason": dict(self.failed_samples.most_common()),
            # Verdicts without the value distribution that --logprobs asked for, by reason.
            "logprobs_missing": sum(self.logprobs_missing.values()),
            "logprobs_missing_by_reason": dict(self.logprobs_missing.most_common()),
        }
        if price_per_1k_tokens is not None:
            report["cost"] = (self.tokens_in + self.tokens_out) / 1000 * price_per_1k_tokens
        if self.resolutions:
            report["both_orders"] = {
                "resolutions": dict(self.resolutions),
                "swap_checked": self.swap_checked,
            }
            # Top level, where the report reads it (report/load.py).
            report["swap_consistency"] = (
                self.swap_consistent / self.swap_checked if self.swap_checked else None
            )
        return report


def package_versions() -> dict[str, str]:
    """Installed versions (read from metadata; nothing is imported)."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
