"""The grading pipeline every executor calls: the Judge (render, sample, parse with retries, aggregate),
its aggregation rules (:mod:`~judgeforge.judge.aggregate`) and the logprob protocols
(:mod:`~judgeforge.judge.scoring`)."""

from __future__ import annotations

from judgeforge.judge.core import Judge, judge_sampling, judge_settings, protocol_name

__all__ = ["Judge", "judge_sampling", "judge_settings", "protocol_name"]
