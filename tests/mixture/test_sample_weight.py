"""GaussianMixture's sample_weight: frequency weights (issue 15).

The reference is the fit of the repeated rows: integer weights must give it
exactly from the same start, and zero weights the fit without those rows.
"""

import numpy as np
import pytest

from skmix._core import covariance_model_names
from skmix.mixture import GaussianMixture

from .._helpers import CPU_BACKENDS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

MULTIVARIATE = [name for name in covariance_model_names() if name not in ("E", "V")]


def _data(seed=0, n=240, d=3):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    X = np.vstack([rng.standard_normal((n // 2, d)) @ A, rng.normal(4, 1, (n // 2, d))])
    weights = rng.integers(0, 4, X.shape[0])
    return X, weights


def _start(X, covariance_type):
    """One start (weights, means, precisions), shared by both fits."""
    start = GaussianMixture(
        2, covariance_type=covariance_type, max_iter=2, random_state=0
    ).fit(X)
    return dict(
        weights_init=start.weights_,
        means_init=start.means_ + 0.2,
        precisions_init=start.precisions_,
    )


def _assert_same_fit(a, b, rtol=1e-10):
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.lower_bound_, b.lower_bound_, rtol=rtol)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=rtol, atol=1e-12, err_msg=name
        )


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("covariance_type", MULTIVARIATE)
def test_integer_weights_equal_repeated_rows(covariance_type, backend):
    X, weights = _data()
    repeated = np.repeat(X, weights, axis=0)
    params = dict(
        covariance_type=covariance_type, tol=1e-10, max_iter=30, backend=backend,
        **_start(repeated, covariance_type),
    )  # fmt: skip
    weighted = GaussianMixture(2, **params).fit(X, sample_weight=weights)
    reference = GaussianMixture(2, **params).fit(repeated)
    _assert_same_fit(weighted, reference)
    for criterion in ("bic", "aic"):
        np.testing.assert_allclose(
            getattr(weighted, criterion)(X, sample_weight=weights),
            getattr(reference, criterion)(repeated),
            rtol=1e-10,
        )
    np.testing.assert_allclose(
        weighted.score(X, sample_weight=weights), reference.score(repeated), rtol=1e-10
    )


@pytest.mark.parametrize("covariance_type", ["E", "V"])
def test_integer_weights_equal_repeated_rows_in_one_dimension(covariance_type):
    X, weights = _data(d=1)
    repeated = np.repeat(X, weights, axis=0)
    params = dict(
        covariance_type=covariance_type, tol=1e-10, max_iter=30,
        **_start(repeated, covariance_type),
    )  # fmt: skip
    _assert_same_fit(
        GaussianMixture(2, **params).fit(X, sample_weight=weights),
        GaussianMixture(2, **params).fit(repeated),
    )


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "hc"])
def test_zero_weights_equal_dropping_the_rows(init_params):
    """From a drawn start too: rows of weight zero are not there at all."""
    X, weights = _data(seed=1)
    weights = np.where(weights > 0, 1, 0)
    params = dict(init_params=init_params, random_state=3, tol=1e-8, n_init=2)
    weighted = GaussianMixture(2, **params).fit(X, sample_weight=weights)
    dropped = GaussianMixture(2, **params).fit(X[weights > 0])
    _assert_same_fit(weighted, dropped, rtol=1e-12)


def test_fit_predict_labels_every_row_with_zero_weights():
    X, weights = _data(seed=2)
    model = GaussianMixture(2, random_state=0)
    labels = model.fit_predict(X, sample_weight=weights)
    assert labels.shape == (X.shape[0],)
    np.testing.assert_array_equal(labels, model.predict(X))


def test_weighted_kmeans_start_matches_repeated_rows_on_separated_data():
    """k-means weighs the rows, so on clear clusters the default start agrees."""
    X, weights = _data(seed=3)
    weighted = GaussianMixture(2, random_state=0, tol=1e-10).fit(
        X, sample_weight=weights
    )
    reference = GaussianMixture(2, random_state=0, tol=1e-10).fit(
        np.repeat(X, weights, axis=0)
    )
    order = np.argsort(weighted.means_[:, 0]), np.argsort(reference.means_[:, 0])
    np.testing.assert_allclose(
        weighted.means_[order[0]], reference.means_[order[1]], rtol=1e-6
    )


def test_partial_fit_with_weights_equals_repeated_batches():
    X, weights = _data(seed=4)
    repeated = np.repeat(X, weights, axis=0)
    start = _start(repeated, "full")
    a, b = GaussianMixture(2, **start), GaussianMixture(2, **start)
    halves = np.array_split(np.arange(X.shape[0]), 2)
    for rows in halves:
        a.partial_fit(X[rows], sample_weight=weights[rows])
        b.partial_fit(np.repeat(X[rows], weights[rows], axis=0))
    _assert_same_fit(a, b)


def test_dask_weighted_fit_equals_in_memory():
    da = pytest.importorskip("dask.array")
    X, weights = _data(seed=5, n=400)
    params = dict(tol=1e-10, **_start(X, "full"))
    in_memory = GaussianMixture(2, **params).fit(X, sample_weight=weights)
    distributed = GaussianMixture(2, **params).fit(
        da.from_array(X, chunks=(97, 3)), sample_weight=da.from_array(weights, 50)
    )
    _assert_same_fit(in_memory, distributed, rtol=1e-9)


def test_variance_scaled_ridge_uses_weighted_variances():
    X, weights = _data(seed=6)
    model = GaussianMixture(2, reg_covar=1e-3, reg_covar_scale="variance").fit(
        X, sample_weight=weights
    )
    np.testing.assert_allclose(
        model.reg_covar_, 1e-3 * np.repeat(X, weights, axis=0).var(axis=0), rtol=1e-12
    )


@pytest.mark.parametrize(
    "weights, message",
    [
        (-np.ones(240), "non-negative"),
        (np.ones(239), "240 rows"),
        (np.ones((240, 2)), "1-dimensional"),
        (np.zeros(240), "zero"),
        (np.full(240, np.nan), "NaN"),
    ],
)
def test_bad_weights_raise_and_leave_the_model_as_it_was(weights, message):
    X, _ = _data()
    model = GaussianMixture(2, random_state=0).fit(X)
    means = model.means_.copy()
    with pytest.raises(ValueError, match=message):
        model.fit(X, sample_weight=weights)
    np.testing.assert_array_equal(model.means_, means)
    with pytest.raises(ValueError, match=message):
        model.bic(X, sample_weight=weights)


def test_one_row_of_positive_weight_is_too_few():
    X, _ = _data()
    weights = np.zeros(X.shape[0])
    weights[0] = 5
    with pytest.raises(ValueError, match="non-zero sample_weight"):
        GaussianMixture(1).fit(X, sample_weight=weights)


def test_a_noise_mask_is_cut_to_the_rows_of_non_zero_weight():
    X, weights = _data(seed=7)
    weights = np.where(weights > 0, 1, 0)
    mask = np.zeros(X.shape[0], dtype=bool)
    mask[::10] = True
    params = dict(random_state=0, tol=1e-8)
    weighted = GaussianMixture(2, noise=mask, **params).fit(X, sample_weight=weights)
    kept = weights > 0
    dropped = GaussianMixture(2, noise=mask[kept], **params).fit(X[kept])
    _assert_same_fit(weighted, dropped, rtol=1e-12)
    np.testing.assert_allclose(weighted.noise_weight_, dropped.noise_weight_)
    with pytest.raises(ValueError, match="one entry per row of X"):
        GaussianMixture(2, noise=mask[kept]).fit(X, sample_weight=weights)
