"""The peers timed against mlpbench on the same network, data and hyper-parameters.

Each peer is built once for a data set and a mini-batch size and then ``fit(samples)``
trains on the first ``samples`` rows in mini-batches of that size (SGD, η, λ/n, no
momentum, sigmoid hidden layer, Gaussian N(0, 1/n_in) initialisation):

* ``mlpbench-<backend>``: one fused ``steps`` call of an mlpbench backend's session;
* ``nielsen-loop``: Nielsen's ``network2.py`` algorithm rewritten for Python 3 and numpy:
  a Python loop over the samples of each mini-batch, backprop on ``(n, 1)`` column vectors,
  sigmoid outputs with the cross-entropy cost;
* ``pytorch-eager``: ``torch.nn`` Linear/Sigmoid layers, ``binary_cross_entropy_with_logits``
  summed over outputs and averaged over the batch, ``torch.optim.SGD`` with weight decay λ/n
  on the weights only;
* ``jax-jit-scan``: one ``jax.jit``-compiled epoch, ``lax.scan`` over the mini-batches,
  gathered before the timed call (``-inside``: the compiled epoch shuffles and gathers);
* ``sklearn``: ``MLPClassifier(activation="logistic", solver="sgd")`` and one
  ``partial_fit`` pass; its output layer is softmax with the log-loss (it has no other),
  and ``alpha = λ·m/n`` gives the same L2 step as λ/n per mini-batch mean.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from kernels import open_session
from kernels.layout import CROSS_ENTROPY, SIGMOID, init_params
from suites.harness import ETA, LMBDA

FloatArray = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.int64]


class Peer(Protocol):
    """Something that trains the network on the first ``samples`` rows of its data."""

    def fit(self, samples: int) -> None:
        """Train on ``samples`` rows (whole mini-batches)."""


class MlpbenchPeer:
    """An mlpbench backend (a session's fused ``steps``) seen as a peer."""

    def __init__(self, backend: str, X: FloatArray, y: IntArray, sizes: tuple[int, ...], mb: int,
                 path: str | None = None):  # fmt: skip
        # path: kernel path (kernels.paths); None: the documented default
        self.session = open_session(
            backend, sizes=tuple(sizes), dtype=X.dtype, mini_batch=mb, hidden=SIGMOID,
            output=CROSS_ENTROPY, path=path,
        )  # fmt: skip
        self.mb = mb
        params = init_params(sizes, "default", np.random.default_rng(0), X.dtype)
        self.session.load(params, np.zeros_like(params))
        self.session.upload(X, y, X[:0], y[:0])
        self.session.set_order(np.arange(len(y), dtype=np.int64))
        self.lmbda_n = LMBDA / len(y)
        self.sync = self.session.info.synchronize

    def fit(self, samples: int) -> None:
        """One fused call over ``samples // mb`` mini-batches (synchronized if asynchronous)."""
        self.session.steps(0, samples // self.mb, ETA, self.lmbda_n, 0.0)
        if self.sync:
            self.session.synchronize()


def sigmoid(z: FloatArray) -> FloatArray:
    """The logistic function (network2.py's)."""
    out: FloatArray = 1.0 / (1.0 + np.exp(-z))
    return out


class NielsenLoop:
    """network2.py's SGD: per-sample backprop on column vectors, summed per mini-batch."""

    def __init__(self, X: FloatArray, y: IntArray, sizes: tuple[int, ...], mb: int):
        rng = np.random.default_rng(0)
        dt = X.dtype
        self.sizes, self.mb, self.n = sizes, mb, len(y)
        self.biases = [rng.standard_normal((n, 1)).astype(dt) for n in sizes[1:]]
        self.weights = [
            (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(dt)
            for n_in, n_out in itertools.pairwise(sizes)
        ]
        self.xs = X[:, :, None]  # (N, n0, 1) column views, no copy
        targets = np.zeros((len(y), sizes[-1], 1), dtype=dt)
        targets[np.arange(len(y)), y, 0] = 1
        self.ys = targets

    def fit(self, samples: int) -> None:
        """``samples // mb`` calls of :meth:`update_mini_batch`, in row order."""
        for k in range(samples // self.mb):
            self.update_mini_batch(k * self.mb, (k + 1) * self.mb)

    def update_mini_batch(self, lo: int, hi: int) -> None:
        """One step: ``w ← (1 − ηλ/n)·w − (η/m)·Σ∇w``, ``b ← b − (η/m)·Σ∇b`` over rows lo:hi."""
        nabla_b = [np.zeros_like(b) for b in self.biases]
        nabla_w = [np.zeros_like(w) for w in self.weights]
        for i in range(lo, hi):
            delta_nabla_b, delta_nabla_w = self.backprop(self.xs[i], self.ys[i])
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b, strict=True)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w, strict=True)]
        m = hi - lo
        decay = 1 - ETA * (LMBDA / self.n)
        self.weights = [
            decay * w - (ETA / m) * nw for w, nw in zip(self.weights, nabla_w, strict=True)
        ]
        self.biases = [b - (ETA / m) * nb for b, nb in zip(self.biases, nabla_b, strict=True)]

    def backprop(self, x: FloatArray, y: FloatArray) -> tuple[list[FloatArray], list[FloatArray]]:
        """Gradient of the cross-entropy cost for one sample, layer by layer."""
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights, strict=True):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = activations[-1] - y  # CrossEntropyCost.delta
        nabla_b = [delta]
        nabla_w = [delta @ activations[-2].T]
        for layer in range(2, len(self.sizes)):
            sp = activations[-layer] * (1 - activations[-layer])
            delta = (self.weights[-layer + 1].T @ delta) * sp
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ activations[-layer - 1].T)
        return nabla_b, nabla_w


class TorchPeer:
    """PyTorch CPU eager mode, the same network and update (weight decay on weights only)."""

    def __init__(self, X: FloatArray, y: IntArray, sizes: tuple[int, ...], mb: int, threads: int):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        self.torch = torch
        self.X = torch.from_numpy(X)
        self.T = torch.nn.functional.one_hot(torch.from_numpy(y), sizes[-1]).to(dtype)
        layers: list[Any] = []
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            linear = torch.nn.Linear(n_in, n_out, dtype=dtype)
            with torch.no_grad():
                linear.weight.normal_(0.0, 1.0 / n_in**0.5)
                linear.bias.normal_(0.0, 1.0)
            layers.append(linear)
            if i < len(sizes) - 2:
                layers.append(torch.nn.Sigmoid())
        self.model = torch.nn.Sequential(*layers)
        weights = [p for name, p in self.model.named_parameters() if name.endswith("weight")]
        biases = [p for name, p in self.model.named_parameters() if name.endswith("bias")]
        self.opt = torch.optim.SGD(
            [{"params": weights, "weight_decay": LMBDA / len(y)}, {"params": biases}],
            lr=ETA, momentum=0.0, weight_decay=0.0,
        )  # fmt: skip
        self.mb = mb

    def fit(self, samples: int) -> None:
        """``samples // mb`` optimizer steps on consecutive row slices."""
        bce = self.torch.nn.functional.binary_cross_entropy_with_logits
        for k in range(samples // self.mb):
            xb = self.X[k * self.mb : (k + 1) * self.mb]
            tb = self.T[k * self.mb : (k + 1) * self.mb]
            self.opt.zero_grad(set_to_none=True)
            loss = bce(self.model(xb), tb, reduction="sum") / self.mb
            loss.backward()
            self.opt.step()


class SklearnPeer:
    """scikit-learn's ``MLPClassifier`` trained by ``partial_fit`` (one pass per call)."""

    def __init__(self, X: FloatArray, y: IntArray, sizes: tuple[int, ...], mb: int):
        from sklearn.neural_network import MLPClassifier

        self.X, self.y, self.mb = X, y, mb
        self.classes = np.arange(sizes[-1])
        self.model = MLPClassifier(
            hidden_layer_sizes=sizes[1:-1], activation="logistic", solver="sgd",
            learning_rate="constant", learning_rate_init=ETA, alpha=LMBDA * mb / len(y),
            batch_size=mb, momentum=0.0, nesterovs_momentum=False, shuffle=False,
            random_state=0,
        )  # fmt: skip

    def fit(self, samples: int) -> None:
        """One ``partial_fit`` pass over the first ``samples`` rows in mini-batches of mb."""
        n = (samples // self.mb) * self.mb
        self.model.partial_fit(self.X[:n], self.y[:n], classes=self.classes)


class JaxPeer:
    """JAX: one ``jax.jit``-compiled epoch, ``lax.scan`` over its mini-batches.

    The same network, cost (sigmoid outputs, cross-entropy summed over outputs, mean over the
    batch) and update (``w ← w − η(∇w + λ/n·w)``, biases without decay) as the others.
    ``shuffle="outside"``: the mini-batches are gathered before the timed call (JAX's
    strongest case); ``"inside"``: the timed call draws a permutation and gathers the rows
    itself, as mlpbench's kernels do. :meth:`prepare` compiles for a given epoch length
    (``lax.scan`` lengths are static), outside any timing.
    """

    def __init__(self, X: FloatArray, y: IntArray, sizes: tuple[int, ...], mb: int,
                 shuffle: str = "outside"):  # fmt: skip
        import jax

        if X.dtype == np.float64:
            jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        self.jax, self.jnp, self.mb, self.shuffle = jax, jnp, mb, shuffle
        rng = np.random.default_rng(0)
        self.params = [
            (jnp.asarray((rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(X.dtype)),
             jnp.asarray(rng.standard_normal(n_out).astype(X.dtype)))
            for n_in, n_out in itertools.pairwise(sizes)
        ]  # fmt: skip
        self.X = jnp.asarray(X)
        self.T = jnp.asarray(np.eye(sizes[-1], dtype=X.dtype)[y])
        self.decay = LMBDA / len(y)
        self.key = jax.random.PRNGKey(0)
        self.prepared: dict[int, Any] = {}
        self._epoch = jax.jit(self._scan_epoch, static_argnums=(3,))

    def _loss(self, params: Any, xb: Any, tb: Any) -> Any:
        jnp = self.jnp
        a = xb
        for W, b in params[:-1]:
            a = self.jax.nn.sigmoid(a @ W.T + b)
        W, b = params[-1]
        z = a @ W.T + b
        bce = jnp.maximum(z, 0) - z * tb + jnp.log1p(jnp.exp(-jnp.abs(z)))
        return bce.sum() / xb.shape[0]

    def _scan_epoch(self, params: Any, Xb: Any, Tb: Any, steps: int, perm: Any = None) -> Any:
        jax = self.jax
        if perm is not None:  # shuffle inside: gather the rows in the compiled epoch
            idx = perm[: steps * self.mb]
            Xb = Xb[idx].reshape(steps, self.mb, -1)
            Tb = Tb[idx].reshape(steps, self.mb, -1)

        def step(p: Any, batch: Any) -> Any:
            g = jax.grad(self._loss)(p, *batch)
            new = [(W - ETA * (gW + self.decay * W), b - ETA * gb)
                   for (W, b), (gW, gb) in zip(p, g, strict=True)]  # fmt: skip
            return new, None

        params, _ = jax.lax.scan(step, params, (Xb, Tb))
        return params

    def prepare(self, samples: int) -> None:
        """Gather (outside) and compile the epoch of ``samples`` rows; runs it once."""
        steps = samples // self.mb
        if self.shuffle == "outside":
            perm = np.random.default_rng(1).permutation(self.X.shape[0])[: steps * self.mb]
            Xb = self.X[perm].reshape(steps, self.mb, -1)
            Tb = self.T[perm].reshape(steps, self.mb, -1)
            self.prepared[samples] = (Xb, Tb)
        self.fit(samples)

    def fit(self, samples: int) -> None:
        """One compiled epoch of ``samples // mb`` steps (call :meth:`prepare` first)."""
        steps = samples // self.mb
        if self.shuffle == "outside":
            if samples not in self.prepared:  # untimed callers (warm-ups) may skip prepare
                self.prepare(samples)
                return
            Xb, Tb = self.prepared[samples]
            out = self._epoch(self.params, Xb, Tb, steps)
        else:
            self.key, sub = self.jax.random.split(self.key)
            perm = self.jax.random.permutation(sub, self.X.shape[0])
            out = self._epoch(self.params, self.X, self.T, steps, perm)
        self.params = self.jax.block_until_ready(out)
