"""GaussianMixture against scikit-learn, published reference fits, and bad input."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris, load_wine, make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmix.mixture import GaussianMixture

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
FITTED = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def _blobs(n_samples=1500, n_features=3, centers=3, seed=0):
    X, _ = make_blobs(
        n_samples=n_samples,
        n_features=n_features,
        centers=centers,
        cluster_std=[1.0, 2.0, 0.5][:centers] if centers <= 3 else 1.0,
        random_state=seed,
    )
    return X


def _initial_precisions(covariance_type, n_components, n_features, rng):
    A = rng.standard_normal((n_components, n_features, n_features)) * 0.2
    full = A @ A.transpose(0, 2, 1) + np.eye(n_features) * 0.5
    return {
        "full": full,
        "tied": full[0],
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": full[:, 0, 0].copy(),
    }[covariance_type]


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_same_log_likelihood_as_sklearn_from_identical_initial_parameters(
    covariance_type, cpu_backend
):
    X = _blobs()
    rng = np.random.default_rng(1)
    init = dict(
        weights_init=np.array([0.2, 0.3, 0.5]),
        means_init=X[rng.choice(len(X), 3, replace=False)],
        precisions_init=_initial_precisions(covariance_type, 3, X.shape[1], rng),
    )
    common = dict(covariance_type=covariance_type, tol=1e-10, max_iter=500, **init)
    expected = SklearnGaussianMixture(3, **common).fit(X)
    fitted = GaussianMixture(3, backend=cpu_backend, **common).fit(X)
    assert fitted.lower_bound_ == pytest.approx(expected.lower_bound_, rel=1e-6)
    assert fitted.n_iter_ == pytest.approx(expected.n_iter_, abs=2)
    for attribute in FITTED:
        np.testing.assert_allclose(
            getattr(fitted, attribute), getattr(expected, attribute), rtol=1e-5,
            atol=1e-8,
        )  # fmt: skip
    # Each iteration's log-likelihood, not only the last one (sklearn < 1.7 has
    # no lower_bounds_, so step it one warm-started iteration at a time).
    stepper = SklearnGaussianMixture(
        3, **{**common, "max_iter": 1, "tol": 0.0}, warm_start=True
    )
    expected_bounds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(5):
            expected_bounds.append(stepper.fit(X).lower_bound_)
    np.testing.assert_allclose(fitted.lower_bounds_[:5], expected_bounds, rtol=1e-10)


@pytest.mark.parametrize(
    "init_params", ["kmeans", "k-means++", "random", "random_from_data"]
)
def test_same_random_state_draws_the_same_initialisation_as_sklearn(
    init_params, cpu_backend
):
    X = _blobs(seed=2)
    common = dict(init_params=init_params, random_state=7, n_init=2, max_iter=300)
    expected = SklearnGaussianMixture(3, **common).fit(X)
    fitted = GaussianMixture(3, backend=cpu_backend, **common).fit(X)
    assert fitted.lower_bound_ == pytest.approx(expected.lower_bound_, rel=1e-9)
    assert fitted.n_iter_ == expected.n_iter_
    np.testing.assert_allclose(fitted.means_, expected.means_, rtol=1e-7)


def test_iris_reaches_mclust_reference_log_likelihood(cpu_backend):
    # mclust's VVV fit of iris with 3 components: log-likelihood -180.1858.
    X = load_iris().data
    gm = GaussianMixture(
        3, n_init=10, tol=1e-8, max_iter=1000, random_state=0, backend=cpu_backend
    ).fit(X)
    total = gm.score(X) * X.shape[0]
    assert total >= -180.19
    assert total == pytest.approx(-180.1858, abs=5e-3)
    assert gm.bic(X) == pytest.approx(-2 * total + 44 * np.log(150), rel=1e-12)


@pytest.mark.parametrize("loader", [load_wine, load_breast_cancer])
@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_real_data_matches_sklearn(loader, covariance_type, cpu_backend):
    X = StandardScaler().fit_transform(loader().data)
    common = dict(covariance_type=covariance_type, random_state=0, reg_covar=1e-4)
    expected = SklearnGaussianMixture(3, **common).fit(X)
    fitted = GaussianMixture(3, backend=cpu_backend, **common).fit(X)
    assert fitted.lower_bound_ == pytest.approx(expected.lower_bound_, rel=1e-6)
    np.testing.assert_allclose(fitted.score_samples(X), expected.score_samples(X),
                               rtol=1e-6)  # fmt: skip
    assert fitted.bic(X) == pytest.approx(expected.bic(X), rel=1e-8)
    assert fitted.aic(X) == pytest.approx(expected.aic(X), rel=1e-8)


def test_prediction_methods_agree_with_sklearn(cpu_backend):
    X = _blobs(seed=3)
    expected = SklearnGaussianMixture(3, random_state=0).fit(X)
    fitted = GaussianMixture(3, random_state=0, backend=cpu_backend)
    labels = fitted.fit_predict(X)
    np.testing.assert_array_equal(labels, fitted.predict(X))
    np.testing.assert_array_equal(labels, expected.predict(X))
    np.testing.assert_allclose(
        fitted.predict_proba(X), expected.predict_proba(X), atol=1e-8
    )
    assert fitted.score(X) == pytest.approx(expected.score(X), rel=1e-10)
    sample, components = fitted.sample(500)
    expected_sample, expected_components = expected.sample(500)
    np.testing.assert_allclose(sample, expected_sample, rtol=1e-6)
    np.testing.assert_array_equal(components, expected_components)


def test_warm_start_continues_like_sklearn(cpu_backend):
    X = _blobs(seed=4)
    kwargs = dict(warm_start=True, max_iter=3, random_state=0, tol=0.0)
    expected = SklearnGaussianMixture(3, **kwargs)
    fitted = GaussianMixture(3, backend=cpu_backend, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            expected.fit(X)
            fitted.fit(X)
    assert fitted.lower_bound_ == pytest.approx(expected.lower_bound_, rel=1e-10)
    np.testing.assert_allclose(fitted.means_, expected.means_, rtol=1e-8)


def test_float32_input_keeps_float32_parameters(cpu_backend):
    X = _blobs(seed=5)
    fitted32 = GaussianMixture(3, random_state=0, backend=cpu_backend).fit(
        X.astype(np.float32)
    )
    fitted64 = GaussianMixture(3, random_state=0, backend=cpu_backend).fit(X)
    assert fitted32.means_.dtype == np.float32
    assert fitted32.lower_bound_ == pytest.approx(fitted64.lower_bound_, rel=1e-4)
    np.testing.assert_allclose(fitted32.means_, fitted64.means_, rtol=1e-3, atol=1e-3)


def test_float32_far_from_origin_stays_accurate(cpu_backend):
    # Moments about the current means (not the origin) keep float32 accurate
    # when the data sit far from zero relative to their spread. Compare with a
    # float64 fit of the very same (float32-rounded) values.
    X32 = (_blobs(seed=6) * 0.1 + 1e3).astype(np.float32)
    fitted32 = GaussianMixture(3, random_state=0, backend=cpu_backend).fit(X32)
    fitted64 = GaussianMixture(3, random_state=0, backend=cpu_backend).fit(
        X32.astype(np.float64)
    )
    scale = np.abs(fitted64.covariances_).max()
    np.testing.assert_allclose(
        fitted32.covariances_, fitted64.covariances_, rtol=1e-3, atol=1e-3 * scale
    )


def test_warns_when_not_converged(cpu_backend):
    X = _blobs(seed=7)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        GaussianMixture(3, max_iter=1, tol=0.0, backend=cpu_backend).fit(X)


def test_works_in_pipeline_and_grid_search(cpu_backend):
    X = _blobs(n_samples=600, centers=3, seed=8)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), GaussianMixture(backend=cpu_backend)),
        {"gaussianmixture__n_components": [1, 3]},
        cv=3,
    ).fit(X)
    assert search.best_params_ == {"gaussianmixture__n_components": 3}


def test_pickle_round_trip_scores_identically(cpu_backend):
    X = _blobs(seed=9)
    fitted = GaussianMixture(3, random_state=0, backend=cpu_backend).fit(X)
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.score_samples(X), fitted.score_samples(X))


# ---------------------------------------------------------------- partial_fit
def test_first_partial_fit_is_one_em_iteration(cpu_backend):
    X = _blobs(seed=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one_step = GaussianMixture(3, max_iter=1, random_state=0, backend=cpu_backend)
        one_step.fit(X)
    streamed = GaussianMixture(3, random_state=0, backend=cpu_backend).partial_fit(X)
    for attribute in FITTED:
        np.testing.assert_allclose(
            getattr(streamed, attribute), getattr(one_step, attribute), rtol=1e-12
        )


def test_partial_fit_in_chunks_converges_to_batch_fit(cpu_backend):
    X = _blobs(n_samples=30_000, seed=11)
    X = X[np.random.default_rng(0).permutation(len(X))]
    batch = SklearnGaussianMixture(3, random_state=0).fit(X)
    streamed = GaussianMixture(3, random_state=0, backend=cpu_backend)
    for _ in range(3):
        for chunk in np.array_split(X, 30):
            streamed.partial_fit(chunk)
    order = [
        np.argmin(np.linalg.norm(batch.means_ - m, axis=1)) for m in streamed.means_
    ]
    assert sorted(order) == [0, 1, 2]
    np.testing.assert_allclose(streamed.means_, batch.means_[order], atol=0.05)
    np.testing.assert_allclose(streamed.weights_, batch.weights_[order], atol=0.01)
    assert streamed.score(X) == pytest.approx(batch.score(X), rel=1e-3)


def test_partial_fit_after_fit_adds_the_new_rows(cpu_backend):
    X = _blobs(seed=12)
    first, second = X[:1000], X[1000:]
    model = GaussianMixture(3, random_state=0, tol=1e-10, max_iter=500,
                            backend=cpu_backend).fit(first)  # fmt: skip
    updated = pickle.loads(pickle.dumps(model)).partial_fit(second)
    # After the update the statistics cover all rows, so the weights are the
    # responsibility mass of the whole data set under the pre-update model.
    expected_mass = model.predict_proba(X).sum(axis=0) / len(X)
    np.testing.assert_allclose(updated.weights_, expected_mass, atol=2e-3)
    with pytest.raises(ValueError, match="X has 2 features"):
        updated.partial_fit(second[:, :2])


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([[0.0, np.nan], [1.0, 2.0], [3.0, 1.0]]), "Input X contains NaN"),
        (np.array([[0.0, np.inf], [1.0, 2.0], [3.0, 1.0]]), "infinity"),
        (np.arange(10.0), "Expected 2D array"),
        (np.ones((1, 3)), "minimum of 2 is required"),
        (np.arange(6.0).reshape(3, 2), "n_samples >= n_components"),
    ],
)
def test_bad_training_data_is_a_clear_error(bad, message, cpu_backend):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(4, backend=cpu_backend).fit(bad)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(means_init=[[0.0, np.nan], [1.0, 1.0]]), "means_init contains NaN"),
        (dict(weights_init=[np.inf, 0.5]), "weights_init contains infinity"),
        (dict(weights_init=[0.3, 0.3]), "should be normalized"),
        (dict(precisions_init=[[[1.0, 0], [0, np.nan]]] * 2), "contains NaN"),
        (dict(precisions_init=[[[1.0, 2], [2, 1]]] * 2), "positive-definite"),
        (dict(means_init=np.zeros((2, 3))), "shape of \\(2, 2\\)"),
        (dict(covariance_type="banded"), "covariance_type must be one of"),
        (dict(n_components=0), "n_components == 0, must be >= 1"),
        (dict(reg_covar=-1.0), "reg_covar == -1.0, must be >= 0.0"),
    ],
)
def test_bad_parameters_are_a_clear_error(params, message, cpu_backend):
    X = _blobs(n_samples=50, n_features=2, centers=2)
    with pytest.raises(ValueError, match=message):
        GaussianMixture(**{"n_components": 2, **params}, backend=cpu_backend).fit(X)


def test_wrong_feature_count_at_predict(cpu_backend):
    X = _blobs(n_features=3)
    fitted = GaussianMixture(2, random_state=0, backend=cpu_backend).fit(X)
    for method in ("predict", "predict_proba", "score_samples", "score"):
        with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture"):
            getattr(fitted, method)(X[:, :2])


def test_failed_fit_leaves_previous_fit_untouched(cpu_backend):
    X = _blobs(n_features=3)
    fitted = GaussianMixture(3, random_state=0, backend=cpu_backend).fit(X)
    before = {name: np.copy(getattr(fitted, name)) for name in FITTED}
    state = {k: v for k, v in vars(fitted).items() if k not in FITTED}
    collapsed = np.repeat(X[:1, :2], 10, axis=0) + np.arange(10)[:, None] * [1, 0]
    # A flat line of points in 2-D has a singular covariance once reg_covar=0;
    # the failure is found deep inside EM, after n_features changed.
    attempts = [
        (dict(), np.vstack([X[:5], [[np.nan, 0, 0]]]), "NaN"),
        (dict(reg_covar=0.0), collapsed, "ill-defined empirical covariance"),
        (dict(means_init=np.full((3, 3), np.inf)), X, "infinity"),
    ]
    for params, data, message in attempts:
        fitted.set_params(**params)
        with pytest.raises(ValueError, match=message):
            fitted.fit(data)
        fitted.set_params(reg_covar=1e-6, means_init=None)
    for name in FITTED:
        np.testing.assert_array_equal(getattr(fitted, name), before[name])
    assert fitted.n_features_in_ == state["n_features_in_"] == 3
    assert fitted.lower_bound_ == state["lower_bound_"]


@pytest.mark.parametrize("n_samples", [300, 3000])
def test_starts_in_threads_give_the_sequential_fit_and_lines(n_samples, capsys):
    """n_jobs runs the n_init starts in threads: the same fit as one after
    the other, each start's lines in order."""
    X, _ = make_blobs(n_samples, n_features=3, centers=4, random_state=1)
    fits = {}
    for n_jobs in (1, 2):
        fits[n_jobs] = GaussianMixture(
            4, n_init=5, init_params="random", random_state=0, n_jobs=n_jobs,
            verbose=1,
        ).fit(X)  # fmt: skip
        fits[n_jobs].lines = capsys.readouterr().out.splitlines()
    for name in ("weights_", "means_", "covariances_", "lower_bound_", "n_iter_"):
        np.testing.assert_array_equal(getattr(fits[2], name), getattr(fits[1], name))
    assert fits[2].lines[0] == "Initialization 0"
    starts = [line for line in fits[2].lines if line.startswith("Initialization ")]
    assert starts == [
        line for line in fits[1].lines if line.startswith("Initialization ")
    ]
