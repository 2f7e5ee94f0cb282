"""The ``--ray [ADDRESS]`` options of ``judgeforge grade``/``compare``/``bench`` and what they run.

The commands' modules only add the options and branch to :func:`run_ray`; the job itself is
:func:`judgeforge.distributed.run_grading_on_ray` (which imports nothing from the CLI).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the commands import this module at start-up: keep it light
    from judgeforge.distributed.ray_grading import RayOptions
    from judgeforge.distributed.spec import JudgeSpec
    from judgeforge.runner.api import RunReport
    from judgeforge.runner.options import RunOptions

LOCAL = "local"


def add_ray_options(parser: argparse.ArgumentParser) -> None:
    """``--ray [ADDRESS]`` and the actor sizing options."""
    group = parser.add_argument_group("distributed (Ray Data)")
    group.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL,
        default=None,
        metavar="ADDRESS",
        help="run on Ray Data: alone, a local runtime; with ADDRESS (auto, ray://head:10001), that cluster",
    )
    group.add_argument("--ray-actors", type=int, default=2, help="judge actors (model replicas); default 2")
    group.add_argument("--ray-cpus-per-actor", type=float, default=1.0, help="CPUs reserved per actor")
    group.add_argument(
        "--ray-gpus-per-actor", type=float, default=0.0, help="GPUs per actor (vLLM: its TP size)"
    )
    group.add_argument("--ray-num-cpus", type=int, default=None, help="CPUs of a local runtime")


def judge_spec(args: argparse.Namespace) -> JudgeSpec:
    """The judge of a ``grade``/``compare`` command line, as data each actor builds from."""
    from judgeforge.backends import parse_option_pairs
    from judgeforge.cli.common import judge_settings, parse_sampling
    from judgeforge.distributed.spec import JudgeSpec

    settings = judge_settings(args)
    return JudgeSpec(
        backend=args.backend,
        backend_options=parse_option_pairs(args.backend_option),
        template_set=settings["template_set"],
        chat_format=settings["chat_format"],
        logprobs=settings["logprobs"],
        score_only=settings["score_only"],
        tokenizer=args.tokenizer,
        sampling=parse_sampling(args.sampling),
        max_attempts=args.max_attempts,
        samples=args.samples,
        aggregate=args.aggregate,
    )


def ray_options(args: argparse.Namespace) -> RayOptions:
    from judgeforge.distributed.ray_grading import RayOptions

    return RayOptions(
        address=None if args.ray == LOCAL else args.ray,
        actors=args.ray_actors,
        cpus_per_actor=args.ray_cpus_per_actor,
        gpus_per_actor=args.ray_gpus_per_actor,
        num_cpus=args.ray_num_cpus,
    )


def run_ray(args: argparse.Namespace, options: RunOptions) -> RunReport:
    """Run a parsed ``grade``/``compare`` command on Ray; the same report as a local run."""
    from judgeforge.distributed.ray_grading import run_grading_on_ray

    return run_grading_on_ray(args.input, args.output, judge_spec(args), options, ray_options(args))
