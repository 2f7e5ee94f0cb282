"""The sharded writer's O_DIRECT path writes the same bytes as plain writes, at unaligned offsets too."""

from __future__ import annotations

import mmap
import os
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from judgeforge.merge import direct_io
from judgeforge.merge.direct_io import BLOCK, BlockWriter
from judgeforge.merge.dtypes import code_of_torch
from judgeforge.merge.io import OutputTensor, ShardedWriter

SHAPES = [(3, 1031), (4096,), (2, 3, 4097), (12_345,), (1,), (517, 33), (8192, 3)]
DTYPES = [
    torch.bfloat16,
    torch.float32,
    torch.float16,
    torch.int8,
    torch.float32,
    torch.bfloat16,
    torch.float64,
]


def tensors() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    out = {}
    for number, (shape, dtype) in enumerate(zip(SHAPES, DTYPES)):
        values = torch.randn(shape, generator=g) * 50
        out[f"t{number}"] = values.to(dtype)
    return out


def write(directory: Path, min_direct_bytes: int, shard_bytes: int) -> tuple[list[Path], int]:
    directory.mkdir()
    data = tensors()
    plan = [OutputTensor(name, code_of_torch(t.dtype), tuple(t.shape)) for name, t in data.items()]
    writer = ShardedWriter(directory, plan, shard_bytes, min_direct_bytes=min_direct_bytes)
    order = list(data)
    random.Random(1).shuffle(order)
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda name: writer.write(name, data[name]), order))
    direct_bytes = writer.direct_bytes
    writer.finish()
    return [directory / name for name in writer.files], direct_bytes


def o_direct_works(folder: Path) -> bool:
    probe = folder / "probe.bin"
    fd = os.open(probe, os.O_RDWR | os.O_CREAT)
    writer = BlockWriter(probe, fd)
    works = writer.direct
    writer.close_direct()
    os.close(fd)
    return works


def test_direct_writes_give_the_same_shards_as_plain_writes(tmp_path: Path) -> None:
    for shard_bytes in (1 << 30, 150_000):  # one shard, and several
        direct, used = write(
            tmp_path / f"direct-{shard_bytes}", min_direct_bytes=BLOCK, shard_bytes=shard_bytes
        )
        plain, _ = write(tmp_path / f"plain-{shard_bytes}", min_direct_bytes=1 << 40, shard_bytes=shard_bytes)
        assert [p.read_bytes() for p in direct] == [p.read_bytes() for p in plain]
        loaded: dict[str, torch.Tensor] = {}
        for shard in direct:
            loaded |= load_file(shard)
        expected = tensors()
        assert set(loaded) == set(expected)
        for name, tensor in expected.items():
            assert torch.equal(loaded[name], tensor), name
        if o_direct_works(tmp_path):  # then the large tensors really went that way
            assert used > 0


def test_tensors_computed_into_the_writers_buffers_are_written_straight_and_the_buffers_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tensors()
    plain, _ = write(tmp_path / "plain", min_direct_bytes=1 << 40, shard_bytes=150_000)
    bounced: list[int] = []
    original = direct_io._Bounce.get
    monkeypatch.setattr(direct_io._Bounce, "get", lambda self: bounced.append(1) or original(self))
    directory = tmp_path / "buffers"
    directory.mkdir()
    plan = [OutputTensor(name, code_of_torch(t.dtype), tuple(t.shape)) for name, t in data.items()]
    writer = ShardedWriter(directory, plan, 150_000, min_direct_bytes=BLOCK)
    addresses = set()
    for name, tensor in data.items():  # one at a time: every buffer comes back before the next is taken
        out = writer.buffer(name)
        assert out.dtype == tensor.dtype and out.shape == tensor.shape
        addresses.add(out.data_ptr() // mmap.PAGESIZE)
        out.copy_(tensor)
        writer.write(name, out)
    direct_bytes = writer.direct_bytes
    writer.finish()
    assert [(directory / f).read_bytes() for f in writer.files] == [p.read_bytes() for p in plain]
    if o_direct_works(tmp_path):
        assert direct_bytes > 0 and not bounced  # straight from the buffers, no bounce copy
    assert len(addresses) < len(data)  # buffers were reused
