"""Novelty detection: known classes and novel inputs."""

from ._open_set import DriftResult, OpenSetGMMDetector

__all__ = ["DriftResult", "OpenSetGMMDetector"]
