"""Task-vector norms and cosines (``judgeforge task-vectors``) against numpy on the flattened weights."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from judgeforge.errors import MergeError
from judgeforge.merge.task_vectors import task_vectors


def _flat(directory: Path) -> np.ndarray:
    tensors: dict[str, np.ndarray] = {}
    for file in sorted(directory.glob("*.safetensors")):
        tensors |= load_file(str(file))
    return np.concatenate([tensors[name].astype(np.float64).ravel() for name in sorted(tensors)])


def test_norms_and_cosine_match_numpy(models: dict[str, Path]) -> None:
    report = task_vectors(models["base"], [models["a"], models["b"]], ["a", "b"])
    base = _flat(models["base"])
    delta_a, delta_b = _flat(models["a"]) - base, _flat(models["b"]) - base
    vectors = {v.model: v for v in report.vectors}
    assert vectors["a"].relative_norm == pytest.approx(
        np.linalg.norm(delta_a) / np.linalg.norm(base), rel=1e-9
    )
    assert vectors["b"].delta_norm == pytest.approx(np.linalg.norm(delta_b), rel=1e-9)
    expected = delta_a @ delta_b / (np.linalg.norm(delta_a) * np.linalg.norm(delta_b))
    assert report.cosines["a", "b"] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_scaled_task_vector_has_cosine_one(models: dict[str, Path], tmp_path: Path) -> None:
    from safetensors.torch import load_file as load_torch
    from safetensors.torch import save_file

    base, a = (
        load_torch(str(models["base"] / "model.safetensors")),
        load_torch(str(models["a"] / "model.safetensors")),
    )
    half = tmp_path / "half"
    half.mkdir()
    save_file(
        {name: base[name] + 0.5 * (a[name] - base[name]) for name in base}, str(half / "model.safetensors")
    )
    report = task_vectors(models["base"], [models["a"], half], ["a", "half"])
    assert report.cosines["a", "half"] == pytest.approx(1.0, abs=1e-6)
    vectors = {v.model: v for v in report.vectors}
    assert vectors["half"].delta_norm == pytest.approx(0.5 * vectors["a"].delta_norm, rel=1e-5)
    same = task_vectors(models["base"], [models["base"]], ["base"])
    assert same.vectors[0].delta_norm == 0.0


@pytest.mark.parametrize("flaw", ["drop", "reshape"])
def test_a_missing_or_reshaped_tensor_names_model_and_tensor(
    models: dict[str, Path], make_model: Callable[..., Path], flaw: str
) -> None:
    broken = make_model("broken", 5, **{flaw: "model.norm.weight"})
    with pytest.raises(MergeError, match=r"broken: .*model\.norm\.weight"):
        task_vectors(models["base"], [models["a"], broken], ["a", "broken"])


def test_cli_prints_and_writes_json(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "tv.json"
    command = [sys.executable, "-m", "judgeforge", "task-vectors", str(models["base"])]
    command += [f"a={models['a']}", f"b={models['b']}", "--json", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "cos(a, b) = " in result.stdout
    data = json.loads(out.read_text())
    assert set(data["models"]) == {"a", "b"} and data["cosines"][0]["a"] == "a"
