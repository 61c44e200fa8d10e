"""Plain, batched numpy reference: the oracle for every other backend, and the ``numpy`` backend.

Everything is written for clarity, one matrix product per layer, in the notation of
Nielsen's ``network2.py`` (``zs``, ``activations``, ``delta``, ``nabla_w``), but over a whole
mini-batch at once: rows are samples. It allocates freely; speed is not its job.

Conventions shared by every backend (see :mod:`kernels.layout`):

* ``params``, ``velocity``: flat arrays in the layer layout, dtype float32 or float64.
* ``X``: ``(n_samples, n0)`` inputs in the params' dtype; ``y``: ``(n_samples,)`` int64 labels.
* ``order``: int64 permutation; the k-th mini-batch of a call uses samples
  ``order[start + k*mini_batch : start + (k+1)*mini_batch]``.
* ``lmbda_n`` is λ/n (n = training-set size); the update is
  ``v ← μ·v − η·(g + lmbda_n·w)`` (biases unregularised), ``w ← w + v``, with g the
  mini-batch mean gradient. With μ = 0 this is Nielsen's ``w ← (1 − ηλ/n)·w − (η/m)·Σ∇``.
* costs are per sample and exclude the L2 term (the harness adds ``0.5·(λ/n)·Σw²``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kernels.call import Array, Codes, Data, IntArray, Net, Rule, Steps
from kernels.layout import (
    CROSS_ENTROPY,
    LOG_LIKELIHOOD,
    QUADRATIC,
    RELU,
    SIGMOID,
    TANH,
    views,
    weight_mask,
)


def sigmoid(z: Array) -> Array:
    """Logistic function, computed without overflow for large |z|."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def hidden_activation(z: Array, hidden: int) -> Array:
    """Hidden-layer activation for code ``hidden`` (sigmoid, tanh, relu)."""
    if hidden == SIGMOID:
        return sigmoid(z)
    if hidden == TANH:
        return np.tanh(z)
    if hidden == RELU:
        return np.maximum(z, 0)
    raise ValueError(f"unknown hidden activation code {hidden}")


def hidden_derivative(a: Array, hidden: int) -> Array:
    """Derivative of the hidden activation, expressed through its output ``a``."""
    if hidden == SIGMOID:
        return a * (1 - a)
    if hidden == TANH:
        return 1 - a * a
    if hidden == RELU:
        return (a > 0).astype(a.dtype)
    raise ValueError(f"unknown hidden activation code {hidden}")


def output_activation(z: Array, output: int) -> Array:
    """Output activation: sigmoid for cross-entropy/quadratic, softmax for log-likelihood."""
    if output == LOG_LIKELIHOOD:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))
    return sigmoid(z)


def sample_costs(z: Array, a: Array, y: IntArray, output: int) -> Array:
    """Per-sample cost from output pre-activations ``z`` and activations ``a``.

    Cross-entropy uses the stable form ``softplus(z) − t·z`` summed over outputs; the
    log-likelihood uses ``logsumexp(z) − z_y``.
    """
    t = one_hot(y, z.shape[1], z.dtype)
    if output == CROSS_ENTROPY:
        softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))
        return np.asarray((softplus - t * z).sum(axis=1))
    if output == QUADRATIC:
        return np.asarray(0.5 * ((a - t) ** 2).sum(axis=1))
    if output == LOG_LIKELIHOOD:
        m = z.max(axis=1)
        lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
        return np.asarray(lse - z[np.arange(len(y)), y])
    raise ValueError(f"unknown output/cost code {output}")


def one_hot(y: IntArray, n_classes: int, dtype: npt.DTypeLike) -> Array:
    """``(len(y), n_classes)`` matrix with a 1 in each row's label column."""
    t = np.zeros((len(y), n_classes), dtype=dtype)
    t[np.arange(len(y)), y] = 1
    return t


def feedforward(
    params: Array, sizes: IntArray, X: Array, hidden: int, output: int
) -> tuple[list[Array], list[Array]]:
    """Forward pass over a batch: ``(zs, activations)``, activations[0] is ``X``."""
    layers = views(params, sizes)
    activations = [X]
    zs: list[Array] = []
    for i, (W, b) in enumerate(layers):
        z = activations[-1] @ W.T + b
        zs.append(z)
        last = i == len(layers) - 1
        activations.append(output_activation(z, output) if last else hidden_activation(z, hidden))
    return zs, activations


def backprop(
    params: Array, sizes: IntArray, X: Array, y: IntArray, hidden: int, output: int
) -> tuple[Array, float]:
    """Mean gradient of the per-sample cost over the batch (flat layout) and the mean cost."""
    layers = views(params, sizes)
    zs, activations = feedforward(params, sizes, X, hidden, output)
    m = X.shape[0]
    t = one_hot(y, int(sizes[-1]), X.dtype)
    a_out = activations[-1]
    delta = a_out - t
    if output == QUADRATIC:
        delta = delta * a_out * (1 - a_out)
    grad = np.zeros_like(params)
    grad_layers = views(grad, sizes)
    for i in range(len(layers) - 1, -1, -1):
        gW, gb = grad_layers[i]
        gW[...] = delta.T @ activations[i] / m
        gb[...] = delta.sum(axis=0) / m
        if i > 0:
            delta = (delta @ layers[i][0]) * hidden_derivative(activations[i], hidden)
    cost = float(sample_costs(zs[-1], a_out, y, output).mean())
    return grad, cost


def update(
    params: Array,
    velocity: Array,
    grad: Array,
    mask: Array,
    eta: float,
    lmbda_n: float,
    mu: float,
) -> None:
    """In place: ``v ← μ·v − η·(g + lmbda_n·mask·w)``, ``w ← w + v``."""
    velocity *= mu
    velocity -= eta * (grad + lmbda_n * mask * params)
    params += velocity


def workspace_size(sizes: IntArray, mini_batch: int) -> int:
    """Scratch elements this backend needs; the reference allocates as it goes, so 1."""
    return 1


def train_steps(
    net: Net,
    sizes: IntArray,
    data: Data,
    steps: Steps,
    rule: Rule,
    codes: Codes,
    path: str | None = None,
    *,
    labels_checked: bool = False,
) -> float:
    """Run ``steps`` (SGD updates of a mini-batch each) by ``rule``; return their mean cost.

    The groups are those of :mod:`kernels.call`; ``net.work`` is not used (the reference
    allocates as it goes). The cost of each sample is taken in the forward pass before its
    mini-batch's update. ``path``: this backend's only kernel path is ``"numpy"`` (``None``
    means the same). ``labels_checked`` is accepted for the common session call and has no
    effect (numpy indexing checks its bounds itself).
    """
    if path not in (None, "numpy"):
        raise ValueError(f"unknown kernel path {path!r} for the numpy backend; use 'numpy'")
    params, velocity, _ = net
    X, y, order = data
    start, n_steps, mini_batch = steps
    hidden, output = codes
    mask = weight_mask(sizes, params.dtype)
    total = 0.0
    for k in range(n_steps):
        idx = order[start + k * mini_batch : start + (k + 1) * mini_batch]
        grad, cost = backprop(params, sizes, X[idx], y[idx], hidden, output)
        total += cost * mini_batch
        update(params, velocity, grad, mask, *rule)
    return total / max(n_steps * mini_batch, 1)


def evaluate(
    params: Array,
    work: Array,
    sizes: IntArray,
    X: Array,
    y: IntArray,
    chunk: int,
    hidden: int,
    output: int,
) -> tuple[int, float]:
    """``(number classified correctly, summed per-sample cost)`` over ``X``, ``y``.

    ``work`` holds at least ``workspace_size(sizes, chunk)`` elements; backends process
    ``chunk`` rows at a time (the reference does all rows at once).
    """
    zs, activations = feedforward(params, sizes, X, hidden, output)
    correct = int((activations[-1].argmax(axis=1) == y).sum())
    cost = float(sample_costs(zs[-1], activations[-1], y, output).sum())
    return correct, cost
