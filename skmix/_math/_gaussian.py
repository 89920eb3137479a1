"""Gaussian parameter algebra on the host: Cholesky factors, M-step, counts.

These functions mirror the numerics of scikit-learn's
``sklearn/mixture/_gaussian_mixture.py`` (Cholesky-of-precision
parameterisation, ``reg_covar`` on the diagonal, ``10 * eps`` added to the
component counts) so that fits can be checked against it. Parameters are small
(``n_components x n_features x n_features`` at most), so they are always NumPy
float64 here, whatever backend computed the statistics.
"""

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

_ILL_DEFINED_COVARIANCE = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed "
    "samples). Try to decrease the number of components, increase reg_covar, "
    "or scale the input data."
)


def precision_cholesky_from_covariances(covariances, covariance_type):
    """Upper-triangular ``U`` with ``U U^T = inv(covariance)``, per component.

    Parameters
    ----------
    covariances : ndarray
        'full': (n_components, n_features, n_features); 'tied': (n_features,
        n_features); 'diag': (n_components, n_features); 'spherical':
        (n_components,).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}

    Returns
    -------
    precisions_chol : ndarray, same shape as `covariances`

    Raises
    ------
    ValueError
        A covariance is not positive definite.
    """
    if covariance_type in ("full", "tied"):
        stacked = covariances if covariance_type == "full" else covariances[None]
        precisions_chol = np.empty_like(stacked, dtype=np.float64)
        potrf, trtri = lapack.get_lapack_funcs(("potrf", "trtri"), (stacked,))
        # Raw LAPACK per component: scipy.linalg's argument checks and NumPy's
        # batched solve each cost more than the E-step on small data.
        for k, covariance in enumerate(stacked):
            cov_chol, info = potrf(covariance, lower=True, clean=True)
            if info == 0:
                inverse, info = trtri(cov_chol, lower=True)
            if info != 0:
                raise ValueError(_ILL_DEFINED_COVARIANCE)
            precisions_chol[k] = inverse.T
        if not np.isfinite(precisions_chol).all():  # NaN passes potrf
            raise ValueError(_ILL_DEFINED_COVARIANCE)
        return precisions_chol if covariance_type == "full" else precisions_chol[0]
    if not np.all(covariances > 0.0):  # also catches NaN
        raise ValueError(_ILL_DEFINED_COVARIANCE)
    return 1.0 / np.sqrt(covariances)


def precision_cholesky_from_precisions(precisions, covariance_type):
    """Upper-triangular ``U`` with ``U U^T = precision`` (for ``precisions_init``).

    A Cholesky factorisation of the row- and column-reversed matrix gives the
    upper factor directly (scikit-learn issue #26415).
    """
    if covariance_type in ("full", "tied"):
        stacked = precisions if covariance_type == "full" else precisions[None]
        factors = np.stack(
            [np.flip(linalg.cholesky(np.flip(p), lower=True)) for p in stacked]
        )
        return factors if covariance_type == "full" else factors[0]
    return np.sqrt(precisions)


def precisions_from_cholesky(precisions_chol, covariance_type):
    """``U U^T`` for each component (or the squares for diag/spherical)."""
    if covariance_type == "full":
        return precisions_chol @ np.swapaxes(precisions_chol, 1, 2)
    if covariance_type == "tied":
        return precisions_chol @ precisions_chol.T
    return precisions_chol**2


def covariances_from_precision_cholesky(precisions_chol, covariance_type):
    """Invert the precision factors back to covariances."""
    if covariance_type in ("full", "tied"):
        stacked = (
            precisions_chol if covariance_type == "full" else precisions_chol[None]
        )
        inverse = np.stack([linalg.inv(u) for u in stacked])
        covariances = np.swapaxes(inverse, 1, 2) @ inverse
        return covariances if covariance_type == "full" else covariances[0]
    return 1.0 / precisions_chol**2


def kernel_precisions(precisions_chol, covariance_type, n_components, n_features):
    """The factor form the backend kernels take.

    Tied factors are repeated per component (full form, shape (K, D, D));
    spherical ones become per-feature vectors (diag form, shape (K, D)). The
    kernels then only need two code paths.
    """
    if covariance_type == "tied":
        return np.broadcast_to(precisions_chol, (n_components, n_features, n_features))
    if covariance_type == "spherical":
        return np.repeat(precisions_chol[:, None], n_features, axis=1)
    return precisions_chol


def second_moments_are_full(covariance_type):
    """Whether the sufficient statistics keep full second-moment matrices."""
    return covariance_type in ("full", "tied")


def m_step(stats, covariance_type, reg_covar):
    """Maximum-likelihood parameters from sufficient statistics.

    Parameters
    ----------
    stats : GaussianStatistics
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    reg_covar : float
        Added to the diagonal of every covariance.

    Returns
    -------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        Shape as for :func:`precision_cholesky_from_covariances`.
    precisions_chol : ndarray
        Same shape as `covariances`.
    """
    nk = stats.nk + 10 * np.finfo(np.float64).eps
    offset = stats.sum_x / nk[:, None]  # mean - shift
    means = stats.shift + offset
    if second_moments_are_full(covariance_type):
        n_features = means.shape[1]
        # sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T from moments about the shift
        scatter = stats.sum_xx - nk[:, None, None] * (
            offset[:, :, None] * offset[:, None, :]
        )
        if covariance_type == "full":
            covariances = scatter / nk[:, None, None]
        else:
            covariances = scatter.sum(axis=0) / nk.sum()
        covariances = covariances + reg_covar * np.eye(n_features)
    else:
        covariances = stats.sum_xx / nk[:, None] - offset**2 + reg_covar
        if covariance_type == "spherical":
            covariances = covariances.mean(axis=1)
    weights = nk / nk.sum()
    precisions_chol = precision_cholesky_from_covariances(covariances, covariance_type)
    return weights, means, covariances, precisions_chol


def n_parameters(covariance_type, n_components, n_features):
    """Number of free parameters of a Gaussian mixture."""
    cov_params = {
        "full": n_components * n_features * (n_features + 1) / 2.0,
        "tied": n_features * (n_features + 1) / 2.0,
        "diag": n_components * n_features,
        "spherical": n_components,
    }[covariance_type]
    return int(cov_params + n_features * n_components + n_components - 1)
