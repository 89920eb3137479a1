"""Distributed fitting and out-of-core scoring on Dask (optional extra)."""

from ._dask import (
    check_dask_samples,
    dask_e_step_statistics,
    is_dask_array,
    map_rows,
    sample_rows,
)

__all__ = [
    "check_dask_samples",
    "dask_e_step_statistics",
    "is_dask_array",
    "map_rows",
    "sample_rows",
]
