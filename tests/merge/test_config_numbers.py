"""Numbers in merge YAML are numbers whatever their spelling, or refused naming the value.

PyYAML (YAML 1.1) loads ``1e-5``, ``1E-5``, ``-.5`` and ``1.0e5`` as strings; a gradient of such strings
must still interpolate as numbers (mergekit 0.1.5 converts with the parameter's declared type first:
``tests/test_config_parameters.py::test_gradient_interpretation_uses_declared_type``). A linear merge of one
all-ones 3-layer model with ``normalize: false`` writes each tensor's weight, so every value is exact.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from judgeforge.errors import ConfigError
from judgeforge.merge import load_config, merge_models
from judgeforge.merge.io import read_tensors
from merge.checkpoints import filled, llama, save_checkpoint

LAYER = "model.layers.{}.mlp.up_proj.weight"


@pytest.fixture
def ones(tmp_path: Path) -> Path:
    shapes, config = llama(layers=3, hidden=4, inter=6, vocab=8)
    return save_checkpoint(tmp_path / "ones", filled(shapes, 1.0), config)


def merge_yaml(tmp_path: Path, ones: Path, weight: str, normalize: str = "false") -> dict[str, torch.Tensor]:
    path = tmp_path / "merge.yaml"
    path.write_text(
        f"merge_method: linear\nmodels:\n  - model: {ones}\n    parameters:\n      weight: {weight}\n"
        f"parameters:\n  normalize: {normalize}\n"
    )
    merge_models(load_config(path), tmp_path / "out")
    return read_tensors(tmp_path / "out")


def layer_values(merged: dict[str, torch.Tensor]) -> list[float]:
    values = []
    for name in (LAYER.format(0), LAYER.format(1), LAYER.format(2), "model.embed_tokens.weight"):
        tensor = merged[name]
        assert torch.equal(tensor, torch.full_like(tensor, tensor.flatten()[0].item())), name
        values.append(tensor.flatten()[0].item())
    return values


def fp32(x: float) -> float:
    return torch.tensor(x, dtype=torch.float32).item()


def gradient(a: float, b: float) -> list[float]:
    """Layers 0, 1, 2 and a tensor outside the stack (t = 0), as float32 weights."""
    return [fp32(a), fp32(0.5 * a + 0.5 * b), fp32(b), fp32(a)]


SPELLINGS = {
    "e-lowercase": ("[1e-5, 1e-3]", gradient(1e-5, 1e-3)),
    "E-uppercase": ("[1E-5, 1E-3]", gradient(1e-5, 1e-3)),
    "dot-leading": ("[.5, 1.5]", gradient(0.5, 1.5)),
    "signs": ("[+1, -.5]", gradient(1.0, -0.5)),
    "underscores": ("[1_000, 2_000.5]", gradient(1000.0, 2000.5)),
    "quoted": ("['0.5', \"1e-3\"]", gradient(0.5, 1e-3)),
    "dot-e-without-sign": ("[1.0e5, 0x10]", gradient(1e5, 16.0)),
    "dot-forms": ("[.5e1, 2.]", gradient(5.0, 2.0)),
    "scalar-e": ("1e-5", [fp32(1e-5)] * 4),
    "scalar-quoted": ("'2.5'", [2.5] * 4),
    "in-a-condition": (
        "[{filter: up_proj, value: [1e-5, 1e-3]}, {value: 2e0}]",
        [*gradient(1e-5, 1e-3)[:3], 2.0],
    ),
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_yaml_number_spellings_are_read_as_numbers(tmp_path: Path, ones: Path, spelling: str) -> None:
    text, expected = SPELLINGS[spelling]
    assert layer_values(merge_yaml(tmp_path, ones, text)) == expected


REFUSED = {
    "word-in-gradient": ("[1e-5, abc]", "'abc'"),
    "decimal-comma": ("1,5", "'1,5'"),
    "yaml11-octal": ("[010, 1]", "'010'"),
    "yaml11-base-60": ("[1:30, 1]", "'1:30'"),
    "python-octal": ("0o17", "'0o17'"),
    "boolean": ("[true, 1]", "True"),
}


@pytest.mark.parametrize("spelling", list(REFUSED))
def test_other_spellings_are_refused_naming_the_value(tmp_path: Path, ones: Path, spelling: str) -> None:
    text, named = REFUSED[spelling]
    with pytest.raises(ConfigError, match=r"weight|number") as caught:
        merge_yaml(tmp_path, ones, text)
    assert named in str(caught.value)
    assert not (tmp_path / "out").exists()


FLAGS = {
    "false": ("false", [2.0] * 4),
    "off": ("off", [2.0] * 4),
    "zero": ("0", [2.0] * 4),
    "quoted-true": ("'true'", [1.0] * 4),
    # mergekit's own example (tests/test_config_parameters.py): a 0/1 gradient picks discrete values
    "gradient-0-1": ("[0, 1]", [2.0, 2.0, 1.0, 2.0]),
}


@pytest.mark.parametrize("flag", list(FLAGS))
def test_flag_spellings(tmp_path: Path, ones: Path, flag: str) -> None:
    text, expected = FLAGS[flag]
    assert layer_values(merge_yaml(tmp_path, ones, "2.0", normalize=text)) == expected


def test_a_flag_that_is_not_one_is_refused(tmp_path: Path, ones: Path) -> None:
    with pytest.raises(ConfigError, match=r"normalize.*'maybe'"):
        merge_yaml(tmp_path, ones, "2.0", normalize="maybe")
