"""Gaussian mixture models fitted by EM on the skmix backends."""

from ._gaussian_mixture import GaussianMixture
from ._plotting import ellipse_path, plot_classification, plot_uncertainty
from ._regression import ConditionalMixture, GaussianMixtureRegressor
from ._score_threshold import (
    GMMScoreThreshold,
    gmm_score_threshold,
    gmm_top_k,
    threshold_from_mixture,
)
from ._selection import GaussianMixtureSelector

__all__ = [
    "ConditionalMixture",
    "GMMScoreThreshold",
    "GaussianMixture",
    "GaussianMixtureRegressor",
    "GaussianMixtureSelector",
    "ellipse_path",
    "gmm_score_threshold",
    "gmm_top_k",
    "plot_classification",
    "plot_uncertainty",
    "threshold_from_mixture",
]
