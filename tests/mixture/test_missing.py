"""GaussianMixture(missing='fiml'): EM with missing values (issue 15).

References: scipy's multivariate normal marginals for the likelihood of rows
with NaN; the complete-data fit and the true parameters for recovery.
"""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.mixture import GaussianMixture

from .._helpers import CPU_BACKENDS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MEANS = np.array([[0.0, 0.0, 0.0, 0.0], [4.0, 4.0, 0.0, 2.0], [0.0, 5.0, 5.0, -2.0]])


def _covariances():
    rng = np.random.default_rng(11)
    out = []
    for _ in range(3):
        A = rng.standard_normal((4, 4)) * 0.6
        out.append(A @ A.T + 0.3 * np.eye(4))
    return np.stack(out)


def _sample(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.choice(3, size=n, p=[0.3, 0.3, 0.4])
    covariances = _covariances()
    X = np.stack([rng.multivariate_normal(MEANS[k], covariances[k]) for k in labels])
    return X, labels


def _mcar(X, rate, seed):
    rng = np.random.default_rng(seed)
    X = X.copy()
    X[rng.random(X.shape) < rate] = np.nan
    empty = np.isnan(X).all(axis=1)
    X[empty, 0] = 0.0  # keep one value per row
    return X


def _full_covariances(model):
    return model._fitted_components().full_covariances()


def _scipy_log_likelihood(model, X):
    covariances = _full_covariances(model)
    out = np.empty(X.shape[0])
    for i, x in enumerate(X):
        o = ~np.isnan(x)
        out[i] = logsumexp(
            [
                np.log(model.weights_[k])
                + multivariate_normal(
                    model.means_[k, o], covariances[k][np.ix_(o, o)]
                ).logpdf(x[o])
                for k in range(model.weights_.size)
            ]
        )
    return out


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize(
    "covariance_type", ["full", "tied", "diag", "spherical", "VEV"]
)
def test_scores_are_marginal_densities_and_em_never_decreases(covariance_type, backend):
    X = _mcar(_sample(300, 0)[0], 0.25, 1)
    model = GaussianMixture(
        3, covariance_type=covariance_type, missing="fiml", tol=1e-8,
        max_iter=200, random_state=0, backend=backend,
    ).fit(X)  # fmt: skip
    expected = _scipy_log_likelihood(model, X)
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-10)
    np.testing.assert_allclose(model.score(X), expected.mean(), rtol=1e-10)
    bounds = np.array(model.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-12 * np.abs(bounds[1:]))
    # The fit's last E-step is at the parameters before the last M-step.
    assert model.converged_
    np.testing.assert_allclose(model.lower_bound_, expected.mean(), rtol=1e-6)
    resp = model.predict_proba(X)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), resp.argmax(axis=1))


def test_numba_and_numpy_fits_agree():
    X = _mcar(_sample(500, 2)[0], 0.3, 3)
    fits = [
        GaussianMixture(
            3, missing="fiml", random_state=0, tol=1e-10, backend=backend
        ).fit(X)  # fmt: skip
        for backend in CPU_BACKENDS
    ]
    for other in fits[1:]:
        assert other.n_iter_ == fits[0].n_iter_
        np.testing.assert_allclose(other.means_, fits[0].means_, rtol=1e-8)
        np.testing.assert_allclose(other.covariances_, fits[0].covariances_, rtol=1e-8)


def test_complete_data_fit_is_unchanged():
    X = _sample(300, 4)[0]
    params = dict(random_state=0, tol=1e-10)
    a = GaussianMixture(3, missing="fiml", **params).fit(X)
    b = GaussianMixture(3, **params).fit(X)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-12)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=1e-12)


def test_weights_with_missing_values_equal_repeated_rows():
    X = _mcar(_sample(200, 5)[0], 0.2, 6)
    weights = np.random.default_rng(7).integers(0, 3, X.shape[0])
    start = GaussianMixture(3, random_state=0, max_iter=3).fit(_sample(200, 5)[0])
    params = dict(
        missing="fiml", tol=1e-10, max_iter=40, weights_init=start.weights_,
        means_init=start.means_, precisions_init=start.precisions_,
    )  # fmt: skip
    a = GaussianMixture(3, **params).fit(X, sample_weight=weights)
    b = GaussianMixture(3, **params).fit(np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)


def test_dask_fit_with_missing_values_equals_in_memory():
    da = pytest.importorskip("dask.array")
    X = _mcar(_sample(400, 8)[0], 0.2, 9)
    start = GaussianMixture(3, random_state=0, max_iter=3).fit(_sample(400, 8)[0])
    params = dict(
        missing="fiml", tol=1e-10, weights_init=start.weights_,
        means_init=start.means_, precisions_init=start.precisions_,
    )  # fmt: skip
    a = GaussianMixture(3, **params).fit(X)
    b = GaussianMixture(3, **params).fit(da.from_array(X, chunks=(90, 4)))
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-9)
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=1e-10)
    np.testing.assert_allclose(
        b.score_samples(da.from_array(X, chunks=(90, 4))).compute(),
        a.score_samples(X),
        rtol=1e-12,
    )


def _aligned_errors(means, covariances, weights):
    """Mean absolute errors against the truth, components matched on means."""
    truth = _covariances()
    cost = ((means[:, None] - MEANS[None]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    return (
        np.abs(means[rows] - MEANS[cols]).mean(),
        np.abs(covariances[rows] - truth[cols]).mean(),
        np.abs(weights[rows] - np.array([0.3, 0.3, 0.4])[cols]).mean(),
    )


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_recovery_beats_mean_imputation_and_nears_the_complete_fit(rate):
    """MCAR at 10% and 30%: FIML's errors against the true parameters are
    close to the complete-data fit's, and far below mean imputation's (whose
    means are 4-13 times as far off here)."""
    complete, _ = _sample(2000, 10)
    X = _mcar(complete, rate, 12)
    fiml = GaussianMixture(3, missing="fiml", random_state=0, n_init=2).fit(X)
    full = SklearnGaussianMixture(3, random_state=0, n_init=2).fit(complete)
    imputed = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    mean_imputed = SklearnGaussianMixture(3, random_state=0, n_init=2).fit(imputed)
    errors = {
        name: _aligned_errors(m.means_, m.covariances_, m.weights_)
        for name, m in [("fiml", fiml), ("full", full), ("mean", mean_imputed)]
    }
    for i in range(2):  # means, covariances
        assert errors["fiml"][i] < errors["mean"][i] / 2
        assert errors["fiml"][i] < errors["full"][i] + 0.05 * rate / 0.1
    assert errors["fiml"][2] < errors["full"][2] + 0.01  # weights


def test_impute_fills_conditional_means_and_keeps_observed_values():
    X = _mcar(_sample(400, 13)[0], 0.2, 14)
    model = GaussianMixture(3, missing="fiml", random_state=0).fit(X)
    filled = model.impute(X)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(filled[observed], X[observed])
    assert not np.isnan(filled).any()
    # By hand for one row: posterior-weighted Gaussian conditional means.
    i = np.flatnonzero(~observed.all(axis=1))[0]
    o, m = observed[i], ~observed[i]
    covariances = _full_covariances(model)
    resp = model.predict_proba(X[i : i + 1])[0]
    expected = sum(
        resp[k]
        * (
            model.means_[k, m]
            + covariances[k][np.ix_(m, o)]
            @ np.linalg.solve(
                covariances[k][np.ix_(o, o)], X[i, o] - model.means_[k, o]
            )
        )
        for k in range(3)
    )
    np.testing.assert_allclose(filled[i, m], expected, rtol=1e-10)


def test_multiple_imputations_are_seeded_draws_around_the_conditional_mean():
    X = _mcar(_sample(300, 15)[0], 0.2, 16)
    model = GaussianMixture(3, missing="fiml", random_state=5).fit(X)
    draws = model.impute(X, n_imputations=400)
    assert draws.shape == (400, *X.shape)
    np.testing.assert_array_equal(draws, model.impute(X, n_imputations=400))
    observed = ~np.isnan(X)
    assert np.all(draws[:, observed] == X[observed])
    spread = draws.std(axis=0)[~observed]
    assert np.all(spread > 0)
    # The mean of many draws approaches the conditional mean (4 standard errors).
    error = np.abs(draws.mean(axis=0) - model.impute(X))[~observed]
    assert np.all(error < 4 * spread / np.sqrt(400) + 1e-12)


def test_missing_values_are_errors_by_default_and_whole_missing_rows_always():
    X = _mcar(_sample(100, 17)[0], 0.2, 18)
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixture(2).fit(X)
    fitted = GaussianMixture(2, random_state=0).fit(_sample(100, 17)[0])
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(X)
    with pytest.raises(ValueError, match="impute needs"):
        fitted.impute(X)
    empty = X.copy()
    empty[3] = np.nan
    with pytest.raises(ValueError, match="every value is missing"):
        GaussianMixture(2, missing="fiml").fit(empty)
    model = GaussianMixture(2, missing="fiml", random_state=0).fit(X)
    with pytest.raises(ValueError, match="every value is missing"):
        model.predict(empty)
    infinite = X.copy()
    infinite[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        GaussianMixture(2, missing="fiml").fit(infinite)


def test_missing_values_and_noise_are_refused():
    X = _mcar(_sample(100, 19)[0], 0.2, 20)
    with pytest.raises(ValueError, match="noise"):
        GaussianMixture(2, missing="fiml", noise=True).fit(X)
    with pytest.raises(ValueError, match="missing must be one of"):
        GaussianMixture(2, missing="drop").fit(X)


def test_a_huge_value_beside_missing_ones_is_refused():
    X = _mcar(_sample(100, 21)[0], 0.2, 22)
    X[np.flatnonzero(~np.isnan(X[:, 1]))[0], 1] = 1e300  # NaN must not hide it
    with pytest.raises(ValueError, match="magnitude"):
        GaussianMixture(2, missing="fiml").fit(X)


def test_a_feature_observed_in_fewer_than_two_rows_is_refused():
    X = _sample(100, 23)[0]
    X[1:, 2] = np.nan
    with pytest.raises(ValueError, match="Feature 2 is observed in 1 row"):
        GaussianMixture(2, missing="fiml").fit(X)


def test_tags_say_missing_values_are_allowed_with_fiml():
    assert GaussianMixture(missing="fiml").__sklearn_tags__().input_tags.allow_nan
    assert not GaussianMixture().__sklearn_tags__().input_tags.allow_nan
