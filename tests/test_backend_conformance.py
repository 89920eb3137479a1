"""Every backend's kernels equal the NumPy reference; the reference equals scipy."""

import importlib

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from skmix._backend import KERNELS, resolve_backend
from skmix._backend import _numpy as reference

from ._helpers import BACKENDS, random_precision_factors, to_host

TOLERANCE = {np.float64: 1e-10, np.float32: 2e-4}
FORMS = ["full", "diag"]


def _relative_error(actual, expected):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300)


def _problem(dtype, form, n_samples=777, n_features=5, n_components=4, seed=0):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n_samples, n_features)) * 2 + 3).astype(dtype)
    means = rng.standard_normal((n_components, n_features)) + 3
    factors = random_precision_factors(rng, n_components, n_features, form)
    log_weights = np.log(rng.dirichlet(np.ones(n_components)))
    shift = means + 0.1 * rng.standard_normal(means.shape)
    resp = rng.dirichlet(np.ones(n_components), size=n_samples)
    return X, means, factors, log_weights, shift, resp


@pytest.mark.parametrize("name", ["numpy", "numba", "cupy"])
def test_backend_module_defines_every_kernel(name):
    pytest.importorskip(name)
    module = importlib.import_module(f"skmix._backend._{name}")
    assert all(callable(getattr(module, kernel, None)) for kernel in KERNELS)


@pytest.mark.parametrize("form", FORMS)
def test_reference_log_density_matches_scipy(form):
    X, means, factors, _, _, _ = _problem(np.float64, form)
    log_prob = reference.log_gaussian_prob(X, means, factors)
    for k in range(means.shape[0]):
        if form == "full":
            precision = factors[k] @ factors[k].T
        else:
            precision = np.diag(factors[k] ** 2)
        expected = multivariate_normal(means[k], np.linalg.inv(precision)).logpdf(X)
        np.testing.assert_allclose(log_prob[:, k], expected, rtol=1e-10)


def test_reference_logsumexp_matches_scipy():
    A = np.random.default_rng(0).standard_normal((50, 6)) * 300
    A[3] = -np.inf
    np.testing.assert_allclose(
        reference.logsumexp_rows(A), logsumexp(A, axis=1), rtol=1e-12
    )


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("form", FORMS)
class TestKernelConformance:
    """Each kernel of each backend against the NumPy reference."""

    def _run(self, backend_name, kernel, *args):
        backend = resolve_backend(backend_name)
        on_device = [
            backend.asarray(a) if isinstance(a, np.ndarray) else a for a in args
        ]
        return to_host(backend, getattr(backend.kernels, kernel)(*on_device))

    def test_log_gaussian_prob(self, backend_name, dtype, form):
        X, means, factors, *_ = _problem(dtype, form)
        args = (X, means.astype(dtype), factors.astype(dtype))
        actual = self._run(backend_name, "log_gaussian_prob", *args)
        expected = reference.log_gaussian_prob(X.astype(np.float64), means, factors)
        assert actual.shape == expected.shape
        assert _relative_error(actual, expected) < TOLERANCE[dtype]

    def test_score_samples(self, backend_name, dtype, form):
        X, means, factors, log_weights, *_ = _problem(dtype, form)
        args = (
            X,
            log_weights.astype(dtype),
            means.astype(dtype),
            factors.astype(dtype),
        )
        actual = self._run(backend_name, "score_samples", *args)
        expected = reference.score_samples(
            X.astype(np.float64), log_weights, means, factors
        )
        assert actual.shape == (X.shape[0],)
        assert _relative_error(actual, expected) < TOLERANCE[dtype]

    def test_weighted_moments(self, backend_name, dtype, form):
        X, _, _, _, shift, resp = _problem(dtype, form)
        full = form == "full"
        resp, shift = resp.astype(dtype), shift.astype(dtype)
        actual = self._run(backend_name, "weighted_moments", X, resp, shift, full)
        expected = reference.weighted_moments(
            *(a.astype(np.float64) for a in (X, resp, shift)), full
        )
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape
            assert _relative_error(a, e) < TOLERANCE[dtype]

    def test_em_step_statistics(self, backend_name, dtype, form):
        X, means, factors, log_weights, shift, _ = _problem(dtype, form)
        args = [a.astype(dtype) for a in (log_weights, means, factors, shift)]
        actual = self._run(backend_name, "em_step_statistics", X, *args)
        expected = reference.em_step_statistics(
            X.astype(np.float64), log_weights, means, factors, shift
        )
        for a, e in zip(actual, expected, strict=True):
            assert np.shape(a) == np.shape(e)
            assert _relative_error(a, e) < TOLERANCE[dtype]

    def test_logsumexp_rows(self, backend_name, dtype, form):
        A = (np.random.default_rng(1).standard_normal((300, 7)) * 40).astype(dtype)
        actual = self._run(backend_name, "logsumexp_rows", A)
        expected = logsumexp(A.astype(np.float64), axis=1)
        assert _relative_error(actual, expected) < TOLERANCE[dtype]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_kernels_handle_more_rows_than_one_block_and_ragged_tails(backend_name):
    # 2 full blocks of the numba kernels plus a ragged tail, several chunks.
    X, means, factors, log_weights, shift, _ = _problem(
        np.float64, "full", n_samples=70_001, seed=3
    )
    backend = resolve_backend(backend_name)
    on_device = [backend.asarray(a) for a in (X, log_weights, means, factors, shift)]
    actual = to_host(backend, backend.kernels.em_step_statistics(*on_device))
    expected = reference.em_step_statistics(X, log_weights, means, factors, shift)
    for a, e in zip(actual, expected, strict=True):
        assert _relative_error(a, e) < 1e-10


def test_numba_results_do_not_depend_on_thread_count():
    numba = pytest.importorskip("numba")
    from skmix._backend import _numba

    X, means, factors, log_weights, shift, _ = _problem(
        np.float64, "full", n_samples=50_000, seed=4
    )
    before = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            results.append(
                _numba.em_step_statistics(X, log_weights, means, factors, shift)
            )
    finally:
        numba.set_num_threads(before)
    for a, b in zip(results[0], results[-1], strict=True):
        np.testing.assert_array_equal(a, b)
