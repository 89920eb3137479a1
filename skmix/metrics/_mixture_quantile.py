"""Distribution and quantile functions of univariate Gaussian mixtures."""

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm


def _check_mixture(weights, means, sds):
    weights, means, sds = (
        np.asarray(value, dtype=np.float64).ravel() for value in (weights, means, sds)
    )
    if not (weights.size == means.size == sds.size) or weights.size == 0:
        raise ValueError(
            "weights, means and sds must have the same non-zero length; got "
            f"{weights.size}, {means.size} and {sds.size}."
        )
    for name, value in (("weights", weights), ("means", means), ("sds", sds)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{name} contains NaN or infinity.")
    if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, atol=1e-8):
        raise ValueError(
            f"weights must be non-negative and sum to 1; got sum {weights.sum():.6g}."
        )
    if np.any(sds <= 0):
        raise ValueError("sds must be strictly positive.")
    return weights, means, sds


def mixture_cdf(x, weights, means, sds):
    """Distribution function of ``sum_k weights[k] * N(means[k], sds[k]**2)``.

    Parameters
    ----------
    x : float or array-like
    weights, means, sds : array-like of shape (n_components,)
        Mixing weights (summing to 1), component means and standard deviations.

    Returns
    -------
    cdf : float or ndarray of the shape of `x`
    """
    weights, means, sds = _check_mixture(weights, means, sds)
    cdf = _cdf(np.asarray(x, dtype=np.float64), weights, means, sds)
    return float(cdf) if cdf.ndim == 0 else cdf


def _cdf(x, weights, means, sds):
    return norm.cdf((x[..., None] - means) / sds) @ weights


def mixture_quantile(weights, means, sds, q):
    """Quantile function of a univariate Gaussian mixture.

    The mixture's `q`-quantile lies between the smallest and largest of the
    components' `q`-quantiles (the mixture CDF is a weighted mean of the
    component CDFs), which brackets a Brent root search to machine precision.

    Parameters
    ----------
    weights, means, sds : array-like of shape (n_components,)
        Mixing weights (summing to 1), component means and standard deviations.
    q : float or array-like
        Probabilities in (0, 1).

    Returns
    -------
    quantile : float or ndarray of the shape of `q`

    Examples
    --------
    A 1% Value-at-Risk of a calm/turbulent regime mixture of returns:

    >>> from skmix.metrics import mixture_quantile
    >>> round(mixture_quantile([0.5, 0.5], [0.0, 0.0], [1.0, 3.0], 0.01), 5)
    -6.16125
    """
    weights, means, sds = _check_mixture(weights, means, sds)
    q = np.asarray(q, dtype=np.float64)
    if not np.all((q > 0) & (q < 1)):
        raise ValueError("q must lie strictly between 0 and 1.")
    quantiles = np.empty_like(q)
    for index, probability in np.ndenumerate(q):
        component_quantiles = means + sds * norm.ppf(probability)
        # Widened so that rounding in the CDF cannot hide the sign change.
        margin = 1e-9 * (1.0 + np.abs(component_quantiles).max())
        quantiles[index] = brentq(
            lambda x, p=probability: _cdf(np.asarray(x), weights, means, sds) - p,
            component_quantiles.min() - margin,
            component_quantiles.max() + margin,
            xtol=1e-14,
            rtol=4 * np.finfo(float).eps,
        )
    return float(quantiles) if quantiles.ndim == 0 else quantiles
