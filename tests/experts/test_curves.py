"""Every growth curve of the registry: its interface, and its class density
against SciPy's multivariate normal on the observed waves."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from skmix.experts import GrowthCurve
from skmix.experts._curves import CURVES, resolve_curve
from skmix.experts._likelihood import ExpertParams, TrajectoryData, class_terms

TIMES = np.linspace(0.0, 8.0, 7)


@pytest.fixture(params=sorted(CURVES))
def curve(request):
    return resolve_curve(request.param)


def _phi(curve):
    """A nonlinear parameter strictly inside the curve's bounds."""
    phi = np.asarray(curve.initial_nonlinear(TIMES), dtype=float)
    for j, (low, high) in enumerate(curve.nonlinear_bounds(TIMES)):
        assert low < phi[j] < high
        phi[j] = 0.7 * phi[j] + 0.3 * (low + high) / 2
    return phi


def test_interface(curve):
    assert isinstance(curve, GrowthCurve)
    assert curve.n_factors == len(curve.factor_names) >= 1
    assert len(curve.nonlinear_bounds(TIMES)) == curve.n_nonlinear
    phi = _phi(curve)
    loadings = curve.loadings(TIMES, phi)
    assert loadings.shape == (TIMES.size, curve.n_factors)
    assert np.isfinite(loadings).all()
    # Subjects x waves at once, as the likelihood calls it.
    stacked = curve.loadings(np.tile(TIMES, (3, 1)), phi)
    np.testing.assert_allclose(stacked, np.broadcast_to(loadings, stacked.shape))
    transform = curve.original_scale(phi)
    if transform is not None:
        assert transform.shape == (curve.n_factors, curve.n_factors)
        assert abs(np.linalg.det(transform)) > 1e-12


def test_class_density_matches_scipy(curve):
    rng = np.random.default_rng(0)
    n, q = 25, curve.n_factors
    T = TIMES + rng.uniform(-0.2, 0.2, (n, TIMES.size))
    mask = rng.uniform(size=T.shape) > 0.25
    mask[:, 0] = True
    Y = np.where(mask, rng.normal(size=T.shape) + T, 0.0)
    X = rng.normal(size=(n, 1))
    Z = np.ones((n, 1))
    data = TrajectoryData(Y, mask, np.where(mask, T, 0.0), X, Z)
    A = rng.normal(size=(q, q))
    params = ExpertParams(
        alpha=rng.normal(size=(1, q)),
        B=0.3 * rng.normal(size=(1, q, 1)),
        psi=(A @ A.T / q + 0.2 * np.eye(q))[None],
        theta=np.array([0.8]),
        phi=_phi(curve)[None],
        beta=np.zeros((1, 1)),
    )
    terms = class_terms(curve, data, params, 0)
    for i in range(n):
        observed = mask[i]
        loadings = curve.loadings(T[i], params.phi[0])[observed]
        mean = loadings @ (params.alpha[0] + params.B[0] @ X[i])
        cov = loadings @ params.psi[0] @ loadings.T + 0.8 * np.eye(observed.sum())
        expected = multivariate_normal(mean, cov).logpdf(Y[i, observed])
        assert terms.log_density[i] == pytest.approx(expected, rel=1e-10)
