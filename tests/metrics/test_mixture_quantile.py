import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from skmix.metrics import mixture_cdf, mixture_quantile


def test_reference_quantile_of_equal_variance_mixture():
    # Reference from the issue: 0.5 N(0, 1) + 0.5 N(0, 9) has q0.01 = -6.16125.
    assert mixture_quantile([0.5, 0.5], [0, 0], [1, 3], 0.01) == pytest.approx(
        -6.16125, abs=5e-6
    )


def test_single_component_is_the_normal_quantile():
    q = np.array([[1e-6, 0.01], [0.5, 0.999]])
    result = mixture_quantile([1.0], [2.0], [3.0], q)
    assert result.shape == (2, 2)
    np.testing.assert_allclose(result, norm.ppf(q, loc=2.0, scale=3.0), rtol=1e-12)


def test_quantile_inverts_cdf_for_skewed_mixture():
    weights, means, sds = [0.9, 0.07, 0.03], [0.001, -0.02, 0.05], [0.01, 0.03, 0.02]
    q = np.array([0.001, 0.01, 0.05, 0.5, 0.95, 0.99])
    quantiles = mixture_quantile(weights, means, sds, q)
    np.testing.assert_allclose(
        mixture_cdf(quantiles, weights, means, sds), q, rtol=1e-10
    )
    assert np.all(np.diff(quantiles) > 0)
    # Monte-Carlo check of the CDF itself.
    rng = np.random.default_rng(0)
    component = rng.choice(3, size=400_000, p=weights)
    draws = rng.normal(np.array(means)[component], np.array(sds)[component])
    np.testing.assert_allclose(np.quantile(draws, q[1:-1]), quantiles[1:-1], rtol=0.02)


@pytest.mark.parametrize(
    "args, match",
    [
        (([0.5, 0.6], [0, 0], [1, 1], 0.1), "sum to 1"),
        (([0.5, 0.5], [0, 0], [1, 0], 0.1), "sds"),
        (([0.5, 0.5], [0, 0], [1], 0.1), "same non-zero length"),
        (([0.5, 0.5], [0, np.nan], [1, 1], 0.1), "means contains NaN"),
        (([1.0], [0], [1], 1.0), "q must lie"),
    ],
)
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        mixture_quantile(*args)


def _plateau_quantile(scale):
    # 0.5 N(0, 1) + 0.5 N(0, scale**2) at q = 1/4, for scale >> 1: with
    # Phi(x / scale) = 1/2 + phi(0) x / scale (x / scale ~ 1e-299), the root of
    # 0.5 Phi(x) + 0.5 Phi(x / scale) = 1/4 solves Phi(x) = -phi(0) x / scale,
    # in logs so that nothing underflows. Shrunk by 1 / scale, it is the 1/4
    # quantile of 0.5 N(0, 1 / scale**2) + 0.5 N(0, 1).
    return brentq(
        lambda x: norm.logcdf(x) - np.log(-x * norm.pdf(0)) + np.log(scale), -60, -1
    )


def test_components_1e300_apart_in_scale():
    # Issue 19: brentq's bracket spanned 1e300 and it raised RuntimeError.
    args = [0.5, 0.5], [0.0, 0.0], [1.0, 1e300]
    # Below 1/2, Phi(x / 1e300) = 1/2 for moderate x: 0.5 Phi(x) + 0.25 = q.
    assert mixture_quantile(*args, 0.3) == pytest.approx(norm.ppf(0.1), rel=1e-14)
    assert mixture_quantile(*args, 0.7) == pytest.approx(norm.ppf(0.9), rel=1e-14)
    # Far out, Phi(x) = 0 or 1: 0.5 Phi(x / 1e300) (+ 0.5) = q.
    result = mixture_quantile(*args, [0.1, 0.9])
    np.testing.assert_allclose(result, 1e300 * norm.ppf([0.2, 0.8]), rtol=1e-13)
    # q = 1/4: the CDF is 1/4 within rounding over [-1e284, -8]; its slope
    # still places the quantile near -37.
    reference = _plateau_quantile(1e300)
    result = mixture_quantile(*args, [0.25, 0.75])
    np.testing.assert_allclose(result, [reference, -reference], rtol=1e-12)


def test_components_1e300_below_unit_scale():
    args = [0.5, 0.5], [0.0, 0.0], [1.0, 1e-300]
    # Above -1e-290 or so Phi(x) = 1/2: 0.25 + 0.5 Phi(x / 1e-300) = q.
    # (abs=0: pytest.approx's default abs=1e-12 would pass anything here.)
    assert mixture_quantile(*args, 0.3) == pytest.approx(
        1e-300 * norm.ppf(0.1), rel=1e-13, abs=0
    )
    assert mixture_quantile(*args, 0.1) == pytest.approx(norm.ppf(0.2), rel=1e-14)
    assert mixture_quantile(*args, 0.25) == pytest.approx(
        1e-300 * _plateau_quantile(1e300), rel=1e-12, abs=0
    )


def test_float_range_edges_give_finite_quantiles_or_a_clear_error():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        far = [0.5, 0.5], [-1e308, 1e308], [1.0, 1.0]
        np.testing.assert_array_equal(
            mixture_quantile(*far, [0.3, 0.7]), [-1e308, 1e308]
        )
        assert mixture_cdf(0.0, *far) == 0.5
        assert mixture_cdf([-1.7e308, 1.7e308], *far).tolist() == [0.0, 1.0]
        wide = [1.0], [0.0], [1e308]
        assert mixture_quantile(*wide, 0.2) == pytest.approx(
            1e308 * norm.ppf(0.2), rel=1e-13
        )
        narrow = [1.0], [0.0], [1e-320]  # a subnormal scale
        assert mixture_quantile(*narrow, 0.2) == pytest.approx(
            1e-320 * norm.ppf(0.2), abs=2e-323
        )
        for q, side in ((0.01, "below"), (0.99, "above")):
            with pytest.raises(ValueError, match=f"{side} .*outside the float64 range"):
                mixture_quantile(*wide, q)


def test_complex_parameters_raise():
    with pytest.raises(ValueError, match="Complex data not supported: q"):
        mixture_quantile([1.0], [0.0], [1.0], 0.5 + 0.1j)
    with pytest.raises(ValueError, match="Complex data not supported: means"):
        mixture_quantile([1.0], [1j], [1.0], 0.5)
    with pytest.raises(ValueError, match="Complex data not supported: x"):
        mixture_cdf(1j, [1.0], [0.0], [1.0])
