import numpy as np
import pytest
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
