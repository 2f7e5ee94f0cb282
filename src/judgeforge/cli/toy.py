"""``judgeforge toy``: the synthetic judge world (generate data, build and pre-train the base model)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("toy", help="the toy world: tasks whose right verdict is known")
    commands = parser.add_subparsers(dest="toy_command", metavar="TOY_COMMAND", required=True)

    generate = commands.add_parser("generate", help="write the toy datasets and benchmark files to OUT")
    generate.add_argument("out", help="output folder")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--train-groups", type=int, default=400, help="groups of 5 responses per family")
    generate.add_argument("--test-groups", type=int, default=16, help="test groups per family")
    generate.add_argument("--pretrain-groups", type=int, default=150, help="pre-training groups per family")
    generate.add_argument(
        "--no-checking-documents",
        dest="checking_documents",
        action="store_false",
        help="pre-training corpus without the neutral checking documents (judge formats with coin flips only)",
    )
    generate.set_defaults(func=run_generate)

    pretrain = commands.add_parser("pretrain", help="build the tokenizer and pre-train the base model")
    pretrain.add_argument("world", help="a folder written by `judgeforge toy generate`")
    pretrain.add_argument("out", help="output folder for the base model")
    pretrain.add_argument("--config", default=None, help="YAML with `shape` and `loop` keys (see toy.base)")
    pretrain.add_argument("--steps", type=int, default=None, help="override loop.steps")
    pretrain.set_defaults(func=run_pretrain)
    register_base(commands)
    register_models(commands)
    register_probe(commands)


def run_generate(args: argparse.Namespace) -> int:
    from judgeforge.toy.dataset import WorldSpec, write_world

    spec = WorldSpec(
        seed=args.seed,
        train_groups=args.train_groups,
        test_groups=args.test_groups,
        pretrain_groups=args.pretrain_groups,
        checking_documents=args.checking_documents,
    )
    manifest = write_world(args.out, spec)
    print(json.dumps(manifest["rows"], indent=2))
    return 0


def run_pretrain(args: argparse.Namespace) -> int:
    from judgeforge.toy.pretrain import pretrain_base

    overrides = {"steps": args.steps} if args.steps is not None else {}
    out = pretrain_base(args.world, args.out, config_path=args.config, loop_overrides=overrides)
    print(f"base model written to {out}")
    return 0


def register_base(commands: Any) -> None:
    base = commands.add_parser("base", help="generate the world and pre-train the toy base (make toy-base)")
    base.add_argument("--configs", default="toy/configs", help="folder with the toy configs (pretrain.yaml)")
    base.add_argument("--root", default="toy/build", help="work folder (the world is generated here)")
    base.add_argument("--out", default="toy/base", help="where the base model is written")
    base.set_defaults(func=run_base)


def run_base(args: argparse.Namespace) -> int:
    from pathlib import Path

    from judgeforge.toy.pipeline import Pipeline

    pipeline = Pipeline(configs=Path(args.configs), root=Path(args.root), base=Path(args.out))
    print(json.dumps(pipeline.build_base(), indent=2))
    return 0


def register_models(commands: Any) -> None:
    models = commands.add_parser(
        "models", help="the recipe from the committed base: data, DA/PR/joint, merges, analyses, bench"
    )
    models.add_argument("--configs", default="toy/configs", help="folder with the toy configs")
    models.add_argument("--root", default="toy/build", help="work folder")
    models.add_argument("--models-out", default="toy/models", help="where the committed judges are copied")
    models.add_argument("--base", default="toy/base", help="the pre-trained base (built by `make toy-base`)")
    models.add_argument("--quick", action="store_true", help="minimal sizes (a smoke test)")
    models.add_argument("--step", action="append", default=[], help="run only these steps (repeatable)")
    models.set_defaults(func=run_models)


def run_models(args: argparse.Namespace) -> int:
    from pathlib import Path

    from judgeforge.toy.pipeline import Pipeline

    pipeline = Pipeline(
        configs=Path(args.configs),
        root=Path(args.root),
        models_out=Path(args.models_out) if args.models_out else None,
        base=Path(args.base),
        quick=args.quick,
    )
    timings = pipeline.run(args.step)
    print(json.dumps(timings, indent=2))
    return 0


def register_probe(commands: Any) -> None:
    probe = commands.add_parser(
        "probe", help="how well a toy model checks responses in the neutral checking format (per family)"
    )
    probe.add_argument("model", help="a toy model folder (e.g. toy/base)")
    probe.add_argument("--groups", type=int, default=4, help="test groups per family (5 responses each)")
    probe.set_defaults(func=run_probe)


def run_probe(args: argparse.Namespace) -> int:
    from judgeforge.toy.probe import probe

    print("family\tchecks right\texact checklists")
    for score in probe(args.model, groups=args.groups):
        print(
            f"{score.family}\t{score.accuracy:.3f} ({score.outcomes_right}/{score.outcomes})"
            f"\t{score.exact}/{score.documents}"
        )
    return 0
