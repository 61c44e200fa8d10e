"""Parameter layout, codes and initialisation shared by every backend.

A network with layer sizes ``n0 … nL`` keeps all its parameters in one flat, contiguous
array. Layer ``l`` (1-based, mapping ``n_{l-1}`` inputs to ``n_l`` outputs) owns a weight
block of shape ``(n_l, n_{l-1})`` stored row-major, followed by its bias vector ``(n_l,)``.
Velocity and gradient arrays use the same layout, so the update, L2 decay and momentum
are single loops over one array, and saving a network is saving one array.

Kernels receive the sizes as an ``int64`` array and the activation and cost choices as the
small integer codes below; they never see strings or config objects. This module imports
numpy only: no I/O, no numba.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Hidden-layer activation codes.
SIGMOID = 0
TANH = 1
RELU = 2
HIDDEN_CODES: dict[str, int] = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU}

# Output layer + cost codes (the pairings of Nielsen's chapter 3).
CROSS_ENTROPY = 0  # sigmoid outputs, cross-entropy cost
QUADRATIC = 1  # sigmoid outputs, quadratic cost 0.5*||a - y||^2
LOG_LIKELIHOOD = 2  # softmax outputs, log-likelihood cost -ln a_y
COST_CODES: dict[str, int] = {
    "cross-entropy": CROSS_ENTROPY,
    "quadratic": QUADRATIC,
    "log-likelihood": LOG_LIKELIHOOD,
}

INITIALIZERS = ("default", "large")


def sizes_array(sizes: tuple[int, ...] | list[int]) -> npt.NDArray[np.int64]:
    """Layer sizes as the contiguous ``int64`` array the kernels take."""
    return np.ascontiguousarray(np.asarray(sizes, dtype=np.int64))


def n_params(sizes: tuple[int, ...] | list[int] | npt.NDArray[np.int64]) -> int:
    """Number of parameters (weights + biases) of a network with these layer sizes."""
    s = [int(v) for v in sizes]
    return sum(s[i + 1] * s[i] + s[i + 1] for i in range(len(s) - 1))


def offsets(
    sizes: tuple[int, ...] | list[int] | npt.NDArray[np.int64],
) -> list[tuple[int, int]]:
    """``(weight_offset, bias_offset)`` of each layer inside the flat parameter array."""
    s = [int(v) for v in sizes]
    out: list[tuple[int, int]] = []
    pos = 0
    for i in range(len(s) - 1):
        w = pos
        b = w + s[i + 1] * s[i]
        out.append((w, b))
        pos = b + s[i + 1]
    return out


def views(
    flat: npt.NDArray[np.floating], sizes: tuple[int, ...] | list[int] | npt.NDArray[np.int64]
) -> list[tuple[npt.NDArray[np.floating], npt.NDArray[np.floating]]]:
    """Per-layer ``(W, b)`` views into ``flat`` (no copies): W is ``(n_out, n_in)``."""
    s = [int(v) for v in sizes]
    return [
        (
            flat[w : w + s[i + 1] * s[i]].reshape(s[i + 1], s[i]),
            flat[b : b + s[i + 1]],
        )
        for i, (w, b) in enumerate(offsets(s))
    ]


def weight_mask(
    sizes: tuple[int, ...] | list[int] | npt.NDArray[np.int64], dtype: npt.DTypeLike
) -> npt.NDArray[np.floating]:
    """1 where the flat array holds a weight, 0 where it holds a bias (L2 skips biases)."""
    mask = np.zeros(n_params(sizes), dtype=dtype)
    s = [int(v) for v in sizes]
    for i, (w, _b) in enumerate(offsets(s)):
        mask[w : w + s[i + 1] * s[i]] = 1
    return mask


def init_params(
    sizes: tuple[int, ...] | list[int],
    init: str,
    rng: np.random.Generator,
    dtype: npt.DTypeLike = np.float64,
) -> npt.NDArray[np.floating]:
    """Fresh flat parameters: Gaussian weights and biases as in Nielsen's network2.py.

    ``init="default"``: weights N(0, 1/n_in), biases N(0, 1).
    ``init="large"``: weights and biases N(0, 1).
    """
    if init not in INITIALIZERS:
        raise ValueError(f"init must be one of {INITIALIZERS}, got {init!r}")
    flat = np.empty(n_params(sizes), dtype=dtype)
    for W, b in views(flat, sizes):
        scale = 1.0 / np.sqrt(W.shape[1]) if init == "default" else 1.0
        W[...] = rng.standard_normal(W.shape) * scale
        b[...] = rng.standard_normal(b.shape)
    return flat


def flops_per_sample(sizes: tuple[int, ...] | list[int]) -> int:
    """Floating-point operations to train on one sample (forward, deltas, weight gradients).

    Forward ``2·Σ n_l·n_{l+1}``; weight gradients ``2·Σ n_l·n_{l+1}``; deltas propagated
    below the output ``2·Σ_{l≥1} n_l·n_{l+1}`` (none into the input layer).
    For [784, 30, 10] this is 95,880.
    """
    s = [int(v) for v in sizes]
    pairs = [s[i] * s[i + 1] for i in range(len(s) - 1)]
    return 2 * sum(pairs) + 2 * sum(pairs) + 2 * sum(pairs[1:])


def flops_per_update(sizes: tuple[int, ...] | list[int]) -> int:
    """Floating-point operations of one parameter update: 2 per parameter plus 1 per weight (L2).

    For [784, 30, 10] this is 71,540 (the figure quoted in the foundation issue).
    """
    s = [int(v) for v in sizes]
    weights = sum(s[i] * s[i + 1] for i in range(len(s) - 1))
    return 2 * n_params(s) + weights


def check_index(name: str, arr: np.ndarray, hi: int, what: str) -> None:
    """``ValueError`` unless ``arr`` is a 1-d int64 array with values in ``[0, hi)``."""
    if arr.ndim != 1 or arr.dtype != np.int64:
        raise ValueError(
            f"{name} must be a 1-d int64 array, got {arr.dtype} with shape {arr.shape}"
        )
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= hi):
        raise ValueError(
            f"{name} values must lie in [0, {hi}) ({what}); got [{arr.min()}, {arr.max()}]"
        )
