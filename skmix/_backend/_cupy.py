"""GPU kernels on CuPy.

The reference kernels in :mod:`skmix._backend._numpy` take the array module from
their input, so on CuPy arrays they run as a handful of cuBLAS GEMMs and
elementwise launches with the data kept on the device. This module binds them
for the CuPy backend; a kernel should be replaced by a RawKernel here only when
a GPU benchmark shows the replacement is faster. Importing it requires CuPy.
"""

import cupy  # noqa: F401  (fail at import time, not at the first kernel call)

from ._numpy import (
    em_step_statistics,
    log_gaussian_prob,
    logsumexp_rows,
    missing_em_step_statistics,
    score_samples,
    weighted_moments,
)

__all__ = [
    "em_step_statistics",
    "log_gaussian_prob",
    "logsumexp_rows",
    "missing_em_step_statistics",
    "score_samples",
    "weighted_moments",
]
