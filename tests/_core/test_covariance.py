"""Covariance models, tested from their registry.

Each registered structure is checked against independent references: NumPy
inverses, SciPy densities, sample moments, and mclust's parameter counts.
"""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from skmix._backend import resolve_backend
from skmix._core import (
    COVARIANCE_TYPES,
    ZeroCovariance,
    _covariance,
    covariance_model_names,
    get_covariance_model,
    m_step,
    register_covariance_model,
)
from skmix._core._covariance import DiagCovariance
from skmix._math import responsibility_statistics
from skmix.mixture import GaussianMixture

K, D = 3, 4

# mclust's nMclustParams for G=3, d=4 (covariance part = total - means - weights):
# VVV 44, EEE 24, VVI 26, VII 17; means 12, weights 2.
MCLUST_COVARIANCE_PARAMETERS = {"full": 30, "tied": 10, "diag": 12, "spherical": 3}


def _random_covariances(model, rng):
    A = rng.standard_normal((K, D, D)) * 0.5
    full = A @ A.transpose(0, 2, 1) + np.eye(D)
    if model.kernel_form == "diag":
        full = np.einsum("kqq->kq", full)[:, :, None] * np.eye(D)
    # Fitting the structure to exact per-component moments gives a valid
    # covariance of the structure's own shape.
    scatter = full if model.full_moments else np.einsum("kqq->kq", full)
    return model.estimate(scatter, np.ones(K), 0.0)


@pytest.fixture(params=COVARIANCE_TYPES)
def model(request):
    return get_covariance_model(request.param)


def test_registry_holds_the_four_scikit_learn_structures():
    assert set(COVARIANCE_TYPES) == {"full", "tied", "diag", "spherical"}
    for name in COVARIANCE_TYPES:
        assert get_covariance_model(name).name == name
        assert get_covariance_model(get_covariance_model(name)).name == name
    with pytest.raises(ValueError, match="Unknown covariance_type 'VVV2'"):
        get_covariance_model("VVV2")


def test_parameter_counts_match_mclust(model):
    assert model.n_parameters(K, D) == MCLUST_COVARIANCE_PARAMETERS[model.name]


def test_factorisations_invert_each_other(model):
    covariances = _random_covariances(model, np.random.default_rng(0))
    assert covariances.shape == model.shape(K, D)
    chol = model.precision_cholesky(covariances)
    full = model.to_full(covariances, K, D)
    precisions = model.precisions_from_cholesky(chol)
    np.testing.assert_allclose(
        model.to_full(precisions, K, D), np.linalg.inv(full), rtol=1e-10
    )
    np.testing.assert_allclose(
        model.covariances_from_precision_cholesky(chol), covariances, rtol=1e-10
    )
    np.testing.assert_allclose(
        model.precision_cholesky_from_precisions(precisions), chol, rtol=1e-10
    )


def test_kernel_form_scores_like_scipy(model, cpu_backend):
    rng = np.random.default_rng(1)
    covariances = _random_covariances(model, rng)
    means = rng.standard_normal((K, D))
    X = rng.standard_normal((50, D))
    factors = model.kernel_precisions(model.precision_cholesky(covariances), K, D)
    assert factors.ndim == (3 if model.kernel_form == "full" else 2)
    backend = resolve_backend(cpu_backend)
    actual = backend.kernels.log_gaussian_prob(X, means, np.ascontiguousarray(factors))
    full = model.to_full(covariances, K, D)
    expected = np.column_stack(
        [multivariate_normal(means[k], full[k]).logpdf(X) for k in range(K)]
    )
    np.testing.assert_allclose(actual, expected, rtol=1e-9)


def test_estimate_is_the_maximum_likelihood_structure(model):
    """The M-step equals the structure's closed form from the scatter matrices."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((300, D)) @ rng.standard_normal((D, D))
    resp = rng.dirichlet(np.ones(K), size=300)
    stats = responsibility_statistics(
        resolve_backend("numpy"), X, resp, np.zeros((K, D)), model.full_moments
    )
    fitted = m_step(stats, model, reg_covar=0.0)
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    scatter = np.stack(
        [(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) for k in range(K)]
    )
    expected = {
        "full": scatter / nk[:, None, None],
        "tied": scatter.sum(axis=0) / 300,
        "diag": np.einsum("kqq->kq", scatter) / nk[:, None],
        "spherical": np.einsum("kqq->k", scatter) / (D * nk),
    }[model.name]
    np.testing.assert_allclose(fitted.means, means, rtol=1e-10)
    np.testing.assert_allclose(fitted.covariances, expected, rtol=1e-8)


def test_sampling_reproduces_the_covariances(model):
    rng = np.random.default_rng(3)
    covariances = _random_covariances(model, rng)
    means = rng.standard_normal((K, D)) * 10
    counts = np.array([20000, 30000, 25000])
    X = model.sample(np.random.RandomState(0), means, covariances, counts)
    assert X.shape == (counts.sum(), D)
    starts = np.r_[0, np.cumsum(counts)]
    full = model.to_full(covariances, K, D)
    for k in range(K):
        rows = X[starts[k] : starts[k + 1]]
        np.testing.assert_allclose(rows.mean(axis=0), means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(rows.T), full[k], atol=0.08)


def test_precisions_init_is_checked(model):
    covariances = _random_covariances(model, np.random.default_rng(4))
    precisions = model.precisions_from_cholesky(model.precision_cholesky(covariances))
    np.testing.assert_array_equal(model.check_precisions(precisions, K, D), precisions)
    with pytest.raises(ValueError, match="precisions_init"):
        model.check_precisions(precisions[..., :-1], K, D)
    with pytest.raises(ValueError, match=f"'{model.name} precision' should be"):
        model.check_precisions(-precisions, K, D)


def test_ill_defined_covariance_is_an_error(model):
    covariances = _random_covariances(model, np.random.default_rng(5))
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        model.precision_cholesky(covariances * np.nan)


@pytest.mark.parametrize("name", ["full", "tied", "diag", "spherical"])
def test_random_effect_constraint(name):
    """The experts' constraint keeps, pools or zeroes entries as the M-step does."""
    model = get_covariance_model(name)
    rng = np.random.default_rng(6)
    A = rng.standard_normal((K, D, D))
    psi = A @ A.transpose(0, 2, 1) + np.eye(D)
    shares = np.array([0.2, 0.3, 0.5])
    constrained = model.constrain(psi, shares * 7.0)  # normalised internally
    expected = {
        "full": psi,
        "tied": np.broadcast_to(np.einsum("k,kqr->qr", shares, psi), psi.shape),
        "diag": np.einsum("kqq->kq", psi)[:, :, None] * np.eye(D),
        "spherical": np.einsum("kqq->k", psi)[:, None, None] / D * np.eye(D),
    }[name]
    np.testing.assert_allclose(constrained, expected, rtol=1e-12)
    np.testing.assert_allclose(model.constrain(constrained, shares), constrained)
    rows, cols = model.free_index(D)
    assert len(rows) == (D * (D + 1) // 2 if model.kernel_form == "full" else D)
    assert not ZeroCovariance().constrain(psi, shares).any()
    assert len(ZeroCovariance().free_index(D)[0]) == 0


@pytest.fixture
def shared_diagonal():
    """A copy of mclust's EEI under a new name, registered the way the design
    page shows, then removed."""

    @register_covariance_model
    class SharedDiagonal(DiagCovariance):
        name = "shared-diagonal"
        aliases = ()

        def n_parameters(self, n_components, n_features):
            return n_features

        def estimate(self, scatter, nk, reg_covar, previous=None):
            pooled = scatter.sum(axis=0) / nk.sum() + reg_covar
            return np.broadcast_to(pooled, scatter.shape).copy()

    yield SharedDiagonal
    del _covariance._REGISTRY["shared-diagonal"]


def test_a_new_structure_is_one_class(shared_diagonal):
    """A registered structure fits, scores, samples and counts parameters."""
    assert "shared-diagonal" in covariance_model_names()
    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(m, [1.0, 3.0], size=(400, 2)) for m in (-6, 0, 6)])
    eei = GaussianMixture(3, covariance_type="shared-diagonal", random_state=0).fit(X)
    diag = GaussianMixture(3, covariance_type="diag", random_state=0).fit(X)
    # One variance vector for all components, close to the generating one.
    np.testing.assert_allclose(eei.covariances_, eei.covariances_[[0, 0, 0]])
    np.testing.assert_allclose(eei.covariances_[0], [1.0, 9.0], rtol=0.15)
    assert eei._n_parameters() == 2 + 6 + 2
    # Nested in VVI: no higher likelihood, and BIC prefers the true, smaller model.
    assert eei.score(X) <= diag.score(X) + 1e-9
    assert eei.bic(X) < diag.bic(X)
    assert eei.sample(10)[0].shape == (10, 2)
