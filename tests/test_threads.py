"""Thread safety: concurrent fits and scores give the serial results and
leave the process's BLAS and OpenMP pools as they were; ``set_config``
holds in every thread, ``config_context`` in its own."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_info

import skmix
from skmix.mixture import GaussianMixture


def _pool_sizes():
    return sorted(
        (p["user_api"], p["prefix"], p["num_threads"]) for p in threadpool_info()
    )


def test_concurrent_scoring_while_fitting():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(m, 1.0, (3000, 4)) for m in (-4, 0, 4)])
    model = GaussianMixture(3, random_state=0, backend="numba").fit(X)
    expected = model.score_samples(X)
    refit_expected = GaussianMixture(3, random_state=1).fit(X).means_
    before = _pool_sizes()

    def score(_):
        return model.score_samples(X)

    def fit(_):
        # Each fit limits the BLAS pool while it runs (compute_context);
        # interleaved limits must not leave it limited.
        return GaussianMixture(3, random_state=1).fit(X).means_

    with ThreadPoolExecutor(12) as pool:
        fitting = pool.map(fit, range(16))
        scores = list(pool.map(score, range(8)))
        refits = list(fitting)
    for result in scores:
        np.testing.assert_array_equal(result, expected)
    for refit in refits:
        np.testing.assert_array_equal(refit, refit_expected)
    assert _pool_sizes() == before


def test_set_config_holds_in_every_thread():
    seen = {}
    old = skmix.get_config()["backend"]
    try:
        skmix.set_config(backend="numpy")
        worker = threading.Thread(
            target=lambda: seen.update(backend=skmix.get_config()["backend"])
        )
        worker.start()
        worker.join()
        assert seen["backend"] == "numpy"
        with skmix.config_context(backend="numba"):
            worker = threading.Thread(
                target=lambda: seen.update(backend=skmix.get_config()["backend"])
            )
            worker.start()
            worker.join()
            assert skmix.get_config()["backend"] == "numba"
        assert seen["backend"] == "numpy"  # the block stayed in its thread
        assert skmix.get_config()["backend"] == "numpy"
    finally:
        skmix.set_config(backend=old)


def test_small_default_fit_does_not_depend_on_blas_threads():
    """Under "auto" a small problem runs on NumPy with BLAS on one thread, as
    the Numba kernels' results do not depend on the thread count either."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(m, 1.0, (3000, 4)) for m in (-4, 0, 4)])
    fits = []
    for n_threads in (1, 2):
        with threadpool_limits(limits=n_threads, user_api="blas"):
            fits.append(GaussianMixture(3, random_state=1).fit(X))
    assert fits[0].backend_ == fits[1].backend_ == "numpy"
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)
    np.testing.assert_array_equal(fits[0].covariances_, fits[1].covariances_)
