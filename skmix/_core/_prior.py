"""mclust's conjugate prior: MAP estimation of Gaussian mixture components.

Fraley & Raftery (2007, "Bayesian regularization for normal mixture
estimation and model-based clustering", J. Classification 24) put a
conjugate prior on each component's mean and covariance: the mean is normal
about ``mean`` with covariance ``Sigma_k / shrinkage``, the covariance (or
its variance, volume or diagonal) inverse-Wishart (inverse-gamma) with
``dof`` degrees of freedom and ``scale``. EM then climbs the posterior: the
E-step is unchanged and the M-step gives the posterior mode. The
log-likelihood reported (and BIC) is the likelihood at that mode, as in
mclust.

The M-step of a structure under the prior is its maximum-likelihood M-step
applied to

- the *prior scatter* ``W_k + c_k (xbar_k - mean)(xbar_k - mean)^T``,
  ``c_k = shrinkage n_k / (n_k + shrinkage)``, plus the prior scale (added
  to every component's scatter, once for all, or once to each trace), and
- *effective counts* ``n_k + pseudo_counts``, so that each structure's
  denominator is mclust's,

with means shrunk to ``(n_k xbar_k + shrinkage mean) / (n_k + shrinkage)``.
Each structure states its rule in ``CovarianceModel.map_rule``, citing the
Fortran routine of mclust 6.0.0 (``src/mclust.f``) it follows. One component
follows mclust's single-Gaussian fits (``mvnXII``, ``mvnXXI``, ``mvnXXX``,
``mvnX``: :func:`single_component_rule`), which ``Mclust`` uses for G = 1.

Host NumPy float64 throughout: parameters are small.
"""

from dataclasses import dataclass
from numbers import Real
from typing import NamedTuple

import numpy as np

#: mclust's default shrinkage (``defaultPrior``).
DEFAULT_SHRINKAGE = 0.01

#: Keys a prior given as a dict may have (mclust's ``priorControl`` names).
PRIOR_KEYS = ("shrinkage", "mean", "dof", "scale")

#: Structures mclust offers no prior for (``Mclust`` drops them).
NO_PRIOR_STRUCTURES = ("EVE", "VEE", "VVE", "EVV")

#: ``prior_family`` of a structure: how the default scale is shaped and
#: which single-component fit it has.
FAMILIES = ("spherical", "diagonal", "general", "univariate")


@dataclass(frozen=True, eq=False)
class ConjugatePrior:
    """Hyperparameters of mclust's conjugate prior, resolved for one fit.

    Attributes
    ----------
    shrinkage : float
        ``kappa_p``: the mean's prior precision relative to the covariance's
        (0: a flat prior on the means).
    mean : ndarray of shape (n_features,)
        ``mu_p``: where means are shrunk to.
    dof : float
        ``nu_p``: degrees of freedom of the inverse-Wishart (inverse-gamma).
    scale : float or ndarray of shape (n_features, n_features)
        ``Lambda_p`` (a matrix, for general structures) or ``varsigma_p^2``
        (a number, for spherical, diagonal and one-dimensional ones).
    """

    shrinkage: float
    mean: np.ndarray
    dof: float
    scale: object

    def as_dict(self):
        """``{"shrinkage", "mean", "dof", "scale"}`` (copies), e.g. to pass
        as another estimator's ``prior``."""
        return {
            "shrinkage": self.shrinkage,
            "mean": np.array(self.mean),
            "dof": self.dof,
            "scale": np.array(self.scale) if np.ndim(self.scale) else self.scale,
        }


class MapRule(NamedTuple):
    """How a structure's ML M-step becomes its MAP M-step.

    Attributes
    ----------
    scale_entry : {'each', 'pooled', 'trace'} or None
        Where the prior scale enters the prior scatter: added to each
        component's, once for all components (``scale / n_components`` to
        each), once to each component's trace (``scale / n_features`` on its
        diagonal), or not at all.
    pseudo_counts : float
        Added to each ``n_k`` where the ML M-step divides by the counts.
    shrinks_means : bool
        Whether the means are shrunk towards the prior mean.
    """

    scale_entry: str | None
    pseudo_counts: float
    shrinks_means: bool = True


@dataclass(frozen=True)
class DataMoments:
    """What mclust's ``defaultPrior`` reads from the data: the number of
    rows, column means and covariance (divided by ``n - 1``, as R's ``var``)."""

    n_samples: int
    mean: np.ndarray
    covariance: np.ndarray

    @classmethod
    def from_array(cls, X):
        X = np.asarray(X, dtype=np.float64)
        return cls(X.shape[0], X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False)))

    @classmethod
    def from_statistics(cls, statistics):
        """From one component's :class:`~skmix._math.GaussianStatistics`
        whose responsibilities are all one (full second moments)."""
        n = float(statistics.nk[0])
        offset = statistics.sum_x[0] / n
        scatter = statistics.sum_xx[0] - n * np.outer(offset, offset)
        return cls(
            int(round(n)), statistics.shift[0] + offset, scatter / max(n - 1.0, 1.0)
        )


# ------------------------------------------------------------- the default
def default_prior(family, moments, n_components):
    """mclust's ``defaultPrior(data, G, modelName)``.

    Shrinkage 0.01 towards the data mean; ``dof = d + 2`` (3 in one
    dimension); scale ``var(x) / G^2`` in one dimension, ``(1/G)^(2/d)``
    times the mean of the variances for spherical and diagonal structures,
    and ``(1/G)^(2/d)`` times the covariance for general ones (its diagonal
    if ``n <= d``).
    """
    d = moments.mean.shape[0]
    G = n_components
    covariance = moments.covariance
    if family == "univariate":
        dof, scale = 3.0, float(covariance[0, 0]) / G**2
    else:
        dof = d + 2.0
        factor = (1.0 / G) ** (2.0 / d)
        if family == "general":
            if moments.n_samples > d:
                scale = factor * covariance
            else:
                scale = factor * np.diag(np.diag(covariance))
        else:
            scale = factor * float(np.trace(covariance)) / d
    return ConjugatePrior(DEFAULT_SHRINKAGE, np.array(moments.mean), dof, scale)


def check_prior_spec(prior):
    """Reject a ``prior`` parameter of the wrong kind before any data is
    seen: None, 'default', a dict of mclust's names, or a ConjugatePrior."""
    if prior is None or isinstance(prior, ConjugatePrior):
        return
    if isinstance(prior, str):
        if prior != "default":
            raise ValueError(
                f"prior must be None, 'default', a dict with keys among "
                f"{list(PRIOR_KEYS)} or a ConjugatePrior; got {prior!r}."
            )
        return
    if not isinstance(prior, dict):
        raise ValueError(
            "prior must be None, 'default', a dict with keys among "
            f"{list(PRIOR_KEYS)} or a ConjugatePrior; got a {type(prior).__name__}."
        )
    unknown = sorted(set(prior) - set(PRIOR_KEYS))
    if unknown:
        raise ValueError(
            f"Unknown prior key(s) {unknown}; expected some of {list(PRIOR_KEYS)} "
            "(mclust's priorControl names)."
        )
    shrinkage = prior.get("shrinkage")
    if shrinkage is not None:
        _check_number(shrinkage, "shrinkage", 0.0, inclusive=True)
        if shrinkage == 0 and prior.get("mean") is not None:
            raise ValueError(
                "A prior mean needs a positive shrinkage (mclust: 'prior mean "
                "specified but not shrinkage')."
            )


def resolve_prior(prior, model, n_components, moments):
    """The :class:`ConjugatePrior` of a fit (None without a prior).

    A dict's missing entries, and 'default', take mclust's
    ``defaultPrior`` for `moments`, `n_components` and the structure.
    Unlike mclust, whose ``defaultPrior`` ignores a given ``dof``, a given
    ``dof`` is used.

    Raises
    ------
    ValueError
        The structure has no prior (EVE, VEE, VVE, EVV), or a
        hyperparameter is out of range or of the wrong shape.
    """
    if prior is None:
        return None
    check_prior_spec(prior)
    family = prior_family(model)
    n_features = moments.mean.shape[0]
    if isinstance(prior, ConjugatePrior):
        return check_prior(prior, family, n_features)
    given = {} if isinstance(prior, str) else dict(prior)
    default = default_prior(family, moments, n_components)
    values = {
        key: default.__dict__[key] if given.get(key) is None else given[key]
        for key in PRIOR_KEYS
    }
    return check_prior(ConjugatePrior(**values), family, n_features)


def prior_family(model):
    """The structure's prior family, or a ValueError if mclust has no prior
    for it."""
    family = getattr(model, "prior_family", None)
    if family is None:
        raise ValueError(
            f"covariance_type {model.name!r} has no conjugate prior: mclust "
            f"offers none for {', '.join(NO_PRIOR_STRUCTURES)} (Mclust drops them "
            "when a prior is given). Use another structure or prior=None."
        )
    return family


def check_prior(prior, family, n_features):
    """A validated copy of `prior` for `n_features` and a structure family."""
    shrinkage = _check_number(prior.shrinkage, "shrinkage", 0.0, inclusive=True)
    mean = np.array(prior.mean, dtype=np.float64).reshape(-1)
    if np.ndim(prior.mean) > 1 or mean.shape != (n_features,):
        raise ValueError(
            f"The prior mean should have shape ({n_features},); got "
            f"{np.shape(prior.mean)}."
        )
    if not np.isfinite(mean).all():
        raise ValueError("The prior mean must be finite.")
    minimum_dof = n_features - 1.0 if family == "general" else 0.0
    dof = _check_number(prior.dof, "dof", minimum_dof, inclusive=False)
    if family == "general":
        scale = np.array(prior.scale, dtype=np.float64)
        if scale.shape != (n_features, n_features):
            raise ValueError(
                f"The prior scale should be a ({n_features}, {n_features}) matrix "
                f"for this covariance_type; got shape {scale.shape}."
            )
        if not np.isfinite(scale).all() or not np.allclose(scale, scale.T):
            raise ValueError("The prior scale must be a finite symmetric matrix.")
        if np.linalg.eigvalsh(scale).min() <= 0:
            raise ValueError("The prior scale must be positive definite.")
    else:
        if np.size(prior.scale) != 1 or np.ndim(prior.scale) > 1:
            raise ValueError(
                "The prior scale should be a number for this covariance_type "
                f"(a {family} structure); got shape {np.shape(prior.scale)}."
            )
        scale = _check_number(np.ravel(prior.scale)[0], "scale", 0.0, inclusive=False)
    return ConjugatePrior(shrinkage, mean, dof, scale)


def _check_number(value, name, minimum, *, inclusive):
    if isinstance(value, bool) or not isinstance(value, Real | np.number):
        raise ValueError(f"The prior {name} must be a number; got {value!r}.")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"The prior {name} must be finite; got {value}.")
    if value < minimum or (value == minimum and not inclusive):
        bound = ">=" if inclusive else ">"
        raise ValueError(
            f"The prior {name} must be {bound} {minimum:g}; got {value:g}."
        )
    return value


# ------------------------------------------------------------------ M-step
def single_component_rule(family, n_features, dof, shrinkage):
    """The MAP rule of one component, as mclust's single-Gaussian fits:

    - spherical, ``mnxiip``: ``(s2 + tr S) / (nu + n d + 2 + d [kappa > 0])``;
    - diagonal, ``mnxxip``: ``(s2 + S_jj) / (nu + n + 2 + [kappa > 0])``;
    - general, ``mnxxxp``: ``(Lambda + S) / (nu + n + d + 1 + [kappa > 0])``;
    - one dimension, ``mvn1p``: ``(s2 + S) / (nu + n + 2 + [kappa > 0])``;

    ``S`` being the prior scatter (scatter plus the shrinkage term).
    """
    s = float(shrinkage > 0)
    if family == "spherical":
        return MapRule("trace", (dof + 2.0) / n_features + s)
    if family == "general":
        return MapRule("each", dof + n_features + 1.0 + s)
    return MapRule("each", dof + 2.0 + s)


def shrunk_means(means, nk, prior):
    """``(n_k xbar_k + kappa mu_p) / (n_k + kappa)``."""
    kappa = prior.shrinkage
    return (nk[:, None] * means + kappa * prior.mean) / (nk + kappa)[:, None]


def prior_scatter(scatter, means, nk, prior):
    """``W_k + c_k (xbar_k - mu_p)(xbar_k - mu_p)^T`` (or its diagonal),
    ``c_k = kappa n_k / (n_k + kappa)``."""
    kappa = prior.shrinkage
    pull = kappa * nk / (nk + kappa)
    deviation = means - prior.mean
    if scatter.ndim == 3:
        return scatter + pull[:, None, None] * (
            deviation[:, :, None] * deviation[:, None, :]
        )
    return scatter + pull[:, None] * deviation**2


def add_prior_scale(scatter, scale, entry):
    """The prior scatter with the prior scale entered as `entry` says
    (:class:`MapRule`)."""
    if entry is None:
        return scatter
    n_components, n_features = scatter.shape[:2]
    if scatter.ndim == 2:  # diagonal moments: a number's share per entry
        scale = np.full(n_features, float(np.ravel(scale)[0]))
    if entry == "pooled":
        return scatter + scale / n_components
    if entry == "trace":
        return scatter + scale / n_features
    return scatter + scale


def map_estimate(model, means, scatter, nk, reg_covar, prior, previous=None):
    """Means and covariances at the posterior mode, from the sample means,
    scatters ``W_k`` and counts of a structure's M-step.

    Parameters
    ----------
    model : CovarianceModel
    means : ndarray of shape (n_components, n_features)
        ``xbar_k``.
    scatter : ndarray
        ``W_k`` about ``xbar_k``, full or diagonal as the structure needs.
    nk : ndarray of shape (n_components,)
    reg_covar : float or ndarray of shape (n_features,)
        The ridge, entered as the ML M-step enters it.
    prior : ConjugatePrior
    previous : ndarray or None
        The last covariances (warm start of iterative structures).

    Returns
    -------
    means, covariances : ndarray
    """
    n_components, n_features = means.shape
    if n_components == 1:
        rule = single_component_rule(
            prior_family(model), n_features, prior.dof, prior.shrinkage
        )
    else:
        rule = model.map_rule(n_components, n_features, prior.dof, prior.shrinkage)
    augmented = add_prior_scale(
        prior_scatter(scatter, means, nk, prior), prior.scale, rule.scale_entry
    )
    covariances = model.estimate(augmented, nk + rule.pseudo_counts, reg_covar,
                                 previous)  # fmt: skip
    if rule.shrinks_means:
        means = shrunk_means(means, nk, prior)
    return means, covariances
