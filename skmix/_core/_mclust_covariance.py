"""mclust's covariance structures beyond scikit-learn's four.

Celeux & Govaert (1995, "Gaussian parsimonious clustering models", Pattern
Recognition 28) write each covariance as ``Sigma_k = lambda_k D_k A_k D_k^T``:
volume ``lambda_k``, shape ``A_k`` (diagonal, determinant 1) and orientation
``D_k`` (orthogonal), each equal (E) across components, variable (V), or the
identity (I). mclust names a structure by these three letters; scikit-learn's
four are VVV (full), EEE (tied), VVI (diag) and VII (spherical), which are
registered as aliases in :mod:`._covariance`. This module adds the other ten
and mclust's one-dimensional E and V.

M-steps follow Celeux & Govaert, and Browne & McNicholas (2014, "Estimating
common principal components in high dimensions", ADAC 8) for the iterative
ones (VEI, VEE, VEV and the common-orientation EVE and VVE, whose
orientation is found by their majorise-minimise steps), as mclust 5 does.
Parameter counts are mclust's ``nVarParams``.

The ridge ``reg_covar`` is added to each component's empirical covariance
*before* the structure is imposed (``W_k + n_k * reg_covar * I``), which for
scikit-learn's four is the same as adding it afterwards, and keeps the
others inside their structure.

Storage (``covariances_``): the diagonal structures (EII, EEI, VEI, EVI, E,
V) store per-component variances of shape (n_components, n_features); the
others store per-component matrices (n_components, n_features, n_features),
equal across components where the structure says so.
"""

import numpy as np

from ._covariance import (
    DiagCovariance,
    FullCovariance,
    _DiagonalFamily,
    register_covariance_model,
    ridge_matrix,
)
from ._prior import MapRule

#: mclust's multivariate structures, in mclust's order.
MCLUST_MODEL_NAMES = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)  # fmt: skip

#: mclust's one-dimensional structures: equal and variable variance.
MCLUST_UNIVARIATE_NAMES = ("E", "V")

#: Relative change of the inner objective that ends an iterative M-step, and
#: the most inner iterations (mclust: sqrt(eps) and no limit).
INNER_TOL = float(np.sqrt(np.finfo(np.float64).eps))
INNER_MAX_ITER = 1000


# ------------------------------------------------------------------ maths
def ridged_scatter(scatter, nk, reg_covar):
    """``W_k + n_k * diag(reg_covar)`` (or its diagonal); `reg_covar` one
    value or one per feature."""
    if scatter.ndim == 3:
        return scatter + nk[:, None, None] * ridge_matrix(reg_covar, scatter.shape[1])
    return scatter + np.asarray(reg_covar, float) * nk[:, None]


def geometric_mean(values):
    """Geometric mean along the last axis (NaN if a value is not positive)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(np.mean(np.log(values), axis=-1))


def root_determinants(matrices):
    """``|S_k|^(1/d)`` for a (K, d, d) stack (NaN where not positive definite)."""
    sign, logdet = np.linalg.slogdet(matrices)
    with np.errstate(invalid="ignore"):
        return np.where(sign > 0, np.exp(logdet / matrices.shape[-1]), np.nan)


def sorted_eigen(matrices):
    """Eigenvalues (ascending) and eigenvectors of each symmetric matrix."""
    return np.linalg.eigh(matrices)


def _converged(previous, current):
    return abs(current - previous) <= INNER_TOL * (1.0 + abs(current))


def variable_volume_common_shape(values, nk, volumes=None):
    """Volumes ``lambda_k`` and a shared shape ``a`` (geometric mean 1) with
    ``values[k] ~ n_k lambda_k a``: the VEI (values = diagonal scatters) and
    VEV (values = scatter eigenvalues) M-step, by alternating the two
    closed-form updates.

    `volumes`, if given, starts the iteration (the last M-step's).

    Returns
    -------
    volumes : ndarray of shape (K,)
    shape : ndarray of shape (d,)
    """
    d = values.shape[1]
    if volumes is None:
        volumes = values.sum(axis=1) / (nk * d)
    objective = np.inf
    for _ in range(INNER_MAX_ITER):
        pooled = (values / volumes[:, None]).sum(axis=0)
        shape = pooled / geometric_mean(pooled)
        volumes = (values / shape).sum(axis=1) / (nk * d)
        previous, objective = objective, float(nk @ np.log(volumes))
        if _converged(previous, objective):
            break
    return volumes, shape


def variable_volume_common_matrix(scatter, nk, volumes=None):
    """VEE: ``Sigma_k = lambda_k C`` with ``|C| = 1``, alternating
    ``C ~ sum_k W_k / lambda_k`` and ``lambda_k = tr(W_k C^-1) / (n_k d)``,
    from `volumes` if given."""
    d = scatter.shape[1]
    if volumes is None:
        volumes = np.trace(scatter, axis1=1, axis2=2) / (nk * d)
    objective = np.inf
    for _ in range(INNER_MAX_ITER):
        pooled = (scatter / volumes[:, None, None]).sum(axis=0)
        common = pooled / root_determinants(pooled[None])[0]
        inverse = np.linalg.inv(common)
        volumes = np.einsum("kij,ji->k", scatter, inverse) / (nk * d)
        previous, objective = objective, float(nk @ np.log(volumes))
        if _converged(previous, objective):
            break
    return volumes[:, None, None] * common


def common_orientation(scatter, nk, equal_volume, orientation=None):
    """EVE and VVE: ``Sigma_k = D diag(l_k) D^T`` with one orientation ``D``.

    Given ``D``, the eigenvalues are ``diag(D^T W_k D) / n_k`` (VVE) or the
    same normalised to one shared volume (EVE). Given the eigenvalues, ``D``
    takes the two majorise-minimise steps of Browne & McNicholas (2014)
    for ``sum_k tr(W_k D B_k D^T)``, ``B_k = diag(1 / l_k)``, which stay on
    the orthogonal matrices (an SVD each). They start from `orientation`
    (the last M-step's, as mclust carries it over) or the pooled scatter's.
    """
    from ._mclust_kernels import common_orientation_loop

    if orientation is None:
        orientation = sorted_eigen(scatter.sum(axis=0))[1]
    if not (np.isfinite(scatter).all() and np.isfinite(orientation).all()):
        return np.full_like(scatter, np.nan)  # reported as ill-defined
    scatter = np.ascontiguousarray(scatter)
    largest = np.ascontiguousarray(np.linalg.eigvalsh(scatter)[:, -1])
    orientation, eigenvalues = common_orientation_loop(
        scatter, np.ascontiguousarray(nk, dtype=np.float64), largest,
        equal_volume, np.ascontiguousarray(orientation), INNER_TOL, INNER_MAX_ITER,
    )  # fmt: skip
    return np.einsum("ij,kj,lj->kil", orientation, eigenvalues, orientation)


def _orientation_of(covariances):
    """The common eigenvectors of a stack sharing its orientation, or None."""
    return None if covariances is None else sorted_eigen(covariances[0])[1]


# ------------------------------------------------------------- structures
class _MclustStructure:
    """What mclust's extra structures share: a ridge before the structure,
    mclust's dimension rules, and the generic random-effects constraint."""

    aliases = ()
    shared = False
    univariate = False
    prior_family = None  # EVE, VEE, VVE, EVV: mclust has no prior for them

    def estimate(self, scatter, nk, reg_covar, previous=None):
        n_features = scatter.shape[1]
        if self.univariate and n_features != 1:
            raise ValueError(
                f"covariance_type {self.name!r} is for one-dimensional data; "
                f"X has {n_features} features (use one of "
                f"{list(MCLUST_MODEL_NAMES)})."
            )
        if not self.univariate and n_features < 2:
            raise ValueError(
                f"covariance_type {self.name!r} needs at least 2 features; "
                "use 'E' or 'V' (or one of scikit-learn's names) for "
                "one-dimensional data."
            )
        # A collapsed component gives NaN here, which the factorisation
        # reports as an ill-defined covariance.
        if previous is not None:
            previous = np.asarray(previous, dtype=np.float64)
            if previous.shape != scatter.shape or not np.isfinite(previous).all():
                previous = None
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self.constrained(
                ridged_scatter(scatter, nk, reg_covar), nk, previous
            )

    def shape(self, n_components, n_features):
        if self.kernel_form == "diag":
            return (n_components, n_features)
        return (n_components, n_features, n_features)

    def constrain(self, covariances, shares):
        # Not the parents' per-class shortcuts: shares matter here.
        n_classes, q, _ = covariances.shape
        shares = shares + 10 * np.finfo(np.float64).eps
        scatter = shares[:, None, None] * covariances
        if self.kernel_form == "diag":
            scatter = np.einsum("kqq->kq", scatter)
        return self.to_full(self.constrained(scatter, shares, None), n_classes, q)


class _DiagonalStructure(_MclustStructure, _DiagonalFamily):
    def kernel_precisions(self, precisions_chol, n_components, n_features):
        return precisions_chol


class _GeneralStructure(_MclustStructure, FullCovariance):
    pass


@register_covariance_model
class EII(_DiagonalStructure):
    """One variance for all features and components: ``lambda I``."""

    name = "EII"
    prior_family = "spherical"

    def n_parameters(self, n_components, n_features):
        return 1

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meeiip: sum_k tr S_k / (nu + (n + G) d + 2), without the prior
        # scale (mclust 6.0.0 leaves it out of the EII M-step; its VII, E and
        # single-component fits add it).
        return MapRule(None, 1.0 + (dof + 2.0) / (n_features * n_components))

    def constrained(self, scatter, nk, previous):
        variance = scatter.sum() / (nk.sum() * scatter.shape[1])
        return np.full_like(scatter, variance)


@register_covariance_model
class EEI(_DiagonalStructure):
    """One diagonal covariance for all components: ``lambda A``."""

    name = "EEI"
    prior_family = "diagonal"

    def n_parameters(self, n_components, n_features):
        return n_features

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meeeip: (s2 + sum_k diag S_k) / (nu + 1 + [kappa > 0] + n), and
        # the means are not shrunk (mclust 6.0.0's EEI M-step keeps xbar_k).
        pseudo = (dof + 1.0 + float(shrinkage > 0)) / n_components
        return MapRule("pooled", pseudo, shrinks_means=False)

    def constrained(self, scatter, nk, previous):
        return np.broadcast_to(scatter.sum(axis=0) / nk.sum(), scatter.shape).copy()


@register_covariance_model
class VEI(_DiagonalStructure):
    """Diagonal, variable volume, equal shape: ``lambda_k A`` (iterative)."""

    name = "VEI"
    prior_family = "diagonal"

    def n_parameters(self, n_components, n_features):
        return n_components + n_features - 1

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meveip: lambda_k = sum_j (S_k + s2)_jj / a_j / (d n_k + nu + 2 +
        # [kappa > 0]), a from sum_k (S_k + s2) / lambda_k.
        return MapRule("each", (dof + 2.0 + float(shrinkage > 0)) / n_features)

    def constrained(self, scatter, nk, previous):
        volumes = None if previous is None else geometric_mean(previous)
        volumes, shape = variable_volume_common_shape(scatter, nk, volumes)
        return volumes[:, None] * shape


@register_covariance_model
class EVI(_DiagonalStructure):
    """Diagonal, equal volume, variable shape: ``lambda A_k``."""

    name = "EVI"
    prior_family = "diagonal"

    def n_parameters(self, n_components, n_features):
        return 1 + n_components * (n_features - 1)

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meevip: lambda = sum_k |B_k|^(1/d) / (nu + 1 + n + [kappa > 0]),
        # B_k = s2 + diag S_k.
        pseudo = (dof + 1.0 + float(shrinkage > 0)) / n_components
        return MapRule("each", pseudo)

    def constrained(self, scatter, nk, previous):
        volumes = geometric_mean(scatter)
        return (volumes.sum() / nk.sum()) * scatter / volumes[:, None]


@register_covariance_model
class VEE(_GeneralStructure):
    """Variable volume, equal shape and orientation: ``lambda_k C`` (iterative)."""

    name = "VEE"

    def n_parameters(self, n_components, n_features):
        return n_components + n_features * (n_features + 1) // 2 - 1

    def constrained(self, scatter, nk, previous):
        volumes = None if previous is None else root_determinants(previous)
        return variable_volume_common_matrix(scatter, nk, volumes)


@register_covariance_model
class EVE(_GeneralStructure):
    """Equal volume and orientation, variable shape: ``lambda D A_k D^T``
    (iterative)."""

    name = "EVE"

    def n_parameters(self, n_components, n_features):
        return 1 + n_components * (n_features - 1) + n_features * (n_features - 1) // 2

    def constrained(self, scatter, nk, previous):
        return common_orientation(scatter, nk, True, _orientation_of(previous))


@register_covariance_model
class VVE(_GeneralStructure):
    """Common orientation only (common principal components):
    ``lambda_k D A_k D^T`` (iterative)."""

    name = "VVE"

    def n_parameters(self, n_components, n_features):
        return n_components * n_features + n_features * (n_features - 1) // 2

    def constrained(self, scatter, nk, previous):
        return common_orientation(scatter, nk, False, _orientation_of(previous))


@register_covariance_model
class EEV(_GeneralStructure):
    """Equal volume and shape, variable orientation: ``lambda D_k A D_k^T``."""

    name = "EEV"
    prior_family = "general"

    def n_parameters(self, n_components, n_features):
        return n_features + n_components * n_features * (n_features - 1) // 2

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meeevp: eigenvalues of Lambda + S_k summed over k, divided by
        # (nu + d + 1 + [kappa > 0] + n).
        pseudo = (dof + n_features + 1.0 + float(shrinkage > 0)) / n_components
        return MapRule("each", pseudo)

    def constrained(self, scatter, nk, previous):
        eigenvalues, orientations = sorted_eigen(scatter)
        common = eigenvalues.sum(axis=0) / nk.sum()
        return np.einsum("kij,j,klj->kil", orientations, common, orientations)


@register_covariance_model
class VEV(_GeneralStructure):
    """Equal shape, variable volume and orientation: ``lambda_k D_k A D_k^T``
    (iterative)."""

    name = "VEV"
    prior_family = "general"

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # mevevp: the ML iteration on the eigenvalues of Lambda + S_k; its
        # volumes keep the ML denominators d n_k (mclust 6.0.0 enters no dof).
        return MapRule("each", 0.0)

    def n_parameters(self, n_components, n_features):
        return (
            n_components
            + n_features
            - 1
            + n_components * n_features * (n_features - 1) // 2
        )

    def constrained(self, scatter, nk, previous):
        eigenvalues, orientations = sorted_eigen(scatter)
        volumes = None if previous is None else root_determinants(previous)
        volumes, shape = variable_volume_common_shape(eigenvalues, nk, volumes)
        return np.einsum(
            "kij,kj,klj->kil", orientations, volumes[:, None] * shape, orientations
        )


@register_covariance_model
class EVV(_GeneralStructure):
    """Equal volume only: ``lambda C_k`` with ``|C_k| = 1``."""

    name = "EVV"

    def n_parameters(self, n_components, n_features):
        return 1 + n_components * (n_features * (n_features + 1) // 2 - 1)

    def constrained(self, scatter, nk, previous):
        volumes = root_determinants(scatter)
        return (volumes.sum() / nk.sum()) * scatter / volumes[:, None, None]


@register_covariance_model
class EqualVariance(EII):
    """One-dimensional data, one variance for all components (mclust's E)."""

    name = "E"
    univariate = True
    prior_family = "univariate"

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # me1ep: (s2 + sum_k S_k) / (nu + n + G + 2).
        return MapRule("pooled", 1.0 + (dof + 2.0) / n_components)


@register_covariance_model
class VariableVariance(_MclustStructure, DiagCovariance):
    """One-dimensional data, a variance per component (mclust's V)."""

    name = "V"
    univariate = True
    prior_family = "univariate"

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # me1vp: (s2 + S_k) / (nu + n_k + 3).
        return MapRule("each", dof + 3.0)

    def constrained(self, scatter, nk, previous):
        return scatter / nk[:, None]
