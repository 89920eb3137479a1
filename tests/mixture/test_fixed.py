"""GaussianMixture(fixed=...): parameters held at given values (issue 15).

One EM step from a known start is checked against the constrained M-step
written out by hand from the start's posteriors.
"""

import numpy as np
import pytest

from skmix.mixture import GaussianMixture

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((3, 3))
    return np.vstack([rng.standard_normal((150, 3)) @ A, rng.normal(5, 1, (150, 3))])


def _start(X):
    model = GaussianMixture(2, random_state=0).fit(X)
    return dict(
        weights_init=np.array([0.35, 0.65]),
        means_init=model.means_ + 0.4,
        precisions_init=model.precisions_ * 1.3,
    )


@pytest.mark.parametrize("covariance_type", ["full", "diag", "VEV"])
def test_everything_fixed_returns_the_start_and_scores_it(covariance_type):
    X = _data()
    fitted = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    start = dict(
        weights_init=fitted.weights_,
        means_init=fitted.means_ + 0.1,
        precisions_init=fitted.precisions_,
    )
    model = GaussianMixture(
        2, covariance_type=covariance_type, fixed=("weights", "means", "covariances"),
        **start,
    ).fit(X)  # fmt: skip
    np.testing.assert_array_equal(model.weights_, start["weights_init"])
    np.testing.assert_array_equal(model.means_, start["means_init"])
    np.testing.assert_allclose(model.precisions_, start["precisions_init"], rtol=1e-12)
    np.testing.assert_allclose(model.lower_bound_, model.score(X), rtol=1e-12)
    assert model._n_parameters() == 0
    np.testing.assert_allclose(model.bic(X), -2 * model.score(X) * X.shape[0])


def _posteriors(X, start):
    model = GaussianMixture(2, max_iter=0, **start).fit(X)
    return model.predict_proba(X)


def test_fixed_means_make_the_covariances_the_scatter_about_them():
    X = _data(1)
    start = _start(X)
    model = GaussianMixture(2, fixed="means", max_iter=1, reg_covar=0.0, **start)
    model.fit(X)
    resp = _posteriors(X, start)
    nk = resp.sum(axis=0)
    np.testing.assert_array_equal(model.means_, start["means_init"])
    np.testing.assert_allclose(model.weights_, nk / nk.sum(), rtol=1e-12)
    for k in range(2):
        d = X - start["means_init"][k]
        np.testing.assert_allclose(
            model.covariances_[k], (resp[:, k, None] * d).T @ d / nk[k], rtol=1e-10
        )


def test_fixed_covariances_and_weights_estimate_only_the_means():
    X = _data(2)
    start = _start(X)
    model = GaussianMixture(
        2, fixed=("weights", "covariances"), max_iter=1, **start
    ).fit(X)
    resp = _posteriors(X, start)
    np.testing.assert_array_equal(model.weights_, start["weights_init"])
    np.testing.assert_allclose(model.precisions_, start["precisions_init"], rtol=1e-12)
    np.testing.assert_allclose(
        model.means_, (resp.T @ X) / resp.sum(axis=0)[:, None], rtol=1e-10
    )


def test_criteria_count_only_the_free_parameters():
    X = _data(3)
    start = _start(X)
    free = GaussianMixture(2, **start).fit(X)._n_parameters()  # 2 * (3 + 6) + 1
    assert free == 19
    counts = {
        ("weights",): 18,
        ("means",): 13,
        ("covariances",): 7,
        ("means", "covariances"): 1,
    }
    for fixed, expected in counts.items():
        model = GaussianMixture(2, fixed=fixed, **start).fit(X)
        assert model._n_parameters() == expected
        log_likelihood = model.score(X) * X.shape[0]
        np.testing.assert_allclose(
            model.bic(X), -2 * log_likelihood + expected * np.log(X.shape[0])
        )
        np.testing.assert_allclose(model.aic(X), -2 * log_likelihood + 2 * expected)


def test_fixed_means_are_kept_by_partial_fit():
    X = _data(4)
    start = _start(X)
    model = GaussianMixture(2, fixed=["means"], **start)
    for batch in np.array_split(X, 3):
        model.partial_fit(batch)
    np.testing.assert_array_equal(model.means_, start["means_init"])


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(fixed=("means",)), "means_init is None"),
        (dict(fixed=("variances",), means_init=np.zeros((2, 3))), "fixed must be"),
        (
            dict(fixed=("means",), means_init=np.zeros((2, 3)), prior="default"),
            "prior",
        ),
        (
            dict(fixed=("weights",), weights_init=[0.5, 0.5], noise=True),
            "noise",
        ),
    ],
)
def test_bad_fixed_specifications_raise(params, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(2, **params).fit(_data())


def test_fixed_must_be_names():
    with pytest.raises(ValueError, match="fixed must be None, a name"):
        GaussianMixture(2, fixed=1, means_init=np.zeros((2, 3))).fit(_data())
