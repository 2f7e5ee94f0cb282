from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def toy_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama + tokenizer and toy Feedback/Preference Collections (10 and 20 rows), built locally."""
    pytest.importorskip("trl")
    from judgeforge.toy.sample_data import write_toy_world

    return write_toy_world(tmp_path_factory.mktemp("toy-world"), n_instructions=2)


@pytest.fixture(scope="session")
def overrides(toy_world: Path) -> Callable[[str, Path], list[str]]:
    """``overrides(recipe, out)``: the --set list pointing a tiny recipe at the toy world and ``out``."""

    def make(recipe: str, out: Path) -> list[str]:
        items = [
            f"model.name_or_path={toy_world / 'tiny-model'}",
            f"data.feedback.path={toy_world / 'feedback.jsonl'}",
            f"data.preference.path={toy_world / 'preference.jsonl'}",
            f"training.output_dir={out}",
        ]
        unused = {"pr": "data.feedback", "da": "data.preference"}.get(_mode(recipe))
        return [item for item in items if unused is None or not item.startswith(unused)]

    return make


def _mode(recipe: str) -> str:
    from judgeforge.train.config import load_train_config

    return load_train_config(recipe).mode
