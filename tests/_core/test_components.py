"""ComponentScorer: every scoring path against SciPy's densities."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from skmix._backend import resolve_backend
from skmix._core import (
    GaussianComponents,
    masked_posteriors,
    n_mixture_parameters,
    stack_scorers,
)


def _components(rng, covariance_type, n_components=3, n_features=3):
    A = rng.standard_normal((n_components, n_features, n_features)) * 0.4
    full = A @ A.transpose(0, 2, 1) + np.eye(n_features)
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": np.einsum("kqq->kq", full),
        "spherical": np.einsum("kqq->k", full) / n_features,
    }[covariance_type]
    weights = rng.dirichlet(np.ones(n_components))
    means = rng.standard_normal((n_components, n_features)) * 2
    return GaussianComponents.from_covariances(
        weights, means, covariances, covariance_type
    )


def _scipy_log_joint(components, X):
    full = components.full_covariances()
    return np.column_stack(
        [
            np.log(w) + multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(components.weights, components.means, full, strict=True)
        ]
    )


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_scorer_matches_scipy(covariance_type, cpu_backend):
    rng = np.random.default_rng(0)
    components = _components(rng, covariance_type)
    X = rng.standard_normal((40, 3)) * 2
    backend = resolve_backend(cpu_backend)
    scorer = components.scorer()
    expected = _scipy_log_joint(components, X)
    np.testing.assert_allclose(scorer.log_joint(backend, X), expected, rtol=1e-9)
    np.testing.assert_allclose(
        scorer.score_samples(backend, X), logsumexp(expected, axis=1), rtol=1e-9
    )
    resp, log_norm = scorer.posteriors(backend, X)
    np.testing.assert_allclose(
        resp, np.exp(expected - logsumexp(expected, axis=1, keepdims=True)),
        rtol=1e-8, atol=1e-14,
    )  # fmt: skip
    np.testing.assert_allclose(log_norm, logsumexp(expected, axis=1), rtol=1e-9)


def test_stacked_mixtures_score_per_owner(cpu_backend):
    """Mixtures of different structures stack into one kernel call."""
    rng = np.random.default_rng(1)
    first, second = _components(rng, "full"), _components(rng, "spherical", 2)
    priors = np.array([0.3, 0.7])
    stacked = stack_scorers(
        [first.scorer(np.log(priors[0])), second.scorer(np.log(priors[1]))]
    )
    np.testing.assert_array_equal(stacked.owner, [0, 0, 0, 1, 1])
    X = rng.standard_normal((30, 3))
    backend = resolve_backend(cpu_backend)
    expected = np.column_stack(
        [
            np.log(p) + logsumexp(_scipy_log_joint(c, X), axis=1)
            for p, c in zip(priors, (first, second), strict=True)
        ]
    )
    np.testing.assert_allclose(
        stacked.group_log_density(backend, X), expected, rtol=1e-9
    )
    np.testing.assert_allclose(
        stacked.score_samples(backend, X), logsumexp(expected, axis=1), rtol=1e-9
    )


def test_masked_posteriors_restrict_rows_to_allowed_components():
    rng = np.random.default_rng(2)
    log_joint = rng.standard_normal((6, 4)) * 3
    allowed = np.ones((6, 4), dtype=bool)
    allowed[:3] = [True, False, True, False]
    resp, log_norm = masked_posteriors(log_joint, allowed)
    assert np.all(resp[~allowed] == 0.0)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)
    restricted = np.where(allowed, log_joint, -np.inf)
    np.testing.assert_allclose(log_norm, logsumexp(restricted, axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        resp[3:], np.exp(log_joint[3:] - logsumexp(log_joint[3:], axis=1)[:, None])
    )


@pytest.mark.parametrize(
    ("covariance_type", "expected"),
    # mclust's nMclustParams("VVV"/"EEE"/"VVI"/"VII", d = 4, G = 3)
    [("full", 44), ("tied", 24), ("diag", 26), ("spherical", 17)],
)
def test_mixture_parameter_count_matches_mclust(covariance_type, expected):
    assert n_mixture_parameters(covariance_type, 3, 4) == expected


def test_sample_draws_components_by_weight():
    components = _components(np.random.default_rng(3), "diag")
    X, y = components.sample(30000, np.random.RandomState(0))
    assert X.shape == (30000, 3)
    np.testing.assert_allclose(
        np.bincount(y, minlength=3) / 30000, components.weights, atol=0.01
    )
