"""Novelty detection: known classes and novel inputs."""

from ._detector import GaussianMixtureNoveltyDetector
from ._drift import ConformalDriftMonitor, DriftAlarm, sequential_conformal_p_values
from ._open_set import DriftResult, OpenSetGMMDetector, benjamini_hochberg

__all__ = [
    "ConformalDriftMonitor",
    "DriftAlarm",
    "DriftResult",
    "GaussianMixtureNoveltyDetector",
    "OpenSetGMMDetector",
    "benjamini_hochberg",
    "sequential_conformal_p_values",
]
