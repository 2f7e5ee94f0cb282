"""``make toy-base`` and ``make toy-models``: the Prometheus 2 recipe at toy scale, through the project's commands.

``make toy-base`` (:meth:`Pipeline.build_base`, ``judgeforge toy base``) generates the world and pre-trains the
base model into ``toy/base`` (committed): the slow step, done once. ``make toy-models`` (:meth:`Pipeline.run`)
starts from that base. Each step is a ``judgeforge`` command in its own process, one heavy job at a time,
timed into ``timings.json``:

1. ``generate``: ``toy generate``, the world (Feedback Collection, pre-training corpus, test sets);
2. ``base``: the committed base copied into the work folder, after checking that it was pre-trained on this
   very corpus (``--quick``: a few pre-training steps instead);
3. ``preferences``: ``build-preferences --teacher-backend toy-teacher``, the Preference Collection;
4. ``train``: DA, PR and joint judges from the base, and a second DA and PR judge with another training seed
   (the seed-ensembling control), TRL SFT;
5. ``merge``: ``merge-sweep --bench`` (linear, alpha = PR weight 0, 0.1, ..., 1, each point benched),
   ``merge`` task arithmetic, TIES, DARE-linear, and the two seed ensembles (DA + DA', PR + PR');
6. ``vectors``: ``task-vectors``, each judge's ||Delta|| / ||theta_base|| and the cosines between them;
7. ``bench``: every other model on the four toy test sets, greedy, one run;
8. ``results``: per-family metrics with bootstrap intervals (:mod:`judgeforge.toy.results`), the sweep report
   and its charts (``judgeforge report``), and the committed copies of the DA, PR, joint and alpha = 0.5
   judges under ``toy/models/``.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judgeforge.errors import ConfigError
from judgeforge.toy.dataset import QUICK_WORLD, RECIPE_WORLD, corpus_sha256

DEFAULT_ROOT = "toy/build"
DEFAULT_BASE = Path("toy/base")
ALPHAS = tuple(round(0.1 * step, 1) for step in range(11))
BENCHES = ("toy-direct", "toy-direct-heldout", "toy-pairs", "toy-pairs-heldout")
BENCH_FILES = ("toy_direct.json", "toy_direct_heldout.json", "toy_pairs.json", "toy_pairs_heldout.json")
# label -> (config, training seed): the three judges of the paper, and a second seed of each specialist.
FINE_TUNES = {
    "da": ("da.yaml", 0),
    "pr": ("pr.yaml", 0),
    "joint": ("joint.yaml", 0),
    "da-seed1": ("da.yaml", 1),
    "pr-seed1": ("pr.yaml", 1),
}
MERGES = {
    "task-arithmetic": "merge-task-arithmetic.yaml",
    "ties": "merge-ties.yaml",
    "dare": "merge-dare.yaml",
    "da-seeds": "merge-da-seeds.yaml",
    "pr-seeds": "merge-pr-seeds.yaml",
}
COMMITTED = {"da": "da", "pr": "pr", "joint": "joint", "merged": "linear/alpha-0.500"}
GREEDY = ("temperature=0", "repetition_penalty=1.0", "max_tokens=200")


def linear_label(alpha: float) -> str:
    """The results label of the linear merge at ``alpha`` (PR weight): ``linear-0.5``."""
    return f"linear-{alpha:g}"


@dataclass
class Pipeline:
    """The recipe's settings; ``run`` executes it and returns the timings (seconds per step)."""

    configs: Path = Path("toy/configs")
    root: Path = Path(DEFAULT_ROOT)
    models_out: Path | None = Path("toy/models")
    base: Path = DEFAULT_BASE
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
        self.root.mkdir(parents=True, exist_ok=True)
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

    @property
    def world(self) -> Path:
        return self.root / "world"

    def generate(self) -> None:
        spec = QUICK_WORLD if self.quick else RECIPE_WORLD
        groups = {"train": spec.train_groups, "test": spec.test_groups, "pretrain": spec.pretrain_groups}
        sizes = [arg for split, count in groups.items() for arg in (f"--{split}-groups", str(count))]
        self.judgeforge("generate", "toy", "generate", str(self.world), "--seed", str(self.seed), *sizes)

    def pretrain(self, out: Path) -> None:
        steps = ("--steps", "4") if self.quick else ()
        args = ("toy", "pretrain", str(self.world), str(out), "--config", self.config("pretrain.yaml"))
        self.judgeforge("pretrain", *args, *steps)

    def build_base(self, out: Path | None = None) -> dict[str, float]:
        """``make toy-base``: generate the world and pre-train the base into ``out`` (default ``self.base``)."""
        started = time.monotonic()
        self.generate()
        target = out or self.base
        self.pretrain(target)
        self.timings["total (base)"] = round(time.monotonic() - started, 1)
        self._save_timings()
        shutil.copy2(self.root / "timings.json", target / "build_timings.json")
        return self.timings

    def use_base(self) -> None:
        """Copy the committed base into ``root/base``, refusing one pre-trained on another corpus."""
        target = self.root / "base"
        if self.quick:
            self.pretrain(target)
            return
        meta_path = self.base / "toy_meta.json"
        if not meta_path.is_file():
            raise ConfigError(f"no toy base at {self.base}; build it with `make toy-base`")
        corpus = json.loads(meta_path.read_text(encoding="utf-8")).get("corpus_sha256")
        if corpus != corpus_sha256(self.world):
            raise ConfigError(
                f"the base at {self.base} was pre-trained on another corpus than {self.world}/pretrain.jsonl "
                "(the world's generator or sizes changed); rebuild it with `make toy-base`"
            )
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.base, target)

    def preferences(self) -> None:
        out = self.world / "preference_collection.jsonl"
        out.unlink(missing_ok=True)
        feedback = str(self.world / "feedback_collection.jsonl")
        teacher = ("--teacher-backend", "toy-teacher", "--seed", str(self.seed))
        self.judgeforge("build-preferences", "build-preferences", feedback, "-o", str(out), *teacher)

    def train(self, label: str) -> None:
        config, seed = FINE_TUNES[label]
        sets = {"training.output_dir": str(self.root / label), "training.seed": str(seed)}
        if self.quick:
            sets |= {"training.max_steps": "3", "training.per_device_train_batch_size": "2"}
        overrides = [arg for key, value in sets.items() for arg in ("--set", f"{key}={value}")]
        self.judgeforge(f"train-{label}", "train", self.config(config), *overrides)

    def data_args(self) -> list[str]:
        bench = self.world / "bench"
        return [
            arg for name, file in zip(BENCHES, BENCH_FILES) for arg in ("--data", f"{name}={bench / file}")
        ]

    def sweep(self) -> None:
        """The linear alpha sweep, every point benched by ``merge-sweep --bench`` into ``root/linear/bench``."""
        linear = self.root / "linear"
        shutil.rmtree(linear, ignore_errors=True)
        alphas = ",".join(f"{alpha:g}" for alpha in ((0.5,) if self.quick else ALPHAS))
        benches = [arg for name in BENCHES for arg in ("--bench", name)]
        limit = ("--limit", "4") if self.quick else ()
        config = self.config("merge-linear.yaml")
        self.judgeforge(
            "merge-sweep",
            "merge-sweep",
            config,
            str(linear),
            "--alphas",
            alphas,
            *benches,
            *self.data_args(),
            *limit,
        )

    def merge(self, label: str) -> None:
        out = self.root / label
        seed = ("--seed", str(self.seed))
        self.judgeforge(f"merge-{label}", "merge", self.config(MERGES[label]), str(out), "--overwrite", *seed)

    def vectors(self) -> None:
        """Task-vector norms and cosines of the DA, PR and joint judges and the second seeds."""
        models = [f"{label}={self.root / label}" for label in FINE_TUNES]
        out = str(self.root / "task_vectors.json")
        self.judgeforge("task-vectors", "task-vectors", str(self.root / "base"), *models, "--json", out)

    def benched(self) -> list[str]:
        """Labels of the models benched one by one (the linear points are benched by the sweep)."""
        if self.quick:
            return ["da"]
        return ["base", *FINE_TUNES, *MERGES]

    def bench(self, label: str) -> None:
        model = self.root / label
        greedy = (*GREEDY[:2], "max_tokens=24") if self.quick else GREEDY
        sampling = [arg for pair in greedy for arg in ("--sampling", pair)]
        backend = ("--backend", "transformers", "--backend-option", f"model={model}")
        options = ("--backend-option", "batch_size=64", "--backend-option", "dtype=float32")
        prompt = ("--chat-format", "tokenizer", "--tokenizer", str(model))
        run = ("--runs", "1", "--resamples", "0", "--mode", "direct", "--mode", "relative")
        out = self.root / "bench" / label
        shutil.rmtree(out, ignore_errors=True)
        args = (*BENCHES, *self.data_args(), *backend, *options, *prompt, *run, *sampling, "-o", str(out))
        self.judgeforge(f"bench-{label}", "bench", *args)

    def result_sources(self) -> dict[str, tuple[Path, str]]:
        """Every evaluated model: label -> (bench folder, judge folder name in it)."""
        sources = {label: (self.root / "bench" / label, "*") for label in self.benched()}
        for alpha in (0.5,) if self.quick else ALPHAS:
            sources[linear_label(alpha)] = (self.root / "linear" / "bench", f"alpha-{alpha:.3f}")
        return sources

    def results(self) -> None:
        from judgeforge.toy.results import collect_results

        collect_results(self.result_sources(), self.root / "results.json", self.root / "task_vectors.json")
        self.judgeforge(
            "sweep-report",
            "report",
            str(self.root / "linear"),
            "--png-dir",
            str(self.root / "sweep-charts"),
            "--markdown",
            str(self.root / "sweep.md"),
        )
        self.commit_models()

    def commit_models(self) -> None:
        """Copy the DA, PR, joint and alpha = 0.5 judges (with configs and logs) to ``models_out``, and the
        results, task vectors and the sweep's table and charts beside it (``run`` adds the timings last)."""
        if self.models_out is None:
            return
        for name, source in COMMITTED.items():
            target = self.models_out / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(self.root / source, target, ignore=shutil.ignore_patterns("checkpoint-*", "runs"))
        published = self.models_out.parent
        for name in ("results.json", "results.md", "task_vectors.json", "sweep.md"):
            if (published / name).resolve() != (self.root / name).resolve():
                shutil.copy2(self.root / name, published / name)
        if (published / "sweep-charts").resolve() != (self.root / "sweep-charts").resolve():
            shutil.rmtree(published / "sweep-charts", ignore_errors=True)
            shutil.copytree(self.root / "sweep-charts", published / "sweep-charts")

    def train_all(self) -> None:
        for label in FINE_TUNES:
            self.train(label)

    def merge_all(self) -> None:
        self.sweep()
        for label in MERGES:
            self.merge(label)

    def bench_all(self) -> None:
        for label in self.benched():
            self.bench(label)

    def steps(self) -> dict[str, Callable[[], None]]:
        """The recipe's steps in order (``--step NAME`` runs a subset)."""
        return {
            "generate": self.generate,
            "base": self.use_base,
            "preferences": self.preferences,
            "train": self.train_all,
            "merge": self.merge_all,
            "vectors": self.vectors,
            "bench": self.bench_all,
            "results": self.results,
        }

    def run(self, steps: Sequence[str] = ()) -> dict[str, float]:
        known = self.steps()
        unknown = sorted(set(steps) - set(known))
        if unknown:
            raise ConfigError(f"unknown toy pipeline step(s) {', '.join(unknown)}; known: {', '.join(known)}")
        started = time.monotonic()
        for name, step in known.items():
            if not steps or name in steps:
                step()
        self.timings["total" if not steps else "total (" + "+".join(steps) + ")"] = round(
            time.monotonic() - started, 1
        )
        self._save_timings()
        if self.models_out is not None and (not steps or "results" in steps):
            shutil.copy2(
                self.root / "timings.json", self.models_out.parent / "timings.json"
            )  # with the total
        return self.timings
