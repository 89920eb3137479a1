"""Conditioning a Gaussian mixture on some of its dimensions.

For a joint mixture over ``z = [x, y]`` each component's conditional
``y | x, k`` is Gaussian with a mean linear in ``x`` (a local linear
regression) and a covariance that does not depend on ``x``; the conditional
mixture weights are the components' posteriors under the marginal of ``x``.
"""

from typing import NamedTuple

import numpy as np
from scipy import linalg


class ConditionalGaussians(NamedTuple):
    """Per-component parameters of ``y | x`` and of the marginal of ``x``.

    Attributes
    ----------
    marginal_means : ndarray of shape (n_components, n_x)
    marginal_covariances : ndarray of shape (n_components, n_x, n_x)
    coef : ndarray of shape (n_components, n_y, n_x)
        ``Sigma_yx Sigma_xx^-1``.
    intercept : ndarray of shape (n_components, n_y)
        ``mu_y - coef mu_x``, so ``E[y | x, k] = intercept + coef x``.
    covariances : ndarray of shape (n_components, n_y, n_y)
        ``Sigma_yy - Sigma_yx Sigma_xx^-1 Sigma_xy``.
    """

    marginal_means: np.ndarray
    marginal_covariances: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    covariances: np.ndarray


def condition_gaussians(means, covariances, n_x):
    """Conditional distributions of the last dimensions given the first `n_x`.

    Parameters
    ----------
    means : ndarray of shape (n_components, n_x + n_y)
    covariances : ndarray of shape (n_components, n_x + n_y, n_x + n_y)
    n_x : int
        Number of conditioning (leading) dimensions.

    Returns
    -------
    ConditionalGaussians
    """
    mu_x, mu_y = means[:, :n_x], means[:, n_x:]
    s_xx = covariances[:, :n_x, :n_x]
    s_xy = covariances[:, :n_x, n_x:]
    s_yy = covariances[:, n_x:, n_x:]
    coef = np.stack(
        [linalg.solve(a, b, assume_a="pos").T for a, b in zip(s_xx, s_xy, strict=True)]
    )
    conditional = s_yy - coef @ s_xy
    conditional = 0.5 * (conditional + np.swapaxes(conditional, 1, 2))
    intercept = mu_y - np.einsum("kyx,kx->ky", coef, mu_x)
    return ConditionalGaussians(mu_x, s_xx, coef, intercept, conditional)
