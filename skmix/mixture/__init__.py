"""Gaussian mixture models fitted by EM on the skmix backends."""

from ._gaussian_mixture import GaussianMixture
from ._regression import ConditionalMixture, GaussianMixtureRegressor

__all__ = ["ConditionalMixture", "GaussianMixture", "GaussianMixtureRegressor"]
