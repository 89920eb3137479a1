"""Model-based agglomerative hierarchical clustering, as mclust's ``hc``.

mclust starts EM from the partitions of a model-based agglomerative tree:
every row begins as its own cluster and each step merges the pair whose
merge costs the least classification likelihood (Banfield & Raftery 1993;
Fraley 1998, "Algorithms for model-based Gaussian hierarchical clustering",
SIAM J. Sci. Comput. 20(1)). This module computes the same trees, so that
the same partitions come out, merge for merge.

Anchor: the R package mclust (Scrucca, Fop, Murphy & Raftery 2016), read at
version 6.1.3 and checked against 6.0.0, whose code for this is unchanged:
``R/mbahc.R`` (``hc``, ``hcEII``, ``hcVVV``, ``hclass``), ``R/util.R``
(``partconv``, ``traceW``), ``R/mclust.R`` (``mclustBIC``: the subset and
what is done with its partitions) and ``src/mclust.f`` (``hceii``,
``hcvvv``, ``vvvtij``, ``det2mc``, ``mclrup``, ``mcltrw``, ``wardsw``). The
code here is written afresh; it keeps mclust's arithmetic, operation for
operation, because ties between merges are broken by the floating-point
values and the slot order, and the partitions follow from those.

The algorithm (both models):

- Clusters live in slots ``0 .. g-1``. Merging slots ``i < j`` leaves the
  union in slot ``i`` and moves the cluster of the last slot into slot ``j``.
- Every pair's merge cost is kept; a merge recomputes only the costs of the
  pairs with the new cluster. The next merge is the pair of least cost; of
  equal costs, the last in mclust's packed order (column ``j`` ascending,
  then row ``i < j`` ascending) wins. mclust rescans every cost at every
  step (``O(n**3)`` over the tree); here each column keeps its least cost,
  which gives the same pair in ``O(n**2)``.
- EII (Ward): the cost is the increase of the within-cluster sum of squares,
  ``n_i n_j / (n_i + n_j) * ||mean_i - mean_j||**2``, from the
  Lance-Williams recurrence after the first step.
- VVV: the cost is the change of ``sum_k n_k log det(W_k / n_k)`` with
  Fraley's regularisation of small clusters: a cluster of ``m`` rows with
  scatter ``W`` (``p`` features) costs ``m log(beta (tr W + a) / m)`` while
  ``m <= p`` and ``m log(det(W / m) + beta (tr W + a) / m)`` after, with
  ``a = alpha * tr(W_all) / (n p)`` (``W_all``: the scatter of the data);
  a singleton costs ``log(beta a)``. ``W`` is carried as a triangular factor
  updated by Givens rotations, the reference BLAS's ``drotg`` / ``drot``
  (LAPACK >= 3.10), in hcvvv's order. A cost that needs a determinant is
  first kept as its trace-only value, a lower bound, and computed only if
  that bound comes out least; the tree is the same, at a fraction of the
  determinants.
- mclust's quirk, kept: ``hcvvv`` writes a merged cluster's factor back to
  storage as its first row repeated (``dcopy(p, r(1,1), p, x(l,1), n)``,
  unchanged from 3.4.4 to 6.1.3), and later merges with that cluster read
  this matrix back, so their determinants are not those of the scatter. The
  trees follow from it: with the true factor, ``hc(X, "VVV", "VARS")``
  departs from mclust's at merge 105 of 144 on diabetes (adjusted Rand index
  0.43 to 0.92 for K = 2..9) and at merge 208 of 271 on faithful.
- A tree is ``n - 1`` merges ``(a, b)``, ``a < b``, each cluster named by its
  lowest row; cutting after ``n - K`` merges gives ``K`` clusters, numbered
  in order of first appearance (``hclass`` with ``partconv``).

``hc_transform`` reproduces ``hc``'s ``use`` options (mclust's default since
5.4 is ``"SVD"``: the data centred and scaled, projected on its right
singular vectors and divided by the square roots of the singular values).
LAPACK's SVD is not bitwise the same across libraries, so the transformed
data agree with mclust's to rounding, and up to the signs of the columns,
which no merge cost depends on.
"""

import math

import numpy as np
from numba import njit

from .._backend._jit import cached_njit

__all__ = [
    "HC_MODELS",
    "HC_TRANSFORMS",
    "hc_transform",
    "hierarchical_labels",
    "hierarchical_merges",
]

HC_MODELS = ("EII", "VVV")
HC_TRANSFORMS = ("VARS", "STD", "PCS", "PCR", "SPH", "SVD")

_EPS = np.finfo(np.float64).eps
_FLMAX = np.finfo(np.float64).max
# mclust's literal for sqrt(1/2) (the same double as math.sqrt(0.5)).
_RTHALF = 0.7071067811865476
# drotg's scaling bounds for float64 (LAPACK 3.10+ drotg.f90).
_SAFMIN = 2.0**-1022
_SAFMAX = 2.0**1023
# Helpers are only called from jitted code: no Python or C wrappers, and no
# cache of their own (the kernels' caches hold them). No fastmath anywhere:
# the arithmetic is mclust's, in its order. error_model="numpy": a division
# by zero gives inf, as in mclust's Fortran, and no zero test and raise is
# compiled into every division (the VVV kernel compiled in 8.6 s, median
# of 3, instead of 10.4 s; the divisors are positive counts or tested first).
_ERRORS = {"error_model": "numpy"}
_HELPER = {
    "nogil": True, "no_cpython_wrapper": True, "no_cfunc_wrapper": True, **_ERRORS,
}  # fmt: skip
# Typed (not literal) constants, so that helpers compile once rather than
# once per literal value passed.
_NIL = np.int64(0)
_ONE = np.int64(1)


#: Without fastmath: the arithmetic is mclust's, in its order; contraction
#: or reassociation would change which of two equal merge costs wins.
_exact_njit = cached_njit(**_ERRORS)


# ---------------------------------------------------------------------------
# Data transforms (hc's ``use``)
# ---------------------------------------------------------------------------


def _check_rows(X, name="X"):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, features), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _column_means(X):
    # R's colMeans sums in long double and rounds the mean once.
    return (np.sum(X.astype(np.longdouble), axis=0) / X.shape[0]).astype(np.float64)


def _column_scales(Xc):
    # R's scale(): sqrt(sum(x^2) / (n - 1)) of the centred columns, the sum in
    # long double like R's sum().
    sums = np.sum(np.square(Xc).astype(np.longdouble), axis=0).astype(np.float64)
    return np.sqrt(sums / max(1, Xc.shape[0] - 1))


def _finite_columns(X):
    # hc's dropCols: constant columns scale to NaN and are dropped.
    return X[:, np.isfinite(X).all(axis=0)]


def _project(X, V):
    # The reference BLAS's dgemm (what R's %*% calls) sums over the inner
    # index in order, one product at a time; OpenBLAS blocks and fuses.
    out = np.zeros((X.shape[0], V.shape[1]))
    for k in range(X.shape[1]):
        out += X[:, k : k + 1] * V[k]
    return out


def _right_singular(A):
    _, d, vt = np.linalg.svd(A, full_matrices=False)
    return d, vt.T


def _whiten(Y, d, size):
    # mclust divides by whatever LAPACK returns; a singular value at rounding
    # level would blow rounding noise up into a leading direction.
    if not d[-1] > d[0] * size * _EPS:
        raise ValueError(
            "the data are rank-deficient (a singular value at rounding level), "
            "so the 'SVD'/'SPH' transform would divide by it; drop the "
            "collinear columns or use 'STD' or 'VARS'"
        )
    return Y * (1.0 / np.sqrt(d))


def hc_transform(X, use="SVD"):
    """The data on which mclust's ``hc(X, use=use)`` builds its tree.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Finite data.
    use : {"SVD", "VARS", "STD", "PCS", "PCR", "SPH"}, default="SVD"
        ``"VARS"``: the data as given. ``"STD"``: each column centred and
        scaled to unit standard deviation (``n - 1`` divisor). ``"PCS"``:
        centred, projected on the principal components. ``"PCR"``: scaled,
        then projected on the principal components. ``"SPH"``: centred and
        sphered with the eigen-decomposition of the ML covariance. ``"SVD"``
        (mclust's default): scaled, projected on the right singular vectors
        and divided by the square roots of the singular values. Constant
        columns are dropped where the transform scales (as mclust does).
        mclust's ``"RND"`` (random pairs) is not a transform and is not
        offered.

    Returns
    -------
    Z : ndarray of shape (n_samples, n_columns)
        ``n_columns`` is ``n_features`` (fewer where columns were dropped,
        ``min(n_samples, n_features)`` for ``"SVD"``). Singular vectors have
        arbitrary signs: columns of ``"PCS"``, ``"PCR"``, ``"SPH"`` and
        ``"SVD"`` may differ in sign from mclust's, which changes no merge.

    Raises
    ------
    ValueError
        For an unknown ``use``, non-finite data, no column left, or
        rank-deficient data under ``"SVD"`` / ``"SPH"`` (a singular value
        below ``max(n_samples, n_features) * eps`` times the largest, which
        mclust would divide by).
    """
    X = _check_rows(X)
    use = str(use).upper()
    if use not in HC_TRANSFORMS:
        raise ValueError(f"use must be one of {HC_TRANSFORMS}, got {use!r}")
    if use == "VARS":
        return X.copy()
    centred = X - _column_means(X)
    if use in ("STD", "PCR", "SVD"):
        with np.errstate(divide="ignore", invalid="ignore"):
            Z = _finite_columns(centred / _column_scales(centred))
    else:
        Z = centred
    if Z.shape[1] == 0:
        raise ValueError("no column is left: every column is constant")
    if use == "STD":
        return Z
    if use in ("PCS", "PCR"):
        return _finite_columns(_project(Z, _right_singular(Z)[1]))
    if use == "SPH":
        sigma = np.cov(Z, rowvar=False, ddof=0).reshape(Z.shape[1], Z.shape[1])
        d, V = _right_singular(sigma)
        return _finite_columns(_whiten(_project(Z, V), d, max(Z.shape)))
    d, V = _right_singular(Z)  # "SVD"
    return _whiten(_project(Z, V), d, max(Z.shape))


# ---------------------------------------------------------------------------
# Shared kernels: packed costs, per-column least costs, slot moves
# ---------------------------------------------------------------------------


@njit(**_HELPER)
def _pos(i, j):
    """Position of pair ``i < j`` in the packed costs (mclust's order)."""
    return j * (j - 1) // 2 + i


@njit(**_HELPER)
def _column_least(cost, col_min, col_arg, j):
    # The least cost in column j; of equal ones, the last row (mclust's <=).
    base = j * (j - 1) // 2
    best = cost[base]
    arg = 0
    for i in range(1, j):
        c = cost[base + i]
        if c <= best:
            best = c
            arg = i
    col_min[j] = best
    col_arg[j] = arg


@njit(**_HELPER)
def _least_pair(col_min, col_arg, n_slots):
    # The least cost over columns 1 .. n_slots-1; of equal ones, the last
    # column. With each column's last row this is the last least cost in
    # mclust's packed scan.
    best = col_min[1]
    j_best = 1
    for j in range(2, n_slots):
        if col_min[j] <= best:
            best = col_min[j]
            j_best = j
    return col_arg[j_best], j_best, best


@njit(**_HELPER)
def _init_columns(cost, col_min, col_arg, n):
    for j in range(1, n):
        _column_least(cost, col_min, col_arg, j)


@njit(**_HELPER)
def _refresh_columns(cost, col_min, col_arg, n_slots, a, b):
    """Restore the column minima after slot ``a`` got new costs with every
    other slot and slot ``b > a`` received the cluster of the old last slot.

    Columns ``a`` and ``b`` are recomputed; in a later column only rows
    ``a`` and ``b`` changed, so it is recomputed only if its least cost was
    one of them, else compared with the two new costs.
    """
    if a >= 1:
        _column_least(cost, col_min, col_arg, a)
    if b < n_slots:
        _column_least(cost, col_min, col_arg, b)
    for c in range(a + 1, n_slots):
        if c == b:
            continue
        arg = col_arg[c]
        if arg == a or arg == b:
            _column_least(cost, col_min, col_arg, c)
            continue
        base = c * (c - 1) // 2
        v = cost[base + a]
        if v < col_min[c] or (v == col_min[c] and a > arg):
            col_min[c] = v
            col_arg[c] = a
            arg = a
        if b < c:
            v = cost[base + b]
            if v < col_min[c] or (v == col_min[c] and b > arg):
                col_min[c] = v
                col_arg[c] = b


@njit(**_HELPER)
def _move_slot_costs(cost, src, dst):
    """Costs of slot ``src`` (the last) become slot ``dst``'s (mclust's
    ``wardsw``); pairs with slots above ``src`` do not exist."""
    for k in range(dst):
        cost[_pos(k, dst)] = cost[_pos(k, src)]
    for k in range(dst + 1, src):
        cost[_pos(dst, k)] = cost[_pos(k, src)]


@njit(**_HELPER)
def _move_slot_flags(flags, src, dst):
    # The same move for per-pair flags.
    for k in range(dst):
        flags[_pos(k, dst)] = flags[_pos(k, src)]
    for k in range(dst + 1, src):
        flags[_pos(dst, k)] = flags[_pos(k, src)]


@njit(**_HELPER)
def _record_merge(merges, step, names, a, b, last):
    # Name clusters by their lowest row, as hcEII/hcVVV's output does.
    na, nb = names[a], names[b]
    lo, hi = (na, nb) if na < nb else (nb, na)
    merges[step, 0] = lo
    merges[step, 1] = hi
    names[a] = lo
    names[b] = names[last]


# ---------------------------------------------------------------------------
# EII (Ward)
# ---------------------------------------------------------------------------


@_exact_njit
def _merges_eii(X):
    n, p = X.shape
    merges = np.empty((n - 1, 2), dtype=np.int64)
    names = np.arange(n)
    size = np.ones(n)
    cost = np.empty(n * (n - 1) // 2)
    # Singletons: ||sqrt(1/2) x_i - sqrt(1/2) x_j||^2, hceii's order.
    half = math.sqrt(1.0 / 2.0)
    for j in range(1, n):
        for i in range(j):
            s = 0.0
            for c in range(p):
                t = X[i, c] * half + (-half) * X[j, c]
                s += t * t
            cost[_pos(i, j)] = s
    col_min = np.empty(n)
    col_arg = np.empty(n, dtype=np.int64)
    _init_columns(cost, col_min, col_arg, n)
    old_b = np.empty(n)
    n_slots = n
    for step in range(n - 1):
        a, b, d_ab = _least_pair(col_min, col_arg, n_slots)
        last = n_slots - 1
        _record_merge(merges, step, names, a, b, last)
        if step == n - 2:
            break
        # Costs of b's cluster with every slot, in the numbering after the move.
        for k in range(n_slots - 1):
            if k != b and k != a:
                old_b[k] = cost[_pos(k, b) if k < b else _pos(b, k)]
        if b != last:
            old_b[b] = cost[_pos(b, last)]
            _move_slot_costs(cost, last, b)
        si, sj = size[a], size[b]
        sij = si + sj
        size[a] = sij
        size[b] = size[last]
        n_slots -= 1
        # Lance-Williams for Ward, hceii's expression.
        for k in range(n_slots):
            if k == a:
                continue
            rk = size[k]
            q = _pos(k, a) if k < a else _pos(a, k)
            d = (rk + si) * cost[q] + (rk + sj) * old_b[k]
            cost[q] = (d - rk * d_ab) / (rk + sij)
        _refresh_columns(cost, col_min, col_arg, n_slots, a, b)
    return merges


# ---------------------------------------------------------------------------
# VVV (Fraley's regularised criterion)
# ---------------------------------------------------------------------------


@njit(**_HELPER)
def _drotg(a, b):
    """(r, z, c, s) of the reference BLAS's drotg (LAPACK >= 3.10)."""
    anorm = abs(a)
    bnorm = abs(b)
    if bnorm == 0.0:
        return a, 0.0, 1.0, 0.0
    if anorm == 0.0:
        return b, 1.0, 0.0, 1.0
    scl = min(_SAFMAX, max(_SAFMIN, anorm, bnorm))
    sigma = math.copysign(1.0, a) if anorm > bnorm else math.copysign(1.0, b)
    ta = a / scl
    tb = b / scl
    r = sigma * (scl * math.sqrt(ta * ta + tb * tb))
    c = a / r
    s = b / r
    if anorm > bnorm:
        z = s
    elif c != 0.0:
        z = 1.0 / c
    else:
        z = 1.0
    return r, z, c, s


@njit(**_HELPER)
def _rotate_rows(R, ri, rk, start, stop, c, s):
    # drot on two rows of R over columns start..stop-1.
    for col in range(start, stop):
        x = R[ri, col]
        y = R[rk, col]
        R[ri, col] = c * x + s * y
        R[rk, col] = c * y - s * x


@njit(**_HELPER)
def _add_row(count, m, v, R, off):
    """Fold row ``v[:m]`` into the ``m x m`` triangular factor
    ``R[off:, off:]``, taken to hold ``count - 2`` rows (mclust's
    ``mclrup(count, m, ...)``).

    Below ``m`` rows, ``v`` becomes row ``count - 1`` and is rotated against
    each row above it (a zero row just swaps places with it); at ``m`` rows,
    ``v`` is rotated into them. Entries below the diagonal are scratch and
    never read.
    """
    if count == 1:
        return
    k = count - 1
    if k <= m:
        rk = off + k - 1
        for col in range(m):
            R[rk, off + col] = v[col]
        if k == 1:
            return
        for i in range(k - 1):
            ri = off + i
            r, z, c, s = _drotg(R[ri, ri], R[rk, ri])
            R[ri, ri] = r
            R[rk, ri] = z
            _rotate_rows(R, ri, rk, ri + 1, off + m, c, s)
        return
    for i in range(m - 1):
        ri = off + i
        r, z, c, s = _drotg(R[ri, ri], v[i])
        R[ri, ri] = r
        v[i] = z
        for col in range(i + 1, m):
            x = R[ri, off + col]
            y = v[col]
            R[ri, off + col] = c * x + s * y
            v[col] = c * y - s * x
    ri = off + m - 1
    r, z, c, s = _drotg(R[ri, ri], v[m - 1])
    R[ri, ri] = r
    v[m - 1] = z


@njit(**_HELPER)
def _vvv_term(m, p, R, scale, trace, alpha, beta):
    """Cost of one cluster of ``m`` rows (mclust's ``vvvtij``): ``R`` factors
    its scatter, ``scale = 1/sqrt(m)``, ``trace`` is the scatter's trace."""
    if m <= p:
        val = math.log(beta * (trace + alpha) / m)
    elif trace == 0.0:
        val = math.log((alpha * beta) / m)
    else:
        detlog = 0.0
        singular = False
        for k in range(p):
            q = abs(R[k, k] * scale)
            if q <= 0.0:
                singular = True
                break
            detlog += math.log(q)
        detlog = 2.0 * detlog
        if singular:
            val = math.log(beta * (trace + alpha) / m)
        elif detlog <= 0.0:
            val = math.log(math.exp(detlog) + beta * (trace + alpha) / m)
        else:
            val = math.log(1.0 + math.exp(-detlog) * (beta * (trace + alpha) / m))
            val += detlog
    return m * val


@njit(**_HELPER)
def _zero(A):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            A[i, j] = 0.0


@njit(**_HELPER)
def _dot(v, p):
    s = 0.0
    for c in range(p):
        s += v[c] * v[c]
    return s


@njit(**_HELPER)
def _load_stored(R, first_row, size, p):
    # A stored factor reads back as mclust stores it: its first row repeated,
    # each copy read from its own diagonal on.
    for t in range(min(size - 1, p)):
        for col in range(t, p):
            R[t, col] = first_row[col]


@njit(**_HELPER)
def _fold_stored(R, first_row, size, p, start_count, step_count, w):
    # Rotate a stored factor's rows into R, row t into R[t:, t:] (w is
    # scratch); the count passed to _add_row advances per row in hcvvv's
    # update loop (step 1) and stays put in its re-evaluation of the best
    # pair (step 0).
    count = start_count
    for t in range(min(size - 1, p)):
        m = p - t
        for col in range(m):
            w[col] = first_row[t + col]
        _add_row(count, m, w, R, t)
        count += step_count


@njit(**_HELPER)
def _pair_prefix(n_new, x_new, tr_new, j, size, xs, trace, term, p, ablog, v):
    """What the cost of merging the new cluster with slot ``j`` needs before
    any factor (hcvvv's update loop): ``v`` gets the scaled difference of
    the means; returns ``(trace, size, coef_new, coef_j, 1/sqrt(size),
    term_j)`` of the merge."""
    nj = size[j]
    ri = float(n_new)
    if nj == 1:
        nij = n_new + 1
        qij = 1.0 / nij
        si = math.sqrt(ri * qij)
        sj = math.sqrt(qij)
        sij = sj
        for c in range(p):
            v[c] = xs[j, c] * si + (-sj) * x_new[c]
        return tr_new + _dot(v, p), nij, si, sj, sij, ablog
    rj = float(nj)
    nij = n_new + nj
    qij = 1.0 / nij
    si = math.sqrt(ri * qij)
    sj = math.sqrt(rj * qij)
    sij = math.sqrt(qij)
    for c in range(p):
        v[c] = xs[j, c] * si + (-sj) * x_new[c]
    return (tr_new + trace[j]) + _dot(v, p), nij, si, sj, sij, term[j]


@njit(**_HELPER)
def _pair_with_new(
    R_new, n_new, x_new, tr_new, tm_new, j, size, xs, first_rows, trace, term,
    p, alpha, beta, ablog, u, v, w,
):  # fmt: skip
    """Cost of merging the new cluster with slot ``j``, as hcvvv's update
    loop computes it from the new cluster's factor ``R_new`` and ``j``'s
    stored one.

    Returns ``(cost, trace, term, size, coef_new, coef_j)``; ``u`` holds
    the merged factor.
    """
    trc, nij, si, sj, sij, termj = _pair_prefix(
        n_new, x_new, tr_new, j, size, xs, trace, term, p, ablog, v
    )
    _zero(u)
    for k in range(min(n_new - 1, p)):
        for col in range(k, p):
            u[k, col] = R_new[k, col]
    if size[j] > 1:
        _fold_stored(u, first_rows[j], size[j], p, n_new + 1, _ONE, w)
    _add_row(nij, p, v, u, _NIL)
    tm = _vvv_term(nij, p, u, sij, trc, alpha, beta)
    return tm - (tm_new + termj), trc, tm, nij, si, sj


@njit(**_HELPER)
def _pair_bound(
    n_new, x_new, tr_new, tm_new, j, size, xs, trace, term, p, alpha, beta,
    ablog, u, v,
):  # fmt: skip
    """The cost of merging the new cluster with slot ``j`` where it needs no
    determinant (``(cost, True)``), else a lower bound (``(bound, False)``).

    The determinant only adds to ``det + beta (tr + a) / m`` under the
    logarithm, so the trace-only cost bounds it from below; the margin
    covers the rounding of the two formulas. ``u`` is scratch.
    """
    trc, nij, si, sj, sij, termj = _pair_prefix(
        n_new, x_new, tr_new, j, size, xs, trace, term, p, ablog, v
    )
    if nij <= p or trc == 0.0:
        return _vvv_term(nij, p, u, sij, trc, alpha, beta) - (tm_new + termj), True
    tm = nij * math.log(beta * (trc + alpha) / nij)
    terms = tm_new + termj
    return tm - terms - 1e-9 * (abs(tm) + abs(terms) + 1.0), False


@njit(**_HELPER)
def _pair_stored(i, j, size, xs, first_rows, trace, term, p, ablog, r, v, w):
    """Factor, trace and parts' terms of merging stored slots ``i < j``
    (hcvvv's re-evaluation of a best pair without the new cluster).

    Returns ``(trace, term_i + term_j, size, coef_i, coef_j)``; ``r`` holds
    the merged factor.
    """
    _zero(r)
    ni, nj = size[i], size[j]
    if nj == 1:
        termj = ablog
        if ni == 1:
            nij = 2
            si = _RTHALF
            sj = _RTHALF
            for c in range(p):
                v[c] = (xs[i, c] + (-1.0) * xs[j, c]) * _RTHALF
            trc = _dot(v, p)
            for c in range(p):
                r[0, c] = v[c]
            termi = ablog
        else:
            _load_stored(r, first_rows[i], ni, p)
            nij = ni + 1
            qij = 1.0 / nij
            si = math.sqrt(float(ni) * qij)
            sj = math.sqrt(qij)
            for c in range(p):
                v[c] = xs[i, c] * sj + (-si) * xs[j, c]
            trc = trace[i] + _dot(v, p)
            _add_row(nij, p, v, r, _NIL)
            termi = term[i]
        return trc, termi + termj, nij, si, sj
    _load_stored(r, first_rows[j], nj, p)
    termj = term[j]
    rj = float(nj)
    if ni == 1:
        nij = nj + 1
        qij = 1.0 / nij
        si = math.sqrt(qij)
        sj = math.sqrt(rj * qij)
        for c in range(p):
            v[c] = xs[i, c] * sj + (-si) * xs[j, c]
        trc = trace[j] + _dot(v, p)
        termi = ablog
    else:
        _fold_stored(r, first_rows[i], ni, p, nj + 1, _NIL, w)
        nij = ni + nj
        qij = 1.0 / nij
        si = math.sqrt(float(ni) * qij)
        sj = math.sqrt(rj * qij)
        for c in range(p):
            v[c] = xs[i, c] * sj + (-si) * xs[j, c]
        trc = (trace[i] + trace[j]) + _dot(v, p)
        termi = term[i]
    _add_row(nij, p, v, r, _NIL)
    return trc, termi + termj, nij, si, sj


@njit(**_HELPER)
def _store_merge(
    a, b, last, n_opt, tr_opt, tm_opt, ci_opt, cj_opt, r, step, size, xs,
    first_rows, made, born, trace, term, cost, exact, p,
):  # fmt: skip
    """Merge slots ``a < b``: the cluster of the last slot moves into ``b``,
    the union (its size, scaled sum, trace, term, factor) goes into ``a``."""
    for c in range(p):
        xs[a, c] = xs[a, c] * ci_opt + cj_opt * xs[b, c]
    if b != last:
        _move_slot_costs(cost, last, b)
        _move_slot_flags(exact, last, b)
        size[b] = size[last]
        trace[b] = trace[last]
        term[b] = term[last]
        born[b] = born[last]
        for c in range(p):
            xs[b, c] = xs[last, c]
            first_rows[b, c] = first_rows[last, c]
            for k in range(p):
                made[b, c, k] = made[last, c, k]
    size[a] = n_opt
    trace[a] = tr_opt
    term[a] = tm_opt
    born[a] = step
    for c in range(p):
        first_rows[a, c] = r[0, c]
        for k in range(p):
            made[a, c, k] = r[c, k]


@njit(**_HELPER)
def _bound_new_costs(
    a, n_slots, size, xs, trace, term, cost, exact, p, alpha, beta, ablog, u, v
):  # fmt: skip
    # Costs of the new cluster in slot a with every slot; those that need a
    # determinant start as lower bounds.
    for j in range(n_slots):
        if j == a:
            continue
        q = _pos(j, a) if j < a else _pos(a, j)
        cost[q], exact[q] = _pair_bound(
            size[a], xs[a], trace[a], term[a], j, size, xs, trace, term, p,
            alpha, beta, ablog, u, v,
        )  # fmt: skip


@njit(**_HELPER)
def _least_exact(
    col_min, col_arg, n_slots, size, xs, first_rows, made, born, trace, term,
    cost, exact, p, alpha, beta, ablog, u, v, w,
):  # fmt: skip
    """The least cost, once it is exact.

    A bound that comes out least is replaced by its cost (never less) until
    an exact cost wins; any pair tied with that one then holds its exact
    cost too, so ties go as in hcvvv. A pair's cost is computed as hcvvv did
    when the later of its two clusters was made.
    """
    while True:
        i, j, best = _least_pair(col_min, col_arg, n_slots)
        q = _pos(i, j)
        if exact[q]:
            return i, j, best
        late, early = (i, j) if born[i] > born[j] else (j, i)
        cost[q] = _pair_with_new(
            made[late], size[late], xs[late], trace[late], term[late], early,
            size, xs, first_rows, trace, term, p, alpha, beta, ablog, u, v, w,
        )[0]  # fmt: skip
        exact[q] = True
        _column_least(cost, col_min, col_arg, j)


@_exact_njit
def _merges_vvv(X, alpha, beta):
    n, p = X.shape
    merges = np.empty((n - 1, 2), dtype=np.int64)
    names = np.arange(n)
    ablog = math.log(beta * alpha)
    # Per slot: size, sqrt(size) * mean, scatter trace, cost term, the first
    # row of the stored factor, and, for lazy costs, the factor the cluster
    # had when it was made and the step that made it (-1: a row).
    size = np.ones(n, dtype=np.int64)
    xs = np.empty((n, p))
    first_rows = np.zeros((n, p))
    made = np.zeros((n, p, p))
    born = np.full(n, -1, dtype=np.int64)
    trace = np.zeros(n)
    term = np.empty(n)
    for k in range(n):
        term[k] = ablog
        for c in range(p):
            xs[k, c] = X[k, c]
    # exact[q] is False where cost[q] is only a lower bound (see _pair_bound).
    cost = np.empty(n * (n - 1) // 2)
    exact = np.ones(n * (n - 1) // 2, dtype=np.bool_)
    v = np.empty(p)
    w = np.empty(p)
    for j in range(1, n):
        for i in range(j):
            for c in range(p):
                v[c] = (X[i, c] + (-1.0) * X[j, c]) * _RTHALF
            tr = _dot(v, p)
            cost[_pos(i, j)] = 2.0 * math.log(beta * (tr + alpha) / 2.0) - (
                ablog + ablog
            )
    col_min = np.empty(n)
    col_arg = np.empty(n, dtype=np.int64)
    _init_columns(cost, col_min, col_arg, n)
    a, b, best = _least_pair(col_min, col_arg, n)
    # The best pair's merge: factor r, trace, term, size, coefficients.
    r = np.zeros((p, p))
    u = np.zeros((p, p))
    for c in range(p):
        r[0, c] = (X[a, c] + (-1.0) * X[b, c]) * _RTHALF
    tr_opt = _dot(r[0], p)
    tm_opt = 2.0 * math.log(beta * (tr_opt + alpha) / 2.0)
    n_opt = np.int64(2)
    ci_opt = _RTHALF
    cj_opt = _RTHALF
    n_slots = n
    for step in range(n - 1):
        last = n_slots - 1
        _record_merge(merges, step, names, a, b, last)
        if step == n - 2:
            break
        _store_merge(
            a, b, last, n_opt, tr_opt, tm_opt, ci_opt, cj_opt, r, step, size,
            xs, first_rows, made, born, trace, term, cost, exact, p,
        )  # fmt: skip
        n_slots -= 1
        _bound_new_costs(
            a, n_slots, size, xs, trace, term, cost, exact, p, alpha, beta,
            ablog, u, v,
        )  # fmt: skip
        _refresh_columns(cost, col_min, col_arg, n_slots, a, b)
        if n_slots == 2:
            a, b = _NIL, _ONE
            continue
        i, j, best = _least_exact(
            col_min, col_arg, n_slots, size, xs, first_rows, made, born, trace,
            term, cost, exact, p, alpha, beta, ablog, u, v, w,
        )  # fmt: skip
        if i != a and j != a:
            tr_opt, terms, n_opt, ci_opt, cj_opt = _pair_stored(
                i, j, size, xs, first_rows, trace, term, p, ablog, r, v, w
            )
            # hcvvv takes the merged term from the cost, not afresh.
            tm_opt = best + terms
        else:
            other = j if i == a else i
            _, tr_opt, tm_opt, n_opt, c_new, c_other = _pair_with_new(
                made[a], size[a], xs[a], trace[a], term[a], other, size, xs,
                first_rows, trace, term, p, alpha, beta, ablog, u, v, w,
            )  # fmt: skip
            # Coefficients of the lower and upper slot's scaled sums.
            ci_opt, cj_opt = (c_other, c_new) if other < a else (c_new, c_other)
            _zero(r)
            for k in range(min(n_opt - 1, p)):
                for col in range(k, p):
                    r[k, col] = u[k, col]
        a, b = i, j
    return merges


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def _trace_scatter(Z):
    # mclust's traceW(Z / sqrt(n p)) (mcltrw), its sums in order.
    n, p = Z.shape
    x = Z / math.sqrt(n * p)
    fac = 1.0 / math.sqrt(n)
    u = np.cumsum(fac * x, axis=0)[-1]
    centred = x + (-fac) * u
    total = 0.0
    for c in range(p):
        total += float(np.cumsum(centred[:, c] * centred[:, c])[-1])
    return total


def hierarchical_merges(Z, model="VVV", alpha=1.0, beta=1.0):
    """The merges of mclust's model-based agglomerative tree of ``Z``.

    Equivalent to ``hc(Z, modelName=model, use="VARS")`` (``hcEII`` /
    ``hcVVV`` from singletons, ``minclus=1``); transform the data first
    with :func:`hc_transform` for mclust's ``use`` options.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_features)
        Finite data, ``n_samples >= 2``.
    model : {"VVV", "EII"}, default="VVV"
        ``"EII"``: Ward's criterion (spherical, equal volumes). ``"VVV"``:
        unconstrained covariances, with Fraley's regularisation of small
        clusters.
    alpha, beta : float, default=1.0
        VVV's regularisation (``hcVVV``'s ``alpha`` and ``beta``): a cluster
        of ``m`` rows and scatter ``W`` costs ``m log(det(W/m) + beta (tr W +
        a)/m)`` (the determinant dropped while ``m <= n_features``) with ``a =
        alpha * tr(W_data) / (n_samples n_features)``. Ignored by EII.

    Returns
    -------
    merges : ndarray of shape (n_samples - 1, 2), dtype int64
        Merge ``k`` joins the clusters named ``merges[k, 0] <
        merges[k, 1]``, a cluster being named by its lowest row (0-based);
        the union keeps the lower name. mclust's ``hc`` object is
        ``merges.T + 1``.

    Notes
    -----
    Every row starts alone, duplicates too: ``hc`` never passes its
    ``dupPartition`` default on (iris's two equal rows merge first).
    Typically ``O(n**2 p)`` time (``O(p**3)`` more per VVV cost that needs
    its determinant), against mclust's ``O(n**3)`` rescans; memory
    ``n**2 / 2`` floats and flags (18 MB at 2000 rows). The first call
    compiles the Numba kernels (cached on disk afterwards).
    """
    Z = _check_rows(Z, "Z")
    model = str(model).upper()
    if model not in HC_MODELS:
        raise ValueError(f"model must be one of {HC_MODELS}, got {model!r}")
    n, p = Z.shape
    if n < 2:
        raise ValueError(f"a tree needs at least 2 rows, got {n}")
    if p == 0:
        raise ValueError("Z has no column")
    Z = np.ascontiguousarray(Z)
    if model == "EII":
        return _merges_eii(Z)
    alpha = float(alpha)
    beta = float(beta)
    if not (alpha >= 0.0 and beta > 0.0 and math.isfinite(alpha * beta)):
        raise ValueError(f"need alpha >= 0 and beta > 0, got {alpha} and {beta}")
    alpha = max(alpha * _trace_scatter(Z), _EPS)
    return _merges_vvv(Z, alpha, beta)


def hierarchical_labels(merges, n_components):
    """Cut a tree into ``n_components`` clusters (mclust's ``hclass``).

    Parameters
    ----------
    merges : array-like of shape (n_samples - 1, 2)
        From :func:`hierarchical_merges`.
    n_components : int
        Number of clusters, ``1 <= n_components <= n_samples``.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int64
        Cluster of each row after the first ``n_samples - n_components``
        merges, numbered ``0 .. n_components-1`` in order of first
        appearance (mclust's labels minus one).
    """
    merges = np.asarray(merges)
    if merges.ndim != 2 or merges.shape[1] != 2:
        raise ValueError(f"merges must have shape (n - 1, 2), got {merges.shape}")
    n = merges.shape[0] + 1
    k = int(n_components)
    if k != n_components or not 1 <= k <= n:
        raise ValueError(
            f"n_components must be an integer in [1, {n}], got {n_components!r}"
        )
    lo, hi = merges[: n - k, 0].astype(np.int64), merges[: n - k, 1].astype(np.int64)
    # Each merge points the absorbed name at the surviving one; following
    # the pointers to their end gives each row's cluster name.
    parent = np.arange(n)
    parent[hi] = lo
    while True:
        up = parent[parent]
        if np.array_equal(up, parent):
            break
        parent = up
    _, first, inverse = np.unique(parent, return_index=True, return_inverse=True)
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first)] = np.arange(first.size)
    return rank[inverse]
