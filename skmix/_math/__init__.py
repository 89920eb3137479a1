"""Host-side maths of Gaussian models: sufficient statistics, Gaussian
conditioning, Normal-Inverse-Wishart marginals.

Covariance structures and the M-step live in :mod:`skmix._core`."""

from ._conditional import ConditionalGaussians, condition_gaussians
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
    "ConditionalGaussians",
    "condition_gaussians",
    "GaussianStatistics",
    "NIWPrior",
    "e_step_statistics",
    "log_split_hastings_ratio",
    "niw_log_marginal_likelihood",
    "niw_prior",
    "pooled_within_class_covariance",
    "responsibility_statistics",
]
