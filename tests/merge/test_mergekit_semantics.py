"""Three parameter rules where mergekit 0.1.5's behaviour is the contract.

* A per-model setting that yields nothing for a tensor (a filter list that matches nothing) falls back to the
  global setting, then to the default (``mergekit/parameter_resolver.py``, ``resolve_parameter``).
* A gradient over a one-layer stack takes its last value: mergekit places that layer at ``t = 1``
  (``mergekit/plan.py``, ``plan_slice``); tensors outside the stack stay at ``t = 0``.
* A parameter the method does not take (``weight`` on ``slerp`` models, as mergekit's own
  ``tests/test_basic_merges.py::test_slerp_merge`` writes it) is ignored, with a warning.

Models are constant tensors so every expected value is exact.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from judgeforge.errors import ConfigError
from judgeforge.merge import merge_models, merge_sweep, parse_config
from judgeforge.merge.io import read_tensors
from merge.checkpoints import filled, llama, random_tensors, save_checkpoint


def constant_model(tmp_path: Path, name: str, value: float, layers: int = 2) -> Path:
    shapes, config = llama(layers=layers, hidden=4, inter=6, vocab=8)
    return save_checkpoint(tmp_path / name, filled(shapes, value), config)


def assert_values(merged: dict[str, torch.Tensor], expected: Any) -> None:
    for name, tensor in merged.items():
        assert torch.equal(tensor, torch.full_like(tensor, expected(name))), (
            name,
            tensor.flatten()[0].item(),
        )


def mlp_or(inside: float, outside: float) -> Any:
    return lambda name: inside if ".mlp." in name else outside


FALLBACKS = {
    # (method, per-model weight, global parameters, expected value per tensor name); model = all ones,
    # base (task_arithmetic) = all zeros, so the merged value is the weight itself
    "filter-matches-some": ("linear", [{"filter": "mlp", "value": 2.0}], {"weight": 0.5}, mlp_or(2.0, 0.5)),
    "filter-matches-none": (
        "linear",
        [{"filter": "absent", "value": 2.0}],
        {"weight": 0.5},
        mlp_or(0.5, 0.5),
    ),
    "single-condition-mapping": (
        "linear",
        {"filter": "mlp", "value": 3.0},
        {"weight": 0.25},
        mlp_or(3.0, 0.25),
    ),
    "falls-back-to-global-conditions": (
        "linear",
        [{"filter": "absent", "value": 99}],
        {"weight": [{"filter": "mlp", "value": 4.0}, {"value": 0.5}]},
        mlp_or(4.0, 0.5),
    ),
    "non-base-weight": (
        "task_arithmetic",
        [{"filter": "mlp", "value": 2.0}],
        {"weight": 0.5},
        mlp_or(2.0, 0.5),
    ),
}


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_a_per_model_setting_that_yields_nothing_falls_back_to_the_global_one(
    tmp_path: Path, case: str
) -> None:
    method, weight, global_params, expected = FALLBACKS[case]
    ones = constant_model(tmp_path, "ones", 1.0)
    data: dict[str, Any] = {
        "merge_method": method,
        "models": [{"model": str(ones), "parameters": {"weight": weight}}],
        "parameters": {**global_params, "normalize": False},
    }
    if method == "task_arithmetic":
        data["base_model"] = str(constant_model(tmp_path, "zeros", 0.0))
    merge_models(parse_config(data), tmp_path / "out")
    assert_values(read_tensors(tmp_path / "out"), expected)


def layer_or(inside: float, outside: float) -> Any:
    return lambda name: inside if ".layers." in name else outside


GRADIENTS = {
    # (layers, gradient, expected per tensor name)
    "one-layer-two-anchors": (1, [0.0, 1.0], layer_or(1.0, 0.0)),
    "one-layer-three-anchors": (1, [0.2, 0.4, 0.75], layer_or(0.75, 0.2)),
    "two-layers": (2, [0.0, 1.0], lambda n: 1.0 if ".layers.1." in n else 0.0),
}


@pytest.mark.parametrize("case", list(GRADIENTS))
def test_a_gradient_over_one_layer_takes_the_last_value(tmp_path: Path, case: str) -> None:
    layers, gradient, expected = GRADIENTS[case]
    base = constant_model(tmp_path, "zeros", 0.0, layers)
    ones = constant_model(tmp_path, "ones", 1.0, layers)
    config = parse_config(
        {
            "merge_method": "task_arithmetic",
            "base_model": str(base),
            "models": [{"model": str(ones), "parameters": {"weight": gradient}}],
        }
    )
    merge_models(config, tmp_path / "out")
    assert_values(read_tensors(tmp_path / "out"), expected)


def _random_model(tmp_path: Path, name: str, seed: int) -> Path:
    shapes, config = llama(layers=2, hidden=4, inter=6, vocab=8)
    return save_checkpoint(tmp_path / name, random_tensors(shapes, seed), config)


IGNORED = {
    # (method, per-model parameters, global parameters, keys that must be named in the warning)
    "slerp-model-weights": ("slerp", [{"weight": 0.6}, {"weight": 0.4}], {"t": 0.35}, ["weight"]),
    "slerp-global-weight": ("slerp", [{}, {}], {"t": 0.35, "weight": 0.5}, ["weight"]),
    "slerp-density": ("slerp", [{"weight": 0.6, "density": 0.5}, {}], {"t": 0.35}, ["density", "weight"]),
    "linear-global-t": ("linear", [{"weight": 0.6}, {"weight": 0.4}], {"t": 0.5}, ["t"]),
}


@pytest.mark.parametrize("case", list(IGNORED))
def test_parameters_the_method_does_not_take_are_ignored_with_a_warning(tmp_path: Path, case: str) -> None:
    method, per_model, global_params, keys = IGNORED[case]
    a, b = _random_model(tmp_path, "a", 1), _random_model(tmp_path, "b", 2)

    def config(with_extras: bool) -> Any:
        used = {"t"} if method == "slerp" else {"weight", "normalize"}

        def keep(params: dict[str, Any]) -> dict[str, Any]:
            return params if with_extras else {k: v for k, v in params.items() if k in used}

        return parse_config(
            {
                "merge_method": method,
                "base_model": str(a),
                "models": [{"model": str(p), "parameters": keep(q)} for p, q in zip((a, b), per_model)],
                "parameters": keep(global_params),
            }
        )

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the clean config must not warn
        merge_models(config(False), tmp_path / "clean")
    with pytest.warns(UserWarning, match="ignored") as record:
        merge_models(config(True), tmp_path / "extras")
    text = " ".join(str(w.message) for w in record)
    assert all(f"'{key}'" in text for key in keys), text
    clean, extras = read_tensors(tmp_path / "clean"), read_tensors(tmp_path / "extras")
    assert clean.keys() == extras.keys()
    assert all(torch.equal(clean[n], extras[n]) for n in clean)


def test_a_density_sweep_of_a_method_without_density_is_refused(tmp_path: Path) -> None:
    """Ignoring ``density`` there would write the same model for every density."""
    a, b = _random_model(tmp_path, "a", 1), _random_model(tmp_path, "b", 2)
    config = parse_config(
        {
            "merge_method": "linear",
            "models": [{"model": str(a)}, {"model": str(b)}],
            "parameters": {"weight": 1.0},
        }
    )
    with pytest.raises(ConfigError, match="'linear' takes no 'density'"):
        merge_sweep(config, tmp_path / "sweep", alphas=[0.5], densities=[0.3, 0.6])
    assert not (tmp_path / "sweep").exists()
