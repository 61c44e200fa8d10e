"""The numpy reference against finite differences and Nielsen's update rule."""

from __future__ import annotations

import numpy as np
import pytest

from kernels import layout, reference
from kernels.layout import COST_CODES, HIDDEN_CODES


def _net(sizes: list[int], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = layout.init_params(sizes, "default", rng)
    X = rng.random((6, sizes[0]))
    y = rng.integers(0, sizes[-1], 6).astype(np.int64)
    return layout.sizes_array(sizes), params, X, y


@pytest.mark.parametrize("cost", list(COST_CODES))
@pytest.mark.parametrize("activation", list(HIDDEN_CODES))
def test_gradient_matches_finite_differences(cost: str, activation: str) -> None:
    sizes, params, X, y = _net([7, 5, 4, 3])
    hidden, output = HIDDEN_CODES[activation], COST_CODES[cost]
    grad, _ = reference.backprop(params, sizes, X, y, hidden, output)
    eps = 1e-6
    numeric = np.empty_like(params)
    for i in range(params.size):
        p = params.copy()
        p[i] += eps
        plus = reference.backprop(p, sizes, X, y, hidden, output)[1]
        p[i] -= 2 * eps
        minus = reference.backprop(p, sizes, X, y, hidden, output)[1]
        numeric[i] = (plus - minus) / (2 * eps)
    rel = np.linalg.norm(numeric - grad) / (np.linalg.norm(numeric) + np.linalg.norm(grad))
    assert rel < 1e-6, f"relative gradient error {rel:.2e} for {activation}/{cost}"


def test_cost_values_match_textbook_formulas() -> None:
    sizes, params, X, y = _net([5, 4, 3])
    zs, acts = reference.feedforward(params, sizes, X, 0, 0)
    a = acts[-1]
    t = reference.one_hot(y, 3, np.float64)
    ce = -(t * np.log(a) + (1 - t) * np.log(1 - a)).sum(axis=1)
    np.testing.assert_allclose(reference.sample_costs(zs[-1], a, y, 0), ce, rtol=1e-12)
    quad = 0.5 * ((a - t) ** 2).sum(axis=1)
    np.testing.assert_allclose(reference.sample_costs(zs[-1], a, y, 1), quad, rtol=1e-12)
    zs, acts = reference.feedforward(params, sizes, X, 0, 2)
    np.testing.assert_allclose(acts[-1].sum(axis=1), 1.0)
    ll = -np.log(acts[-1][np.arange(len(y)), y])
    np.testing.assert_allclose(reference.sample_costs(zs[-1], acts[-1], y, 2), ll, rtol=1e-12)


def test_cross_entropy_cost_is_finite_when_saturated() -> None:
    z = np.array([[800.0, -800.0]])
    a = reference.sigmoid(z)
    cost = reference.sample_costs(z, a, np.array([1]), 0)
    assert np.isfinite(cost).all() and cost[0] == pytest.approx(1600.0)


def test_update_without_momentum_is_nielsens_rule() -> None:
    sizes, params, X, y = _net([5, 4, 3])
    grad, _ = reference.backprop(params, sizes, X, y, 0, 0)
    eta, lmbda, n = 0.3, 5.0, 1000
    mask = layout.weight_mask(sizes, np.float64)
    new = params.copy()
    reference.update(new, np.zeros_like(params), grad, mask, eta, lmbda / n, 0.0)
    for (W, b), (W0, b0), (gW, gb) in zip(
        layout.views(new, sizes),
        layout.views(params, sizes),
        layout.views(grad, sizes),
        strict=True,
    ):
        np.testing.assert_allclose(W, (1 - eta * lmbda / n) * W0 - eta * gW, rtol=1e-13)
        np.testing.assert_allclose(b, b0 - eta * gb, rtol=1e-13)


def test_momentum_accumulates_velocity() -> None:
    sizes, params, X, y = _net([5, 3])
    grad, _ = reference.backprop(params, sizes, X, y, 0, 0)
    mask = layout.weight_mask(sizes, np.float64)
    v = np.ones_like(params)
    p = params.copy()
    reference.update(p, v, grad, mask, 0.1, 0.0, 0.9)
    np.testing.assert_allclose(v, 0.9 - 0.1 * grad)
    np.testing.assert_allclose(p, params + v)


def test_layout_offsets_and_flop_counts() -> None:
    assert layout.n_params([784, 30, 10]) == 23_860
    assert layout.flops_per_sample([784, 30, 10]) == 95_880
    assert layout.flops_per_update([784, 30, 10]) == 71_540
    flat = np.arange(layout.n_params([3, 2, 1]), dtype=np.float64)
    (W1, b1), (W2, b2) = layout.views(flat, [3, 2, 1])
    assert W1.shape == (2, 3) and b1.tolist() == [6.0, 7.0]
    assert W2.shape == (1, 2) and b2.tolist() == [10.0]
    assert np.shares_memory(W1, flat)


def test_large_init_has_unit_variance_and_default_scales_by_fan_in() -> None:
    rng = np.random.default_rng(1)
    big = layout.init_params([400, 300, 10], "large", rng)
    small = layout.init_params([400, 300, 10], "default", rng)
    (Wb, _), _ = layout.views(big, [400, 300, 10])
    (Ws, _), _ = layout.views(small, [400, 300, 10])
    assert Wb.std() == pytest.approx(1.0, rel=0.02)
    assert Ws.std() == pytest.approx(1 / np.sqrt(400), rel=0.02)
    with pytest.raises(ValueError, match="init"):
        layout.init_params([3, 2], "xavier", rng)
