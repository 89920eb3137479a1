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


def _log_gaussian_prob_case(dtype, form):
    X, means, factors, *_ = _problem(dtype, form)
    return X, means.astype(dtype), factors.astype(dtype)


def _score_samples_case(dtype, form):
    X, means, factors, log_weights, *_ = _problem(dtype, form)
    return X, log_weights.astype(dtype), means.astype(dtype), factors.astype(dtype)


def _weighted_moments_case(dtype, form):
    X, _, _, _, shift, resp = _problem(dtype, form)
    return X, resp.astype(dtype), shift.astype(dtype), form == "full"


def _em_step_statistics_case(dtype, form):
    X, means, factors, log_weights, shift, _ = _problem(dtype, form)
    return (X, *(a.astype(dtype) for a in (log_weights, means, factors, shift)))


def _missing_em_step_statistics_case(dtype, form):
    """Rows with NaN sorted by pattern, and the patterns' embedded parameters."""
    from skmix._core import ComponentScorer
    from skmix._core._missing import MissingPatterns, MissingScorer

    X, means, factors, log_weights, shift, _ = _problem(dtype, form, seed=2)
    rng = np.random.default_rng(6)
    X = X.copy()
    X[rng.random(X.shape) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    patterns = MissingPatterns.from_rows(X, np)
    scorer = MissingScorer(ComponentScorer(log_weights, means, factors))
    const, embedded, slopes, _ = scorer.embedded(patterns.observed)
    weight = rng.uniform(0.5, 2.0, patterns.incomplete.shape[0])
    return (
        patterns.incomplete, patterns.pattern,
        *(a.astype(dtype) for a in (const, means, embedded, slopes, shift, weight)),
    )  # fmt: skip


def _logsumexp_rows_case(dtype, form):
    return ((np.random.default_rng(1).standard_normal((300, 7)) * 40).astype(dtype),)


#: Arguments of each kernel for a (dtype, precision form) problem. The
#: reference runs on float64 copies of the same arguments.
KERNEL_CASES = {
    "log_gaussian_prob": _log_gaussian_prob_case,
    "score_samples": _score_samples_case,
    "weighted_moments": _weighted_moments_case,
    "em_step_statistics": _em_step_statistics_case,
    "missing_em_step_statistics": _missing_em_step_statistics_case,
    "logsumexp_rows": _logsumexp_rows_case,
}


def test_every_kernel_has_a_conformance_case():
    assert set(KERNEL_CASES) == set(KERNELS)


def _as_float64(argument):
    if isinstance(argument, np.ndarray) and argument.dtype.kind == "f":
        return argument.astype(np.float64)
    return argument


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("form", FORMS)
def test_kernel_conforms_to_the_reference(kernel, backend_name, dtype, form):
    """Each kernel of each backend against the NumPy reference."""
    args = KERNEL_CASES[kernel](dtype, form)
    backend = resolve_backend(backend_name)
    on_device = [backend.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
    actual = to_host(backend, getattr(backend.kernels, kernel)(*on_device))
    expected = getattr(reference, kernel)(*(_as_float64(a) for a in args))
    if not isinstance(expected, tuple):
        actual, expected = (actual,), (expected,)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert np.shape(a) == np.shape(e)
        assert _relative_error(a, e) < TOLERANCE[dtype]


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("form", FORMS)
def test_weighted_e_step_equals_repeated_rows(backend_name, form):
    """Integer frequency weights: the statistics of the repeated rows, on every
    backend (the reference's weighted path is checked by the same numbers)."""
    X, means, factors, log_weights, shift, _ = _problem(np.float64, form, seed=7)
    weight = np.random.default_rng(8).integers(0, 4, X.shape[0]).astype(np.float64)
    backend = resolve_backend(backend_name)
    on_device = [backend.asarray(a) for a in (log_weights, means, factors, shift)]
    weighted = to_host(
        backend,
        backend.kernels.em_step_statistics(
            backend.asarray(X), *on_device, sample_weight=backend.asarray(weight)
        ),
    )
    repeated = reference.em_step_statistics(
        np.repeat(X, weight.astype(int), axis=0), log_weights, means, factors, shift
    )
    for a, e in zip(weighted, repeated, strict=True):
        assert _relative_error(a, e) < 1e-10


@pytest.mark.parametrize("form", FORMS)
def test_reference_missing_e_step_matches_conditional_expectations(form):
    """The missing-value statistics against a row-by-row computation with
    NumPy's linear algebra: conditional means and covariances of the missing
    coordinates given the observed ones (Ghahramani & Jordan 1994), and
    log-densities of the observed coordinates' marginal from scipy."""
    X, pattern, const, means, factors, slopes, shift, weight = (
        _missing_em_step_statistics_case(np.float64, form)
    )
    log_weights, precisions = (
        _problem(np.float64, form, seed=2)[3],
        _problem(np.float64, form, seed=2)[2],
    )
    if form == "full":
        covariances = np.linalg.inv(precisions @ np.swapaxes(precisions, 1, 2))
    else:
        covariances = np.stack([np.diag(1.0 / f**2) for f in precisions])
    K, D = means.shape
    log_lik, nk, sum_x, sum_xx = 0.0, np.zeros(K), np.zeros((K, D)), np.zeros((K, D, D))
    for x, w in zip(X, weight, strict=True):
        o, m = ~np.isnan(x), np.isnan(x)
        marginals = [
            multivariate_normal(means[k, o], covariances[k][np.ix_(o, o)])
            for k in range(K)
        ]
        log_joint = log_weights + [marginal.logpdf(x[o]) for marginal in marginals]
        log_lik += w * logsumexp(log_joint)
        resp = w * np.exp(log_joint - logsumexp(log_joint))
        for k in range(K):
            S = covariances[k]
            gain = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
            filled = x.copy()
            filled[m] = means[k, m] + gain @ (x[o] - means[k, o])
            conditional = np.zeros((D, D))
            conditional[np.ix_(m, m)] = S[np.ix_(m, m)] - gain @ S[np.ix_(o, m)]
            d = filled - shift[k]
            nk[k] += resp[k]
            sum_x[k] += resp[k] * d
            sum_xx[k] += resp[k] * (np.outer(d, d) + conditional)
    actual_log_lik, actual_nk, actual_x, actual_xx, nk_pattern = (
        reference.missing_em_step_statistics(
            X, pattern, const, means, factors, slopes, shift, weight
        )
    )
    from skmix._core import ComponentScorer
    from skmix._core._missing import MissingScorer

    scorer = MissingScorer(ComponentScorer(log_weights, means, precisions))
    *_, conditional = scorer.embedded(
        ~np.isnan(X[np.searchsorted(pattern, np.arange(pattern.max() + 1))])
    )
    if form == "full":
        actual_xx = actual_xx + np.einsum("pk,pkab->kab", nk_pattern, conditional)
        expected_xx = sum_xx
    else:
        actual_xx = actual_xx + np.einsum("pk,pka->ka", nk_pattern, conditional)
        expected_xx = np.diagonal(sum_xx, axis1=1, axis2=2)
    np.testing.assert_allclose(actual_log_lik, log_lik, rtol=1e-12)
    np.testing.assert_allclose(actual_nk, nk, rtol=1e-12)
    np.testing.assert_allclose(actual_x, sum_x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(actual_xx, expected_xx, rtol=1e-10)


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


@pytest.mark.parametrize("backend_name", BACKENDS)
@pytest.mark.parametrize("form", FORMS)
def test_log_density_holds_far_from_zero(form, backend_name):
    """Data at 1e8 +- 1e-3: the reference (also the CuPy path) scores centred
    rows, not an expanded quadratic form that cancels (issue 19: +305,849
    for 15.5), and the Numba pass projects rows and means about the mean of
    the means (``x'U - m'U`` lost 1e-6 relative here)."""
    rng = np.random.default_rng(5)
    X = 1e8 + 1e-3 * rng.standard_normal((200, 3))
    means = 1e8 + 1e-4 * rng.standard_normal((2, 3))
    scale = np.array([[1e-3, 2e-3, 1.5e-3], [2e-3, 1e-3, 1e-3]])
    if form == "diag":
        factors = 1.0 / scale
    else:
        factors = np.stack([np.diag(1.0 / s) for s in scale])
    backend = resolve_backend(backend_name)
    actual = to_host(
        backend,
        backend.kernels.log_gaussian_prob(
            *(backend.asarray(a) for a in (X, means, factors))
        ),
    )
    for k in range(2):
        # SciPy on centred data: its own quadratic form is exact there.
        expected = multivariate_normal(np.zeros(3), np.diag(scale[k] ** 2)).logpdf(
            X - means[k]
        )
        np.testing.assert_allclose(actual[:, k], expected, rtol=1e-12)
