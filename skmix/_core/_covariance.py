"""Covariance structures of Gaussian components: one class per structure.

A :class:`CovarianceModel` owns everything that depends on how the
covariances of a stack of components are constrained: their storage shape,
the M-step from centred second moments, the Cholesky-of-precision
parameterisation (mirroring scikit-learn's ``sklearn/mixture``), the two
forms the backend kernels take (full ``(K, D, D)`` or diagonal ``(K, D)``
factors), the free-parameter count, sampling, and the constraint applied to
per-class covariance estimates (the experts' random effects). Adding a
structure is one subclass decorated with :func:`register_covariance_model`.

Parameters are small, so everything here is NumPy float64 on the host.
"""

from abc import ABC, abstractmethod

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ..utils import check_param_array
from ._prior import MapRule

ILL_DEFINED_COVARIANCE = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed "
    "samples). Try to decrease the number of components, increase reg_covar, "
    "or scale the input data."
)

_REGISTRY = {}


def register_covariance_model(cls):
    """Class decorator: make a structure available under its name and aliases."""
    model = cls()
    for name in (cls.name, *cls.aliases):
        if name in _REGISTRY:
            raise ValueError(f"Covariance model name {name!r} is already taken.")
        _REGISTRY[name] = model
    return cls


def covariance_model_names():
    """Registered structure names, in registration order (aliases included)."""
    return tuple(_REGISTRY)


def get_covariance_model(covariance_type):
    """The :class:`CovarianceModel` for a name, or the model itself.

    Raises
    ------
    ValueError
        Unknown name.
    """
    if isinstance(covariance_type, CovarianceModel):
        return covariance_type
    try:
        return _REGISTRY[covariance_type]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown covariance_type {covariance_type!r}; expected one of "
            f"{list(_REGISTRY)}."
        ) from None


def ridge_matrix(reg_covar, n_features):
    """The diagonal matrix of a ridge: one value, or one per feature."""
    return np.diag(np.broadcast_to(np.asarray(reg_covar, float), (n_features,)))


def _cholesky_of_inverse(stacked):
    """Upper ``U`` with ``U U^T = inv(C)`` for each matrix of a (K, D, D) stack."""
    precisions_chol = np.empty_like(stacked, dtype=np.float64)
    potrf, trtri = lapack.get_lapack_funcs(("potrf", "trtri"), (stacked,))
    # Raw LAPACK per component: scipy.linalg's argument checks and NumPy's
    # batched solve each cost more than the E-step on small data.
    for k, covariance in enumerate(stacked):
        cov_chol, info = potrf(covariance, lower=True, clean=True)
        if info == 0:
            inverse, info = trtri(cov_chol, lower=True)
        if info != 0:
            raise ValueError(ILL_DEFINED_COVARIANCE)
        precisions_chol[k] = inverse.T
    if not np.isfinite(precisions_chol).all():  # NaN passes potrf
        raise ValueError(ILL_DEFINED_COVARIANCE)
    return precisions_chol


def _upper_cholesky_of(stacked):
    """Upper ``U`` with ``U U^T = P`` for each precision matrix of a stack.

    A Cholesky factorisation of the row- and column-reversed matrix gives the
    upper factor directly (scikit-learn issue #26415).
    """
    return np.stack([np.flip(linalg.cholesky(np.flip(p), lower=True)) for p in stacked])


def _covariances_of_factors(stacked):
    """``inv(U U^T)`` for each upper factor of a (K, D, D) stack."""
    inverse = np.stack([linalg.inv(u) for u in stacked])
    return np.swapaxes(inverse, 1, 2) @ inverse


class CovarianceModel(ABC):
    """A covariance structure for a stack of Gaussian components.

    Attributes
    ----------
    name : str
        The name ``covariance_type`` takes.
    aliases : tuple of str
        Other accepted names (e.g. mclust's).
    full_moments : bool
        The M-step needs full second-moment matrices (otherwise diagonals).
    kernel_form : {'full', 'diag'}
        The precision-factor form handed to the backend kernels.
    shared : bool
        One covariance for all components.
    fixed_at_zero : bool
        No free covariance at all (only :class:`ZeroCovariance`).
    """

    name = None
    aliases = ()
    full_moments = True
    kernel_form = "full"
    shared = False
    fixed_at_zero = False
    #: 'spherical', 'diagonal', 'general' or 'univariate': the shape of
    #: mclust's default prior scale and the single-component MAP fit
    #: (:mod:`._prior`); None if mclust offers no conjugate prior.
    prior_family = None

    # -------------------------------------------------------------- shapes
    @abstractmethod
    def shape(self, n_components, n_features):
        """Shape of ``covariances_`` (and of the precision factors)."""

    @abstractmethod
    def n_parameters(self, n_components, n_features):
        """Free parameters of the covariances (not the means or weights)."""

    # -------------------------------------------------------------- M-step
    @abstractmethod
    def estimate(self, scatter, nk, reg_covar, previous=None):
        """Maximum-likelihood covariances from centred second moments.

        Parameters
        ----------
        scatter : ndarray of shape (n_components, n_features, n_features) or \
                (n_components, n_features)
            ``sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T`` (full moments) or its
            diagonal.
        nk : ndarray of shape (n_components,)
            ``sum_i r_ik`` (already bounded away from zero).
        reg_covar : float or ndarray of shape (n_features,)
            Added to the diagonal of every covariance (one value per feature
            for a ridge relative to each feature's variance).
        previous : ndarray or None, default=None
            The covariances of the last M-step (same shape as the result): a
            warm start for structures whose M-step iterates.
        """

    def map_rule(self, n_components, n_features, dof, shrinkage):
        """How the M-step under mclust's conjugate prior is this structure's
        ML M-step (:class:`~skmix._core._prior.MapRule`): where the prior
        scale enters and the pseudo-counts that make the denominators
        mclust's (``[kappa > 0]`` below is 1 with a positive shrinkage)."""
        raise ValueError(f"covariance_type {self.name!r} has no conjugate prior.")

    # ------------------------------------------------------ factorisations
    @abstractmethod
    def precision_cholesky(self, covariances):
        """Upper factors ``U`` with ``U U^T = inv(covariance)``.

        Raises
        ------
        ValueError
            A covariance is not positive definite.
        """

    @abstractmethod
    def precision_cholesky_from_precisions(self, precisions):
        """Upper factors ``U`` with ``U U^T = precision``."""

    @abstractmethod
    def covariances_from_precision_cholesky(self, precisions_chol):
        """Invert precision factors back to covariances."""

    @abstractmethod
    def precisions_from_cholesky(self, precisions_chol):
        """``U U^T`` for each component."""

    @abstractmethod
    def kernel_precisions(self, precisions_chol, n_components, n_features):
        """Factors in the kernels' form: (K, D, D) full or (K, D) diagonal."""

    @abstractmethod
    def to_full(self, covariances, n_components, n_features):
        """Covariances as an (n_components, n_features, n_features) stack."""

    # -------------------------------------------------------------- checks
    def check_precisions(self, precisions, n_components, n_features):
        """Validated ``precisions_init`` (shape, symmetry, positive definiteness)."""
        precisions = check_param_array(
            precisions, "precisions_init", self.shape(n_components, n_features)
        )
        if self.kernel_form == "diag":
            if np.any(precisions <= 0.0):
                raise ValueError(f"'{self.name} precision' should be positive.")
            return precisions
        matrices = precisions.reshape(-1, n_features, n_features)
        # One batched check (per-matrix calls cost 0.1 ms each).
        if not (
            np.allclose(matrices, matrices.transpose(0, 2, 1))
            and np.all(np.linalg.eigvalsh(matrices) > 0)
        ):
            raise ValueError(
                f"'{self.name} precision' should be symmetric, positive-definite."
            )
        return precisions

    # ------------------------------------------------------------ sampling
    def sample(self, rng, means, covariances, counts):
        """Draw ``counts[k]`` rows from each component, stacked in order."""
        n_components, n_features = means.shape
        full = self.to_full(covariances, n_components, n_features)
        draws = []
        for mean, covariance, count in zip(means, full, counts, strict=True):
            if self.kernel_form == "full":
                draws.append(rng.multivariate_normal(mean, covariance, int(count)))
            else:
                noise = rng.standard_normal(size=(count, n_features))
                draws.append(mean + noise * np.sqrt(np.diag(covariance)))
        return np.vstack(draws)

    # ------------------------------------------------ random-effect covariances
    def constrain(self, covariances, shares):
        """Impose the structure on per-class covariance estimates.

        Used for covariances of latent factors (the experts' random effects):
        their M-step is each class's weighted scatter, then the structure ties
        or zeroes entries as :meth:`estimate` does for mixture components.

        Parameters
        ----------
        covariances : ndarray of shape (n_classes, q, q)
            Unconstrained estimates, one per class.
        shares : ndarray of shape (n_classes,)
            Each class's posterior weight (normalised here).

        Returns
        -------
        ndarray of shape (n_classes, q, q)
        """
        n_classes, q, _ = covariances.shape
        # The M-step of the structure, each class's scatter being its share
        # times its covariance (no ridge).
        scatter = shares[:, None, None] * covariances
        if not self.full_moments:
            scatter = np.einsum("kqq->kq", scatter)
        return self.to_full(self.estimate(scatter, shares, 0.0), n_classes, q)

    def free_index(self, q):
        """(rows, columns) of the free entries of one q x q covariance."""
        if self.kernel_form == "full":
            return np.tril_indices(q)
        return np.arange(q), np.arange(q)


@register_covariance_model
class FullCovariance(CovarianceModel):
    """Each component has its own general covariance (mclust's VVV)."""

    name = "full"
    aliases = ("VVV",)
    prior_family = "general"

    def shape(self, n_components, n_features):
        return (n_components, n_features, n_features)

    def n_parameters(self, n_components, n_features):
        return n_components * n_features * (n_features + 1) // 2

    def estimate(self, scatter, nk, reg_covar, previous=None):
        return scatter / nk[:, None, None] + ridge_matrix(reg_covar, scatter.shape[1])

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # mevvvp: (Lambda + S_k) / (nu + n_k + d + 2).
        return MapRule("each", dof + n_features + 2.0)

    def precision_cholesky(self, covariances):
        return _cholesky_of_inverse(covariances)

    def precision_cholesky_from_precisions(self, precisions):
        return _upper_cholesky_of(precisions)

    def covariances_from_precision_cholesky(self, precisions_chol):
        return _covariances_of_factors(precisions_chol)

    def precisions_from_cholesky(self, precisions_chol):
        return precisions_chol @ np.swapaxes(precisions_chol, 1, 2)

    def kernel_precisions(self, precisions_chol, n_components, n_features):
        return precisions_chol

    def to_full(self, covariances, n_components, n_features):
        return np.asarray(covariances, dtype=np.float64)

    def constrain(self, covariances, shares):
        return covariances.copy()


@register_covariance_model
class TiedCovariance(CovarianceModel):
    """One general covariance shared by all components (mclust's EEE)."""

    name = "tied"
    aliases = ("EEE",)
    shared = True
    prior_family = "general"

    def shape(self, n_components, n_features):
        return (n_features, n_features)

    def n_parameters(self, n_components, n_features):
        return n_features * (n_features + 1) // 2

    def estimate(self, scatter, nk, reg_covar, previous=None):
        pooled = scatter.sum(axis=0) / nk.sum()
        return pooled + ridge_matrix(reg_covar, scatter.shape[1])

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meeeep: (Lambda + sum_k S_k) / (nu + d + 1 + G [kappa > 0] + n).
        pseudo = (dof + n_features + 1.0) / n_components + float(shrinkage > 0)
        return MapRule("pooled", pseudo)

    def precision_cholesky(self, covariances):
        return _cholesky_of_inverse(covariances[None])[0]

    def precision_cholesky_from_precisions(self, precisions):
        return _upper_cholesky_of(precisions[None])[0]

    def covariances_from_precision_cholesky(self, precisions_chol):
        return _covariances_of_factors(precisions_chol[None])[0]

    def precisions_from_cholesky(self, precisions_chol):
        return precisions_chol @ precisions_chol.T

    def kernel_precisions(self, precisions_chol, n_components, n_features):
        return np.broadcast_to(precisions_chol, (n_components, n_features, n_features))

    def to_full(self, covariances, n_components, n_features):
        return np.repeat(
            np.asarray(covariances, dtype=np.float64)[None], n_components, 0
        )


class _DiagonalFamily(CovarianceModel):
    """Structures whose covariances are diagonal: factors are 1 / sqrt(variance)."""

    full_moments = False
    kernel_form = "diag"

    def precision_cholesky(self, covariances):
        if not np.all(covariances > 0.0):  # also catches NaN
            raise ValueError(ILL_DEFINED_COVARIANCE)
        return 1.0 / np.sqrt(covariances)

    def precision_cholesky_from_precisions(self, precisions):
        return np.sqrt(precisions)

    def covariances_from_precision_cholesky(self, precisions_chol):
        return 1.0 / precisions_chol**2

    def precisions_from_cholesky(self, precisions_chol):
        return precisions_chol**2

    def _variances(self, covariances, n_components, n_features):
        """Per-component, per-feature variances, shape (K, D)."""
        return np.asarray(covariances, dtype=np.float64)

    def to_full(self, covariances, n_components, n_features):
        variances = self._variances(covariances, n_components, n_features)
        return variances[:, :, None] * np.eye(n_features)

    def constrain(self, covariances, shares):
        n_classes, q, _ = covariances.shape
        # Each class's variances are its own (unit counts, no ridge).
        variances = self.estimate(
            np.einsum("kqq->kq", covariances), np.ones(n_classes), 0.0
        )
        return self.to_full(variances, n_classes, q)


@register_covariance_model
class DiagCovariance(_DiagonalFamily):
    """Each component has its own diagonal covariance (mclust's VVI)."""

    name = "diag"
    aliases = ("VVI",)
    prior_family = "diagonal"

    def shape(self, n_components, n_features):
        return (n_components, n_features)

    def n_parameters(self, n_components, n_features):
        return n_components * n_features

    def estimate(self, scatter, nk, reg_covar, previous=None):
        return scatter / nk[:, None] + reg_covar

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # mevvip: (s2 + diag S_k) / (n_k + nu + 2 + [kappa > 0]).
        return MapRule("each", dof + 2.0 + float(shrinkage > 0))

    def kernel_precisions(self, precisions_chol, n_components, n_features):
        return precisions_chol


@register_covariance_model
class SphericalCovariance(_DiagonalFamily):
    """Each component has its own single variance (mclust's VII)."""

    name = "spherical"
    aliases = ("VII",)
    prior_family = "spherical"

    def shape(self, n_components, n_features):
        return (n_components,)

    def n_parameters(self, n_components, n_features):
        return n_components

    def estimate(self, scatter, nk, reg_covar, previous=None):
        return (scatter / nk[:, None] + reg_covar).mean(axis=1)

    def map_rule(self, n_components, n_features, dof, shrinkage):
        # meviip: (s2 + tr S_k) / (nu + n_k d + 2 + d [kappa > 0]).
        return MapRule("trace", (dof + 2.0) / n_features + float(shrinkage > 0))

    def kernel_precisions(self, precisions_chol, n_components, n_features):
        return np.repeat(precisions_chol[:, None], n_features, axis=1)

    def _variances(self, covariances, n_components, n_features):
        variances = np.asarray(covariances, dtype=np.float64)
        return np.repeat(variances[:, None], n_features, axis=1)


class ZeroCovariance:
    """Random effects fixed at zero (latent class growth analysis).

    Not a structure for mixture components, so not registered: it offers
    only the random-effects part of :class:`CovarianceModel`.
    """

    name = "none"
    shared = False
    fixed_at_zero = True

    def constrain(self, covariances, shares):
        return np.zeros_like(covariances)

    def free_index(self, q):
        return np.empty(0, int), np.empty(0, int)


#: scikit-learn's four structures (the default model-selection grid); every
#: registered name is accepted as ``covariance_type``.
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
