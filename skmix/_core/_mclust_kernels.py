"""The inner loop of the common-orientation M-step (EVE, VVE), compiled.

Each of its majorise-minimise steps is a handful of d x d products and one
SVD; in Python their call overhead made EVE and VVE half the time of
mclust's default model grid. Imported lazily, so that importing skmix does
not import Numba.
"""

import math

import numpy as np

from .._backend._jit import cached_njit


@cached_njit()
def _nearest_orthogonal(matrix):
    """The orthogonal ``Q`` maximising ``tr(Q^T M)``: ``U V^T`` of ``M``'s SVD."""
    u, _, vt = np.linalg.svd(matrix)
    return u @ vt


@cached_njit()
def common_orientation_loop(scatter, nk, equal_volume, orientation, tol, max_iter):
    """Alternate the eigenvalues given ``D`` and Browne & McNicholas's two
    majorise-minimise steps for ``D`` until the objective
    ``sum_k tr(W_k D B_k D^T) + n_k log|L_k|`` changes by at most
    ``tol (1 + |objective|)``.

    Returns
    -------
    orientation : ndarray of shape (d, d)
    eigenvalues : ndarray of shape (K, d)
    """
    n_components, d, _ = scatter.shape
    n = nk.sum()
    largest = np.empty(n_components)
    for k in range(n_components):
        largest[k] = np.linalg.eigvalsh(scatter[k])[-1]
    spread = np.empty((n_components, d))
    eigenvalues = np.empty((n_components, d))
    inverse = np.empty((n_components, d))
    objective = np.inf
    for _ in range(max_iter):
        for k in range(n_components):
            projected = scatter[k] @ orientation
            for i in range(d):
                total = 0.0
                for j in range(d):
                    total += orientation[j, i] * projected[j, i]
                spread[k, i] = total
        if equal_volume:
            volume_sum = 0.0
            for k in range(n_components):
                volume_sum += math.exp(np.mean(np.log(spread[k])))
            for k in range(n_components):
                gm = math.exp(np.mean(np.log(spread[k])))
                eigenvalues[k] = (volume_sum / n) * spread[k] / gm
        else:
            for k in range(n_components):
                eigenvalues[k] = spread[k] / nk[k]
        inverse[:] = 1.0 / eigenvalues
        previous = objective
        objective = 0.0
        for k in range(n_components):
            objective += (spread[k] * inverse[k]).sum()
            objective += nk[k] * np.log(eigenvalues[k]).sum()
        if not math.isfinite(objective):
            break  # a collapsed component: the caller reports it
        if abs(objective - previous) <= tol * (1.0 + abs(objective)):
            break
        # Step 1 bounds W_k by its largest eigenvalue.
        target = np.zeros((d, d))
        for k in range(n_components):
            shifted = (largest[k] * np.eye(d) - scatter[k]) @ orientation
            for i in range(d):
                for j in range(d):
                    target[i, j] += shifted[i, j] * inverse[k, j]
        orientation = _nearest_orthogonal(target)
        # Step 2 bounds B_k by its largest entry.
        target = np.zeros((d, d))
        for k in range(n_components):
            shifted = scatter[k] @ orientation
            top = inverse[k].max()
            for i in range(d):
                for j in range(d):
                    target[i, j] += shifted[i, j] * (top - inverse[k, j])
        orientation = _nearest_orthogonal(target)
    return orientation, eigenvalues
