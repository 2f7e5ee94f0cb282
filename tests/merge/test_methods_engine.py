"""Acceptance tests of the merge engine on tiny local checkpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from judgeforge.errors import ConfigError, MergeError
from judgeforge.merge import merge_models, parse_config
from judgeforge.merge.io import read_tensors as load_all
from judgeforge.merge.sparsify import magnitude


def cfg(method: str, models: list[tuple[Path, dict[str, Any]]], **top: Any) -> Any:
    data = {"merge_method": method, "models": [{"model": str(p), "parameters": q} for p, q in models], **top}
    return parse_config(data)


def test_linear_half_is_the_mean(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    merge_models(cfg("linear", [(models["a"], {"weight": 0.5}), (models["b"], {"weight": 0.5})]), out)
    a, b, m = load_all(models["a"]), load_all(models["b"]), load_all(out)
    assert set(m) == set(a)
    for name in a:
        assert torch.equal(m[name], (a[name] + b[name]) / 2), name
    assert json.loads((out / "config.json").read_text())["architectures"] == ["MistralForCausalLM"]
    # tokenizer files come from the first model when there is no base model
    assert "tmpl-1" in (out / "tokenizer_config.json").read_text()


def test_task_arithmetic_with_unit_weights_equals_linear(models: dict[str, Path], tmp_path: Path) -> None:
    pair = [(models["a"], {"weight": 0.3}), (models["b"], {"weight": 0.7})]
    merge_models(cfg("linear", pair), tmp_path / "lin")
    merge_models(cfg("task_arithmetic", pair, base_model=str(models["base"])), tmp_path / "ta")
    lin, ta = load_all(tmp_path / "lin"), load_all(tmp_path / "ta")
    for name in lin:
        torch.testing.assert_close(ta[name], lin[name], rtol=1e-6, atol=1e-7)
    assert "tmpl-0" in (tmp_path / "ta" / "tokenizer_config.json").read_text()  # donor = base model


def test_dare_at_density_one_equals_task_arithmetic(models: dict[str, Path], tmp_path: Path) -> None:
    pair = [(models["a"], {"weight": 0.6, "density": 1.0}), (models["b"], {"weight": 0.9, "density": 1.0})]
    base = str(models["base"])
    merge_models(cfg("task_arithmetic", pair, base_model=base), tmp_path / "ta")
    merge_models(cfg("dare_linear", pair, base_model=base), tmp_path / "dare", seed=3)
    ta, dare = load_all(tmp_path / "ta"), load_all(tmp_path / "dare")
    for name in ta:
        assert torch.equal(dare[name], ta[name]), name


def test_seeded_dare_is_reproducible_and_seed_sensitive(models: dict[str, Path], tmp_path: Path) -> None:
    pair = [(models["a"], {"weight": 0.5, "density": 0.4}), (models["b"], {"weight": 0.5, "density": 0.6})]
    config = cfg("dare_ties", pair, base_model=str(models["base"]))
    for name, seed in [("s1", 1), ("s1-again", 1), ("s2", 2)]:
        merge_models(config, tmp_path / name, seed=seed)
    one, again, two = (load_all(tmp_path / n) for n in ("s1", "s1-again", "s2"))
    assert all(torch.equal(one[k], again[k]) for k in one)
    assert any(not torch.equal(one[k], two[k]) for k in one)


def test_ties_matches_the_formula() -> None:
    base = torch.zeros(6)
    d1 = torch.tensor([0.5, -0.1, 0.3, 0.0, -0.4, 0.2])
    d2 = torch.tensor([-0.2, -0.3, 0.1, 0.05, 0.6, -0.1])
    from judgeforge.merge.chunked import merge_tensor
    from judgeforge.merge.methods import METHODS, TensorInputs

    shared = {
        "normalize": True,
        "rescale": False,
        "lambda": 1.0,
        "int8_mask": False,
        "magnitude_tiebreak": "index",
    }
    params = ({}, {"weight": 1.0, "density": 0.5}, {"weight": 2.0, "density": 0.5})
    got = merge_tensor(
        METHODS.get("ties"), TensorInputs((base, base + d1, base + d2), params, shared, base_index=0)
    )
    # top-3 magnitudes: d1 keeps 0.5, 0.3, -0.4; d2 keeps -0.2, -0.3, 0.6 -> weighted: d1*1, d2*2
    w1 = torch.tensor([0.5, 0.0, 0.3, 0.0, -0.4, 0.0])
    w2 = torch.tensor([-0.4, -0.6, 0.0, 0.0, 1.2, 0.0])
    sign = torch.where(w1 + w2 >= 0, 1.0, -1.0)
    agree1, agree2 = (w1.sign() == sign).float(), (w2.sign() == sign).float()
    divisor = agree1 * 1.0 + agree2 * 2.0
    divisor[divisor == 0] = 1
    torch.testing.assert_close(got, (w1 * agree1 + w2 * agree2) / divisor)


def test_magnitude_tiebreaks_agree_without_ties() -> None:
    x = torch.randn(1000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(magnitude(x, 0.3, False, "index"), magnitude(x, 0.3, False, "argsort"))
    tied = torch.tensor([1.0, 2.0, 2.0, 2.0, 0.5])
    assert torch.equal(magnitude(tied, 0.6, False, "index"), torch.tensor([0.0, 2.0, 2.0, 2.0, 0.0]))
    assert torch.equal(magnitude(tied, 0.4, False, "index"), torch.tensor([0.0, 2.0, 2.0, 0.0, 0.0]))


def test_slerp_endpoints(models: dict[str, Path], tmp_path: Path) -> None:
    pair = [(models["base"], {}), (models["a"], {})]
    for t in (0.0, 1.0):
        merge_models(
            cfg("slerp", pair, base_model=str(models["base"]), parameters={"t": t}), tmp_path / f"t{t}"
        )
    base, a = load_all(models["base"]), load_all(models["a"])
    t0, t1 = load_all(tmp_path / "t0.0"), load_all(tmp_path / "t1.0")
    for name in base:
        torch.testing.assert_close(t0[name], base[name])
        torch.testing.assert_close(t1[name], a[name])


def test_dtype_out_dtype_and_sharded_output(make_model: Callable[..., Path], tmp_path: Path) -> None:
    a, b = make_model("a16", 1, dtype=torch.bfloat16), make_model("b16", 2, dtype=torch.bfloat16)
    out = tmp_path / "out"
    config = cfg(
        "linear", [(a, {"weight": 1.0}), (b, {"weight": 3.0})], dtype="float32", out_dtype="bfloat16"
    )
    result = merge_models(config, out, max_shard_bytes=1024)
    assert result.shards > 1 and (out / "model.safetensors.index.json").is_file()
    ta, tb, m = load_all(a), load_all(b), load_all(out)
    for name in ta:
        expected = ((ta[name].float() * 1.0 + tb[name].float() * 3.0) / 4.0).bfloat16()
        assert m[name].dtype == torch.bfloat16 and torch.equal(m[name], expected), name
    assert json.loads((out / "config.json").read_text())["torch_dtype"] == "bfloat16"


def test_gradient_parameters_follow_layers(models: dict[str, Path], tmp_path: Path) -> None:
    pair = [(models["a"], {"weight": [1.0, 0.0]}), (models["b"], {"weight": [0.0, 1.0]})]
    merge_models(cfg("linear", pair), tmp_path / "g")
    a, b, m = load_all(models["a"]), load_all(models["b"]), load_all(tmp_path / "g")
    name0, name1 = "model.layers.0.mlp.up_proj.weight", "model.layers.1.mlp.up_proj.weight"
    assert torch.equal(m[name0], a[name0]) and torch.equal(m[name1], b[name1])


def _assert_nothing_written(out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reshape": "model.layers.1.mlp.up_proj.weight"},
        {"drop": "lm_head.weight"},
        {"arch": "LlamaForCausalLM"},
        {"dtype": torch.float16},
    ],
    ids=["shape", "missing-tensor", "architecture", "dtype"],
)
def test_mismatches_are_refused_before_writing(
    models: dict[str, Path], make_model: Callable[..., Path], tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    bad = make_model("bad", 5, **kwargs)
    out = tmp_path / "out"
    with pytest.raises(MergeError):
        merge_models(cfg("linear", [(models["a"], {"weight": 1.0}), (bad, {"weight": 1.0})]), out)
    _assert_nothing_written(out)


@pytest.mark.parametrize(
    ("method", "params", "top"),
    [
        ("nope", {"weight": 1.0}, {}),
        ("linear", {}, {}),
        ("ties", {"weight": 1.0}, {}),
        ("linear", {"weight": 1.0, "bogus": 2}, {}),
        ("linear", {"weight": "x"}, {}),
    ],
    ids=["unknown-method", "missing-weight", "missing-base", "unknown-param", "bad-type"],
)
def test_bad_configs_are_refused_before_writing(
    models: dict[str, Path], tmp_path: Path, method: str, params: dict[str, Any], top: dict[str, Any]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ConfigError):
        merge_models(cfg(method, [(models["a"], params), (models["b"], params)], **top), out)
    _assert_nothing_written(out)


def test_existing_output_is_not_overwritten(models: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("x")
    with pytest.raises(MergeError):
        merge_models(cfg("linear", [(models["a"], {"weight": 1.0})]), out)
    assert (out / "keep").is_file()
    merge_models(cfg("linear", [(models["a"], {"weight": 1.0})]), out, overwrite=True)
    assert not (out / "keep").exists() and (out / "model.safetensors.index.json").is_file()
