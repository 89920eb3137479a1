"""When a fitted Gaussian mixture is degenerate.

A likelihood that grows because a component collapses (onto a few points,
onto repeated values, or to the ridge) is an artefact; mclust reports such
fits as NA. :func:`degeneracy` says why a fit is degenerate, so that
estimators can warn and selectors can pass over it.
"""

import numpy as np

from ._covariance import get_covariance_model

#: mclust's letters for scikit-learn's names (volume, shape, orientation).
_MCLUST_LETTERS = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


def points_needed(covariance_type, n_features):
    """Effective points a component needs for what the structure lets it
    estimate alone: a covariance of its own shape and orientation ``d + 1``
    (below that it is singular), its own volume, shape or orientation 2,
    nothing of its own 1."""
    name = get_covariance_model(covariance_type).name
    letters = _MCLUST_LETTERS.get(name, name)
    if len(letters) == 1:  # E or V on one feature
        letters = letters + "II"
    if letters[1:] == "VV":
        return n_features + 1
    return 2 if "V" in letters else 1


def degeneracy(components, counts, ridge, data_variances):
    """Why fitted components are degenerate ('' if they are not).

    Parameters
    ----------
    components : GaussianComponents
    counts : ndarray of shape (n_components,)
        Effective points of each component (summed posteriors).
    ridge : float or ndarray of shape (n_features,)
        The ``reg_covar`` the fit added.
    data_variances : ndarray of shape (n_features,)
        Each feature's variance in the training data: a component at the
        ridge in a feature the data spread over (well beyond the ridge) has
        collapsed; in a feature constant in the data it has not.

    Returns
    -------
    str
        A component with fewer effective points than :func:`points_needed`,
        a covariance whose variance is at the ridge (within 1%), or one that
        is numerically singular (reciprocal condition number below machine
        epsilon, mclust's ``eps``); else ''.
    """
    n_features = components.means.shape[1]
    needed = points_needed(components.covariance, n_features)
    if counts.min() < needed:
        return (
            f"a component has {counts.min():.4g} effective points, fewer than "
            f"the {needed} its covariance needs"
        )
    full = components.full_covariances()
    ridge = np.broadcast_to(np.asarray(ridge, dtype=np.float64), (n_features,))
    spread = np.asarray(data_variances, dtype=np.float64) > 10 * ridge
    at_floor = np.einsum("kqq->kq", full) <= 1.01 * ridge[None, :]
    if ridge.max() > 0 and np.any(at_floor & spread[None, :]):
        return "a variance is at the regularisation floor reg_covar"
    eigenvalues = np.linalg.eigvalsh(full)
    if np.any(eigenvalues.min(axis=1) < np.finfo(np.float64).eps * eigenvalues.max(1)):
        return "a covariance is numerically singular"
    return ""
