"""Novelty detection: known classes and novel inputs."""

from ._open_set import DriftResult, OpenSetGMMDetector, benjamini_hochberg

__all__ = ["DriftResult", "OpenSetGMMDetector", "benjamini_hochberg"]
