"""Gaussian mixture models fitted by EM on the skmix backends."""

from ._gaussian_mixture import GaussianMixture

__all__ = ["GaussianMixture"]
