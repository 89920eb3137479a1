"""Dask adapter over the sufficient-statistics protocol.

EM on a Dask array is the in-memory EM with one change: the E-step maps
:func:`~skmix._math.e_step_statistics` over the row blocks (on the workers,
next to the data), the per-block :class:`~skmix._math.GaussianStatistics` are
added in a tree, and the M-step runs on the client from the sum. Nothing
larger than the parameters travels back. Dask is imported lazily: it is an
optional extra.
"""

import operator

import numpy as np

from .._backend import resolve_backend
from .._math import e_step_statistics

# Rows drawn across blocks for k-means/k-means++ initialisation.
INIT_SAMPLE_SIZE = 50_000


def is_dask_array(X):
    """Whether `X` is a ``dask.array.Array`` (without importing Dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def check_dask_samples(X, *, ensure_min_samples=1):
    """Validate a Dask array lazily where possible.

    Rows stay chunked; features are gathered into one chunk per block (a
    block's E-step needs whole rows). Finiteness is checked in one pass.

    Returns
    -------
    X : dask.array.Array of float32 or float64
    """
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array for X, got a {X.ndim}D array instead. Reshape "
            "your data using array.reshape(-1, 1) if it has a single feature."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if X.shape[0] < ensure_min_samples:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
            f"minimum of {ensure_min_samples} is required."
        )
    if not bool(da.isfinite(X).all().compute()):
        raise ValueError("Input X contains NaN or infinity.")
    return X


def sample_rows(X, n_rows, random_state):
    """A uniform sample of ``n_rows`` rows drawn across all blocks, in memory."""
    n_samples = X.shape[0]
    if n_rows >= n_samples:
        return np.asarray(X.compute())
    rows = np.sort(random_state.choice(n_samples, size=n_rows, replace=False))
    return np.asarray(X[rows].compute())


def _block_e_step(block, backend_name, parameters):
    backend = resolve_backend(backend_name)
    block = backend.asarray(np.ascontiguousarray(block))
    with backend.compute_context():
        return e_step_statistics(backend, block, *parameters)


def tree_sum(parts):
    """Pairwise (tree) reduction of delayed objects with ``+``."""
    from dask import delayed

    while len(parts) > 1:
        pairs = [
            delayed(operator.add)(parts[i], parts[i + 1])
            for i in range(0, len(parts) - 1, 2)
        ]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


def dask_e_step_statistics(X, backend_name, log_weights, means, precisions, shift):
    """:func:`~skmix._math.e_step_statistics` over a Dask array's row blocks.

    Each block's statistics are computed where the block lives; the sum is a
    tree reduction, so the client receives one ``GaussianStatistics``.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features), one column chunk
    backend_name : str
        Resolved on each worker ('numba' or 'numpy').
    log_weights, means, precisions, shift : ndarray
        As for :func:`~skmix._math.e_step_statistics`.

    Returns
    -------
    stats : GaussianStatistics
    """
    from dask import delayed

    # One graph key for the parameters, shared by every block's task.
    parameters = delayed(
        (log_weights, means, precisions, np.asarray(shift, dtype=X.dtype)), pure=True
    )
    blocks = X.to_delayed().ravel()
    parts = [delayed(_block_e_step)(b, backend_name, parameters) for b in blocks]
    return tree_sum(parts).compute()


def map_rows(function, X, dtype, n_features, n_columns=None):
    """Apply a fitted model's row-wise method lazily to every row block.

    ``function`` maps a block to one value per row (``n_columns=None``) or
    to ``n_columns`` values per row. `X` must have ``n_features`` columns.
    """
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(
            f"X has shape {X.shape}, but the model is expecting {n_features} "
            "features as input."
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if n_columns is None:
        return X.map_blocks(function, drop_axis=1, dtype=dtype)
    return X.map_blocks(function, dtype=dtype, chunks=(X.chunks[0], (n_columns,)))
