"""Shared test helpers."""

import numpy as np

from skmix._backend import available_backends

BACKENDS = available_backends()
CPU_BACKENDS = [name for name in BACKENDS if name != "cupy"]


def random_precision_factors(rng, n_components, n_features, form):
    """Upper Cholesky factors of random well-conditioned precisions."""
    if form == "diag":
        return rng.uniform(0.5, 2.0, size=(n_components, n_features))
    A = rng.standard_normal((n_components, n_features, n_features)) * 0.3
    covariances = A @ A.transpose(0, 2, 1) + np.eye(n_features)
    return np.stack([np.linalg.inv(np.linalg.cholesky(c)).T for c in covariances])


def to_host(backend, result):
    """Kernel output (an array, a float, or a tuple of them) as NumPy float64."""
    if isinstance(result, tuple):
        return tuple(to_host(backend, r) for r in result)
    if isinstance(result, float):
        return np.float64(result)
    return np.asarray(backend.to_numpy(result), dtype=np.float64)
