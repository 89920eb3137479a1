"""The compiled per-subject passes (skmix.experts._kernels) against the dense
Woodbury reference (dense_class_terms) they replace in the EM."""

import numba
import numpy as np
import pytest

from skmix.experts import (
    BilinearSpline,
    Exponential,
    Intercept,
    JennsBayley,
    Linear,
    Quadratic,
)
from skmix.experts._curves import GrowthCurve
from skmix.experts._likelihood import (
    ExpertParams,
    TrajectoryData,
    _dense_expected_residual_squares,
    _dense_posterior,
    _expected_residual_ss_by_wave,
    class_terms,
    dense_class_terms,
)


class ShiftedLinear(Linear):
    """A subclass: its loadings come from Python, not the inline kernels."""

    def loadings(self, t, phi):
        return super().loadings(np.asarray(t) - 1.0, phi)


class Cubic(GrowthCurve):
    """Four factors: more than the compiled passes take."""

    factor_names = ("c0", "c1", "c2", "c3")

    def loadings(self, t, phi):
        t = np.asarray(t, dtype=float)
        return np.stack([np.ones_like(t), t, t * t / 10, t**3 / 100], axis=-1)


CURVES = [Intercept(), Linear(), Quadratic(), Exponential(), JennsBayley(),
          BilinearSpline(), ShiftedLinear(), Cubic()]  # fmt: skip


def _problem(curve, random_effects, per_wave=False, n=60, n_waves=7, seed=0):
    rng = np.random.default_rng(seed)
    q, p, K = curve.n_factors, 2, 2
    T = np.arange(n_waves) + rng.uniform(-0.3, 0.3, (n, n_waves))
    mask = rng.uniform(size=(n, n_waves)) > 0.25
    mask[:, 0] = True
    mask[0, 1:] = False  # one subject seen once
    Y = np.where(mask, rng.normal(size=(n, n_waves)) + 2 * T, 0.0)
    data = TrajectoryData(Y, mask, np.where(mask, T, 0.0), rng.normal(size=(n, p)),
                          np.ones((n, 1)))  # fmt: skip
    A = rng.normal(size=(K, q, q))
    psi = A @ A.transpose(0, 2, 1) / q + 0.2 * np.eye(q)
    if random_effects == "diag":
        psi = np.einsum("kqq->kq", psi)[:, :, None] * np.eye(q)
    elif random_effects == "singular":
        psi[:, :, 0] = psi[:, 0, :] = 0.0
    elif random_effects == "none":
        psi[:] = 0.0
    phi = {
        Exponential: [[0.5], [0.9]],
        JennsBayley: [[-0.5], [-0.9]],
        BilinearSpline: [[2.3], [3.1]],
    }.get(type(curve), np.empty((K, 0)))
    theta = rng.uniform(0.5, 1.5, (K, n_waves)) if per_wave else np.array([0.7, 1.3])
    params = ExpertParams(
        alpha=rng.normal(size=(K, q)), B=0.3 * rng.normal(size=(K, q, p)),
        psi=psi, theta=theta, phi=np.asarray(phi, dtype=float),
        beta=np.zeros((K, 1)),
    )  # fmt: skip
    return data, params


@pytest.mark.parametrize("per_wave", [False, True])
@pytest.mark.parametrize("random_effects", ["full", "diag", "singular", "none"])
@pytest.mark.parametrize("curve", CURVES, ids=lambda c: type(c).__name__)
def test_class_terms_match_the_dense_woodbury(curve, random_effects, per_wave):
    data, params = _problem(curve, random_effects, per_wave)
    for k in range(2):
        terms = class_terms(curve, data, params, k)
        dense = dense_class_terms(curve, data, params, k)
        mean, cov = _dense_posterior(dense, params.psi[k])
        np.testing.assert_allclose(terms.log_density, dense.log_density, rtol=1e-12)
        np.testing.assert_allclose(terms.posterior_mean, mean, rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(terms.posterior_cov, cov, rtol=1e-10, atol=1e-11)
        weights = np.linspace(0.1, 1.0, len(data.Y))
        phis = [params.phi[k], params.phi[k] + 0.1, params.phi[k] - 0.1]
        sums = _expected_residual_ss_by_wave(curve, data, phis, mean, cov, weights)
        for phi, by_wave in zip(phis, sums, strict=True):
            squares = _dense_expected_residual_squares(curve, data, phi, mean, cov)
            np.testing.assert_allclose(by_wave, weights @ squares, rtol=1e-11)
            # One pass for several phi gives each the same numbers as alone.
            alone = _expected_residual_ss_by_wave(
                curve, data, [phi], mean, cov, weights
            )
            np.testing.assert_array_equal(alone[0], by_wave)


def test_indefinite_covariance_takes_the_dense_path():
    """A Psi outside the parameter space (finite differences step there)
    keeps the dense reference's value while Sigma is positive definite."""
    curve = Linear()
    data, params = _problem(curve, "full")
    params.psi[0] = [[1.0, 0.0], [0.0, -1e-3]]
    terms = class_terms(curve, data, params, 0)
    dense = dense_class_terms(curve, data, params, 0)
    np.testing.assert_array_equal(terms.log_density, dense.log_density)


def test_passes_do_not_depend_on_the_thread_count():
    curve = BilinearSpline()
    data, params = _problem(curve, "full", n=5000)
    weights = np.linspace(0.0, 1.0, len(data.Y))
    results = []
    threads = numba.get_num_threads()
    try:
        for n_threads in sorted({1, threads}):
            numba.set_num_threads(n_threads)
            terms = class_terms(curve, data, params, 1)
            sums = _expected_residual_ss_by_wave(
                curve, data, [params.phi[1]], terms.posterior_mean,
                terms.posterior_cov, weights,
            )  # fmt: skip
            results.append((terms.log_density, terms.posterior_cov, sums))
    finally:
        numba.set_num_threads(threads)
    for first, other in zip(results[0], results[-1], strict=True):
        np.testing.assert_array_equal(first, other)
