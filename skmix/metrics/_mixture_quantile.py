"""Distribution and quantile functions of univariate Gaussian mixtures."""

import math
import struct

import numpy as np
from scipy.special import ndtr

from ..utils import check_real_array

_LARGEST = float(np.finfo(np.float64).max)
_SQRT2 = math.sqrt(2.0)


def _check_mixture(weights, means, sds):
    weights, means, sds = (
        check_real_array(value, name).ravel()
        for value, name in ((weights, "weights"), (means, "means"), (sds, "sds"))
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
    cdf = _cdf(check_real_array(x, "x"), weights, means, sds)
    return float(cdf) if cdf.ndim == 0 else cdf


def _cdf(x, weights, means, sds):
    # x - mean may overflow to +-inf for means near the float range's ends:
    # the right limit of the standardised value, where Phi is exact.
    with np.errstate(over="ignore"):
        z = (x[..., None] - means) / sds
    return ndtr(z) @ weights


def _excess(x, upper, target, components):
    """``F(x) - q`` (``q <= 1/2``) or ``(1 - q) - S(x)`` (``q > 1/2``, tail
    ``S = 1 - F``; ``target = 1 - q`` is exact there): increasing in `x`,
    and correctly rounded however nearly its terms cancel.

    Each ``Phi(z)`` is a plateau (0, 1/2 or 1) plus a deviation computed
    without cancellation (``Phi(z)`` for ``z < -1``, ``erf(z / sqrt 2) / 2``
    for ``|z| <= 1``, ``-Phi(-z)`` for ``z > 1``), and :func:`math.fsum` adds
    the terms exactly. So where the mixture's distribution function is flat
    within rounding (``q`` equal to the mass of some components: 1/4 for
    N(0, 1) and N(0, 1e300) with equal weights), its tiny slope still places
    the quantile.
    """
    terms = [-target]
    for weight, mean, sd in components:
        z = (x - mean) / sd  # Python floats: overflow gives +-inf, no error
        if upper:
            z = -z
        if z < -1.0:
            terms.append(0.5 * weight * math.erfc(-z / _SQRT2))
        elif z > 1.0:
            terms += [weight, -0.5 * weight * math.erfc(z / _SQRT2)]
        else:
            terms += [0.5 * weight, 0.5 * weight * math.erf(z / _SQRT2)]
    total = math.fsum(terms)
    return -total if upper else total


def _key(x):
    """Order-preserving integer key of a finite double (-0.0 and 0.0: 0)."""
    magnitude = struct.unpack("<q", struct.pack("<d", abs(x)))[0]
    return -magnitude if x < 0 else magnitude


def _float(key):
    magnitude = struct.unpack("<d", struct.pack("<q", abs(key)))[0]
    return -magnitude if key < 0 else magnitude


def _quantile(probability, components):
    """Smallest double where the excess reaches 0, by bisection on the
    doubles' order: at most 64 steps from the whole float range to adjacent
    floats, whatever the components' scales, with no tolerance that would
    round a tiny quantile to zero."""
    upper = probability > 0.5
    target = 1.0 - probability if upper else probability

    def excess(x):
        return _excess(x, upper, target, components)

    if excess(-_LARGEST) > 0 or excess(_LARGEST) < 0:
        side = "below" if excess(-_LARGEST) > 0 else "above"
        raise ValueError(
            f"The {probability:g}-quantile of this mixture lies {side} "
            f"{'-' if side == 'below' else '+'}{_LARGEST:g}, outside the float64 "
            "range."
        )
    low, high = _key(-_LARGEST), _key(_LARGEST)  # excess(low) <= 0 <= excess(high)
    while high - low > 1:
        middle = (low + high) // 2
        if excess(_float(middle)) >= 0:
            high = middle
        else:
            low = middle
    low, high = _float(low), _float(high)
    return low if abs(excess(low)) < abs(excess(high)) else high


def mixture_quantile(weights, means, sds, q):
    """Quantile function of a univariate Gaussian mixture.

    The smallest float ``x`` at which the mixture's distribution function
    reaches `q` (for ``q > 0.5``, at which its tail falls to ``1 - q``, so
    upper quantiles keep their relative precision), found to adjacent floats
    by bisection on the ordering of the doubles. Robust to components whose
    scales are far apart (``1e-300`` and ``1e300`` in one mixture) and to
    quantiles at the ends of the float range.

    Parameters
    ----------
    weights, means, sds : array-like of shape (n_components,)
        Mixing weights (summing to 1), component means and standard deviations.
    q : float or array-like
        Probabilities in (0, 1).

    Returns
    -------
    quantile : float or ndarray of the shape of `q`

    Raises
    ------
    ValueError
        For bad parameters, and when a quantile lies beyond the largest
        finite double (e.g. ``q=0.01`` with ``sds=[1e308]``).

    Examples
    --------
    A 1% Value-at-Risk of a calm/turbulent regime mixture of returns:

    >>> from skmix.metrics import mixture_quantile
    >>> round(mixture_quantile([0.5, 0.5], [0.0, 0.0], [1.0, 3.0], 0.01), 5)
    -6.16125
    """
    weights, means, sds = _check_mixture(weights, means, sds)
    q = check_real_array(q, "q")
    if not np.all((q > 0) & (q < 1)):
        raise ValueError("q must lie strictly between 0 and 1.")
    components = list(zip(weights.tolist(), means.tolist(), sds.tolist(), strict=True))
    quantiles = np.empty_like(q)
    for index, probability in np.ndenumerate(q):
        quantiles[index] = _quantile(float(probability), components)
    return float(quantiles) if quantiles.ndim == 0 else quantiles
