"""Value-at-Risk backtests on a sequence of exceedance indicators.

The likelihood-ratio tests of Kupiec (1995) and Christoffersen (1998). A
*hit* (exceedance) is a period whose loss exceeded the reported VaR; under a
correct model at coverage ``p`` the hits are i.i.d. Bernoulli(``p``).
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import xlogy
from scipy.stats import chi2

from ..utils import check_param_float


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of a likelihood-ratio backtest.

    Attributes
    ----------
    statistic : float
        The likelihood-ratio statistic, ``-2 log(L0 / L1)``.
    pvalue : float
        Upper tail of the chi-squared distribution with ``df`` degrees of
        freedom at ``statistic``.
    df : int
        Degrees of freedom of the asymptotic chi-squared distribution.
    n_observations : int
        Number of periods tested.
    n_exceedances : int
        Number of hits among them.
    """

    statistic: float
    pvalue: float
    df: int
    n_observations: int
    n_exceedances: int


def _check_hits(hits):
    hits = np.asarray(hits)
    if hits.ndim != 1:
        raise ValueError(f"hits must be 1-D, got an array of shape {hits.shape}.")
    if hits.size < 2:
        raise ValueError(f"hits needs at least 2 observations, got {hits.size}.")
    if hits.dtype != bool:
        if not np.all(np.isin(hits, (0, 1))):
            raise ValueError(
                "hits must hold exceedance indicators (booleans or 0/1); "
                "got other values. Use returns < -var to build them."
            )
        hits = hits.astype(bool)
    return hits


def _check_coverage(coverage):
    return check_param_float(coverage, "coverage", 0.0, 1.0, "neither")


def _bernoulli_log_likelihood(n_miss, n_hit, p):
    return xlogy(n_miss, 1.0 - p) + xlogy(n_hit, p)


def _result(statistic, df, hits):
    statistic = max(float(statistic), 0.0)  # rounding can leave -1e-15
    return BacktestResult(
        statistic=statistic,
        pvalue=float(chi2.sf(statistic, df)),
        df=df,
        n_observations=int(hits.size),
        n_exceedances=int(hits.sum()),
    )


def _unconditional_coverage_statistic(hits, coverage):
    n_hit = int(hits.sum())
    n_miss = hits.size - n_hit
    return 2.0 * (
        _bernoulli_log_likelihood(n_miss, n_hit, n_hit / hits.size)
        - _bernoulli_log_likelihood(n_miss, n_hit, coverage)
    )


def _independence_statistic(hits):
    previous, current = hits[:-1], hits[1:]
    n00 = int(np.sum(~previous & ~current))
    n01 = int(np.sum(~previous & current))
    n10 = int(np.sum(previous & ~current))
    n11 = int(np.sum(previous & current))
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    pi01 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi11 = n11 / (n10 + n11) if n10 + n11 else 0.0
    markov = _bernoulli_log_likelihood(n00, n01, pi01) + _bernoulli_log_likelihood(
        n10, n11, pi11
    )
    return 2.0 * (markov - _bernoulli_log_likelihood(n00 + n10, n01 + n11, pi))


def kupiec_pof_test(hits, coverage):
    """Kupiec's proportion-of-failures test of unconditional coverage.

    Tests whether the hit rate equals ``coverage``:
    ``LR = -2 log[(1-p)^(T-x) p^x / ((1-x/T)^(T-x) (x/T)^x)]``, asymptotically
    chi-squared with 1 degree of freedom.

    Parameters
    ----------
    hits : array-like of shape (n_observations,)
        Exceedance indicators (bool or 0/1), in time order.
    coverage : float
        The VaR's tail probability ``p``, e.g. 0.01 for a 99% VaR.

    Returns
    -------
    result : BacktestResult

    References
    ----------
    Kupiec, P. (1995). Techniques for verifying the accuracy of risk measurement
    models. Journal of Derivatives, 3(2), 73-84.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.metrics import kupiec_pof_test
    >>> hits = np.zeros(250, dtype=bool)
    >>> hits[:6] = True
    >>> result = kupiec_pof_test(hits, coverage=0.01)
    >>> round(result.statistic, 4), round(result.pvalue, 4)
    (3.5554, 0.0594)
    """
    hits = _check_hits(hits)
    coverage = _check_coverage(coverage)
    return _result(_unconditional_coverage_statistic(hits, coverage), 1, hits)


def christoffersen_independence_test(hits):
    """Christoffersen's test that hits do not cluster.

    Compares a first-order Markov chain for the hits (hit probabilities after a
    miss and after a hit, ``pi01`` and ``pi11``) with independence
    (``pi01 = pi11``). Asymptotically chi-squared with 1 degree of freedom.

    Parameters
    ----------
    hits : array-like of shape (n_observations,)
        Exceedance indicators (bool or 0/1), in time order.

    Returns
    -------
    result : BacktestResult

    References
    ----------
    Christoffersen, P. F. (1998). Evaluating interval forecasts. International
    Economic Review, 39(4), 841-862.
    """
    hits = _check_hits(hits)
    return _result(_independence_statistic(hits), 1, hits)


def christoffersen_conditional_coverage_test(hits, coverage):
    """Christoffersen's joint test of correct coverage and independence.

    ``LR_cc = LR_pof + LR_ind``, asymptotically chi-squared with 2 degrees of
    freedom.

    Parameters
    ----------
    hits : array-like of shape (n_observations,)
        Exceedance indicators (bool or 0/1), in time order.
    coverage : float
        The VaR's tail probability ``p``.

    Returns
    -------
    result : BacktestResult

    References
    ----------
    Christoffersen, P. F. (1998). Evaluating interval forecasts. International
    Economic Review, 39(4), 841-862.
    """
    hits = _check_hits(hits)
    coverage = _check_coverage(coverage)
    statistic = _unconditional_coverage_statistic(
        hits, coverage
    ) + _independence_statistic(hits)
    return _result(statistic, 2, hits)
