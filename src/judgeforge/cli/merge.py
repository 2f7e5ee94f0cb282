"""``judgeforge merge`` and ``judgeforge merge-sweep``: mergekit-style YAML in, safetensors model(s) out."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from judgeforge.cli.common import add_report_option, write_report_if_asked


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc


def _positive(kind: type[int] | type[float]) -> Any:
    """An argparse type: a number of ``kind`` above zero."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            wanted = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text}")
        return value

    return parse


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="mergekit-style merge YAML")
    parser.add_argument("--seed", type=int, default=None, help="seed for random methods (DARE)")
    parser.add_argument("--workers", type=_positive(int), default=None, help="tensors merged in parallel")
    parser.add_argument(
        "--shard-size", type=_positive(float), default=2.0, help="output shard size in GiB (default 2)"
    )
    parser.add_argument(
        "--mergekit-ties",
        action="store_true",
        help="break top-k magnitude ties with torch.argsort like mergekit (bit-identical, slower)",
    )
    parser.add_argument(
        "--mergekit-dare",
        action="store_true",
        help="draw DARE masks from one torch generator in order like mergekit (bit-identical, slower)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def register(subparsers: Any) -> None:
    merge = subparsers.add_parser("merge", help="merge models (linear, task_arithmetic, ties, dare, slerp)")
    _common(merge)
    merge.add_argument("out_dir", help="output directory (must not exist unless --overwrite)")
    merge.add_argument("--overwrite", action="store_true", help="replace an existing OUT_DIR when done")
    merge.set_defaults(func=run_merge, leaves_early=True)  # the output is published and closed

    sweep = subparsers.add_parser("merge-sweep", help="one merged model per linear weight / density point")
    _common(sweep)
    sweep.add_argument("out_root", help="directory receiving one model per point plus points.csv/json")
    sweep.add_argument(
        "--alphas",
        type=_floats,
        default=_floats("0,0.25,0.5,0.75,1"),
        help="weights of the second model, comma-separated (first gets 1 - alpha)",
    )
    sweep.add_argument(
        "--densities", type=_floats, default=None, help="densities for TIES/DARE, comma-separated"
    )
    sweep.add_argument(
        "--bench",
        action="append",
        default=[],
        metavar="NAME",
        help="benchmark run on every merged model with an LM judge, plotted against alpha (repeatable; "
        "`judgeforge bench list` names them)",
    )
    sweep.add_argument("--data", action="append", default=[], metavar="NAME=PATH", help="benchmark file")
    sweep.add_argument("--limit", type=int, default=None, help="first N items of each benchmark")
    sweep.add_argument("--bench-runs", type=int, default=1, help="verdicts per item (default 1, greedy)")
    add_report_option(sweep)
    sweep.set_defaults(func=run_sweep)

    vectors = subparsers.add_parser(
        "task-vectors", help="each fine-tune's distance from its base and the cosine between fine-tunes"
    )
    vectors.add_argument("base", help="the base model folder (safetensors)")
    vectors.add_argument(
        "models", nargs="+", metavar="MODEL", help="fine-tuned model folders, LABEL=PATH or PATH"
    )
    vectors.add_argument("--json", default=None, metavar="FILE", help="also write the figures as JSON")
    vectors.set_defaults(func=run_task_vectors)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    def progress(done: int, total: int) -> None:
        print(f"\rmerged {done}/{total} tensors", end="\n" if done == total else "", file=sys.stderr)

    return {
        "seed": args.seed,
        "workers": args.workers,
        "max_shard_bytes": math.ceil(args.shard_size * 1024**3),
        "progress": None if args.quiet else progress,
    }


def _config(args: argparse.Namespace) -> Any:
    from judgeforge.merge import load_config
    from judgeforge.merge.methods import METHODS

    config = load_config(args.config)
    method = METHODS.get(config.merge_method)
    exact = {
        "magnitude_tiebreak": ("argsort", args.mergekit_ties),
        "random_stream": ("torch", args.mergekit_dare),
    }
    chosen = {name: value for name, (value, asked) in exact.items() if asked and name in method.params}
    return config.with_overrides(parameters={**config.parameters, **chosen}) if chosen else config


def run_merge(args: argparse.Namespace) -> int:
    from judgeforge.merge import merge_models

    result = merge_models(_config(args), args.out_dir, overwrite=args.overwrite, **_options(args))
    print(
        f"wrote {result.tensors} tensors in {result.shards} shard(s) to {result.out_dir} "
        f"in {result.seconds:.1f}s"
    )
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    from judgeforge.merge import merge_sweep

    bench = None
    if args.bench:
        from judgeforge.merge.sweep_bench import HarnessBench

        paths = dict(pair.split("=", 1) for pair in args.data if "=" in pair)
        bench = HarnessBench(tuple(args.bench), paths, limit=args.limit, runs=args.bench_runs)
    points = merge_sweep(
        _config(args),
        args.out_root,
        alphas=args.alphas,
        densities=args.densities,
        bench=bench,
        **_options(args),
    )
    for p in points:
        metrics = " ".join(f"{k}={v:.4g}" for k, v in sorted(p.metrics.items()))
        print(f"{p.label}\t{p.model_dir}\t{metrics}".rstrip())
    write_report_if_asked(args, args.out_root, Path(args.out_root) / "report.html")
    return 0


def run_task_vectors(args: argparse.Namespace) -> int:
    """Print ||Delta|| / ||theta_base|| per model and cos(Delta_i, Delta_j) per pair (see merge.task_vectors)."""
    import json

    from judgeforge.merge.task_vectors import task_vectors

    labelled = [spec.split("=", 1) if "=" in spec else [spec, spec] for spec in args.models]
    report = task_vectors(args.base, [path for _, path in labelled], [label for label, _ in labelled])
    print(f"{report.tensors} tensors compared against {args.base}")
    for vector in report.vectors:
        print(
            f"{vector.model}\t||delta|| / ||base|| = {vector.relative_norm:.4f}\t(||delta|| = {vector.delta_norm:.4g})"
        )
    for (a, b), cosine in report.cosines.items():
        print(f"cos({a}, {b}) = " + ("undefined (a zero task vector)" if cosine is None else f"{cosine:.4f}"))
    if args.json:
        Path(args.json).write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0
