"""Distributed fitting on a real Dask cluster (worker processes)."""

import numpy as np
import pytest

pytest.importorskip("dask.distributed")
import dask.array as da  # noqa: E402
import joblib  # noqa: E402
from dask.distributed import Client, LocalCluster, get_task_stream  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skmix.mixture import GaussianMixture  # noqa: E402
from skmix.novelty import OpenSetGMMDetector  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _blobs(n=6000, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[0.0, 0, 0, 0], [4, 4, 0, 0], [0, 4, 4, 8]])
    X = centres[labels] + rng.normal(size=(n, 4)) @ np.diag([1, 0.5, 2, 1])
    return X.astype(dtype), labels


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_fit_equals_in_memory_fit_from_same_start(client, covariance_type):
    X, _ = _blobs()
    start = GaussianMixture(3, covariance_type=covariance_type, max_iter=2,
                            random_state=1).fit(X)  # fmt: skip
    kwargs = dict(
        covariance_type=covariance_type,
        weights_init=start.weights_,
        means_init=start.means_,
        precisions_init=start.precisions_,
        tol=1e-12,
        max_iter=40,
    )
    in_memory = GaussianMixture(3, **kwargs).fit(X)
    distributed = GaussianMixture(3, **kwargs).fit(da.from_array(X, chunks=(700, 2)))
    assert distributed.n_iter_ == in_memory.n_iter_
    assert distributed.lower_bound_ == pytest.approx(in_memory.lower_bound_, rel=1e-8)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(distributed, name), getattr(in_memory, name), rtol=1e-8, atol=1e-10
        )


def test_initialisation_on_a_sample_and_lazy_prediction(client):
    X, labels = _blobs(seed=1)
    X_dask = da.from_array(X, chunks=(1000, 4))
    model = GaussianMixture(3, init_params="k-means++", random_state=0).fit(X_dask)
    reference = GaussianMixture(3, init_params="k-means++", random_state=0).fit(X)
    assert model.lower_bound_ == pytest.approx(reference.lower_bound_, rel=1e-6)
    predicted = model.predict(X_dask)
    assert isinstance(predicted, da.Array)
    np.testing.assert_array_equal(predicted.compute(), model.predict(X))
    np.testing.assert_allclose(
        model.score_samples(X_dask).compute(), model.score_samples(X), rtol=1e-12
    )
    proba = model.predict_proba(X_dask)
    assert proba.shape == (6000, 3)
    np.testing.assert_allclose(proba.compute(), model.predict_proba(X), rtol=1e-10)
    assert model.bic(X_dask) == pytest.approx(model.bic(X), rel=1e-12)


def test_float32_blocks(client):
    X, _ = _blobs(dtype=np.float32)
    start = GaussianMixture(3, max_iter=2, random_state=0).fit(X)
    kwargs = dict(means_init=start.means_, weights_init=start.weights_, tol=1e-9)
    in_memory = GaussianMixture(3, **kwargs).fit(X)
    distributed = GaussianMixture(3, **kwargs).fit(da.from_array(X, chunks=(500, 4)))
    assert distributed.means_.dtype == np.float32
    np.testing.assert_allclose(distributed.means_, in_memory.means_, rtol=1e-5)


def test_bad_dask_input_raises(client):
    X, _ = _blobs()
    X[17, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        GaussianMixture(3).fit(da.from_array(X, chunks=(1000, 4)))
    complex_X = da.from_array(_blobs()[0] + 1j, chunks=(1000, 4))
    with pytest.raises(ValueError, match="Complex data not supported"):
        GaussianMixture(3).fit(complex_X)  # once cast to real silently
    model = GaussianMixture(3, random_state=0).fit(_blobs()[0])
    with pytest.raises(ValueError, match="expecting 4 features"):
        model.predict(da.zeros((10, 3), chunks=5))


def test_open_set_detector_fits_on_dask(client):
    X, labels = _blobs(seed=2)
    X_dask = da.from_array(X, chunks=(1500, 4))
    distributed = OpenSetGMMDetector((1, 2), random_state=0).fit(X_dask, labels)
    in_memory = OpenSetGMMDetector((1, 2), random_state=0).fit(X, labels)
    # With fewer rows than the selection sample, the choices are the same and
    # the distributed refit starts where the in-memory fit does.
    assert distributed.covariance_type_ == in_memory.covariance_type_
    assert [m.n_components for m in distributed.class_mixtures_] == [
        m.n_components for m in in_memory.class_mixtures_
    ]
    assert distributed.offset_ == pytest.approx(in_memory.offset_, rel=1e-8)
    scores = distributed.score_samples(X_dask)
    np.testing.assert_allclose(scores.compute(), in_memory.score_samples(X), rtol=1e-8)


def test_grid_search_runs_on_the_cluster_through_joblib(client):
    X, _ = _blobs(n=1500)
    grid = {"n_components": [2, 3, 4], "covariance_type": ["full", "diag"]}
    local = GridSearchCV(GaussianMixture(random_state=0), grid, cv=3).fit(X)
    with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        remote = GridSearchCV(
            GaussianMixture(random_state=0), grid, cv=3, n_jobs=-1
        ).fit(X)
    # The 18 fits ran as tasks (joblib batches them) on the cluster's workers.
    assert {task["worker"] for task in tasks.data} <= set(
        client.scheduler_info()["workers"]
    )
    assert len(tasks.data) >= 1
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
