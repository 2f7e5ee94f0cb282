"""``run_leaderboard``: which model is better, from a judge's verdicts on their responses (docs/leaderboard.md).

Each protocol builds its rows (:mod:`judgeforge.leaderboard.schedule`), grades them through the batch
runner in its own folder of the output folder (:mod:`judgeforge.leaderboard.grading`: resumable, cached),
reads the verdicts back and computes its table and diagnostics. ``leaderboard.json`` holds them all, plus
the agreement between protocols when more than one ran. It holds no timings, so a resumed run writes the
same file as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgeforge.errors import ConfigError
from judgeforge.judge import Judge
from judgeforge.leaderboard.diagnostics import direct_diagnostics, pair_diagnostics, ranking_agreement
from judgeforge.leaderboard.direct import direct_board
from judgeforge.leaderboard.grading import (
    ProtocolRun,
    direct_observations,
    grade_plan,
    pair_observations,
)
from judgeforge.leaderboard.inputs import ResponseSet, load_responses
from judgeforge.leaderboard.logistic import Solver, resolve_solver
from judgeforge.leaderboard.pairs import pairs_board
from judgeforge.leaderboard.schedule import Planned, baseline_plan, direct_plan, pairs_plan
from judgeforge.leaderboard.winrate import baseline_board, win_matrix
from judgeforge.records import Rubric
from judgeforge.runner import RunOptions
from judgeforge.runner.bookkeeping import write_json

Protocol = Literal["direct", "baseline", "pairs"]
PROTOCOLS: tuple[Protocol, ...] = ("direct", "baseline", "pairs")
LEADERBOARD_FILE = "leaderboard.json"


class LeaderboardOptions(BaseModel):
    """How to rank: which protocols, their statistics, and how to grade.

    ``baseline`` is the model every other is compared with (``baseline`` protocol). ``budget`` caps the
    ``pairs`` comparisons (None: every pair on every instruction both models answered); ``seed`` draws that
    schedule, who is shown first, and the bootstrap. ``resamples`` bootstrap resamples give intervals at
    ``confidence``. ``length_control`` adds the length-controlled win rate (``baseline``) and the length
    covariate (``pairs``). ``both_orders`` judges each pair as (A, B) and (B, A), an order-dependent verdict
    being a tie. ``rubric``/``references``/``input_format`` apply when files are read. ``run`` carries the
    batch runner's options (batch size, concurrency, cache, retries); its mode and order settings are set
    per protocol.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    protocols: tuple[Protocol, ...] = ("direct",)
    baseline: str | None = None
    budget: int | None = Field(None, ge=1)
    seed: int = 0
    resamples: int = Field(1000, ge=10)
    confidence: float = Field(0.95, gt=0, lt=1)
    length_control: bool = False
    both_orders: bool = True
    solver: Solver = "auto"
    rubric: Rubric | str | Path | None = None
    references: Path | None = None
    input_format: str = "auto"
    run: RunOptions = Field(default_factory=RunOptions)


@dataclass(frozen=True)
class LeaderboardRun:
    """The board (as written to ``path``) and how many planned rows ended without a verdict."""

    board: dict[str, Any]
    path: Path
    failed_rows: int

    @property
    def exit_code(self) -> int:
        return 1 if self.failed_rows else 0


def run_leaderboard(
    responses: ResponseSet | Sequence[str | Path],
    output: str | Path,
    judge: Judge,
    options: LeaderboardOptions | None = None,
) -> LeaderboardRun:
    """Grade what each protocol needs into the folder ``output`` (resumable) and write ``leaderboard.json``.

    ``responses`` is a :class:`ResponseSet` or the sources of :func:`load_responses` (``PATH`` or
    ``NAME=PATH``). Running it again after an interruption grades only what is missing.
    """
    options = options or LeaderboardOptions()
    data = responses if isinstance(responses, ResponseSet) else _load(responses, options)
    check_options(data, options)
    out = Path(output)
    board: dict[str, Any] = {"models": list(data.models), "instructions": len(data.instructions)}
    board["settings"] = _settings(options, judge)
    rankings: dict[str, dict[str, float]] = {}
    failed = 0
    for protocol in options.protocols:
        section, values, failed_rows = _RUNNERS[protocol](data, out, judge, options)
        board[protocol], rankings[protocol] = section, values
        failed += failed_rows
    if len(rankings) > 1:
        board["agreement"] = ranking_agreement(rankings)
    board = rounded(board)
    path = out / LEADERBOARD_FILE
    write_json(path, board)
    return LeaderboardRun(board, path, failed)


def _load(sources: Sequence[str | Path], options: LeaderboardOptions) -> ResponseSet:
    return load_responses(
        sources, rubric=options.rubric, references=options.references, input_format=options.input_format
    )


def check_options(data: ResponseSet, options: LeaderboardOptions) -> None:
    """ConfigError for a run that cannot work: no or repeated protocols, a missing or unknown baseline."""
    if not options.protocols or len(set(options.protocols)) != len(options.protocols):
        raise ConfigError(f"give each protocol once, from: {', '.join(PROTOCOLS)}")
    pairwise = {"baseline", "pairs"} & set(options.protocols)
    if pairwise and len(data.models) < 2:
        raise ConfigError(f"the {' and '.join(sorted(pairwise))} protocol needs at least two models")
    if "baseline" in options.protocols:
        if options.baseline is None:
            raise ConfigError(f"the baseline protocol needs --baseline (one of: {', '.join(data.models)})")
        if options.baseline not in data.models:
            raise ConfigError(
                f"baseline {options.baseline!r} is not one of the models: {', '.join(data.models)}"
            )


def _settings(options: LeaderboardOptions, judge: Judge) -> dict[str, Any]:
    settings = options.model_dump(
        mode="json", include={"protocols", "baseline", "budget", "seed", "resamples"}
    )
    settings.update(options.model_dump(mode="json", include={"confidence", "length_control", "both_orders"}))
    settings["solver"] = resolve_solver(options.solver)
    settings["judge"] = {"identity": judge.backend.identity(), **judge.settings()}
    safe: dict[str, Any] = json.loads(json.dumps(settings, default=str))  # as the file will hold it
    return safe


def _direct(data: ResponseSet, out: Path, judge: Judge, options: LeaderboardOptions) -> _Section:
    planned = direct_plan(data)
    run = grade_plan(
        planned, out / "direct", judge, options.run.model_copy(update={"both_orders": False}), "absolute"
    )
    graded = direct_observations(planned, run.lines, data)
    section = direct_board(
        graded,
        data.models,
        data.instructions,
        resamples=options.resamples,
        seed=options.seed,
        confidence=options.confidence,
    )
    section["diagnostics"] = direct_diagnostics(graded, data.models)
    section["run"] = _run_info(run, planned, sum(g.score is None for g in graded), out)
    return section, _values(section, "mean"), section["run"]["failed"]


def _baseline(data: ResponseSet, out: Path, judge: Judge, options: LeaderboardOptions) -> _Section:
    assert options.baseline is not None  # check_options
    planned = baseline_plan(data, options.baseline, options.seed)
    run = grade_plan(planned, out / "baseline", judge, _pair_options(options), "relative")
    compared = pair_observations(planned, run.lines, data)
    section = baseline_board(
        compared,
        data.models,
        options.baseline,
        resamples=options.resamples,
        seed=options.seed,
        confidence=options.confidence,
        length_control=options.length_control,
        solver=options.solver,
    )
    others = [row["model"] for row in section["ranking"] if row["model"] != options.baseline]
    section["matrix"] = win_matrix(compared, others, [options.baseline])
    section["diagnostics"] = pair_diagnostics(compared, data.models)
    section["run"] = _run_info(run, planned, sum(c.outcome is None for c in compared), out)
    return section, _values(section, "win_rate"), section["run"]["failed"]


def _pairs(data: ResponseSet, out: Path, judge: Judge, options: LeaderboardOptions) -> _Section:
    planned = pairs_plan(data, options.budget, options.seed)
    run = grade_plan(planned, out / "pairs", judge, _pair_options(options), "relative")
    compared = pair_observations(planned, run.lines, data)
    section = pairs_board(
        compared,
        data.models,
        resamples=options.resamples,
        seed=options.seed,
        confidence=options.confidence,
        length_control=options.length_control,
        solver=options.solver,
    )
    order = [row["model"] for row in section["ranking"]]
    section["matrix"] = win_matrix(compared, order, order)
    section["diagnostics"] = pair_diagnostics(compared, data.models)
    section["run"] = _run_info(run, planned, sum(c.outcome is None for c in compared), out)
    return section, _values(section, "rating"), section["run"]["failed"]


_Section = tuple[dict[str, Any], dict[str, float], int]
_RUNNERS: dict[str, Callable[[ResponseSet, Path, Judge, LeaderboardOptions], _Section]] = {
    "direct": _direct,
    "baseline": _baseline,
    "pairs": _pairs,
}


def _pair_options(options: LeaderboardOptions) -> RunOptions:
    return options.run.model_copy(update={"both_orders": options.both_orders, "order_policy": "tie"})


def _run_info(run: ProtocolRun, planned: Sequence[Planned], failed: int, out: Path) -> dict[str, Any]:
    """Where the rows and results are, and how many planned rows have no verdict (failed or bad input)."""
    return {
        "results": str(run.results.relative_to(out)) if run.results.is_relative_to(out) else str(run.results),
        "rows": len(planned),
        "failed": failed,
        "bad_rows": run.summary.get("bad_rows", 0),
    }


def _values(section: dict[str, Any], key: str) -> dict[str, float]:
    return {row["model"]: row[key] for row in section["ranking"] if row[key] is not None}


def rounded(value: Any, digits: int = 6) -> Any:
    """``value`` with every float rounded to ``digits`` decimals and NaN/infinity as None (JSON has neither)."""
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item, digits) for item in value]
    return value
