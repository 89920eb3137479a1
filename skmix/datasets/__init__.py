"""Simulators and shipped data sets."""

from ._trajectories import load_ecls_k, make_trajectory_mixture

__all__ = ["load_ecls_k", "make_trajectory_mixture"]
