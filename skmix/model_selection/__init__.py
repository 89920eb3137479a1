"""Choosing the number of mixture components by hypothesis tests."""

from ._bootstrap import BootstrapLRTResult, bootstrap_lrt

__all__ = ["BootstrapLRTResult", "bootstrap_lrt"]
