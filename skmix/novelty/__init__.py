"""Novelty detection: known classes and novel inputs."""

from ._detector import GaussianMixtureNoveltyDetector
from ._open_set import DriftResult, OpenSetGMMDetector, benjamini_hochberg

__all__ = [
    "DriftResult",
    "GaussianMixtureNoveltyDetector",
    "OpenSetGMMDetector",
    "benjamini_hochberg",
]
