# mypy: allow-untyped-defs
"""CUDA kernels (``numba.cuda``, from NVIDIA's numba-cuda) for the ``cuda`` backend.

Every layer product is a shared-memory tiled kernel: a block of ``TILE × TILE`` threads
computes a ``TILE × TILE`` tile of the result, staging ``TILE``-wide slices of both operands
in shared memory so each global element is read once per tile instead of once per product.
Per mini-batch and per layer (rows are samples, the flat parameter layout of
:mod:`kernels.layout`):

* :func:`KernelSet.forward`: ``A_l = f(A_{l-1}·W_lᵀ + b_l)`` (the output layer stores ``z``);
  the first layer reads its input rows straight from the uploaded data through the
  device copy of the epoch's order, so no mini-batch is ever gathered on the host;
* :func:`KernelSet.output`: one thread per sample: output activation (sigmoid or softmax),
  the per-sample cost in the stable forms of :mod:`kernels.reference`, the output delta and
  whether the sample is classified correctly;
* :func:`KernelSet.backward`: ``Δ_{l-1} = (Δ_l·W_l) ⊙ f′(A_{l-1})``;
* :func:`KernelSet.grad_update`: the weight gradient ``Δ_lᵀ·A_{l-1}/m`` (bias: a column of
  ones) fused with the update ``v ← μ·v − η·(g + λ/n·w)``, ``w ← w + v`` (biases
  unregularised): each thread finishes one gradient entry and applies it at once. All
  deltas are computed before any update, as in the reference.

:func:`KernelSet.gemm` is a plain tiled ``C = A·B`` for the GPU peak measurement.

Kernels are specialised per dtype (the shared-memory arrays need it), built on first use by
:func:`kernel_set`. ``TILE`` is 16 on a GPU (256 threads a block) and 4 under the CUDA
simulator (``NUMBA_ENABLE_CUDASIM=1``), where every thread is a Python thread: the same code,
and small tiles make the tiny test shapes span several tiles. This module imports only
numpy and numba.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numba
import numpy as np
from numba import cuda as _cuda

from kernels.layout import LOG_LIKELIHOOD, QUADRATIC, RELU, SIGMOID, TANH

cuda: Any = _cuda  # numba-cuda's intrinsics are untyped for mypy
SIMULATOR = bool(cuda.config.ENABLE_CUDASIM)  # numba-cuda's simulator switch
TILE = 4 if SIMULATOR else 16
ROWS_PER_BLOCK = 4 if SIMULATOR else 128  # threads per block, row kernels


def blocks(n: int, per: int) -> int:
    """Number of blocks of ``per`` threads that cover ``n`` items (at least 1)."""
    return max(1, -(-n // per))


@dataclass(frozen=True)
class KernelSet:
    """The compiled-on-first-launch kernels of one dtype (see the module docstring)."""

    forward: Any
    output: Any
    backward: Any
    grad_update: Any
    gemm: Any


@cache
def kernel_set(dtype_name: str) -> KernelSet:
    """The kernels for ``"float32"`` or ``"float64"`` (built once per process)."""
    ft = numba.from_dtype(np.dtype(dtype_name))
    return KernelSet(
        forward=_make_forward(ft),
        output=_make_output(ft),
        backward=_make_backward(ft),
        grad_update=_make_grad_update(ft),
        gemm=_make_gemm(ft),
    )


def _make_forward(ft: Any) -> Any:
    T = TILE

    @cuda.jit
    def forward(A, idx, base, gather, m, params, w_off, b_off, n_in, n_out, out, hidden, last):
        """out[r, j] = f(Σ_k A[row(r), k]·W[j, k] + b[j]); row(r) = idx[base+r] or base+r."""
        sA = cuda.shared.array((T, T), dtype=ft)
        sW = cuda.shared.array((T, T), dtype=ft)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        j = cuda.blockIdx.x * T + tx
        r = cuda.blockIdx.y * T + ty
        jw = cuda.blockIdx.x * T + ty  # the weight row this thread stages
        row = -1
        if r < m:
            row = idx[base + r] if gather else base + r
        acc = ft(0.0)
        for k0 in range(0, n_in, T):
            k = k0 + tx
            sA[ty, tx] = A[row, k] if (row >= 0 and k < n_in) else ft(0.0)
            sW[ty, tx] = params[w_off + jw * n_in + k] if (jw < n_out and k < n_in) else ft(0.0)
            cuda.syncthreads()
            for q in range(T):
                acc += sA[ty, q] * sW[tx, q]
            cuda.syncthreads()
        if r < m and j < n_out:
            z = acc + params[b_off + j]
            if last:
                out[r, j] = z
            elif hidden == SIGMOID:
                if z >= 0:
                    out[r, j] = ft(1.0) / (ft(1.0) + math.exp(-z))
                else:
                    ez = math.exp(z)
                    out[r, j] = ez / (ft(1.0) + ez)
            elif hidden == TANH:
                out[r, j] = math.tanh(z)
            else:
                out[r, j] = z if z > 0 else ft(0.0)

    return forward


def _make_output(ft: Any) -> Any:
    @cuda.jit
    def output(Z, y, idx, base, gather, m, n_cls, code, act, delta, cost, correct, pos):
        """Per sample r: output activation, cost, delta, and correct (argmax == label)."""
        r = cuda.grid(1)
        if r >= m:
            return
        label = y[idx[base + r]] if gather else y[base + r]
        zmax = Z[r, 0]
        for c in range(1, n_cls):
            zmax = max(zmax, Z[r, c])
        if code == LOG_LIKELIHOOD:
            s = ft(0.0)
            for c in range(n_cls):
                s += math.exp(Z[r, c] - zmax)
            for c in range(n_cls):
                act[r, c] = math.exp(Z[r, c] - zmax) / s
            cost[pos + r] = zmax + math.log(s) - Z[r, label]
        else:
            total = ft(0.0)
            for c in range(n_cls):
                z = Z[r, c]
                if z >= 0:
                    a = ft(1.0) / (ft(1.0) + math.exp(-z))
                else:
                    a = math.exp(z) / (ft(1.0) + math.exp(z))
                act[r, c] = a
                t = ft(1.0) if c == label else ft(0.0)
                if code == QUADRATIC:
                    total += ft(0.5) * (a - t) * (a - t)
                else:
                    total += max(z, ft(0.0)) + math.log1p(math.exp(-abs(z))) - t * z
            cost[pos + r] = total
        best = 0
        for c in range(n_cls):
            t = ft(1.0) if c == label else ft(0.0)
            a = act[r, c]
            d = a - t
            if code == QUADRATIC:
                d = d * a * (ft(1.0) - a)
            delta[r, c] = d
            if a > act[r, best]:
                best = c
        correct[pos + r] = 1 if best == label else 0

    return output


def _make_backward(ft: Any) -> Any:
    T = TILE

    @cuda.jit
    def backward(D, params, w_off, n_out, n_in, A, m, D_prev, hidden):
        """D_prev[r, k] = (Σ_j D[r, j]·W[j, k]) · f′(A[r, k]), f′ through the output A."""
        sD = cuda.shared.array((T, T), dtype=ft)
        sW = cuda.shared.array((T, T), dtype=ft)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        k = cuda.blockIdx.x * T + tx
        r = cuda.blockIdx.y * T + ty
        acc = ft(0.0)
        for j0 in range(0, n_out, T):
            jd = j0 + tx
            sD[ty, tx] = D[r, jd] if (r < m and jd < n_out) else ft(0.0)
            jw = j0 + ty
            sW[ty, tx] = params[w_off + jw * n_in + k] if (jw < n_out and k < n_in) else ft(0.0)
            cuda.syncthreads()
            for q in range(T):
                acc += sD[ty, q] * sW[q, tx]
            cuda.syncthreads()
        if r < m and k < n_in:
            a = A[r, k]
            if hidden == SIGMOID:
                d = a * (ft(1.0) - a)
            elif hidden == TANH:
                d = ft(1.0) - a * a
            elif hidden == RELU:
                d = ft(1.0) if a > 0 else ft(0.0)
            else:
                d = ft(1.0)
            D_prev[r, k] = acc * d

    return backward


def _make_grad_update(ft: Any) -> Any:
    T = TILE

    @cuda.jit
    def grad_update(D, A, idx, base, gather, m, params, vel, w_off, b_off, n_out, n_in, rule):
        """g[j, k] = Σ_r D[r, j]·A[row(r), k] / m (k = n_in: bias); then v and w updated by
        ``rule``, the floats ``(eta, lmbda_n, mu)`` (a tuple argument, passed by value)."""
        eta, lmbda_n, mu = rule
        sD = cuda.shared.array((T, T), dtype=ft)
        sA = cuda.shared.array((T, T), dtype=ft)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        k = cuda.blockIdx.x * T + tx
        j = cuda.blockIdx.y * T + ty
        jd = cuda.blockIdx.y * T + tx  # the delta column this thread stages
        acc = ft(0.0)
        for r0 in range(0, m, T):
            rd = r0 + ty
            sD[ty, tx] = D[rd, jd] if (rd < m and jd < n_out) else ft(0.0)
            v = ft(0.0)
            if rd < m:
                if k == n_in:
                    v = ft(1.0)
                elif k < n_in:
                    row = idx[base + rd] if gather else base + rd
                    v = A[row, k]
            sA[ty, tx] = v
            cuda.syncthreads()
            for q in range(T):
                acc += sD[q, ty] * sA[q, tx]
            cuda.syncthreads()
        if j < n_out and k <= n_in:
            g = acc / ft(m)
            if k < n_in:
                p = w_off + j * n_in + k
                g += ft(lmbda_n) * params[p]
            else:
                p = b_off + j
            nv = ft(mu) * vel[p] - ft(eta) * g
            vel[p] = nv
            params[p] += nv

    return grad_update


def _make_gemm(ft: Any) -> Any:
    T = TILE

    @cuda.jit
    def gemm(A, B, C):
        """C = A·B for (M, K)·(K, N) row-major matrices, tiled through shared memory."""
        sA = cuda.shared.array((T, T), dtype=ft)
        sB = cuda.shared.array((T, T), dtype=ft)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        j = cuda.blockIdx.x * T + tx
        i = cuda.blockIdx.y * T + ty
        M, K = A.shape
        N = B.shape[1]
        acc = ft(0.0)
        for k0 in range(0, K, T):
            sA[ty, tx] = A[i, k0 + tx] if (i < M and k0 + tx < K) else ft(0.0)
            sB[ty, tx] = B[k0 + ty, j] if (k0 + ty < K and j < N) else ft(0.0)
            cuda.syncthreads()
            for q in range(T):
                acc += sA[ty, q] * sB[q, tx]
            cuda.syncthreads()
        if i < M and j < N:
            C[i, j] = acc

    return gemm
