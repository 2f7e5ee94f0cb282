"""Bridges for users of other evaluator libraries: their call shapes, judgeforge's pipeline underneath.

- :mod:`judgeforge.compat.prometheus_eval`: ``PrometheusEval`` with the argument names and return shapes of
  prometheus-eval 0.1.20 (``absolute_grade``/``relative_grade`` -> ``(feedbacks, scores)``), grading through
  :class:`~judgeforge.judge.Judge`. See docs/migrating.md for what differs and why.

Nothing here imports the other library: a bridge works without it installed.
"""
