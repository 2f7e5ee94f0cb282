"""Streaming safetensors I/O: memory-mapped readers and a pre-planned sharded writer.

Reading maps each file privately (copy-on-write) and wraps tensors with ``torch.frombuffer`` (or, for the
merges that run without torch, ``numpy.frombuffer``), so input pages stay file-backed page cache rather
than anonymous memory, and inputs are never written. Dtypes are safetensors codes (:mod:`.dtypes`); this
module imports torch only when a torch tensor is asked for. Writing lays
out every shard's header before any tensor is computed (names, dtypes and shapes are known from the plan),
then writes each tensor at its offset as soon as it is ready: memory holds a few tensors, not a shard.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from judgeforge.errors import MergeError
from judgeforge.merge.direct_io import MIN_DIRECT_BYTES, BlockWriter, BufferPool
from judgeforge.merge.dtypes import DTYPES, code_of_numpy, code_of_torch, numpy_dtype, torch_dtype

if TYPE_CHECKING:
    import torch

INDEX_NAME = "model.safetensors.index.json"


@dataclass(frozen=True)
class TensorInfo:
    """Where a tensor lives and what it is, read from a safetensors header."""

    file: Path
    dtype: str
    shape: tuple[int, ...]
    start: int  # absolute byte offset in the file
    end: int


def read_header(path: Path) -> dict[str, TensorInfo]:
    """Parse one safetensors header; raises ``MergeError`` for a truncated or malformed file."""
    try:
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            if size > 100_000_000:
                raise MergeError(f"{path}: implausible safetensors header size {size}")
            header = json.loads(fh.read(size))
        file_size = path.stat().st_size
    except (OSError, struct.error, ValueError) as exc:
        raise MergeError(f"{path}: not a readable safetensors file ({exc})") from exc
    if not isinstance(header, dict):
        raise MergeError(f"{path}: the safetensors header is not a JSON object")
    return {
        name: _tensor_info(path, name, meta, 8 + size, file_size)
        for name, meta in header.items()
        if name != "__metadata__"
    }


def _tensor_info(path: Path, name: str, meta: Any, base: int, file_size: int) -> TensorInfo:
    """One header entry, checked as the safetensors format requires (``MergeError`` naming the tensor).

    The format (https://github.com/huggingface/safetensors): ``dtype``, ``shape`` (non-negative integers)
    and ``data_offsets`` ``[begin, end]`` relative to the byte after the header, spanning exactly the
    tensor's ``prod(shape) * itemsize`` bytes, inside the file.
    """
    if not isinstance(meta, dict) or not {"dtype", "shape", "data_offsets"} <= set(meta):
        raise MergeError(
            f"{path}: tensor {name}: a header entry needs dtype, shape and data_offsets: {meta!r}"
        )
    dtype, shape, offsets = meta["dtype"], meta["shape"], meta["data_offsets"]
    if dtype not in DTYPES:
        raise MergeError(f"{path}: tensor {name} has unsupported dtype {dtype}")
    if not isinstance(shape, list) or not all(_count(d) for d in shape):
        raise MergeError(
            f"{path}: tensor {name}: shape must be a list of non-negative integers, got {shape!r}"
        )
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_count(o) for o in offsets):
        raise MergeError(
            f"{path}: tensor {name}: data_offsets must be two non-negative integers: {offsets!r}"
        )
    start, end = base + offsets[0], base + offsets[1]
    expected = math.prod(shape) * DTYPES[dtype].itemsize
    if end - start != expected:
        raise MergeError(
            f"{path}: tensor {name}: data_offsets {offsets} span {end - start} bytes, but a {dtype} "
            f"tensor of shape {shape} takes {expected}"
        )
    if end > file_size:
        raise MergeError(f"{path}: tensor {name} extends past the end of the file (truncated?)")
    return TensorInfo(path, dtype, tuple(shape), start, end)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class ModelReader:
    """Tensors of one model directory (``model.safetensors`` or sharded with an index), read lazily."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.tensors: dict[str, TensorInfo] = {}
        for file in _weight_files(directory):
            self.tensors.update(read_header(file))
        self._maps: dict[Path, mmap.mmap] = {}

    def get(self, name: str) -> torch.Tensor:
        """The tensor, backed by the file mapping (no copy until it is converted or computed on)."""
        import torch

        info = self.tensors[name]
        dtype = torch_dtype(info.dtype)
        if info.end == info.start:
            return torch.empty(info.shape, dtype=dtype)
        count = (info.end - info.start) // dtype.itemsize
        flat = torch.frombuffer(self._map(info.file), dtype=dtype, count=count, offset=info.start)
        return flat.reshape(info.shape)

    def array(self, name: str) -> np.ndarray:
        """The tensor as a flat numpy array of its dtype, backed by the file mapping (no torch involved).

        bf16 arrays are ``ml_dtypes.bfloat16`` (``ImportError`` without ``ml_dtypes``).
        """
        info = self.tensors[name]
        dtype = numpy_dtype(info.dtype)
        count = (info.end - info.start) // dtype.itemsize
        if count == 0:
            return np.empty(0, dtype=dtype)
        return np.frombuffer(self._map(info.file), dtype=dtype, count=count, offset=info.start)

    def _map(self, file: Path) -> mmap.mmap:
        mm = self._maps.get(file)
        if mm is None:
            with file.open("rb") as fh:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
            self._maps[file] = mm
        return mm

    def close(self) -> None:
        # Tensors handed out may still reference a map; dropping our references lets GC unmap them.
        self._maps.clear()


def read_tensors(directory: str | Path) -> dict[str, torch.Tensor]:
    """Every tensor of a model directory, copied into memory (for small models and tests)."""
    reader = ModelReader(Path(directory))
    try:
        return {name: reader.get(name).clone() for name in sorted(reader.tensors)}
    finally:
        reader.close()


def _weight_files(directory: Path) -> list[Path]:
    index = directory / INDEX_NAME
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError) as exc:
            raise MergeError(f"{index}: unreadable index ({exc})") from exc
        files = sorted({directory / f for f in weight_map.values()})
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise MergeError(f"{directory}: shards named in the index are missing: {missing}")
        return files
    single = directory / "model.safetensors"
    if single.is_file():
        return [single]
    found = sorted(directory.glob("*.safetensors"))
    if not found:
        raise MergeError(f"{directory}: no safetensors weights found")
    return found


@dataclass(frozen=True)
class OutputTensor:
    """A planned output tensor; ``dtype`` is its safetensors code (``"BF16"``; ``MergeError`` otherwise)."""

    name: str
    dtype: str
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise MergeError(
                f"{self.name}: dtype {self.dtype!r} is not a safetensors code ({sorted(DTYPES)})"
            )

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.numel * DTYPES[self.dtype].itemsize


class ShardedWriter:
    """Writes planned tensors into ``model-0000i-of-0000n.safetensors`` shards plus the index.

    Shards are filled in plan order up to ``max_shard_bytes``; headers are written at creation, each
    tensor's bytes with ``pwrite`` at its offset (thread-safe: regions never overlap), the whole file
    blocks of large tensors with ``O_DIRECT`` where the file system allows it (see ``direct_io``).
    """

    def __init__(
        self,
        directory: Path,
        plan: Sequence[OutputTensor],
        max_shard_bytes: int,
        min_direct_bytes: int = MIN_DIRECT_BYTES,
    ) -> None:
        self.directory = directory
        self._where: dict[str, tuple[int, int, OutputTensor]] = {}
        groups = _split(plan, max_shard_bytes)
        self.files = [f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors" for i in range(len(groups))]
        self._fds: list[int] = []
        self._writers: list[BlockWriter] = []
        for file_name, group in zip(self.files, groups, strict=True):
            fd = self._create(directory / file_name, group)
            self._fds.append(fd)
            self._writers.append(BlockWriter(directory / file_name, fd, min_direct_bytes))
        self.total_size = sum(t.nbytes for t in plan)
        self._pool = BufferPool()
        self._lent: dict[str, mmap.mmap] = {}
        self._lent_lock = threading.Lock()

    def _create(self, path: Path, group: Sequence[OutputTensor]) -> int:
        header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
        offset = 0
        for t in group:
            header[t.name] = {
                "dtype": t.dtype,
                "shape": list(t.shape),
                "data_offsets": [offset, offset + t.nbytes],
            }
            offset += t.nbytes
        raw = json.dumps(header, separators=(",", ":")).encode()
        raw += b" " * (-len(raw) % 8)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, struct.pack("<Q", len(raw)) + raw)
        data_start = 8 + len(raw)
        os.ftruncate(fd, data_start + offset)
        fd_index = len(self._fds)
        running = data_start
        for t in group:
            self._where[t.name] = (fd_index, running, t)
            running += t.nbytes
        return fd

    def buffer(self, name: str) -> torch.Tensor:
        """An uninitialised tensor of ``name``'s planned dtype and shape to compute it into, then :meth:`write`.

        Its memory sits at the same offset within a 4 KiB page as the tensor within its file, so the write
        goes straight from it with ``O_DIRECT``, and it is reused for a later tensor once written (do not
        touch it after :meth:`write`).
        """
        import torch

        _, _, planned = self._where[name]
        dtype = torch_dtype(planned.dtype)
        if planned.nbytes == 0:
            return torch.empty(planned.shape, dtype=dtype)
        return torch.frombuffer(self._lend(name), dtype=dtype, count=planned.numel).reshape(planned.shape)

    def array_buffer(self, name: str) -> np.ndarray:
        """:meth:`buffer` as a flat numpy array of the planned dtype (``ml_dtypes.bfloat16`` for bf16:
        ``ImportError`` without ``ml_dtypes``)."""
        _, _, planned = self._where[name]
        dtype = numpy_dtype(planned.dtype)
        if planned.nbytes == 0:
            return np.empty(0, dtype=dtype)
        return np.frombuffer(self._lend(name), dtype=dtype, count=planned.numel)

    def _lend(self, name: str) -> memoryview:
        _, offset, planned = self._where[name]
        buffer, view = self._pool.take(planned.nbytes, offset)
        with self._lent_lock:
            self._lent[name] = buffer
        return view

    def write(self, name: str, tensor: torch.Tensor | np.ndarray) -> None:
        """Write one computed tensor or array (must match the planned dtype and shape; an array may be flat).

        A :meth:`buffer` lent for ``name`` is taken back afterwards, whether or not ``tensor`` is in it.
        """
        fd_index, offset, planned = self._where[name]
        try:
            data = _planned_bytes(name, tensor, planned)
            if planned.nbytes:
                self._writers[fd_index].write(data, offset)
            del data
        finally:
            with self._lent_lock:
                lent = self._lent.pop(name, None)
            if lent is not None:
                self._pool.give(lent)

    @property
    def direct(self) -> bool:
        """Whether any shard writes its large tensors with ``O_DIRECT``."""
        return any(writer.direct for writer in self._writers)

    @property
    def direct_bytes(self) -> int:
        """Bytes written with ``O_DIRECT`` so far."""
        return sum(writer.direct_bytes for writer in self._writers)

    def finish(self) -> None:
        """Flush shards to disk and write the index (called only when every tensor was written)."""
        for fd in self._fds:
            os.fsync(fd)
        self.close()
        weight_map = {name: self.files[where[0]] for name, where in self._where.items()}
        index = {"metadata": {"total_size": self.total_size}, "weight_map": dict(sorted(weight_map.items()))}
        (self.directory / INDEX_NAME).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")

    def close(self) -> None:
        self._pool.close()
        for writer in self._writers:
            writer.close_direct()
        for fd in self._fds:
            os.close(fd)
        self._fds, self._writers = [], []


def _planned_bytes(name: str, tensor: torch.Tensor | np.ndarray, planned: OutputTensor) -> memoryview:
    """The bytes of ``tensor``, after checking its dtype and shape (a numpy array may also be flat)."""
    if isinstance(tensor, np.ndarray):
        shapes_ok = tensor.shape in (planned.shape, (planned.numel,))
        found = code_of_numpy(tensor.dtype)
        if found != planned.dtype or not shapes_ok:
            raise MergeError(
                f"{name}: computed {found}{tensor.shape}, planned {planned.dtype}{planned.shape}"
            )
        return memoryview(np.ascontiguousarray(tensor).reshape(-1).view(np.uint8).data)
    import torch

    found = code_of_torch(tensor.dtype)
    if found != planned.dtype or tuple(tensor.shape) != planned.shape:
        raise MergeError(
            f"{name}: computed {found}{tuple(tensor.shape)}, planned {planned.dtype}{planned.shape}"
        )
    return memoryview(tensor.contiguous().reshape(-1).view(torch.uint8).numpy().data)


def _split(plan: Iterable[OutputTensor], max_bytes: int) -> list[list[OutputTensor]]:
    groups: list[list[OutputTensor]] = [[]]
    size = 0
    for t in plan:
        if groups[-1] and size + t.nbytes > max_bytes:
            groups.append([])
            size = 0
        groups[-1].append(t)
        size += t.nbytes
    return groups
