"""``make toy-models``: the Prometheus 2 recipe at toy scale, through the project's own commands.

Steps (each a ``judgeforge`` command in its own process, one heavy job at a time, timed in ``timings.json``):

1. ``toy generate``: the world (Feedback Collection, pre-training corpus, test sets);
2. ``toy pretrain``: tokenizer + tiny Llama, brief pre-training on the evaluation vocabulary;
3. ``build-preferences --teacher-backend toy-teacher``: the Preference Collection (10 pairs per group);
4. ``train`` DA, PR and joint judges from the base (TRL SFT);
5. ``merge-sweep`` (linear, alpha = PR weight), ``merge`` TIES and DARE;
6. ``bench`` every model (base, DA, PR, joint, merges) on the four toy test sets, greedy, one run;
7. per-family metrics (:mod:`judgeforge.toy.results`) and the committed copies of the DA, PR, joint and
   alpha = 0.5 judges under ``toy/models/``.

Configs live in ``toy/configs``; they name ``toy/build`` as the work folder. ``--root`` moves it (the configs
are copied with the path replaced), and ``--quick`` shrinks every size for a smoke test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judgeforge.errors import ConfigError

DEFAULT_ROOT = "toy/build"
ALPHAS = (0.25, 0.5, 0.75)
BENCHES = ("toy-direct", "toy-direct-heldout", "toy-pairs", "toy-pairs-heldout")
COMMITTED = {"da": "da", "pr": "pr", "joint": "joint", "merged": "linear/alpha-0.500"}
GREEDY = ("temperature=0", "repetition_penalty=1.0", "max_tokens=200")


@dataclass
class Pipeline:
    """The recipe's settings; ``run`` executes it and returns the timings (seconds per step)."""

    configs: Path = Path("toy/configs")
    root: Path = Path(DEFAULT_ROOT)
    models_out: Path | None = Path("toy/models")
    quick: bool = False
    seed: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def judgeforge(self, step: str, *args: str) -> None:
        """Run one ``judgeforge`` command (this interpreter), timed; a failure stops the pipeline."""
        command = [sys.executable, "-m", "judgeforge", *args]
        print(f"\n== {step}: judgeforge {' '.join(args)}", flush=True)
        started = time.monotonic()
        # One thread per job: on a shared 2-core machine, a 2-thread torch job whose second thread gets
        # preempted waits at every op's barrier (measured 1.13 vs 0.20 s/step); the env var can override it.
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        result = subprocess.run(command, check=False, env=env)
        self.timings[step] = round(time.monotonic() - started, 1)
        self._save_timings()
        if result.returncode != 0:
            raise ConfigError(f"toy pipeline step '{step}' failed (exit {result.returncode})")

    def _save_timings(self) -> None:
        """Merge this run's step times into ``root/timings.json`` (a partial rerun keeps the other steps)."""
        path = self.root / "timings.json"
        saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        path.write_text(json.dumps({**saved, **self.timings}, indent=2) + "\n", encoding="utf-8")

    def config(self, name: str) -> str:
        """The config copied under ``root/configs`` with ``toy/build`` replaced by ``root``."""
        # Absolute: merge configs resolve model paths relative to the config file's folder.
        text = (
            (self.configs / name).read_text(encoding="utf-8").replace(DEFAULT_ROOT, str(self.root.resolve()))
        )
        target = self.root / "configs" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return str(target)

    def generate(self) -> None:
        full = ("--train-groups", "400", "--test-groups", "8", "--pretrain-groups", "300")
        sizes = (
            ("--train-groups", "8", "--test-groups", "2", "--pretrain-groups", "4") if self.quick else full
        )
        self.judgeforge(
            "generate", "toy", "generate", str(self.root / "world"), "--seed", str(self.seed), *sizes
        )

    def pretrain(self) -> None:
        steps = ("--steps", "4") if self.quick else ()
        args = ("toy", "pretrain", str(self.root / "world"), str(self.root / "base"))
        self.judgeforge("pretrain", *args, "--config", self.config("pretrain.yaml"), *steps)

    def preferences(self) -> None:
        world = self.root / "world"
        out = world / "preference_collection.jsonl"
        out.unlink(missing_ok=True)
        self.judgeforge(
            "build-preferences",
            "build-preferences",
            str(world / "feedback_collection.jsonl"),
            "-o",
            str(out),
            "--teacher-backend",
            "toy-teacher",
            "--seed",
            str(self.seed),
        )

    def train(self, mode: str) -> None:
        quick = ("--set", "training.max_steps=3", "--set", "training.per_device_train_batch_size=2")
        self.judgeforge(f"train-{mode}", "train", self.config(f"{mode}.yaml"), *(quick if self.quick else ()))

    def merge(self) -> None:
        alphas = ",".join(str(a) for a in ALPHAS)
        linear = self.root / "linear"
        shutil.rmtree(linear, ignore_errors=True)
        self.judgeforge(
            "merge-linear", "merge-sweep", self.config("merge-linear.yaml"), str(linear), "--alphas", alphas
        )
        for method in ("ties", "dare"):
            out = self.root / method
            self.judgeforge(
                f"merge-{method}",
                "merge",
                self.config(f"merge-{method}.yaml"),
                str(out),
                "--overwrite",
                "--seed",
                str(self.seed),
            )

    def models(self) -> dict[str, Path]:
        """Every model to meta-evaluate, by label (``quick``: the DA judge and the alpha = 0.5 merge)."""
        found = {name: self.root / name for name in ("base", "da", "pr", "joint", "ties", "dare")}
        for alpha in ALPHAS:
            found[f"linear-{alpha:g}"] = self.root / "linear" / f"alpha-{alpha:.3f}"
        return {k: v for k, v in found.items() if k in ("da", "linear-0.5")} if self.quick else found

    def bench(self, label: str, model: Path) -> None:
        world = self.root / "world" / "bench"
        files = {
            "toy-direct": "toy_direct.json",
            "toy-direct-heldout": "toy_direct_heldout.json",
            "toy-pairs": "toy_pairs.json",
            "toy-pairs-heldout": "toy_pairs_heldout.json",
        }
        data = [arg for name in BENCHES for arg in ("--data", f"{name}={world / files[name]}")]
        greedy = (*GREEDY[:2], "max_tokens=24") if self.quick else GREEDY
        sampling = [arg for pair in greedy for arg in ("--sampling", pair)]
        backend = ("--backend", "transformers", "--backend-option", f"model={model}")
        options = ("--backend-option", "batch_size=64", "--backend-option", "dtype=float32")
        prompt = ("--chat-format", "tokenizer", "--tokenizer", str(model))
        run = ("--runs", "1", "--resamples", "0", "--mode", "direct", "--mode", "relative")
        out = self.root / "bench" / label
        shutil.rmtree(out, ignore_errors=True)
        self.judgeforge(
            f"bench-{label}",
            "bench",
            *BENCHES,
            *data,
            *backend,
            *options,
            *prompt,
            *run,
            *sampling,
            "-o",
            str(out),
        )

    def commit_models(self) -> None:
        """Copy the DA, PR, joint and alpha = 0.5 judges (with configs and logs) to ``models_out``."""
        if self.models_out is None:
            return
        for name, source in COMMITTED.items():
            target = self.models_out / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(self.root / source, target, ignore=shutil.ignore_patterns("checkpoint-*", "runs"))
        for name in ("results.json", "results.md", "timings.json"):
            if (self.models_out.parent / name).resolve() != (self.root / name).resolve():
                shutil.copy2(self.root / name, self.models_out.parent / name)

    def run(self, steps: Sequence[str] = ()) -> dict[str, float]:
        from judgeforge.toy.results import collect_results

        wanted = set(steps) or {"generate", "pretrain", "preferences", "train", "merge", "bench", "results"}
        started = time.monotonic()
        if "generate" in wanted:
            self.generate()
        if "pretrain" in wanted:
            self.pretrain()
        if "preferences" in wanted:
            self.preferences()
        if "train" in wanted:
            for mode in ("da", "pr", "joint"):
                self.train(mode)
        if "merge" in wanted:
            self.merge()
        if "bench" in wanted:
            for label, model in self.models().items():
                self.bench(label, model)
        self.timings["total" if not steps else "total (" + "+".join(steps) + ")"] = round(
            time.monotonic() - started, 1
        )
        self._save_timings()
        if "results" in wanted:
            collect_results(self.root, list(self.models()), self.root / "results.json")
            self.commit_models()
        return self.timings
