"""The likelihood maths against independent references: scipy's
multivariate normal density and finite differences of the likelihood."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from skmix.experts import BilinearSpline, Exponential, JennsBayley, Linear
from skmix.experts._inference import ParameterLayout
from skmix.experts._likelihood import (
    ExpertParams,
    TrajectoryData,
    class_terms,
    e_step,
)


def _problem(curve, random_effects, n=40, n_waves=6, seed=0):
    rng = np.random.default_rng(seed)
    q, p, K = curve.n_factors, 2, 2
    T = np.arange(n_waves) + rng.uniform(-0.2, 0.2, (n, n_waves))
    mask = rng.uniform(size=(n, n_waves)) > 0.2
    mask[:, 0] = True
    Y = np.where(mask, rng.normal(size=(n, n_waves)) + T, 0.0)
    X = rng.normal(size=(n, p))
    Z = np.column_stack([np.ones(n), rng.normal(size=(n, 1))])
    data = TrajectoryData(Y, mask, np.where(mask, T, 0.0), X, Z)
    A = rng.normal(size=(K, q, q))
    psi = A @ A.transpose(0, 2, 1) / q + 0.2 * np.eye(q)
    if random_effects == "diag":
        psi = np.einsum("kqq->kq", psi)[:, :, None] * np.eye(q)
    elif random_effects == "tied":
        psi[1] = psi[0]
    elif random_effects == "none":
        psi[:] = 0.0
    phi = np.array([[2.3], [3.1]]) if curve.n_nonlinear else np.empty((K, 0))
    if isinstance(curve, Exponential):
        phi = np.array([[0.5], [0.9]])
    if isinstance(curve, JennsBayley):
        phi = np.array([[-0.5], [-0.9]])
    params = ExpertParams(
        alpha=rng.normal(size=(K, q)),
        B=0.3 * rng.normal(size=(K, q, p)),
        psi=psi,
        theta=np.array([0.7, 1.3]),
        phi=phi,
        beta=np.array([[0.0, 0.0], [0.3, -0.5]]),
    )
    return data, params


@pytest.mark.parametrize("curve", [Linear(), BilinearSpline(), JennsBayley()])
def test_class_density_matches_scipy_on_observed_waves(curve):
    data, params = _problem(curve, "full")
    terms = class_terms(curve, data, params, 1)
    for i in range(len(data.Y)):
        observed = data.mask[i]
        loadings = curve.loadings(data.T[i], params.phi[1])[observed]
        mean = loadings @ (params.alpha[1] + params.B[1] @ data.X_expert[i])
        cov = loadings @ params.psi[1] @ loadings.T + params.theta[1] * np.eye(
            observed.sum()
        )
        expected = multivariate_normal(mean, cov).logpdf(data.Y[i, observed])
        assert terms.log_density[i] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("random_effects", ["full", "diag", "tied", "none"])
@pytest.mark.parametrize("curve", [BilinearSpline(), Exponential()])
def test_scores_match_finite_differences(curve, random_effects):
    data, params = _problem(curve, random_effects)
    layout = ParameterLayout(curve, 2, 2, 2, random_effects, ["a", "b"], ["g"])
    vector = layout.pack(params)
    analytic = layout.score_matrix(data, params)

    def per_subject(v):
        return e_step(curve, data, layout.unpack(v))[2]

    numeric = np.empty_like(analytic)
    for j in range(len(vector)):
        h = 1e-6 * max(1.0, abs(vector[j]))
        plus, minus = vector.copy(), vector.copy()
        plus[j] += h
        minus[j] -= h
        numeric[:, j] = (per_subject(plus) - per_subject(minus)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_layout_round_trip_and_names():
    curve = BilinearSpline()
    data, params = _problem(curve, "full")
    layout = ParameterLayout(curve, 2, 2, 2, "full", ["ex1", "ex2"], ["gc1"])
    # 3 means + 6 expert + 6 covariance + residual + knot per class; 2 gating.
    assert len(layout) == 2 * 17 + 2
    restored = layout.unpack(layout.pack(params))
    for a, b in zip(params, restored, strict=True):
        np.testing.assert_array_equal(a, b)
    assert layout.names[3] == (1, "expert", "level_at_knot~ex1")
    assert layout.names[-1] == (2, "gating", "gc1")
