"""Choosing the number of mixture components: hypothesis tests, a table
across numbers of classes, and latent-class diagnostics."""

from ._bootstrap import BootstrapLRTResult, bootstrap_lrt
from ._enumeration import (
    ClassComparison,
    ClassDiagnostics,
    class_diagnostics,
    compare_classes,
)
from ._lmr import LoMendellRubinResult, lo_mendell_rubin_test

__all__ = [
    "BootstrapLRTResult",
    "ClassComparison",
    "ClassDiagnostics",
    "LoMendellRubinResult",
    "bootstrap_lrt",
    "class_diagnostics",
    "compare_classes",
    "lo_mendell_rubin_test",
]
