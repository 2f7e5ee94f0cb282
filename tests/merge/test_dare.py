"""DARE's default draws: counter-based, reproducible whatever the threads, chunks or order; mergekit's on request.

The draws and the L1 rescale are documented in ``docs/merge.md`` (Reproducible DARE) and
``judgeforge.merge.draws``; ``--mergekit-dare`` keeping mergekit's bits is checked by
``test_mergekit_configs.py`` (the ``dare-*`` cases).
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from judgeforge.merge import chunked, merge_models, parse_config
from judgeforge.merge.draws import BLOCK, DrawKey, DrawStream, RandomDrop, keep_mask, splitmix64
from judgeforge.merge.io import read_tensors
from judgeforge.merge.methods import METHODS, TensorInputs
from judgeforge.merge.schedule import torch_threads

N = 3 * BLOCK * 11 + 1237  # not a multiple of a block, of 8 draws, or of any chunk below
CHUNKS = [N, 4096, 10_007, BLOCK, BLOCK + 3, 999]


def inputs(method: str, densities: list[float], dtype: torch.dtype, **shared: Any) -> TensorInputs:
    g = torch.Generator().manual_seed(len(densities))
    base = torch.randn(N, generator=g) * 0.02
    tuned = [base + torch.randn(N, generator=g) * 0.002 for _ in densities]
    weights = [0.7, 0.4, -0.2][: len(densities)]
    params = ({}, *({"weight": w, "density": d} for w, d in zip(weights, densities)))
    resolved = {p: spec.default for p, spec in METHODS.get(method).params.items() if spec.scope == "shared"}
    return TensorInputs(
        tuple(t.to(torch.bfloat16) for t in [base, *tuned]),
        params,
        {**resolved, **shared},
        0,
        None,
        dtype,
        torch.bfloat16,
        DrawKey(42, "model.layers.0.mlp.up_proj.weight"),
    )


@pytest.mark.parametrize("method", ["dare_linear", "dare_ties"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_the_same_seed_gives_the_same_bytes_whatever_the_threads_and_chunks(
    method: str, dtype: torch.dtype
) -> None:
    x = inputs(method, [0.3, 0.8], dtype)
    spec = METHODS.get(method)
    assert spec.streamed is not None and spec.streamed.applies(x)
    with torch_threads(1):
        expected = chunked.merge_tensor(spec, x, chunk=N)
    for count in (1, 2):
        with torch_threads(count):
            for chunk in CHUNKS:
                got = chunked.merge_tensor(spec, x, chunk=chunk)
                assert torch.equal(got.view(torch.int16), expected.view(torch.int16)), (count, chunk)
    assert spec.whole is not None  # the whole-tensor form without a torch generator draws the same stream
    assert torch.equal(spec.whole(x).to(torch.bfloat16).view(torch.int16), expected.view(torch.int16))


def _splitmix64(seed: int, counter: int) -> int:
    """SplitMix64's output ``counter`` from ``seed``, transcribed from Vigna's ``splitmix64.c``."""
    z = (seed + counter * 0x9E3779B97F4A7C15) % 2**64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    return z ^ (z >> 31)


def test_splitmix64_gives_the_reference_outputs() -> None:
    # outputs 1-3 from seed 1234567 of Vigna's splitmix64.c, compiled and run
    expected = [6457827717110365317, 3203168211198807973, 9817491932198370423]
    assert [_splitmix64(1234567, c) for c in (1, 2, 3)] == expected
    assert splitmix64(1234567, np.array([1, 2, 3], dtype=np.uint64)).tolist() == expected


def _documented_mask(key: Any, density: float) -> tuple[Any, list[int]]:
    """The keep mask of entries 0..N-1 computed from the documented stream alone; the tied entries."""
    generator = np.random.PCG64(np.random.SeedSequence([int(key[0]), int(key[1]), 0]))
    raw = generator.random_raw(-(-N // 8)).tolist()
    words = [(raw[j // 8] >> (8 * (j % 8))) & 0xFF for j in range(N)]
    seed = int(np.random.SeedSequence([int(key[0]), int(key[1]), 1]).generate_state(1, np.uint64)[0])
    threshold = round(density * 2**32)
    ties = [j for j in range(N) if words[j] == threshold >> 24]
    refined = {j: _splitmix64(seed, j + 1) >> 40 for j in ties}
    return np.array([(words[j] << 24 | refined.get(j, 0)) < threshold for j in range(N)]), ties


# 0.3: ties refined; 0.5: lo = 0 (no refinement); 0.9999: hi = 255; 1e-4: hi = 0; 1 - 2**-34: all kept
@pytest.mark.parametrize("density", [0.3, 0.5, 0.9999, 1e-4, 1 - 2**-34])
def test_the_mask_is_the_documented_one(density: float) -> None:
    key = DrawKey(3, "w").stream_key(1)
    expected, ties = _documented_mask(key, density)
    assert np.array_equal(keep_mask(key, density, 0, N), expected)
    for start, stop in [(1, 9), (7, 8), (8, 4096), (12345, N)] + [(t, t + 1) for t in ties[:50]]:
        assert np.array_equal(keep_mask(key, density, start, stop), expected[start:stop]), (start, stop)


def test_the_draws_of_a_range_are_the_draws_of_the_whole_stream() -> None:
    """Any range's mask is the whole stream's, the tied entries' refinements included."""
    key = DrawKey(3, "w").stream_key(1)
    expected, ties = _documented_mask(key, 0.3)
    assert ties  # the refinement decides some entries here
    ranges = [(0, N), (1, 9), (7, 8), (8, 4096), (12345, N)] + [(t, t + 1) for t in ties]
    for start, stop in ranges + [(max(t - 5, 0), t + 3) for t in ties]:
        assert np.array_equal(keep_mask(key, 0.3, start, stop), expected[start:stop]), (start, stop)
    # One stream read range after range: consecutive ranges sharing a 64-bit output, gaps, ranges
    # starting again before the last one ended, empty ranges.
    reused = DrawStream(key)
    walk = [
        (0, 5),
        (5, 6),
        (6, 6),
        (6, 13),
        (13, 4096),
        (4099, 4100),
        (4101, 9000),
        (2, 3),
        (3, 12),
        (100, N),
    ]
    walk += [(0, 2), (0, 0), (2, 2), (1, 7)]  # empty ranges inside an output already drawn
    for start, stop in walk:
        got = keep_mask(key, 0.3, start, stop, reused)
        assert np.array_equal(got, expected[start:stop]), (start, stop)


def test_keys_differ_by_seed_tensor_and_model() -> None:
    keys = {tuple(DrawKey(s, t).stream_key(m).tolist()) for s in (0, 1) for t in ("a", "b") for m in (0, 1)}
    assert len(keys) == 8


def _models(make_model: Callable[..., Path]) -> dict[str, Path]:
    return {name: make_model(name, seed) for seed, name in enumerate(("base", "a", "b"))}


def _config(models: dict[str, Path], method: str, **parameters: Any) -> Any:
    return parse_config(
        {
            "merge_method": method,
            "base_model": str(models["base"]),
            "models": [
                {"model": str(models["a"]), "parameters": {"weight": 1.0, "density": 0.3}},
                {"model": str(models["b"]), "parameters": {"weight": 0.5, "density": 0.6}},
            ],
            "parameters": parameters,
        }
    )


def test_a_merge_gives_the_same_bytes_with_one_or_several_workers(
    tmp_path: Path, make_model: Callable[..., Path]
) -> None:
    models = _models(make_model)
    for workers in (1, 4):
        merge_models(_config(models, "dare_ties"), tmp_path / f"w{workers}", seed=5, workers=workers)
    one, four = read_tensors(tmp_path / "w1"), read_tensors(tmp_path / "w4")
    assert all(torch.equal(one[k].view(torch.int32), four[k].view(torch.int32)) for k in one)


def test_the_kept_fraction_of_every_tensor_is_within_four_deviations(
    tmp_path: Path, make_model: Callable[..., Path]
) -> None:
    models = _models(make_model)
    config = parse_config(
        {
            "merge_method": "dare_linear",
            "base_model": str(models["base"]),
            "models": [{"model": str(models["a"]), "parameters": {"weight": 1.0, "density": 0.3}}],
            "parameters": {"rescale": False},
        }
    )
    merge_models(config, tmp_path / "out", seed=9)
    base, tuned, out = (read_tensors(p) for p in (models["base"], models["a"], tmp_path / "out"))
    for name in out:
        n = out[name].numel()
        kept = int(torch.count_nonzero(out[name] != base[name]))
        assert int(torch.count_nonzero(tuned[name] == base[name])) == 0  # every delta is non-zero
        assert abs(kept / n - 0.3) <= 4 * math.sqrt(0.3 * 0.7 / n), (name, kept, n)
    for density in (0.05, 0.3, 0.5, 0.9):  # and on a large tensor, where 4 deviations are tight
        n = 1 << 22
        kept = int(np.count_nonzero(keep_mask(DrawKey(1, "big").stream_key(0), density, 0, n)))
        assert abs(kept / n - density) <= 4 * math.sqrt(density * (1 - density) / n), density


@pytest.mark.parametrize("chunk", [N, 4096, 10_007])
def test_the_rescale_restores_the_exact_l1_norm(chunk: int) -> None:
    g = torch.Generator().manual_seed(0)
    delta = torch.randn(N, generator=g) * 0.002
    delta[:100] *= 1e4  # a wide range of magnitudes
    drop = RandomDrop(DrawKey(7, "w").stream_key(1), 0.4, rescale=True)
    for start in range(0, N, chunk):
        drop.measure(delta[start : start + chunk], start)
    drop.finish()
    result = delta.clone()
    for start in range(0, N, chunk):
        drop.apply(result[start : start + chunk], start)
    mask = torch.from_numpy(keep_mask(DrawKey(7, "w").stream_key(1), 0.4, 0, N))
    values = delta.double().abs()
    exact = math.fsum(values.tolist()) / math.fsum(values[mask].tolist())  # exact sums, one rounding each
    assert drop.scale is not None and math.isclose(drop.scale, exact, rel_tol=1e-13)
    # every kept entry is delta * scale, rounded once; every dropped entry is zero
    assert torch.equal(result, delta * mask * torch.tensor(drop.scale, dtype=torch.float32))
    l1 = math.fsum(result.double().abs().tolist())
    assert math.isclose(l1, math.fsum(values.tolist()), rel_tol=1e-6)


@pytest.mark.parametrize("chunk", [N, 4096, 10_007])
def test_a_numpy_delta_is_dropped_and_rescaled_as_the_same_torch_delta(chunk: int) -> None:
    delta = torch.randn(N, generator=torch.Generator().manual_seed(3)) * 0.002
    drops = [RandomDrop(DrawKey(7, "w").stream_key(1), 0.4, rescale=True) for _ in range(2)]
    as_torch, as_numpy = delta.clone(), delta.numpy().copy()
    for start in range(0, N, chunk):
        drops[0].measure(as_torch[start : start + chunk], start)
        drops[1].measure(as_numpy[start : start + chunk], start)
    for drop in drops:
        drop.finish()
    assert drops[0].scale == drops[1].scale
    for start in range(0, N, chunk):
        drops[0].apply(as_torch[start : start + chunk], start)
        drops[1].apply(as_numpy[start : start + chunk], start)
    assert np.array_equal(as_torch.numpy().view(np.uint32), as_numpy.view(np.uint32))


@pytest.mark.parametrize(
    ("delta", "error", "message"),
    [
        (np.zeros(16, dtype=np.float64), TypeError, "must be float32, not float64"),
        (np.zeros((4, 4), dtype=np.float32), TypeError, r"flat \(1-D\) range, not of shape \(4, 4\)"),
        (np.zeros((), dtype=np.float32), TypeError, r"not of shape \(\)"),
    ],
)
def test_a_numpy_delta_of_another_dtype_or_shape_is_refused_before_anything_is_drawn(
    delta: Any, error: type[Exception], message: str
) -> None:
    drop = RandomDrop(DrawKey(7, "w").stream_key(1), 0.4, rescale=True)
    for step in (drop.measure, drop.apply):
        with pytest.raises(error, match=message):
            step(delta, 0)
    assert drop._stream is None and not drop._packed  # nothing drawn, nothing kept


def test_a_read_only_numpy_delta_is_measured_but_not_applied() -> None:
    delta = np.ones(64, dtype=np.float32)
    delta.flags.writeable = False
    drop = RandomDrop(DrawKey(7, "w").stream_key(1), 0.4, rescale=True)
    drop.measure(delta, 0)
    drop.finish()
    with pytest.raises(ValueError, match="read-only"):
        drop.apply(delta, 0)
    assert 0 in drop._packed  # the measured mask is still there for a writeable retry


def test_a_strided_numpy_delta_is_dropped_as_its_contiguous_copy() -> None:
    values = (np.arange(2 * N, dtype=np.float32) - N) * np.float32(1e-3)
    strided, contiguous = values[::2], values[::2].copy()
    drops = [RandomDrop(DrawKey(7, "w").stream_key(1), 0.4, rescale=True) for _ in range(2)]
    for drop, delta in zip(drops, (strided, contiguous)):
        drop.measure(delta, 0)
        drop.finish()
        drop.apply(delta, 0)
    assert np.array_equal(values[::2].view(np.uint32), contiguous.view(np.uint32))


def test_the_draws_and_the_direct_writer_import_no_torch() -> None:
    """A numpy delta is measured and dropped without torch (the engine's merges without torch rely on it)."""
    code = (
        "import sys, numpy as np, judgeforge.merge.direct_io\n"
        "from judgeforge.merge.draws import DrawKey, RandomDrop\n"
        "drop = RandomDrop(DrawKey(1, 'w').stream_key(0), 0.5, rescale=True)\n"
        "delta = np.linspace(-1, 1, 100_000, dtype=np.float32)\n"
        "drop.measure(delta, 0); drop.finish(); drop.apply(delta, 0)\n"
        "print('torch' in sys.modules, drop.scale is not None, int((delta == 0).sum()) > 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True", "True"]


def test_no_rescale_below_mergekits_epsilon() -> None:
    drop = RandomDrop(DrawKey(7, "w").stream_key(1), 0.5, rescale=True)
    tiny = torch.full((1000,), 1e-12)
    drop.measure(tiny, 0)
    drop.finish()
    assert drop.scale is None


def test_mergekit_dare_draws_from_one_torch_generator_in_order(
    tmp_path: Path, make_model: Callable[..., Path]
) -> None:
    """``random_stream: torch`` (``--mergekit-dare``) is the old sequential stream: seed-reproducible too,
    and different from the default stream."""
    models = _models(make_model)
    merge_models(_config(models, "dare_linear", random_stream="torch"), tmp_path / "t1", seed=3)
    merge_models(_config(models, "dare_linear", random_stream="torch"), tmp_path / "t2", seed=3)
    merge_models(_config(models, "dare_linear"), tmp_path / "p", seed=3)
    t1, t2, p = (read_tensors(tmp_path / n) for n in ("t1", "t2", "p"))
    assert all(torch.equal(t1[k], t2[k]) for k in t1)
    assert any(not torch.equal(t1[k], p[k]) for k in t1)
