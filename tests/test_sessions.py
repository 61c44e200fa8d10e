"""The backend registry and the session API: the bare kernels' numbers, synchronized timing."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import kernels
from bench.train import timed_steps
from kernels import BACKENDS, REGISTRY, available_backends, backend_info, open_session
from kernels.call import Codes, Data, Net, Rule, Steps
from kernels.host_session import EVAL_CHUNK, HostSession
from kernels.layout import CROSS_ENTROPY, SIGMOID, init_params, sizes_array
from kernels.session import CPU, TRAIN, VAL, BackendInfo

SIZES = (12, 6, 3)


def _data(dtype: str) -> tuple[Any, ...]:
    rng = np.random.default_rng(1)
    X = rng.random((23, SIZES[0])).astype(dtype)
    y = rng.integers(0, SIZES[-1], 23).astype(np.int64)
    return X, y, X[:9].copy(), y[:9].copy()


def test_registry_names_every_backend_once() -> None:
    assert tuple(REGISTRY) == BACKENDS
    assert all(REGISTRY[n].name == n for n in BACKENDS)
    assert [n for n in BACKENDS if backend_info(n).threaded] == ["numba-parallel"]
    with pytest.raises(ValueError, match="unknown backend 'cuda9'; choose one of numpy"):
        backend_info("cuda9")


@pytest.mark.parametrize(
    "name", [n for n in available_backends() if backend_info(n).device == CPU]
)  # the host modules (the cuda session has no bare kernel: tests/test_cuda.py)
@pytest.mark.parametrize("mu", [0.0, 0.5])
def test_session_matches_the_bare_kernel_bit_for_bit(name: str, mu: float) -> None:
    """Two chunks (the second a ragged batch of 3) and an evaluation, session vs kernel."""
    X, y, Xv, yv = _data("float64")
    rng = np.random.default_rng(0)
    params = init_params(SIZES, "default", rng, "float64")
    order = rng.permutation(len(y)).astype(np.int64)
    k = kernels.load_backend(name)
    sz = sizes_array(SIZES)
    p, v = params.copy(), np.zeros_like(params)
    work = np.empty(k.workspace_size(sz, 5), np.float64)
    net, data, codes = Net(p, v, work), Data(X, y, order), Codes(SIGMOID, CROSS_ENTROPY)
    want = [
        k.train_steps(net, sz, data, Steps(*run), Rule(0.5, 0.01, mu), codes)
        for run in ((0, 4, 5), (20, 1, 3))
    ]
    work_eval = np.empty(k.workspace_size(sz, EVAL_CHUNK), np.float64)
    want_eval = k.evaluate(p, work_eval, sz, Xv, yv, EVAL_CHUNK, SIGMOID, CROSS_ENTROPY)

    s = open_session(name, sizes=SIZES, dtype="float64", mini_batch=5, hidden=SIGMOID,
                     output=CROSS_ENTROPY)  # fmt: skip
    s.load(params, np.zeros_like(params))
    s.upload(X, y, Xv, yv)
    s.set_order(order)
    got = [s.steps(0, 4, 0.5, 0.01, mu), s.steps(20, 1, 0.5, 0.01, mu, batch=3)]
    s.synchronize()
    assert got == want
    assert s.evaluate(VAL) == want_eval
    assert s.evaluate(TRAIN, 2) == k.evaluate(
        p, work_eval, sz, X[:2], y[:2], EVAL_CHUNK, SIGMOID, CROSS_ENTROPY
    )
    hp, hv = s.to_host()
    assert np.array_equal(hp, p) and np.array_equal(hv, v)
    hp[:] = 0  # a copy: the session keeps its own weights
    assert np.array_equal(s.to_host()[0], p)


def test_load_copies_and_upload_checks_the_dtype() -> None:
    s = open_session("numpy", sizes=SIZES, dtype="float32", mini_batch=2)
    params = init_params(SIZES, "default", np.random.default_rng(0), "float32")
    s.load(params, np.zeros_like(params))
    params[:] = 7
    assert not np.array_equal(s.to_host()[0], params)
    X, y, Xv, yv = _data("float64")
    with pytest.raises(ValueError, match="X dtype float64 differs from the session's float32"):
        s.upload(X, y, Xv, yv)


def test_a_module_with_its_own_session_class_is_opened_with_it() -> None:
    class Custom:
        def __init__(self, info: BackendInfo, module: Any, **shape: Any) -> None:
            self.info, self.shape = info, shape

    fake: Any = SimpleNamespace(Session=Custom)
    s: Any = open_session("numpy", module=fake, sizes=SIZES)
    assert isinstance(s, Custom) and s.info is REGISTRY["numpy"] and s.shape["threads"] == 1
    plain = open_session("numpy", sizes=SIZES, dtype="float64", mini_batch=1)
    assert isinstance(plain, HostSession)


class _SlowQueue:
    """A session whose work finishes only at synchronize (an asynchronous device)."""

    def __init__(self, synchronize: bool) -> None:
        self.info = BackendInfo(name="fake", module="fake", synchronize=synchronize)
        self.synced = 0

    def steps(self, *args: Any, **kw: Any) -> float:
        return 0.25

    def synchronize(self) -> None:
        self.synced += 1
        time.sleep(0.05)


@pytest.mark.parametrize("sync", [True, False])
def test_timed_region_ends_with_synchronize_when_the_backend_asks(sync: bool) -> None:
    s = _SlowQueue(sync)
    cost, seconds = timed_steps(s, s.info, 0, 1, 1, (0.5, 0.0, 0.0))  # type: ignore[arg-type]
    assert cost == 0.25
    assert s.synced == (1 if sync else 0)
    assert (seconds >= 0.05) == sync


def test_no_branch_on_a_backend_name_outside_the_registry() -> None:
    """The harness and the kernels read BackendInfo fields: comparisons with a backend's name
    appear only in the registry (kernels/__init__.py)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = "|".join(re.escape(n) for n in BACKENDS)
    # a comparison with a name, or an ``if`` testing membership in a literal list of names
    pattern = re.compile(
        rf"""(==|!=|startswith\()\s*["']({names})["']|\bif\b[^:]*\bin\s*[({{]\s*["']({names})["']"""
    )
    hits = [
        f"{f.relative_to(root)}:{i}: {line.strip()}"
        for folder in ("bench", "suites", "kernels")
        for f in sorted((root / folder).rglob("*.py"))
        if f != root / "kernels" / "__init__.py"
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, "branch on backend names (use kernels.backend_info):\n" + "\n".join(hits)
