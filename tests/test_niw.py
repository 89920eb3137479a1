"""NIW marginal likelihood against the chain rule of Student-t predictives."""

import numpy as np
import pytest
from scipy.stats import multivariate_t

from skmix._math import (
    log_split_hastings_ratio,
    niw_log_marginal_likelihood,
    niw_prior,
    pooled_within_class_covariance,
)


def _sequential_log_marginal(X, prior):
    # log p(X) = sum_i log p(x_i | x_<i); the NIW posterior predictive is a
    # multivariate t (Murphy, 2007, eq. 258).
    mean, kappa, nu, psi = prior
    d = X.shape[1]
    total = 0.0
    for x in X:
        dof = nu - d + 1
        shape = psi * (kappa + 1) / (kappa * dof)
        total += multivariate_t(loc=mean, shape=shape, df=dof).logpdf(x)
        # Rank-one NIW update with the new point.
        offset = x - mean
        psi = psi + (kappa / (kappa + 1)) * np.outer(offset, offset)
        mean = (kappa * mean + x) / (kappa + 1)
        kappa, nu = kappa + 1, nu + 1
    return total


@pytest.mark.parametrize("n_features", [1, 3])
def test_marginal_likelihood_is_the_product_of_predictives(n_features):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(25, n_features)) @ rng.normal(size=(n_features, n_features))
    prior = niw_prior(
        np.zeros(n_features), np.eye(n_features), kappa=0.5, nu=n_features + 4
    )
    assert niw_log_marginal_likelihood(X, prior) == pytest.approx(
        _sequential_log_marginal(X, prior), rel=1e-10
    )


def test_hastings_ratio_favours_splitting_two_clusters_only():
    rng = np.random.default_rng(1)
    first, second = rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))
    prior = niw_prior(np.zeros(2), np.eye(2))
    assert log_split_hastings_ratio(first, second, prior) > 50
    one = rng.normal(0, 1, (200, 2))
    halves = one[one[:, 0] < 0], one[one[:, 0] >= 0]
    assert log_split_hastings_ratio(*halves, prior) < 0


def test_pooled_within_class_covariance():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1, 2], 400)
    X = (
        rng.normal(size=(1200, 2)) * [1.0, 2.0]
        + np.array([[0, 0], [9, 0], [0, 9]])[labels]
    )
    np.testing.assert_allclose(
        pooled_within_class_covariance(X, labels), np.diag([1.0, 4.0]), atol=0.2
    )
