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
from ._families import (
    EXPERT_FAMILIES,
    Binomial,
    ExpertFamily,
    Gamma,
    Gaussian,
    NegativeBinomial,
    Poisson,
)
from ._glm import GLMParams
from ._likelihood import ExpertParams
from ._moe import MixtureOfExpertsRegressor
from ._results import MixtureResults, WaldTestResult

__all__ = [
    "EXPERT_FAMILIES",
    "BilinearSpline",
    "Binomial",
    "ExpertFamily",
    "ExpertParams",
    "Exponential",
    "GLMParams",
    "Gamma",
    "Gaussian",
    "GrowthCurve",
    "Intercept",
    "JennsBayley",
    "Linear",
    "MixtureOfExpertsRegressor",
    "MixtureResults",
    "NegativeBinomial",
    "Poisson",
    "Quadratic",
    "WaldTestResult",
]
