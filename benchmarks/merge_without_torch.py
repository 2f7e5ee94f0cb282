"""DARE-linear without torch: what the torch start-up costs ``judgeforge merge`` (issue #24; not a test).

    .venv/bin/pip install ml_dtypes==0.6.0 -c constraints.txt  # once: numpy's bfloat16 (this script only)
    .venv/bin/python benchmarks/merge_without_torch.py [--work DIR] [--repeat 3]

Uses the 0.853B checkpoints and the ``dare_linear`` configuration of ``merge_vs_mergekit.py`` (generated
there if missing: base A, model B, weight 1, density 0.5, seed 42, fp32 compute, bf16 out). Each round
measures the disk limit (as ``merge_vs_mergekit.py`` does), runs ``judgeforge merge`` as a child process,
measures the disk again and runs this file's ``--child`` mode, a child process that merges the same
checkpoints with numpy and ``ml_dtypes`` only. The child is judgeforge's default streamed DARE-linear for
this one configuration: the same chunks, the same draws and L1 rescale (``judgeforge.merge.draws``, which
imports no torch), the same ``+ 0.0`` and ``+ base`` in fp32, ``O_DIRECT`` writes through
``judgeforge.merge.direct_io`` and two computing threads. It checks that torch was never imported, and the
parent compares its output with ``judgeforge merge``'s tensor by tensor, bit for bit.

Both sides' times are wall seconds of the child process, start-up and imports included; ``merge s`` is the
time after the imports, as each side reports it (for both: reading the headers, mapping the inputs, the
merge, the writes and the final fsync). The child is a measuring device, not a product path: it handles
only this configuration.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from merge_vs_mergekit import SEED, _at_least_one, merge_seconds  # noqa: E402  (a sibling script)

CHUNK = 1 << 18  # judgeforge.merge.chunked.CHUNK (importing that module would import torch)
DENSITY = 0.5  # merge_vs_mergekit.configs()["dare_linear"]
MODEL_INDEX = 0  # model B's index in merge order (the models, then the base)


def child(base_dir: Path, model_dir: Path, out_dir: Path) -> int:
    """Merge with numpy + ml_dtypes only; print the merge's own seconds."""
    started = time.perf_counter()
    import struct
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import ml_dtypes
    import numpy as np

    from judgeforge.merge import direct_io, draws  # neither imports torch (tested)

    imported = time.perf_counter()
    bf16 = ml_dtypes.bfloat16

    def tensors(directory: Path) -> dict[str, tuple[np.ndarray, list[int]]]:
        import mmap

        found = {}
        for name in sorted(
            set(json.loads((directory / "model.safetensors.index.json").read_text())["weight_map"].values())
        ):
            path = directory / name
            with path.open("rb") as handle:
                (size,) = struct.unpack("<Q", handle.read(8))
                header = json.loads(handle.read(size))
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)  # unmapped at exit
            for key, meta in header.items():
                if key == "__metadata__":
                    continue
                if meta["dtype"] != "BF16":
                    raise SystemExit(f"{path}: {key} is {meta['dtype']}; this child merges bf16 only")
                begin, end = (8 + size + offset for offset in meta["data_offsets"])
                found[key] = (
                    np.frombuffer(mapped, dtype=bf16, count=(end - begin) // 2, offset=begin),
                    meta["shape"],
                )
        return found

    base, model = tensors(base_dir), tensors(model_dir)
    names = list(base)
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offsets, offset = {}, 0
    for name in names:
        size = base[name][0].size * 2
        header[name] = {"dtype": "BF16", "shape": base[name][1], "data_offsets": [offset, offset + size]}
        offsets[name], offset = offset, offset + size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.safetensors"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, struct.pack("<Q", len(raw)) + raw)
    data_start = 8 + len(raw)
    os.ftruncate(fd, data_start + offset)
    writer, pool = direct_io.BlockWriter(path, fd), direct_io.BufferPool()
    computing = threading.BoundedSemaphore(2)

    def merge(name: str) -> None:
        b16, t16 = base[name][0], model[name][0]
        n = b16.size
        key = draws.DrawKey(SEED, name).stream_key(MODEL_INDEX)
        drop = draws.RandomDrop(key, DENSITY, rescale=True)
        buffer, view = pool.take(n * 2, data_start + offsets[name])
        out = np.frombuffer(view, dtype=bf16, count=n)
        with computing:
            delta, converted = np.empty((2, min(CHUNK, n)), dtype=np.float32)
            for measuring in (True, False):
                for begin in range(0, n, CHUNK):
                    end = min(n, begin + CHUNK)
                    part, base_part = delta[: end - begin], converted[: end - begin]
                    np.copyto(base_part, b16[begin:end])
                    np.copyto(part, t16[begin:end])
                    np.subtract(part, base_part, out=part)
                    if measuring:
                        drop.measure(part, begin)
                        continue
                    drop.apply(part, begin)
                    np.add(part, np.float32(0.0), out=part)  # one model: its sum, as the streamed path
                    np.add(part, base_part, out=part)
                    np.copyto(out[begin:end], part, casting="unsafe")  # round to nearest even, as torch
                if measuring:
                    drop.finish()
        del out
        writer.write(view, data_start + offsets[name])
        view.release()
        pool.give(buffer)

    with ThreadPoolExecutor(4) as executor:
        list(executor.map(merge, names))
    os.fsync(fd)
    pool.close()
    writer.close_direct()
    os.close(fd)
    if "torch" in sys.modules:
        raise SystemExit("the child imported torch")
    print(
        f"imports {imported - started:.2f}s; merged {len(names)} tensors without torch in "
        f"{time.perf_counter() - imported:.1f}s"
    )
    return 0


def _run(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds of ``cmd`` and the merge seconds it reports (its output ends ``in <seconds>s``)."""
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
    seconds = merge_seconds(done.stdout)
    if math.isnan(seconds):
        raise SystemExit(
            f"{' '.join(cmd)}: no merge seconds at the end of its output: {done.stdout[-500:]!r}"
        )
    return wall, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--work", type=Path, default=HERE.parent / "test-artifacts" / "merge-bench")
    parser.add_argument("--repeat", type=_at_least_one, default=3, help="rounds (each runs both sides once)")
    parser.add_argument(
        "--child", nargs=3, type=Path, metavar=("BASE", "MODEL", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        raise SystemExit(
            "needs ml_dtypes: .venv/bin/pip install ml_dtypes==0.6.0 -c constraints.txt"
        ) from None
    import yaml
    from merge_vs_mergekit import configs, disk_limit, generate, identical, mistral_config, shard_files

    a, b = generate(args.work, mistral_config(16, 2048, 5632, 32000))
    config = args.work / "dare_linear.yml"
    config.write_text(yaml.safe_dump(configs(a, b)["dare_linear"]))
    inputs = shard_files(a) + shard_files(b)
    out_bytes = sum(p.stat().st_size for p in shard_files(b))
    ours_dir, numpy_dir = args.work / "out-jf-torch", args.work / "out-jf-numpy"
    ours_cmd = [
        sys.executable,
        "-m",
        "judgeforge.cli.main",
        "merge",
        str(config),
        str(ours_dir),
        "--quiet",
        "--seed",
        str(SEED),
    ]
    numpy_cmd = [sys.executable, __file__, "--child", str(a), str(b), str(numpy_dir)]
    rows = []
    for _ in range(args.repeat):
        subprocess.run(["rm", "-rf", str(ours_dir), str(numpy_dir)], check=True)
        disk_before = disk_limit(inputs, out_bytes, args.work)
        ours = _run(ours_cmd)
        disk_between = disk_limit(inputs, out_bytes, args.work)
        without = _run(numpy_cmd)
        rows.append((disk_before, ours, disk_between, without))
        print(
            f"disk {disk_before:.1f} s | judgeforge merge {ours[0]:.1f} s (merge {ours[1]:.1f}) | "
            f"disk {disk_between:.1f} s | without torch {without[0]:.1f} s (merge {without[1]:.1f})",
            flush=True,
        )
    same, differ = identical(ours_dir, numpy_dir)
    subprocess.run(["rm", "-rf", str(ours_dir), str(numpy_dir)], check=True)
    disk = min(min(r[0], r[2]) for r in rows)
    best_ours, best_without = min(r[1][0] for r in rows), min(r[3][0] for r in rows)
    saved = statistics.median(r[1][0] - r[3][0] for r in rows)
    print(
        f"fastest disk {disk:.1f} s; judgeforge merge {best_ours:.1f} s = {best_ours / disk:.2f}x; "
        f"without torch {best_without:.1f} s = {best_without / disk:.2f}x; median saving per round {saved:.1f} s; "
        f"bit-identical: {'yes' if same else f'NO ({differ} tensors differ)'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
