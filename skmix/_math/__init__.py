"""Backend-generic maths of Gaussian mixtures (host-side parameter algebra)."""

from ._conditional import (
    ConditionalGaussians,
    condition_gaussians,
    full_covariances,
)
from ._gaussian import (
    COVARIANCE_TYPES,
    covariances_from_precision_cholesky,
    kernel_precisions,
    m_step,
    n_parameters,
    precision_cholesky_from_covariances,
    precision_cholesky_from_precisions,
    precisions_from_cholesky,
    second_moments_are_full,
)
from ._niw import (
    NIWPrior,
    log_split_hastings_ratio,
    niw_log_marginal_likelihood,
    niw_prior,
    pooled_within_class_covariance,
)
from ._statistics import (
    GaussianStatistics,
    e_step_statistics,
    responsibility_statistics,
)

__all__ = [
    "COVARIANCE_TYPES",
    "ConditionalGaussians",
    "condition_gaussians",
    "full_covariances",
    "GaussianStatistics",
    "NIWPrior",
    "covariances_from_precision_cholesky",
    "e_step_statistics",
    "kernel_precisions",
    "log_split_hastings_ratio",
    "m_step",
    "n_parameters",
    "niw_log_marginal_likelihood",
    "niw_prior",
    "pooled_within_class_covariance",
    "precision_cholesky_from_covariances",
    "precision_cholesky_from_precisions",
    "precisions_from_cholesky",
    "responsibility_statistics",
    "second_moments_are_full",
]
