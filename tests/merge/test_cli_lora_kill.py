"""CLI, sweeps, LoRA inputs and the all-or-nothing output of a killed merge."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from judgeforge.cli.main import main
from judgeforge.merge.io import read_tensors


def write_yaml(path: Path, data: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_cli_merge_and_sweep(models: dict[str, Path], tmp_path: Path) -> None:
    config = write_yaml(
        tmp_path / "m.yaml",
        {
            "merge_method": "ties",
            "base_model": "base",  # relative to the YAML file's directory
            "models": [
                {"model": "a", "parameters": {"weight": 0.5, "density": 0.5}},
                {"model": "b", "parameters": {"weight": 0.5, "density": 0.5}},
            ],
            "dtype": "float32",
        },
    )
    assert main(["merge", str(config), str(tmp_path / "out"), "--quiet"]) == 0
    assert (tmp_path / "out" / "merge_config.yml").is_file()
    assert main(["merge", str(config), str(tmp_path / "out"), "--quiet"]) == 2  # refuses to overwrite
    assert main(["merge", str(config), str(tmp_path / "out2"), "--quiet", "--mergekit-ties"]) == 0
    assert (
        main(
            [
                "merge-sweep",
                str(config),
                str(tmp_path / "sweep"),
                "--alphas",
                "0,1",
                "--densities",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    rows = list(csv.DictReader((tmp_path / "sweep" / "points.csv").open()))
    assert [(r["alpha"], r["density"]) for r in rows] == [("0.0", "1.0"), ("1.0", "1.0")]
    # alpha 0 with density 1 and normalised TIES weights (1, 0) is model a wherever its delta is kept
    a, p0 = read_tensors(models["a"]), read_tensors(Path(rows[0]["model_dir"]))
    torch.testing.assert_close(p0["lm_head.weight"], a["lm_head.weight"])


def test_sweep_bench_hook_and_resume(models: dict[str, Path], tmp_path: Path) -> None:
    from judgeforge.merge import merge_sweep, parse_config

    config = parse_config(
        {
            "merge_method": "linear",
            "models": [
                {"model": str(models["a"]), "parameters": {"weight": 1.0}},
                {"model": str(models["b"]), "parameters": {"weight": 1.0}},
            ],
        }
    )
    seen: list[float] = []

    def bench(model_dir: Path, point: object) -> dict[str, float]:
        seen.append(point.alpha)
        return {"score": float(read_tensors(model_dir)["model.norm.weight"].sum())}

    points = merge_sweep(config, tmp_path / "sw", alphas=[0.25, 0.75], bench=bench)
    assert seen == [0.25, 0.75] and all("score" in p.metrics for p in points)
    mtime = (points[0].model_dir / "model.safetensors.index.json").stat().st_mtime
    merge_sweep(config, tmp_path / "sw", alphas=[0.25, 0.75])  # resumes: nothing re-merged
    assert (points[0].model_dir / "model.safetensors.index.json").stat().st_mtime == mtime


def test_killed_merge_leaves_no_output(models: dict[str, Path], tmp_path: Path) -> None:
    config = write_yaml(
        tmp_path / "k.yaml",
        {
            "merge_method": "linear",
            "models": [
                {"model": str(models["a"]), "parameters": {"weight": 1.0}},
                {"model": str(models["b"]), "parameters": {"weight": 1.0}},
            ],
        },
    )
    out = tmp_path / "out"
    env = {**os.environ, "JUDGEFORGE_MERGE_TEST_DELAY_S": "0.2"}
    code = "import sys; from judgeforge.cli.main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "merge", str(config), str(out), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        staging: list[Path] = []
        while not staging and time.monotonic() < deadline:
            staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.partial-")]
            time.sleep(0.05)
        assert staging, "merge never started writing"
        time.sleep(0.5)  # a few tensors in
        assert proc.poll() is None, "merge finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not out.exists()
    assert list(staging[0].glob("*.safetensors"))  # it was mid-write...
    assert not (staging[0] / "model.safetensors.index.json").exists()  # ...and not complete


def test_lora_adapter_is_merged_into_its_base(tmp_path: Path) -> None:
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    cfg = transformers.MistralConfig(
        vocab_size=64,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
    )
    torch.manual_seed(0)
    base = transformers.MistralForCausalLM(cfg)
    base.save_pretrained(tmp_path / "base")
    lora = peft.get_peft_model(base, peft.LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]))
    with torch.no_grad():
        for name, param in lora.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)  # B starts at zero; make the adapter do something
    lora.save_pretrained(tmp_path / "adapter")
    expected = {k: v.clone() for k, v in lora.merge_and_unload().state_dict().items()}
    adapter_cfg = tmp_path / "adapter" / "adapter_config.json"
    adapter_cfg.write_text(
        adapter_cfg.read_text().replace(
            '"base_model_name_or_path": null', f'"base_model_name_or_path": "{tmp_path / "base"}"'
        )
    )
    config = write_yaml(
        tmp_path / "l.yaml",
        {"merge_method": "linear", "models": [{"model": "base+adapter", "parameters": {"weight": 1.0}}]},
    )
    assert main(["merge", str(config), str(tmp_path / "out"), "--quiet"]) == 0
    merged = read_tensors(tmp_path / "out")
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged[q], read_tensors(tmp_path / "base")[q])
    torch.testing.assert_close(merged[q], expected[q])
    assert not [p for p in tmp_path.iterdir() if ".lora-" in p.name]  # scratch removed
