"""Information criteria and classification entropy, in one place.

All criteria are on the deviance scale, lower is better: ``-2 log L`` plus a
penalty (mclust reports ``2 log L - penalty``, higher is better: the same
numbers with the sign flipped).
"""

import math

import numpy as np
from scipy.special import xlogy


def aic(log_likelihood, n_parameters):
    """Akaike's information criterion, ``-2 log L + 2 p``."""
    return -2.0 * log_likelihood + 2.0 * n_parameters


def aicc(log_likelihood, n_parameters, n_samples):
    """AIC with Hurvich and Tsai's small-sample correction (inf if n <= p + 1)."""
    if n_samples - n_parameters - 1 <= 0:
        return math.inf
    denominator = n_samples - n_parameters - 1
    correction = 2.0 * n_parameters * (n_parameters + 1) / denominator
    return aic(log_likelihood, n_parameters) + correction


def bic(log_likelihood, n_parameters, n_samples):
    """Schwarz's Bayesian information criterion, ``-2 log L + p log n``."""
    return -2.0 * log_likelihood + n_parameters * math.log(n_samples)


def sabic(log_likelihood, n_parameters, n_samples):
    """Sample-size adjusted BIC (Sclove 1987), ``-2 log L + p log((n + 2) / 24)``."""
    return -2.0 * log_likelihood + n_parameters * math.log((n_samples + 2) / 24)


def map_classification_penalty(responsibilities, sample_weight=None):
    """``-2 sum_i w_i log max_k tau_ik``: what ICL adds to BIC.

    Biernacki, Celeux and Govaert's (2000) integrated completed likelihood
    penalises BIC by the log-probability of the MAP classification, so
    overlapping components (uncertain assignments) cost more (mclust's
    ``icl``). Rows count ``sample_weight`` times if given (frequency weights).
    """
    with np.errstate(divide="ignore"):
        log_map = np.log(np.max(responsibilities, axis=1))
    if sample_weight is None:
        return float(-2.0 * log_map.sum())
    return float(-2.0 * np.asarray(sample_weight) @ log_map)


def icl(log_likelihood, n_parameters, n_samples, responsibilities,
        sample_weight=None):  # fmt: skip
    """Integrated completed likelihood, BIC plus the MAP classification penalty
    (`n_samples` the sum of the weights under `sample_weight`)."""
    return bic(log_likelihood, n_parameters, n_samples) + map_classification_penalty(
        responsibilities, sample_weight
    )


def classification_entropy(responsibilities, sample_weight=None):
    """``-sum_ik tau_ik log tau_ik`` (0 for a crisp classification); rows
    count ``sample_weight`` times if given."""
    per_row = -xlogy(responsibilities, responsibilities).sum(axis=1)
    if sample_weight is None:
        return float(per_row.sum())
    return float(np.asarray(sample_weight) @ per_row)


def relative_entropy(responsibilities, sample_weight=None):
    """Mplus' entropy, ``1 - E / (n log K)`` in [0, 1] (1 = crisp; 1 when K = 1);
    ``n`` the sum of ``sample_weight`` if given."""
    n_samples, n_components = np.shape(responsibilities)
    if n_components == 1:
        return 1.0
    if sample_weight is not None:
        n_samples = float(np.sum(sample_weight))
    return 1.0 - classification_entropy(responsibilities, sample_weight) / (
        n_samples * math.log(n_components)
    )
