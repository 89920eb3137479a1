"""Compute backends. Estimators reach NumPy, Numba or CuPy only through here."""

from ._resolve import (
    KERNELS,
    Backend,
    available_backends,
    is_cupy_array,
    one_openmp_thread,
    resolve_backend,
)

__all__ = [
    "KERNELS",
    "Backend",
    "available_backends",
    "is_cupy_array",
    "one_openmp_thread",
    "resolve_backend",
]
