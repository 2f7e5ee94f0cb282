"""Malformed checkpoints and options are refused before anything is written, naming the file and tensor."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from judgeforge.cli.main import main
from judgeforge.errors import MergeError
from judgeforge.merge import merge_models, parse_config
from judgeforge.merge.io import read_header


def _write(path: Path, header: dict[str, Any], data: bytes) -> Path:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


def _entry(**changes: Any) -> dict[str, Any]:
    return {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]} | changes


BAD_ENTRIES = {
    "an empty span for 4 entries": (_entry(data_offsets=[0, 0]), r"span 0 bytes, but a F32 .* takes 16"),
    "a short span": (
        _entry(data_offsets=[0, 12]),
        r"span 12 bytes, but a F32 tensor of shape \[4\] takes 16",
    ),
    "reversed offsets": (_entry(data_offsets=[16, 12]), r"span -4 bytes"),
    "no data_offsets": ({"dtype": "F32", "shape": [4]}, r"needs dtype, shape and data_offsets"),
    "an entry that is not an object": ([1, 2], r"needs dtype, shape and data_offsets"),
    "a negative dimension": (_entry(shape=[-4]), r"shape must be a list of non-negative integers"),
    "a fractional offset": (_entry(data_offsets=[0, 16.0]), r"data_offsets must be two non-negative"),
    "an unsupported dtype": (_entry(dtype="F8_E4M3"), r"unsupported dtype F8_E4M3"),
    "bytes past the end": (_entry(data_offsets=[0, 16], shape=[4]), r"past the end of the file"),
}


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_a_malformed_header_entry_is_refused_naming_the_file_and_tensor(tmp_path: Path, case: str) -> None:
    entry, message = BAD_ENTRIES[case]
    data = b"" if case == "bytes past the end" else bytes(16)
    path = _write(tmp_path / "model.safetensors", {"model.w": entry}, data)
    with pytest.raises(MergeError, match=message) as raised:
        read_header(path)
    assert str(path) in str(raised.value)
    assert "model.w" in str(raised.value) or case == "an unsupported dtype"


def test_a_well_formed_header_reads(tmp_path: Path) -> None:
    header = {"__metadata__": {"format": "pt"}, "model.w": _entry(), "model.empty": _entry(shape=[0, 3])}
    header["model.empty"]["data_offsets"] = [16, 16]
    infos = read_header(_write(tmp_path / "model.safetensors", header, bytes(16)))
    assert infos["model.w"].shape == (4,) and infos["model.empty"].shape == (0, 3)


def test_a_header_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    raw = b"[1, 2]"
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)
    with pytest.raises(MergeError, match="header is not a JSON object"):
        read_header(path)


def test_integer_and_float_versions_of_a_tensor_are_refused_even_with_a_dtype(
    make_model: Callable[..., Path], tmp_path: Path
) -> None:
    base, other = make_model("base", 0), make_model("other", 1, dtype=torch.int64)
    config = {
        "merge_method": "task_arithmetic",
        "base_model": str(base),
        "models": [{"model": str(other), "parameters": {"weight": 0.5}}],
        "dtype": "float32",
    }
    with pytest.raises(MergeError, match=r"integer tensor in some models and not in others: .*'I64'"):
        merge_models(parse_config(config), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--workers", "0", "must be a finite number above 0"),
        ("--workers", "-1", "must be a finite number above 0"),
        ("--workers", "two", "expected an integer, got 'two'"),
        ("--shard-size", "-2", "must be a finite number above 0"),
        ("--shard-size", "inf", "must be a finite number above 0"),
        ("--shard-size", "nan", "must be a finite number above 0"),
    ],
)
def test_workers_and_shard_size_must_be_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["merge", str(tmp_path / "merge.yml"), str(tmp_path / "out"), option, value])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_the_python_api_refuses_zero_workers_and_shards(models: dict[str, Path], tmp_path: Path) -> None:
    config = parse_config(
        {"merge_method": "linear", "models": [{"model": str(models["a"]), "parameters": {"weight": 1.0}}]}
    )
    with pytest.raises(MergeError, match="workers must be 1 or more, got 0"):
        merge_models(config, tmp_path / "out", workers=0)
    with pytest.raises(MergeError, match="max_shard_bytes must be 1 or more, got -5"):
        merge_models(config, tmp_path / "out", max_shard_bytes=-5)
    assert not (tmp_path / "out").exists()
