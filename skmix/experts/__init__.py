"""Mixtures of experts: covariate-driven mixtures of regressions and of
growth curves, with standard errors and statistical summaries."""

from ._curves import (
    BilinearSpline,
    Exponential,
    GrowthCurve,
    Intercept,
    JennsBayley,
    Linear,
    Quadratic,
)
from ._likelihood import ExpertParams
from ._moe import MixtureOfExpertsRegressor

__all__ = [
    "BilinearSpline",
    "ExpertParams",
    "Exponential",
    "GrowthCurve",
    "Intercept",
    "JennsBayley",
    "Linear",
    "MixtureOfExpertsRegressor",
    "Quadratic",
]
