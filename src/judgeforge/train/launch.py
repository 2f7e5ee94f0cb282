"""Multi-process launches: the ``accelerate launch`` command line a config's ``launch`` section describes.

Every process runs ``python -m judgeforge train CONFIG`` again (without ``--launch``); accelerate sets the
rank environment, TRL/accelerate form the process group (NCCL on GPUs, gloo with ``training.use_cpu``), and
``train`` ends with a barrier and ``destroy_process_group``. ``accelerate launch --cpu`` starts a single
process whatever ``--num_processes`` says, so CPU data parallelism uses the ``cpu-ddp`` config (a
``MULTI_GPU`` launch of CPU processes over gloo).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from judgeforge.errors import ConfigError
from judgeforge.train.config import TrainConfig, builtin_accelerate_configs


def accelerate_config_path(name_or_path: str) -> Path:
    """A built-in accelerate config (``deepspeed-zero3``, ``multi-gpu``, ``cpu-ddp``) or a file path."""
    builtin = builtin_accelerate_configs()
    if name_or_path in builtin:
        return builtin[name_or_path]
    path = Path(name_or_path)
    if not path.is_file():
        raise ConfigError(f"no accelerate config '{name_or_path}'; built in: {', '.join(builtin)}")
    return path


def launch_command(config_ref: str, overrides: Sequence[str], config: TrainConfig) -> list[str]:
    """``accelerate launch ... -m judgeforge train CONFIG --set ...`` for this config."""
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    if config.launch.accelerate_config is not None:
        command += ["--config_file", str(accelerate_config_path(config.launch.accelerate_config))]
    command += ["--num_processes", str(config.launch.num_processes), *config.launch.extra_args]
    command += ["-m", "judgeforge", "train", config_ref]
    for override in overrides:
        command += ["--set", override]
    return command


def launch(config_ref: str, overrides: Sequence[str], config: TrainConfig) -> int:
    """Run the launch command in the foreground; its exit status is returned."""
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # N processes x all cores oversubscribes the CPU
    return subprocess.run(launch_command(config_ref, overrides, config), env=env, check=False).returncode
