"""GaussianMixtureRegressor against the issue's reference, OLS, and the
closed-form Gaussian conditioning computed with SciPy."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmix.mixture import GaussianMixture, GaussianMixtureRegressor

from .._helpers import CPU_BACKENDS


def _tent(seed=0):
    # The data: y = 3x + 1 on the first half, -3x + 7 on the second.
    x = np.linspace(0, 2, 200)
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(200) < 100, 3 * x + 1, -3 * x + 7)
    return x[:, None], y + rng.normal(scale=0.01, size=200)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("seed", range(5))
def test_piecewise_linear_reference(backend, seed):
    X, y = _tent(seed)
    gmr = GaussianMixtureRegressor(2, random_state=seed, backend=backend).fit(X, y)
    assert np.mean((gmr.predict(X) - y) ** 2) < 0.01
    np.testing.assert_allclose(np.sort(gmr.weights_), [0.5, 0.5], atol=0.02)
    np.testing.assert_allclose(np.sort(gmr.coef_.ravel()), [-3, 3], atol=0.05)


@pytest.mark.parametrize("n_targets", [1, 3])
def test_one_component_is_ordinary_least_squares(n_targets):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 4))
    y = X @ rng.standard_normal((4, n_targets)) + 0.5 * rng.standard_normal(
        (300, n_targets)
    )
    y = y.ravel() if n_targets == 1 else y
    # k-means++ would start each component from a single row: singular
    # without reg_covar.
    gmr = GaussianMixtureRegressor(1, reg_covar=0.0, init_params="kmeans").fit(X, y)
    ols = LinearRegression().fit(X, y)
    np.testing.assert_allclose(gmr.predict(X), ols.predict(X), rtol=1e-9, atol=1e-9)
    _, std = gmr.predict(X[:5], return_std=True)
    residual_std = np.sqrt(np.mean((y - ols.predict(X)) ** 2, axis=0))
    np.testing.assert_allclose(std, np.broadcast_to(residual_std, std.shape))
    assert std.shape == ((5,) if n_targets == 1 else (5, n_targets))


def test_conditional_mixture_matches_scipy_conditioning():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(3, 0.7, (200, 2))])
    Y = np.column_stack([X @ [1.0, -2.0], X[:, 0] ** 2]) + rng.normal(0, 0.3, (400, 2))
    gmr = GaussianMixtureRegressor(3, random_state=0).fit(X, Y)
    joint = gmr.gaussian_mixture_
    X_new = rng.normal(1.5, 1.5, (7, 2))

    dist = gmr.predict_distribution(X_new)
    for k in range(3):
        mu, cov = joint.means_[k], joint.covariances_[k]
        prior = joint.weights_[k] * multivariate_normal(mu[:2], cov[:2, :2]).pdf(X_new)
        normaliser = sum(
            joint.weights_[j]
            * multivariate_normal(
                joint.means_[j][:2], joint.covariances_[j][:2, :2]
            ).pdf(X_new)
            for j in range(3)
        )
        np.testing.assert_allclose(dist.weights[:, k], prior / normaliser, rtol=1e-8)
        gain = cov[2:, :2] @ np.linalg.inv(cov[:2, :2])
        np.testing.assert_allclose(
            dist.means[:, k], mu[2:] + (X_new - mu[:2]) @ gain.T, rtol=1e-8
        )
        np.testing.assert_allclose(
            dist.covariances[k], cov[2:, 2:] - gain @ cov[:2, 2:], rtol=1e-8
        )
    expected_mean = np.einsum("nk,nky->ny", dist.weights, dist.means)
    np.testing.assert_allclose(gmr.predict(X_new), expected_mean, rtol=1e-10)


def test_samples_match_predicted_mean_and_std():
    X, y = _tent()
    gmr = GaussianMixtureRegressor(2, random_state=0).fit(X, y)
    # Where both components carry weight: a far component with weight 1e-4
    # would need far more draws to pin the standard deviation down.
    X_new = np.array([[0.8], [0.9], [1.0], [1.15]])
    draws = gmr.sample_y(X_new, n_samples=40_000, random_state=3)
    assert draws.shape == (4, 40_000)
    mean, std = gmr.predict(X_new, return_std=True)
    np.testing.assert_allclose(draws.mean(axis=1), mean, atol=np.max(4 * std / 200))
    np.testing.assert_allclose(draws.std(axis=1), std, rtol=0.03)
    np.testing.assert_array_equal(
        draws, gmr.sample_y(X_new, n_samples=40_000, random_state=3)
    )


def test_sample_y_multi_output_shape():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    Y = np.column_stack([X.sum(axis=1), X[:, 0] - X[:, 1]])
    gmr = GaussianMixtureRegressor(2, random_state=0).fit(X, Y)
    assert gmr.sample_y(X[:3], n_samples=5).shape == (3, 2, 5)
    dist = gmr.predict_distribution(X[:3])
    assert dist.means.shape == (3, 2, 2) and dist.covariances.shape == (2, 2, 2)


def test_variance_scaling_restores_training_variance():
    # Noisy data: conditional means are smoother than the targets.
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (500, 1))
    y = np.sin(2 * X[:, 0]) + rng.normal(scale=0.5, size=500)
    plain = GaussianMixtureRegressor(3, random_state=0).fit(X, y)
    scaled = GaussianMixtureRegressor(3, random_state=0, variance_scaling=True)
    scaled.fit(X, y)
    assert plain.predict(X).var() < 0.8 * y.var()
    assert scaled.predict(X).var() == pytest.approx(y.var(), rel=1e-10)
    # A monotone per-column map: the ordering of predictions is unchanged.
    np.testing.assert_array_equal(
        np.argsort(plain.predict(X)), np.argsort(scaled.predict(X))
    )


def test_grid_search_over_components_in_a_pipeline():
    X, y = _tent()
    search = GridSearchCV(
        make_pipeline(StandardScaler(), GaussianMixtureRegressor(random_state=0)),
        {"gaussianmixtureregressor__n_components": [1, 2]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["gaussianmixtureregressor__n_components"] == 2


@pytest.mark.parametrize(
    "X, y, match",
    [
        (np.ones((5, 1)), None, "requires y"),
        (np.ones((5, 1)), np.ones(4), "inconsistent numbers of samples"),
        (np.ones((5, 1)), [0, 1, np.nan, 2, 3], "NaN"),
        (np.ones((5, 1)), np.ones((5, 2, 1)), "y"),
    ],
)
def test_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixtureRegressor().fit(X, y)


def test_failed_fit_leaves_previous_fit_untouched():
    X, y = _tent()
    gmr = GaussianMixtureRegressor(2, random_state=0).fit(X, y)
    before = gmr.predict(X)
    with pytest.raises(ValueError):
        gmr.fit(np.ones((3, 2)), [1.0, 2.0, np.inf])
    np.testing.assert_array_equal(gmr.predict(X), before)
    assert gmr.n_features_in_ == 1


# ------------------------------------------------------------ sample weights
def _linear_data(n_targets, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((120, 3))
    y = X @ rng.standard_normal((3, n_targets)) + 0.5 * rng.standard_normal(
        (120, n_targets)
    )
    return X, (y.ravel() if n_targets == 1 else y), rng.integers(0, 4, 120)


@pytest.mark.parametrize("n_targets", [1, 2])
def test_integer_weights_give_the_fit_of_repeated_rows(n_targets):
    """One component (a start every draw agrees on): the repeated rows' fit,
    which is weighted least squares."""
    X, y, weight = _linear_data(n_targets)
    common = dict(reg_covar=0.0, init_params="kmeans", random_state=0)
    weighted = GaussianMixtureRegressor(1, **common).fit(X, y, sample_weight=weight)
    repeated = GaussianMixtureRegressor(1, **common).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight, axis=0)
    )
    for attribute in (
        "weights_", "coef_", "intercept_", "conditional_covariances_",
        "target_variance_",
    ):  # fmt: skip
        np.testing.assert_allclose(
            getattr(weighted, attribute), getattr(repeated, attribute), rtol=1e-8
        )
    for a, b in zip(
        weighted.predict(X, return_std=True),
        repeated.predict(X, return_std=True),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-8)
    wls = LinearRegression().fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(weighted.predict(X), wls.predict(X), rtol=1e-8)


def test_weights_reach_the_joint_mixture():
    X, y = _tent()
    weight = np.random.default_rng(0).uniform(0.5, 2.0, 200)
    gmr = GaussianMixtureRegressor(2, random_state=0).fit(X, y, sample_weight=weight)
    joint = GaussianMixture(
        2, tol=1e-5, max_iter=500, init_params="k-means++", random_state=0
    ).fit(np.column_stack([X, y]), sample_weight=weight)
    np.testing.assert_allclose(gmr.gaussian_mixture_.means_, joint.means_, rtol=1e-12)
    np.testing.assert_allclose(gmr.weights_, joint.weights_, rtol=1e-12)
    mean = weight @ y / weight.sum()
    assert gmr.target_variance_[0] == pytest.approx(
        weight @ (y - mean) ** 2 / weight.sum(), rel=1e-12
    )


def test_zero_weights_are_dropped_rows():
    X, y = _tent(1)
    weight = np.random.default_rng(1).integers(0, 3, 200).astype(float)
    kept = weight > 0
    with_zeros = GaussianMixtureRegressor(2, random_state=0).fit(
        X, y, sample_weight=weight
    )
    dropped = GaussianMixtureRegressor(2, random_state=0).fit(
        X[kept], y[kept], sample_weight=weight[kept]
    )
    for attribute in ("weights_", "coef_", "intercept_", "target_variance_"):
        np.testing.assert_array_equal(
            getattr(with_zeros, attribute), getattr(dropped, attribute)
        )
    np.testing.assert_array_equal(with_zeros.predict(X), dropped.predict(X))


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (-np.ones(200), "non-negative"),
        (np.ones(199), "199 values"),
        (np.ones((200, 2)), "1-dimensional"),
        (np.zeros(200), "zero"),
    ],
)
def test_bad_sample_weight(sample_weight, match):
    X, y = _tent()
    with pytest.raises(ValueError, match=match):
        GaussianMixtureRegressor(2).fit(X, y, sample_weight=sample_weight)
