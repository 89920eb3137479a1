"""A ridge relative to each feature's variance (``reg_covar_scale='variance'``),
and degenerate fits reported."""

import warnings

import numpy as np
import pytest

from skmix.exceptions import DegenerateMixtureWarning
from skmix.mixture import GaussianMixture


def _small_variance_features():
    """One informative feature and 29 of variance ~1e-5."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(0, 1, (500, 1)), rng.normal(0, 3e-3, (500, 29))]
    X[:250, 0] += 5
    return X


def _log_likelihood(X, **params):
    model = GaussianMixture(2, random_state=0, **params).fit(X)
    return model.score(X) * len(X), model


def test_relative_ridge_does_not_swamp_small_features():
    X = _small_variance_features()
    unregularised, _ = _log_likelihood(X, reg_covar=0.0)
    absolute, _ = _log_likelihood(X, reg_covar=1e-6)
    relative, model = _log_likelihood(X, reg_covar=1e-6, reg_covar_scale="variance")
    assert unregularised - absolute > 20  # the fixed ridge costs the fit
    assert unregularised - relative < 0.1
    np.testing.assert_allclose(model.reg_covar_, 1e-6 * X.var(axis=0))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "EEI", "VEI"])
def test_relative_ridge_is_equivariant_under_rescaling(covariance_type):
    """For the structures closed under rescaling features (a scaled start:
    the hierarchical one works on standardised data)."""
    X = _small_variance_features()[:, :4]
    scale = np.array([1.0, 100.0, 1e-3, 7.0])
    common = dict(reg_covar=1e-2, reg_covar_scale="variance", init_params="hc",
                  covariance_type=covariance_type)  # fmt: skip
    _, original = _log_likelihood(X, **common)
    _, rescaled = _log_likelihood(X * scale, **common)
    np.testing.assert_allclose(rescaled.means_, original.means_ * scale, rtol=1e-6)
    np.testing.assert_allclose(
        rescaled.score(X * scale), original.score(X) - np.log(scale).sum(), rtol=1e-8
    )


def test_relative_ridge_on_every_path():
    da = pytest.importorskip("dask.array")
    X = _small_variance_features()
    common = dict(reg_covar=1e-4, reg_covar_scale="variance")
    _, in_memory = _log_likelihood(X, **common)
    _, distributed = _log_likelihood(da.from_array(X, chunks=100), **common)
    np.testing.assert_allclose(distributed.reg_covar_, in_memory.reg_covar_)
    np.testing.assert_allclose(distributed.means_, in_memory.means_, rtol=1e-6)
    # partial_fit keeps the first batch's ridge.
    model = GaussianMixture(2, random_state=0, **common).partial_fit(X[:250])
    ridge = model.reg_covar_.copy()
    model.partial_fit(X[250:] * 10)
    np.testing.assert_array_equal(model.reg_covar_, ridge)
    with pytest.raises(ValueError, match="reg_covar_scale"):
        GaussianMixture(reg_covar_scale="feature").fit(X)


def test_a_component_on_repeated_values_is_reported():
    """14 identical rows: their component's variance is the ridge and its
    likelihood unbounded (the BIC gain is an artefact)."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (200, 2)), np.tile([[4.0, 4.0]], (14, 1))])
    with pytest.warns(DegenerateMixtureWarning, match="regularisation floor"):
        GaussianMixture(2, init_params="hc").fit(X)
    # One component is not degenerate.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateMixtureWarning)
        GaussianMixture(1).fit(X)
    with pytest.warns(DegenerateMixtureWarning, match="effective points"):
        GaussianMixture(3, covariance_type="diag", random_state=0).fit(X[:8])


def test_a_feature_constant_in_the_data_is_not_a_collapse():
    """Its variance is the ridge in every component, as the data's is."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.standard_normal((300, 2)), np.zeros(300)]
    X[:150, 0] += 5
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateMixtureWarning)
        GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)


def test_a_singular_own_scatter_makes_vee_degenerate_as_in_mclust():
    """mclust's meVEE (also meEVE, meVVE) returns NA when a component's own
    scatter has no Cholesky factor: here 3 points in 5-D. The scatter the
    M-step uses is the one checked: about fixed means, none for fixed
    covariances, and a ridge makes it regular."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (60, 5)), rng.normal(10, 0.1, (3, 5))])
    common = dict(covariance_type="VEE", random_state=0)
    with pytest.warns(DegenerateMixtureWarning, match="own scatter matrix is singular"):
        GaussianMixture(2, reg_covar=0.0, **common).fit(X)
    means = np.array([np.zeros(5), np.full(5, 10.0)])
    precisions = np.stack([np.eye(5), np.eye(5) * 100])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateMixtureWarning)
        GaussianMixture(2, reg_covar=1e-6, **common).fit(X)
        GaussianMixture(
            2, reg_covar=0.0, means_init=means, precisions_init=precisions,
            fixed="covariances", **common,
        ).fit(X)  # fmt: skip
    # Five points: singular about their own mean (rank 4), not about a
    # fixed mean off their affine hull.
    X = np.vstack([rng.normal(0, 1, (60, 5)), rng.normal(10, 0.1, (5, 5))])
    with pytest.warns(DegenerateMixtureWarning, match="own scatter matrix is singular"):
        GaussianMixture(2, reg_covar=0.0, **common).fit(X)
    off_hull = np.array([np.zeros(5), X[60:].mean(axis=0) + 0.05])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateMixtureWarning)
        GaussianMixture(
            2, reg_covar=0.0, means_init=off_hull, fixed="means", **common
        ).fit(X)
