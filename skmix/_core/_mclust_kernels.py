"""The inner loop of the common-orientation M-step (EVE, VVE), compiled.

Each of its majorise-minimise steps is a handful of d x d products and one
SVD; in Python their call overhead made EVE and VVE half the time of
mclust's default model grid. Imported lazily, so that importing skmix does
not import Numba.
"""

import math

import numpy as np

from .._backend._jit import cached_njit

#: One-sided Jacobi: columns count as orthogonal below this cosine; sweeps
#: allowed; the smallest singular value, relative to the largest, below
#: which the polar factor is left to LAPACK's SVD (it is then ill-defined).
_JACOBI_TOL = 1e-15
_JACOBI_SWEEPS = 30
_JACOBI_RANK_TOL = 1e-10


@cached_njit()
def _nearest_orthogonal(matrix):
    """The orthogonal ``Q`` maximising ``tr(Q^T M)``: ``U V^T`` of ``M``'s SVD.

    By one-sided (Hestenes) Jacobi rotations ``M V = U S`` (Demmel & Veselic
    1992), in place on d x d scratch: for mclust's few features a LAPACK SVD
    call cost 10 us, most of EVE's and VVE's M-steps, which call this twice
    per inner iteration.
    """
    d = matrix.shape[0]
    a = matrix.copy()
    v = np.eye(d)
    for _ in range(_JACOBI_SWEEPS):
        rotated = False
        for p in range(d - 1):
            for q in range(p + 1, d):
                alpha = beta = gamma = 0.0
                for i in range(d):
                    alpha += a[i, p] * a[i, p]
                    beta += a[i, q] * a[i, q]
                    gamma += a[i, p] * a[i, q]
                if abs(gamma) <= _JACOBI_TOL * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                root = math.sqrt(1.0 + zeta * zeta)
                t = math.copysign(1.0, zeta) / (abs(zeta) + root)
                c = 1.0 / math.sqrt(1.0 + t * t)
                s = c * t
                for i in range(d):
                    ap, aq = a[i, p], a[i, q]
                    a[i, p], a[i, q] = c * ap - s * aq, s * ap + c * aq
                    vp, vq = v[i, p], v[i, q]
                    v[i, p], v[i, q] = c * vp - s * vq, s * vp + c * vq
        if not rotated:
            break
    norms = np.empty(d)
    for j in range(d):
        norms[j] = math.sqrt((a[:, j] * a[:, j]).sum())
    if rotated or not norms.min() > _JACOBI_RANK_TOL * norms.max():
        u, _, vt = np.linalg.svd(matrix)
        return u @ vt
    for j in range(d):
        a[:, j] /= norms[j]
    return a @ v.T


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
