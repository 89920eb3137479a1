"""The inner loop of the common-orientation M-step (EVE, VVE), compiled.

Each of its majorise-minimise steps is a handful of d x d products and one
SVD; in Python their call overhead made EVE and VVE half the time of
mclust's default model grid. Imported lazily, so that importing skmix does
not import Numba.

Compile time: the code is scalar loops over ``np.empty`` scratch only.
Numba compiles an implementation for every array function a kernel uses
(``a.max()`` alone 0.6 s, ``a.sum()`` 0.35 s, ``np.zeros`` 0.3 s on a 2-core
VM) and its LAPACK SVD and eigenvalue bindings took seconds: the first
``GaussianMixtureSelector`` fit spent 11 s (of 22 s) compiling this loop.
"""

import math

import numpy as np
from numba import njit

from .._backend._jit import cached_njit

# Helpers are only called from jitted code: no Python or C wrappers, and no
# cache of their own (the loop's cache holds them). error_model="numpy": a
# collapsed component's zero eigenvalue gives inf, as array arithmetic does,
# and the loop stops on the non-finite objective instead of raising.
_helper = njit(
    nogil=True, error_model="numpy", no_cpython_wrapper=True, no_cfunc_wrapper=True
)

#: One-sided Jacobi: columns count as orthogonal below this cosine; sweeps
#: allowed; the smallest singular value, relative to the largest, below
#: which a column of the polar factor is completed instead (it is then
#: ill-defined).
_JACOBI_TOL = 1e-15
_JACOBI_SWEEPS = 30
_JACOBI_RANK_TOL = 1e-10


@_helper
def _product(a, b, out):
    """``out = a @ b`` for square matrices."""
    d = a.shape[0]
    for i in range(d):
        for j in range(d):
            total = 0.0
            for m in range(d):
                total += a[i, m] * b[m, j]
            out[i, j] = total


@_helper
def _zero(matrix):
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            matrix[i, j] = 0.0


@_helper
def _project_out(a, j, fixed):
    """Subtract from column `j` of `a` its projections on the `fixed`
    (orthonormal) columns; return its norm."""
    d = a.shape[0]
    for c in range(d):
        if fixed[c]:
            dot = 0.0
            for i in range(d):
                dot += a[i, c] * a[i, j]
            for i in range(d):
                a[i, j] -= dot * a[i, c]
    norm = 0.0
    for i in range(d):
        norm += a[i, j] * a[i, j]
    return math.sqrt(norm)


@_helper
def _complete_orthonormal(a, norms, largest):
    """Orthonormalise the columns of `a` (of norms `norms`, at most
    `largest`) in place, largest first (modified Gram-Schmidt); a column with
    nothing left of it becomes the unit vector least in the span of those
    already fixed."""
    d = a.shape[0]
    fixed = np.empty(d, np.bool_)
    for c in range(d):
        fixed[c] = False
    for _ in range(d):
        j = -1
        for c in range(d):
            if not fixed[c] and (j < 0 or norms[c] > norms[j]):
                j = c
        norm = _project_out(a, j, fixed)
        if not norm > _JACOBI_RANK_TOL * largest:
            best, best_norm = 0, -1.0
            for e in range(d):  # the unit vector with the largest residual
                residual = 1.0
                for c in range(d):
                    if fixed[c]:
                        residual -= a[e, c] * a[e, c]
                if residual > best_norm:
                    best, best_norm = e, residual
            for i in range(d):
                a[i, j] = 0.0
            a[best, j] = 1.0
            norm = _project_out(a, j, fixed)
        for i in range(d):
            a[i, j] /= norm
        fixed[j] = True


@_helper
def _nearest_orthogonal(matrix):
    """The orthogonal ``Q`` maximising ``tr(Q^T M)``: ``U V^T`` of ``M``'s SVD.

    By one-sided (Hestenes) Jacobi rotations ``M V = U S`` (Demmel & Veselic
    1992), in place on d x d scratch: for mclust's few features a LAPACK SVD
    call cost 10 us, most of EVE's and VVE's M-steps, which call this twice
    per inner iteration. Where ``M`` is (numerically) rank-deficient the
    maximiser is not unique: the columns of ``U`` that its null space leaves
    undetermined are completed to an orthonormal basis.
    """
    d = matrix.shape[0]
    a = matrix.copy()
    v = np.empty((d, d))
    for i in range(d):
        for j in range(d):
            v[i, j] = 1.0 if i == j else 0.0
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
    smallest, largest = np.inf, 0.0
    for j in range(d):
        total = 0.0
        for i in range(d):
            total += a[i, j] * a[i, j]
        norms[j] = math.sqrt(total)
        smallest, largest = min(smallest, norms[j]), max(largest, norms[j])
    if rotated or not smallest > _JACOBI_RANK_TOL * largest:
        _complete_orthonormal(a, norms, largest)
    else:
        for j in range(d):
            for i in range(d):
                a[i, j] /= norms[j]
    for i in range(d):  # U V^T: transpose V in place
        for j in range(i + 1, d):
            v[i, j], v[j, i] = v[j, i], v[i, j]
    orthogonal = np.empty((d, d))
    _product(a, v, orthogonal)
    return orthogonal


@_helper
def _geometric_mean(values):
    total = 0.0
    for value in values:
        total += math.log(value)
    return math.exp(total / values.size)


@cached_njit(error_model="numpy")
def common_orientation_loop(
    scatter, nk, largest, equal_volume, orientation, tol, max_iter
):
    """Alternate the eigenvalues given ``D`` and Browne & McNicholas's two
    majorise-minimise steps for ``D`` until the objective
    ``sum_k tr(W_k D B_k D^T) + n_k log|L_k|`` changes by at most
    ``tol (1 + |objective|)``. ``largest[k]`` is the largest eigenvalue of
    ``W_k`` (``scatter[k]``).

    Returns
    -------
    orientation : ndarray of shape (d, d)
    eigenvalues : ndarray of shape (K, d)
    """
    n_components, d, _ = scatter.shape
    n = 0.0
    for k in range(n_components):
        n += nk[k]
    spread = np.empty((n_components, d))
    eigenvalues = np.empty((n_components, d))
    inverse = np.empty((n_components, d))
    projected = np.empty((n_components, d, d))  # W_k D, for step 1 too
    shifted = np.empty((d, d))
    target = np.empty((d, d))
    objective = np.inf
    for _ in range(max_iter):
        for k in range(n_components):
            _product(scatter[k], orientation, projected[k])
            for i in range(d):
                total = 0.0
                for j in range(d):
                    total += orientation[j, i] * projected[k, j, i]
                spread[k, i] = total
        if equal_volume:
            volume_sum = 0.0
            for k in range(n_components):
                volume_sum += _geometric_mean(spread[k])
            for k in range(n_components):
                gm = _geometric_mean(spread[k])
                for i in range(d):
                    eigenvalues[k, i] = (volume_sum / n) * spread[k, i] / gm
        else:
            for k in range(n_components):
                for i in range(d):
                    eigenvalues[k, i] = spread[k, i] / nk[k]
        previous = objective
        objective = 0.0
        for k in range(n_components):
            fit = log_det = 0.0
            for i in range(d):
                inverse[k, i] = 1.0 / eigenvalues[k, i]
                fit += spread[k, i] * inverse[k, i]
                log_det += math.log(eigenvalues[k, i])
            objective += fit
            objective += nk[k] * log_det
        if not math.isfinite(objective):
            break  # a collapsed component: the caller reports it
        if abs(objective - previous) <= tol * (1.0 + abs(objective)):
            break
        # Step 1 bounds W_k by its largest eigenvalue.
        _zero(target)
        for k in range(n_components):
            for i in range(d):
                for j in range(d):
                    bounded = largest[k] * orientation[i, j] - projected[k, i, j]
                    target[i, j] += bounded * inverse[k, j]
        orientation = _nearest_orthogonal(target)
        # Step 2 bounds B_k by its largest entry.
        _zero(target)
        for k in range(n_components):
            _product(scatter[k], orientation, shifted)
            top = -np.inf
            for j in range(d):
                top = max(top, inverse[k, j])
            for i in range(d):
                for j in range(d):
                    target[i, j] += shifted[i, j] * (top - inverse[k, j])
        orientation = _nearest_orthogonal(target)
    return orientation, eigenvalues
