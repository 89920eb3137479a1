"""The numeric range of the Gaussian kernels (doc/user_guide.rst, "Numeric
range"): data far from zero keep their precision, values whose squares
overflow are refused with a clear error on every backend, and a fitted model
is left as it was."""

import numpy as np
import pytest

from skmix.mixture import GaussianMixture

from ._helpers import CPU_BACKENDS


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_values_whose_squares_overflow_are_refused(backend):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    model = GaussianMixture(2, backend=backend, random_state=0).fit(X)
    means = model.means_.copy()
    bad = X.copy()
    bad[5, 0] = 1e155  # finite, but its square is not
    with pytest.raises(ValueError, match="magnitude up to 1e\\+155.*Rescale"):
        model.fit(bad)
    np.testing.assert_array_equal(model.means_, means)
    with pytest.raises(ValueError, match="overflow float32"):
        GaussianMixture(2, backend=backend).fit((X * 1e19).astype(np.float32))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_infinite_log_likelihood_is_an_error_not_a_crash(backend):
    """Squared distances that overflow inside the kernels (here: precisions
    of 1e308) give a ValueError, never an exception from a worker thread."""
    X = np.random.default_rng(1).standard_normal((2000, 2))
    model = GaussianMixture(
        1, weights_init=[1.0], means_init=[[0.0, 0.0]],
        precisions_init=[np.eye(2) * 1e308], backend=backend,
    )  # fmt: skip
    with pytest.raises(ValueError, match="log-likelihood of X is not finite"):
        model.fit(X)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical", "VEV"])
def test_float32_data_far_from_zero(backend, covariance_type):
    """Issue 19: float32 data at 1e4 +- 0.01 gave a lower bound of +12,077
    for about 8.9; float64 fits of the same values agree to 2e-3."""
    rng = np.random.default_rng(0)
    X = 1e4 + 0.01 * rng.standard_normal((2000, 3))
    X[:1000] += 0.05
    X32 = X.astype(np.float32)
    common = dict(covariance_type=covariance_type, backend=backend, random_state=0)
    single = GaussianMixture(2, **common).fit(X32)
    double = GaussianMixture(2, **common).fit(X32.astype(np.float64))
    assert 8.5 < double.lower_bound_ < 9.3
    assert single.lower_bound_ == pytest.approx(double.lower_bound_, abs=2e-3)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_float64_model_scores_float32_rows_in_float64(backend):
    """Issue 19: float32 rows scored by a float64 model were off by up to
    36 nats (0.2 once centred): the model's precision is kept."""
    rng = np.random.default_rng(0)
    X = (1e4 + 0.01 * rng.standard_normal((2000, 3))).astype(np.float32)
    model = GaussianMixture(2, backend=backend, random_state=0).fit(
        X.astype(np.float64)
    )
    np.testing.assert_allclose(
        model.score_samples(X), model.score_samples(X.astype(np.float64)), atol=1e-9
    )
    np.testing.assert_array_equal(model.predict(X), model.predict(X.astype(np.float64)))


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_posteriors_sum_to_one_far_from_the_training_range(backend):
    """Issue 19: a feature constant in training that moves at predict time
    gives log-densities of -5e11, where rows summed to 1 +- 2e-5."""
    rng = np.random.default_rng(0)
    X = np.c_[rng.standard_normal((300, 2)), np.zeros(300)]
    X[:150, 0] += 5
    model = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    moved = X[:50].copy()
    moved[:, 2] = 1e3
    proba = model.set_params(backend=backend).predict_proba(moved)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
