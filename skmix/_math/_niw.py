"""Normal-Inverse-Wishart marginal likelihoods and split/merge Hastings ratios.

Used to decide whether a cluster is better explained as one Gaussian or two
(Chang and Fisher, 2013; the split/merge moves of DeepDPM and GPC).
"""

from typing import NamedTuple

import numpy as np
from scipy.special import gammaln, multigammaln


class NIWPrior(NamedTuple):
    """Normal-Inverse-Wishart prior ``NIW(mean, kappa, nu, psi)``."""

    mean: np.ndarray
    kappa: float
    nu: float
    psi: np.ndarray


def niw_prior(mean, expected_covariance, kappa=1e-4, nu=None):
    """NIW prior whose expected covariance is `expected_covariance`.

    ``psi = (nu - d - 1) * expected_covariance``; ``nu`` defaults to ``d + 2``,
    the weakest prior with a finite expected covariance.
    """
    n_features = len(mean)
    nu = n_features + 2.0 if nu is None else float(nu)
    if nu <= n_features + 1:
        raise ValueError(f"nu must exceed n_features + 1 = {n_features + 1}; got {nu}.")
    expected_covariance = np.atleast_2d(expected_covariance)
    # A ridge keeps the prior scale matrix invertible for degenerate features.
    ridge = 1e-6 * np.trace(expected_covariance) / n_features + 1e-12
    psi = (nu - n_features - 1) * (expected_covariance + ridge * np.eye(n_features))
    return NIWPrior(np.asarray(mean, dtype=np.float64), kappa, nu, psi)


def pooled_within_class_covariance(X, labels, weight=None):
    """Covariance of rows about their class mean, pooled over classes (the
    common covariance of linear discriminant analysis).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,)
    weight : ndarray of shape (n_samples,), default=None
        Frequency weights: class means are weighted, and the scatter is
        divided by ``sum w - n_classes`` instead of ``n - n_classes``.

    Returns
    -------
    covariance : ndarray of shape (n_features, n_features)
    """
    classes, codes = np.unique(labels, return_inverse=True)
    w = np.ones(len(X)) if weight is None else np.asarray(weight, np.float64)
    totals = np.bincount(codes, weights=w, minlength=classes.size)
    membership = np.zeros((len(X), classes.size))
    membership[np.arange(len(X)), codes] = w
    centred = X - (membership.T @ X / totals[:, None])[codes]
    scatter = (w[:, None] * centred).T @ centred
    return scatter / max(totals.sum() - classes.size, 1.0)


def niw_log_marginal_likelihood(X, prior):
    """``log p(X)`` with the mean and covariance integrated out under `prior`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    prior : NIWPrior

    Returns
    -------
    log_marginal : float
    """
    n_samples, n_features = X.shape
    kappa_n = prior.kappa + n_samples
    nu_n = prior.nu + n_samples
    mean = X.mean(axis=0)
    centred = X - mean
    offset = mean - prior.mean
    psi_n = (
        prior.psi
        + centred.T @ centred
        + (prior.kappa * n_samples / kappa_n) * np.outer(offset, offset)
    )
    _, logdet_prior = np.linalg.slogdet(prior.psi)
    _, logdet_post = np.linalg.slogdet(psi_n)
    return float(
        -0.5 * n_samples * n_features * np.log(np.pi)
        + multigammaln(0.5 * nu_n, n_features)
        - multigammaln(0.5 * prior.nu, n_features)
        + 0.5 * prior.nu * logdet_prior
        - 0.5 * nu_n * logdet_post
        + 0.5 * n_features * (np.log(prior.kappa) - np.log(kappa_n))
    )


def log_split_hastings_ratio(X_first, X_second, prior, concentration=1.0):
    """``log H`` of splitting ``[X_first; X_second]`` into the two parts.

    ``H = alpha Gamma(N1) f(X1) Gamma(N2) f(X2) / (Gamma(N) f(X))``; the merge
    ratio of the two parts is ``-log H``.
    """
    n_first, n_second = len(X_first), len(X_second)
    joint = np.vstack([X_first, X_second])
    return float(
        np.log(concentration)
        + gammaln(n_first)
        + niw_log_marginal_likelihood(X_first, prior)
        + gammaln(n_second)
        + niw_log_marginal_likelihood(X_second, prior)
        - gammaln(n_first + n_second)
        - niw_log_marginal_likelihood(joint, prior)
    )
