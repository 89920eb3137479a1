"""When a fitted Gaussian mixture is degenerate.

A likelihood that grows because a component collapses (onto a few points,
onto repeated values, or to the ridge) is an artefact; mclust reports such
fits as NA. :func:`degeneracy` says why a fit is degenerate, so that
estimators can warn and selectors can pass over it.
"""

import numpy as np

from ._components import counts_means_scatter
from ._covariance import get_covariance_model
from ._mclust_covariance import ridged_scatter

#: mclust's letters for scikit-learn's names (volume, shape, orientation).
_MCLUST_LETTERS = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


#: Structures whose M-step (Browne & McNicholas 2014) starts from each
#: component's own scatter matrix: mclust's meVEE, meEVE and meVVE
#: (src/mclust2.f) return "singular covariance" (NA) unless every one has a
#: Cholesky factor (``dpotrf``), though the structure itself does not need it.
_OWN_SCATTER = frozenset({"VEE", "EVE", "VVE"})
#: Points a component may fall short of what it needs by: two points with
#: posteriors of 0.99 (1.98 effective points) still give a component its
#: own volume, and mclust fits them.
_POINT_TOLERANCE = 0.05


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


def own_scatter_is_singular(statistics, n_components, ridge, fixed=None):
    """Whether a component's own scatter ``W_k + n_k diag(ridge)`` is
    singular: no Cholesky factor (the test of mclust's meVEE, meEVE,
    meVVE), or a pivot below ``d * eps`` of its largest variance, which
    rounding may leave where the rank is short.

    Parameters
    ----------
    statistics : GaussianStatistics
        Full moments of the last E-step; a noise component's come last.
    n_components : int
        Gaussian components (the first columns of `statistics`).
    ridge : float or ndarray of shape (n_features,)
    fixed : FixedParameters or None, default=None
        The scatter is the M-step's (:func:`counts_means_scatter`): about
        fixed means; fixed covariances are never singular.
    """
    if fixed is not None and fixed.covariances is not None:
        return False
    nk, _, scatter = counts_means_scatter(
        statistics.components(slice(0, n_components)),
        None if fixed is None else fixed.means,
    )
    scatter = ridged_scatter(scatter, nk, ridge)
    try:
        factor = np.linalg.cholesky(scatter)
    except np.linalg.LinAlgError:
        return True
    pivots = np.diagonal(factor, axis1=1, axis2=2) ** 2
    largest = np.diagonal(scatter, axis1=1, axis2=2).max(axis=1)
    floor = scatter.shape[-1] * np.finfo(np.float64).eps * largest
    return not np.all(pivots > floor[:, None])  # NaN counts as singular


def degeneracy(components, counts, ridge, data_variances, statistics=None, fixed=None):
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
    statistics : GaussianStatistics or None, default=None
        The last E-step's; with them, VEE, EVE and VVE fits are also
        degenerate where mclust's are singular (:func:`own_scatter_is_singular`).
    fixed : FixedParameters or None, default=None
        Parameters the fit held fixed.

    Returns
    -------
    str
        A component with fewer effective points than :func:`points_needed`
        (less a tolerance of 0.05), a singular own scatter (VEE, EVE, VVE),
        a covariance whose variance is at the ridge (within 1%), or one that
        is numerically singular (reciprocal condition number below machine
        epsilon, mclust's ``eps``); else ''.
    """
    n_features = components.means.shape[1]
    needed = points_needed(components.covariance, n_features)
    if counts.min() < needed - _POINT_TOLERANCE:
        return (
            f"a component has {counts.min():.4g} effective points, fewer than "
            f"the {needed} its covariance needs"
        )
    name = get_covariance_model(components.covariance).name
    if (
        statistics is not None
        and name in _OWN_SCATTER
        and own_scatter_is_singular(statistics, components.n_components, ridge, fixed)
    ):
        return (
            f"a component's own scatter matrix is singular; {name}'s M-step "
            "starts from it and mclust returns NA for the fit, as skmix does "
            "(a reg_covar > 0 makes it regular)"
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
