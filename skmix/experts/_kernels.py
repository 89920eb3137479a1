"""Compiled per-subject passes of the growth-mixture likelihood (Numba).

A subject's marginal covariance ``Sigma = D + Lambda Psi Lambda'`` is never
formed. With ``Psi = C C'`` (a square root, singular allowed), one pass over
the subject's waves accumulates ``g = C' Lambda' D^-1 r`` (``r`` the
residual at the prior factor means ``m``) and ``A = I + C' Lambda' D^-1
Lambda C``, and by Woodbury's and Sylvester's identities::

    log det Sigma   = log det D + log det A
    r' Sigma^-1 r   = r' D^-1 r - g' A^-1 g
    E[eta | y]      = m + C A^-1 g
    Cov[eta | y]    = C A^-1 C'

``A`` is symmetric with eigenvalues at least 1, so its Cholesky factor
needs no pivoting and cannot fail. A class costs O(n J q^2) flops and O(n q^2)
memory instead of the (n, J, J) precisions of a dense Woodbury (80 MB a
class at 1e5 x 10), and the subject's numbers stay in registers.

The passes are written for at most three growth factors (every built-in
curve; fewer are padded with zero loadings and variances, which changes
nothing). The loadings of the built-in curves are evaluated inline
(:data:`CURVE_KINDS`); any other curve passes them as an (n, J, q) array.

Subjects are split over Numba's threads (``skmix._backend._numba._split``);
sums over subjects go through fixed chunks added in chunk order, so results
do not depend on the number of threads.
"""

import math

import numpy as np

from .._backend._jit import cached_njit
from .._backend._numba import _split

LOG_2PI = math.log(2.0 * math.pi)
#: The most growth factors the passes take.
MAX_FACTORS = 3
#: Loadings computed by the caller, read from an (n, J, q) array.
FROM_ARRAY = -1
#: Curves whose loadings the passes evaluate inline, by class name.
CURVE_KINDS = {
    "Intercept": 0,
    "Linear": 1,
    "Quadratic": 2,
    "Exponential": 3,
    "JennsBayley": 4,
    "BilinearSpline": 5,
}
# Subjects per chunk of a sum over subjects: fixed, so the order of the
# additions (and the rounding) depends on the data size only.
_CHUNK = 2048
# Subjects per block of a pass that works stage by stage over a block.
_BLOCK = 128
_NO_LOADINGS = np.empty((0, 0, 0))
# Reassociation lets LLVM vectorise the sums over waves (as in
# skmix._backend._numba); error_model="numpy": 1/0 gives inf as in NumPy
# instead of raising inside a worker thread.
_OPTIONS = {"fastmath": {"nsz", "arcp", "contract", "reassoc"}, "error_model": "numpy"}


@cached_njit(inline="always", **_OPTIONS)
def _loadings(kind, constant, rate, t, loadings, i, j):
    """``Lambda(t)`` of one wave as three numbers (zero-padded), as in
    :mod:`skmix.experts._curves`; ``rate`` is the curve's one nonlinear
    parameter (knot or rate), ``constant`` the spline's smoothing."""
    if kind == FROM_ARRAY:
        q = loadings.shape[2]
        return (
            loadings[i, j, 0],
            loadings[i, j, 1] if q > 1 else 0.0,
            loadings[i, j, 2] if q > 2 else 0.0,
        )
    if kind == 0:  # intercept
        return 1.0, 0.0, 0.0
    if kind == 1:  # linear
        return 1.0, t, 0.0
    if kind == 2:  # quadratic
        return 1.0, t, t * t
    if kind == 3:  # exponential
        return 1.0, -math.expm1(-rate * t), 0.0
    if kind == 4:  # Jenss-Bayley
        return 1.0, t, math.expm1(rate * t)
    u = t - rate  # bilinear spline: knot, smoothed |t - knot|
    return 1.0, u, math.sqrt(u * u + constant * constant)


@cached_njit(inline="always", **_OPTIONS)
def _class_body(kind, constant, rate, data, model, first, last, out):
    """Log-density and posterior factor moments of subjects ``first:last``
    in one class (module docstring).

    ``data``: ``(T, Y, mask, loadings)``; ``model``: the prior factor means
    (n, 3), the residual precision of each wave (J,) and its log, and ``C``
    (3, 3); ``out``: log-densities (n,), posterior means (n, 3) and
    covariances (n, 3, 3).

    Blocks of subjects in three stages: the sums over each subject's waves;
    the q x q algebra, one loop over the block between two contiguous
    scratch arrays (it vectorises, where subject by subject it would wait
    on each square root and division in turn); the stores.
    """
    T, Y, mask, loadings = data
    means, inv_var, log_inv_var, root = model
    log_density, post_mean, post_cov = out
    n_waves = Y.shape[1]
    c00, c01, c02 = root[0, 0], root[0, 1], root[0, 2]
    c10, c11, c12 = root[1, 0], root[1, 1], root[1, 2]
    c20, c21, c22 = root[2, 0], root[2, 1], root[2, 2]
    sums = np.empty((12, _BLOCK))
    results = np.empty((10, _BLOCK))
    for start in range(first, last, _BLOCK):
        size = min(_BLOCK, last - start)
        for s in range(size):
            i = start + s
            m0, m1, m2 = means[i, 0], means[i, 1], means[i, 2]
            # b = Lambda' D^-1 r, the lower triangle of G = Lambda' D^-1
            # Lambda, r' D^-1 r, log det D and the number of observed waves.
            b0 = b1 = b2 = 0.0
            g00 = g10 = g11 = g20 = g21 = g22 = 0.0
            rr = log_det_d = n_obs = 0.0
            for j in range(n_waves):
                # Missing waves (zero outcome, finite time) get zero weight.
                observed = 1.0 if mask[i, j] else 0.0
                l0, l1, l2 = _loadings(kind, constant, rate, T[i, j], loadings, i, j)
                r = Y[i, j] - (l0 * m0 + l1 * m1 + l2 * m2)
                w = inv_var[j] * observed
                wr = w * r
                rr += wr * r
                b0 += wr * l0
                b1 += wr * l1
                b2 += wr * l2
                w0, w1, w2 = w * l0, w * l1, w * l2
                g00 += w0 * l0
                g10 += w1 * l0
                g11 += w1 * l1
                g20 += w2 * l0
                g21 += w2 * l1
                g22 += w2 * l2
                log_det_d -= log_inv_var[j] * observed
                n_obs += observed
            sums[0, s], sums[1, s], sums[2, s] = b0, b1, b2
            sums[3, s], sums[4, s], sums[5, s] = g00, g10, g11
            sums[6, s], sums[7, s], sums[8, s] = g20, g21, g22
            sums[9, s], sums[10, s], sums[11, s] = rr, log_det_d, n_obs
        for s in range(size):
            b0, b1, b2 = sums[0, s], sums[1, s], sums[2, s]
            g00, g10, g11 = sums[3, s], sums[4, s], sums[5, s]
            g20, g21, g22 = sums[6, s], sums[7, s], sums[8, s]
            rr, log_det_d, n_obs = sums[9, s], sums[10, s], sums[11, s]
            # GC = G C, then A = I + C' G C (lower triangle) and g = C' b.
            e00 = g00 * c00 + g10 * c10 + g20 * c20
            e01 = g00 * c01 + g10 * c11 + g20 * c21
            e02 = g00 * c02 + g10 * c12 + g20 * c22
            e10 = g10 * c00 + g11 * c10 + g21 * c20
            e11 = g10 * c01 + g11 * c11 + g21 * c21
            e12 = g10 * c02 + g11 * c12 + g21 * c22
            e20 = g20 * c00 + g21 * c10 + g22 * c20
            e21 = g20 * c01 + g21 * c11 + g22 * c21
            e22 = g20 * c02 + g21 * c12 + g22 * c22
            a00 = 1.0 + c00 * e00 + c10 * e10 + c20 * e20
            a10 = c01 * e00 + c11 * e10 + c21 * e20
            a11 = 1.0 + c01 * e01 + c11 * e11 + c21 * e21
            a20 = c02 * e00 + c12 * e10 + c22 * e20
            a21 = c02 * e01 + c12 * e11 + c22 * e21
            a22 = 1.0 + c02 * e02 + c12 * e12 + c22 * e22
            h0 = c00 * b0 + c10 * b1 + c20 * b2
            h1 = c01 * b0 + c11 * b1 + c21 * b2
            h2 = c02 * b0 + c12 * b1 + c22 * b2
            # A = R R' (R lower), z = R^-1 g, W = R^-1.
            r00 = math.sqrt(a00)
            r10 = a10 / r00
            r20 = a20 / r00
            r11 = math.sqrt(a11 - r10 * r10)
            r21 = (a21 - r20 * r10) / r11
            r22 = math.sqrt(a22 - r20 * r20 - r21 * r21)
            z0 = h0 / r00
            z1 = (h1 - r10 * z0) / r11
            z2 = (h2 - r20 * z0 - r21 * z1) / r22
            w00, w11, w22 = 1.0 / r00, 1.0 / r11, 1.0 / r22
            w10 = -r10 * w00 / r11
            w20 = -(r20 * w00 + r21 * w10) / r22
            w21 = -r21 * w11 / r22
            results[0, s] = -0.5 * (
                n_obs * LOG_2PI + log_det_d
                + 2.0 * math.log(r00 * r11 * r22)  # each at least 1 (A >= I)
                + rr - (z0 * z0 + z1 * z1 + z2 * z2)
            )  # fmt: skip
            # Q = C W': E[eta | y] = m + Q z and Cov[eta | y] = Q Q'.
            q00 = c00 * w00
            q01 = c00 * w10 + c01 * w11
            q02 = c00 * w20 + c01 * w21 + c02 * w22
            q10 = c10 * w00
            q11 = c10 * w10 + c11 * w11
            q12 = c10 * w20 + c11 * w21 + c12 * w22
            q20 = c20 * w00
            q21 = c20 * w10 + c21 * w11
            q22 = c20 * w20 + c21 * w21 + c22 * w22
            results[1, s] = q00 * z0 + q01 * z1 + q02 * z2
            results[2, s] = q10 * z0 + q11 * z1 + q12 * z2
            results[3, s] = q20 * z0 + q21 * z1 + q22 * z2
            results[4, s] = q00 * q00 + q01 * q01 + q02 * q02
            results[5, s] = q10 * q00 + q11 * q01 + q12 * q02
            results[6, s] = q10 * q10 + q11 * q11 + q12 * q12
            results[7, s] = q20 * q00 + q21 * q01 + q22 * q02
            results[8, s] = q20 * q10 + q21 * q11 + q22 * q12
            results[9, s] = q20 * q20 + q21 * q21 + q22 * q22
        for s in range(size):
            i = start + s
            log_density[i] = results[0, s]
            for a in range(3):
                post_mean[i, a] = means[i, a] + results[1 + a, s]
            v00, v10, v11 = results[4, s], results[5, s], results[6, s]
            v20, v21, v22 = results[7, s], results[8, s], results[9, s]
            post_cov[i, 0, 0], post_cov[i, 0, 1], post_cov[i, 0, 2] = v00, v10, v20
            post_cov[i, 1, 0], post_cov[i, 1, 1], post_cov[i, 1, 2] = v10, v11, v21
            post_cov[i, 2, 0], post_cov[i, 2, 1], post_cov[i, 2, 2] = v20, v21, v22


@cached_njit(inline="always", **_OPTIONS)
def _residual_body(kind, constant, rates, data, moments, first, last, partial):
    """``partial[c, g, j] = sum_i w_i E[(y_ij - Lambda_ij(rates[g]) eta_i)^2]``
    over the subjects of chunks ``first:last`` (observed waves only), for
    ``eta_i ~ N(mean_i, cov_i)``: ``(y - l'm)^2 + l' V l``. Several curve
    parameters share one pass over the data (the knot search asks for
    three nearby values at once).

    ``data``: ``(T, Y, mask, loadings)``; ``moments``: ``(mean, cov,
    weights, bounds)``, the chunks' first subjects in ``bounds``.
    """
    T, Y, mask, loadings = data
    mean, cov, weights, bounds = moments
    n_waves = Y.shape[1]
    # Summed here, then stored: LLVM vectorises a local accumulator. (Plain
    # loops, not slice assignments, which cost Numba seconds of compilation.)
    sums = np.empty((rates.size, n_waves))
    for chunk in range(first, last):
        for g in range(rates.size):
            for j in range(n_waves):
                sums[g, j] = 0.0
        for i in range(bounds[chunk], bounds[chunk + 1]):
            m0, m1, m2 = mean[i, 0], mean[i, 1], mean[i, 2]
            v00, v11, v22 = cov[i, 0, 0], cov[i, 1, 1], cov[i, 2, 2]
            v10, v20, v21 = 2.0 * cov[i, 1, 0], 2.0 * cov[i, 2, 0], 2.0 * cov[i, 2, 1]
            w = weights[i]
            for g in range(rates.size):
                rate = rates[g]
                for j in range(n_waves):
                    observed = w if mask[i, j] else 0.0
                    t = T[i, j]
                    l0, l1, l2 = _loadings(kind, constant, rate, t, loadings, i, j)
                    r = Y[i, j] - (l0 * m0 + l1 * m1 + l2 * m2)
                    spread = (
                        l0 * (v00 * l0 + v10 * l1 + v20 * l2)
                        + l1 * (v11 * l1 + v21 * l2)
                        + v22 * l2 * l2
                    )
                    sums[g, j] += observed * (r * r + spread)
        for g in range(rates.size):
            for j in range(n_waves):
                partial[chunk, g, j] = sums[g, j]


# One compiled pass per kind of curve, so that each evaluates its loadings
# inline with no branch on the kind (twice as fast as one pass for all); they
# are compiled, on first use, from the bodies above.
@cached_njit(**_OPTIONS)
def _class_pass_array(constant, rate, data, model, first, last, out):
    _class_body(FROM_ARRAY, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _class_pass_intercept(constant, rate, data, model, first, last, out):
    _class_body(0, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _class_pass_linear(constant, rate, data, model, first, last, out):
    _class_body(1, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _class_pass_quadratic(constant, rate, data, model, first, last, out):
    _class_body(2, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _class_pass_exponential(constant, rate, data, model, first, last, out):
    _class_body(3, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _class_pass_jenss_bayley(constant, rate, data, model, first, last, out):
    _class_body(4, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _class_pass_bilinear_spline(constant, rate, data, model, first, last, out):
    _class_body(5, constant, rate, data, model, first, last, out)


@cached_njit(**_OPTIONS)
def _residual_pass_array(constant, rates, data, moments, first, last, partial):
    _residual_body(FROM_ARRAY, constant, rates, data, moments, first, last, partial)


@cached_njit(**_OPTIONS)
def _residual_pass_intercept(constant, rates, data, moments, first, last, partial):
    _residual_body(0, constant, rates, data, moments, first, last, partial)


@cached_njit(**_OPTIONS)
def _residual_pass_linear(constant, rates, data, moments, first, last, partial):
    _residual_body(1, constant, rates, data, moments, first, last, partial)


@cached_njit(**_OPTIONS)
def _residual_pass_quadratic(constant, rates, data, moments, first, last, partial):
    _residual_body(2, constant, rates, data, moments, first, last, partial)


@cached_njit(**_OPTIONS)
def _residual_pass_exponential(constant, rates, data, moments, first, last, partial):
    _residual_body(3, constant, rates, data, moments, first, last, partial)


@cached_njit(**_OPTIONS)
def _residual_pass_jenss_bayley(constant, rates, data, moments, first, last, partial):
    _residual_body(4, constant, rates, data, moments, first, last, partial)


@cached_njit(**_OPTIONS)
def _residual_pass_bilinear_spline(constant, rates, data, moments, first, last,
                                   partial):  # fmt: skip
    _residual_body(5, constant, rates, data, moments, first, last, partial)


_CLASS_PASSES = {
    FROM_ARRAY: _class_pass_array, 0: _class_pass_intercept, 1: _class_pass_linear,
    2: _class_pass_quadratic, 3: _class_pass_exponential,
    4: _class_pass_jenss_bayley, 5: _class_pass_bilinear_spline,
}  # fmt: skip
_RESIDUAL_PASSES = {
    FROM_ARRAY: _residual_pass_array, 0: _residual_pass_intercept,
    1: _residual_pass_linear, 2: _residual_pass_quadratic,
    3: _residual_pass_exponential, 4: _residual_pass_jenss_bayley,
    5: _residual_pass_bilinear_spline,
}  # fmt: skip


def curve_kind(curve, data, phi):
    """``(kind, constant, rate, loadings)``: how the passes get a curve's
    loadings.

    The built-in curves (exactly these classes: a subclass may override
    :meth:`loadings`) are evaluated inline; any other curve's loadings are
    computed here and zeroed where missing.
    """
    rate = float(phi[0]) if len(phi) else 0.0
    if type(curve).__module__ == "skmix.experts._curves":
        kind = CURVE_KINDS.get(type(curve).__name__)
        if kind is not None:
            return kind, float(getattr(curve, "smoothing", 0.0)), rate, _NO_LOADINGS
    loadings = curve.loadings(data.T, phi) * data.mask[..., None]
    return FROM_ARRAY, 0.0, rate, np.ascontiguousarray(loadings, dtype=np.float64)


def _padded(a, shape):
    """``a`` zero-padded to ``shape`` (C-contiguous float64)."""
    if a.shape == shape:
        return np.ascontiguousarray(a, dtype=np.float64)
    out = np.zeros(shape)
    out[tuple(slice(0, s) for s in a.shape)] = a
    return out


def class_moments(curve, data, phi, means, theta, root):
    """Per-subject log-density and posterior factor moments in one class.

    Parameters
    ----------
    curve : GrowthCurve
        With at most :data:`MAX_FACTORS` growth factors.
    data : TrajectoryData
    phi : ndarray of shape (n_nonlinear,)
    means : ndarray of shape (n, q)
        Prior factor means ``alpha + B x``.
    theta : float or ndarray of shape (n_waves,)
        Residual variance (of each wave).
    root : ndarray of shape (q, q)
        ``C`` with ``C C' = Psi`` (may be singular).

    Returns
    -------
    log_density : ndarray of shape (n,)
    posterior_mean : ndarray of shape (n, q)
    posterior_cov : ndarray of shape (n, q, q)
    """
    n, q = means.shape
    kind, constant, rate, loadings = curve_kind(curve, data, phi)
    means = _padded(means, (n, MAX_FACTORS))
    root = _padded(root, (MAX_FACTORS, MAX_FACTORS))
    inv_var = 1.0 / np.broadcast_to(np.asarray(theta, np.float64), data.Y.shape[1])
    log_inv_var = np.log(inv_var)
    log_density = np.empty(n)
    post_mean = np.empty((n, MAX_FACTORS))
    post_cov = np.empty((n, MAX_FACTORS, MAX_FACTORS))

    arrays = (data.T, data.Y, data.mask, loadings)
    model = (means, inv_var, log_inv_var, root)
    out = (log_density, post_mean, post_cov)

    def task(first, last):
        return constant, rate, arrays, model, first, last, out

    _split(_CLASS_PASSES[kind], n, n, task)
    if q < MAX_FACTORS:
        post_mean, post_cov = post_mean[:, :q].copy(), post_cov[:, :q, :q].copy()
    return log_density, post_mean, post_cov


def expected_residual_squares_by_wave(curve, data, phis, mean, cov, weights):
    """``sum_i w_i E[(y_ij - Lambda_ij eta_i)^2]`` of each wave ``j`` at
    each curve parameter vector, shape (len(phis), n_waves), for ``eta_i ~
    N(mean_i, cov_i)``; missing entries count nothing. The curve has at most
    :data:`MAX_FACTORS` growth factors."""
    n, n_waves = data.Y.shape
    phis = np.asarray(phis, dtype=np.float64).reshape(len(phis), -1)
    kind, constant, _, loadings = curve_kind(curve, data, phis[0])
    if kind == FROM_ARRAY and len(phis) > 1:  # loadings computed per phi
        return np.concatenate([
            expected_residual_squares_by_wave(curve, data, phi[None], mean, cov,
                                              weights)
            for phi in phis
        ])  # fmt: skip
    rates = np.ascontiguousarray(phis[:, 0] if phis.shape[1] else np.zeros(len(phis)))
    bounds = _chunk_bounds(n)
    n_chunks = len(bounds) - 1
    partial = np.zeros((n_chunks, len(phis), n_waves))
    mean = _padded(mean, (n, MAX_FACTORS))
    cov = _padded(cov, (n, MAX_FACTORS, MAX_FACTORS))
    weights = np.ascontiguousarray(weights, dtype=np.float64)

    arrays = (data.T, data.Y, data.mask, loadings)
    moments = (mean, cov, weights, bounds)

    def task(first, last):
        return constant, rates, arrays, moments, first, last, partial

    _split(_RESIDUAL_PASSES[kind], n_chunks, n, task)
    return partial.sum(axis=0)


# ---------------------------------------------------- the experts' M-step
@cached_njit(inline="always", **_OPTIONS)
def _load_design_block(X, start, m, dt):
    """``dt[:, b] = [1, X[start + b]]`` for ``b < m``: the block's design
    rows, contiguous over the block."""
    for b in range(m):
        dt[0, b] = 1.0
    for c in range(X.shape[1]):
        for b in range(m):
            dt[c + 1, b] = X[start + b, c]


@cached_njit(**_OPTIONS)
def _factor_moments_pass(X, weights, mean, shift, mask, bounds, first, last, gram,
                         cross, square, totals):  # fmt: skip
    """Per chunk ``c``, with ``d = [1, x]`` and ``e = m - S' d`` the factor
    means less the fit ``shift = S``: ``gram[c] = sum w d d'``, ``cross[c] =
    sum w d e'``, ``square[c] = sum w e e'`` (lower triangles), ``totals[c]
    = (sum w, sum w n_observed)``."""
    n_design, n_factors = X.shape[1] + 1, mean.shape[1]
    dt = np.empty((n_design, _BLOCK))
    et = np.empty((n_factors, _BLOCK))
    wt = np.empty(_BLOCK)
    for chunk in range(first, last):
        for start in range(bounds[chunk], bounds[chunk + 1], _BLOCK):
            m = min(_BLOCK, bounds[chunk + 1] - start)
            total = observed = 0.0
            for b in range(m):
                w = weights[start + b]
                wt[b] = w
                count = 0.0
                for j in range(mask.shape[1]):
                    count += 1.0 if mask[start + b, j] else 0.0
                total += w
                observed += w * count
                for a in range(n_factors):
                    et[a, b] = mean[start + b, a]
            totals[chunk, 0] += total
            totals[chunk, 1] += observed
            _load_design_block(X, start, m, dt)
            for a in range(n_factors):
                for c in range(n_design):
                    coefficient = shift[c, a]
                    for b in range(m):
                        et[a, b] -= coefficient * dt[c, b]
            for c in range(n_design):
                for e in range(c + 1):
                    t = 0.0
                    for b in range(m):
                        t += wt[b] * dt[c, b] * dt[e, b]
                    gram[chunk, c, e] += t
                for a in range(n_factors):
                    t = 0.0
                    for b in range(m):
                        t += wt[b] * dt[c, b] * et[a, b]
                    cross[chunk, c, a] += t
            for a in range(n_factors):
                for a2 in range(a + 1):
                    t = 0.0
                    for b in range(m):
                        t += wt[b] * et[a, b] * et[a2, b]
                    square[chunk, a, a2] += t


def _symmetric(lower):
    return np.tril(lower) + np.tril(lower, -1).T


def factor_regression(X, weights, mean, cov, mask, shift):
    """The random-effect experts' M-step sums in one pass over the subjects:
    the weighted least squares of the posterior factor means on ``[1, x]``,
    and the moments of the factor covariance and residual variance.

    The pass works on the means less a nearby fit ``shift`` (the current
    coefficients): with ``e = m - S' d``, ``coef = S + D`` where ``G D =
    sum w d e'`` (``G = sum w d d'``), and the centred scatter is ``sum w
    (m - coef' d)(m - coef' d)' = sum w e e' - D' G D``, with no large
    numbers cancelling while ``S`` is close. (A second pass from ``coef``
    where the correction is not small.)

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Expert covariates (the intercept is implicit).
    weights : ndarray of shape (n,)
    mean, cov : ndarray of shape (n, q), (n, q, q)
        Posterior factor moments in the class.
    mask : ndarray of shape (n, n_waves)
    shift : ndarray of shape (1 + p, q)

    Returns
    -------
    coef : ndarray of shape (1 + p, q)
    scatter : ndarray of shape (q, q)
        ``sum w [(m - coef' d)(m - coef' d)' + V]``.
    total, observed : float
        ``sum w`` and ``sum w n_observed``.
    """
    n, n_factors = mean.shape
    n_design = X.shape[1] + 1
    bounds = _chunk_bounds(n)
    n_chunks = len(bounds) - 1
    X = np.asarray(X, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    mean = np.ascontiguousarray(mean, dtype=np.float64)
    for _ in range(2):
        shift = np.ascontiguousarray(shift, dtype=np.float64)
        gram = np.zeros((n_chunks, n_design, n_design))
        cross = np.zeros((n_chunks, n_design, n_factors))
        square = np.zeros((n_chunks, n_factors, n_factors))
        totals = np.zeros((n_chunks, 2))

        def task(first, last, shift=shift, gram=gram, cross=cross, square=square,
                 totals=totals):  # fmt: skip
            return (X, weights, mean, shift, mask, bounds, first, last, gram,
                    cross, square, totals)  # fmt: skip

        _split(_factor_moments_pass, n_chunks, n, task)
        gram = _symmetric(gram.sum(axis=0))
        step = np.linalg.solve(gram, cross.sum(axis=0))
        square = _symmetric(square.sum(axis=0))
        correction = step.T @ gram @ step
        coef = shift + step
        # Cancellation loses about log10(ratio) digits: redo from coef.
        if np.trace(correction) <= 1e2 * max(np.trace(square - correction), 0.0):
            break
        shift = coef
    scatter = square - correction
    scatter += (weights @ np.reshape(cov, (n, -1))).reshape(n_factors, n_factors)
    total, observed = totals.sum(axis=0)
    return coef, scatter, float(total), float(observed)


# ------------------------------------------------------------------ the gate
# Multinomial logit ``pi_ik = softmax(Z_i beta')_k``. Subjects go in blocks:
# each stage (linear predictors, exponentials, sums) runs over a block in a
# loop that vectorises or at least pipelines the exponentials, where one
# subject at a time would wait on each exponential in turn.


@cached_njit(inline="always", **_OPTIONS)
def _linear_predictors(Z, beta, start, m, eta):
    """``eta[k, b] = beta_k . Z[start + b]`` for ``b < m``."""
    n_classes, n_gating = beta.shape
    for k in range(n_classes):
        for b in range(m):
            eta[k, b] = 0.0
        for c in range(n_gating):
            coefficient = beta[k, c]
            for b in range(m):
                eta[k, b] += coefficient * Z[start + b, c]


@cached_njit(inline="always", **_OPTIONS)
def _logsumexp_block(A, m, out, top):
    """``out[b] = log sum_k exp(A[k, b])`` for ``b < m`` (``top`` scratch)."""
    for b in range(m):
        top[b] = A[0, b]
    for k in range(1, A.shape[0]):
        for b in range(m):
            top[b] = max(top[b], A[k, b])
    for b in range(m):
        out[b] = 0.0
    for k in range(A.shape[0]):
        for b in range(m):
            out[b] += math.exp(A[k, b] - top[b])
    for b in range(m):
        out[b] = math.log(out[b]) + top[b]


@cached_njit(inline="always", **_OPTIONS)
def _softmax_block(A, m, log_total, total):
    """Row-wise over ``b < m``: ``log_total[b] = log sum_k exp(A[k, b])``,
    and ``A[k, b]`` becomes ``exp(A[k, b] - log_total[b])`` (``total`` is
    scratch)."""
    n_rows = A.shape[0]
    for b in range(m):
        log_total[b] = A[0, b]  # the largest, first
    for k in range(1, n_rows):
        for b in range(m):
            log_total[b] = max(log_total[b], A[k, b])
    for b in range(m):
        total[b] = 0.0
    for k in range(n_rows):
        for b in range(m):
            A[k, b] = math.exp(A[k, b] - log_total[b])
            total[b] += A[k, b]
    for k in range(n_rows):
        for b in range(m):
            A[k, b] /= total[b]
    for b in range(m):
        log_total[b] += math.log(total[b])


@cached_njit(**_OPTIONS)
def _posterior_pass(Z, beta, log_density, first, last, resp, log_norm):
    """Posterior class probabilities and log-likelihoods of subjects
    ``first:last`` from the class log-densities (n, K):
    ``log pi + log f`` normalised."""
    n_classes = beta.shape[0]
    joint = np.empty((n_classes, _BLOCK))
    log_gate, scratch = np.empty(_BLOCK), np.empty(_BLOCK)
    for start in range(first, last, _BLOCK):
        m = min(_BLOCK, last - start)
        _linear_predictors(Z, beta, start, m, joint)
        _logsumexp_block(joint, m, log_gate, scratch)
        for k in range(n_classes):
            for b in range(m):
                joint[k, b] += log_density[start + b, k] - log_gate[b]
        _softmax_block(joint, m, log_gate, scratch)  # joint = posterior
        for b in range(m):
            log_norm[start + b] = log_gate[b]
        for k in range(n_classes):
            for b in range(m):
                resp[start + b, k] = joint[k, b]


@cached_njit(**_OPTIONS)
def _gate_pass(Z, beta, resp, total, bounds, first, last, value, gradient,
               information):  # fmt: skip
    """Per chunk ``c``: ``value[c] = sum_i sum_k resp_ik log pi_ik``, its
    gradient (K-1, p) in the non-reference coefficients and the lower blocks
    of the Fisher information (K-1, p, K-1, p) (``total``: row sums of
    ``resp``)."""
    n_classes, n_gating = beta.shape
    proba = np.empty((n_classes, _BLOCK))
    log_gate, scratch, w = np.empty(_BLOCK), np.empty(_BLOCK), np.empty(_BLOCK)
    # The block's covariates and their pairwise products (lower triangle),
    # each contiguous over the block: the sums below then vectorise.
    zt = np.empty((n_gating, _BLOCK))
    products = np.empty((n_gating * (n_gating + 1) // 2, _BLOCK))
    for chunk in range(first, last):
        s = 0.0
        for start in range(bounds[chunk], bounds[chunk + 1], _BLOCK):
            m = min(_BLOCK, bounds[chunk + 1] - start)
            pair = 0
            for c in range(n_gating):
                for b in range(m):
                    zt[c, b] = Z[start + b, c]
                for d in range(c + 1):
                    for b in range(m):
                        products[pair, b] = zt[c, b] * zt[d, b]
                    pair += 1
            _linear_predictors(Z, beta, start, m, proba)
            for k in range(n_classes):
                for b in range(m):
                    s += resp[start + b, k] * proba[k, b]
            _softmax_block(proba, m, log_gate, scratch)
            for b in range(m):
                s -= total[start + b] * log_gate[b]
            for a in range(1, n_classes):
                for b in range(m):
                    w[b] = resp[start + b, a] - proba[a, b] * total[start + b]
                for c in range(n_gating):
                    t = 0.0
                    for b in range(m):
                        t += w[b] * zt[c, b]
                    gradient[chunk, a - 1, c] += t
                for a2 in range(1, a + 1):
                    same = 1.0 if a == a2 else 0.0
                    for b in range(m):
                        w[b] = total[start + b] * proba[a, b] * (same - proba[a2, b])
                    pair = 0
                    for c in range(n_gating):
                        for d in range(c + 1):
                            t = 0.0
                            for b in range(m):
                                t += w[b] * products[pair, b]
                            pair += 1
                            information[chunk, a - 1, c, a2 - 1, d] += t
                            if d < c:
                                information[chunk, a - 1, d, a2 - 1, c] += t
        value[chunk] = s


def _chunk_bounds(n):
    n_chunks = max(1, -(-n // _CHUNK))
    return np.minimum(np.arange(n_chunks + 1, dtype=np.int64) * _CHUNK, n)


def class_posterior(Z, beta, log_density):
    """Posterior class probabilities (n, K) and log-likelihoods (n,).

    ``log_pi + log f`` normalised row by row (``log_density`` (n, K))."""
    n = len(log_density)
    Z = np.asarray(Z, dtype=np.float64)
    beta = np.ascontiguousarray(beta, dtype=np.float64)
    log_density = np.ascontiguousarray(log_density, dtype=np.float64)
    resp, log_norm = np.empty(log_density.shape), np.empty(n)

    def task(first, last):
        return Z, beta, log_density, first, last, resp, log_norm

    _split(_posterior_pass, n, n, task)
    return resp, log_norm


def gate_terms(Z, beta, resp, total):
    """``sum_ik resp_ik log pi_ik(beta)``, its gradient ((K-1) p,) in the
    non-reference coefficients and the Fisher information ((K-1) p, (K-1) p),
    in one pass (``total``: the row sums of ``resp``)."""
    n, (n_classes, n_gating) = len(resp), beta.shape
    bounds = _chunk_bounds(n)
    n_chunks, n_free = len(bounds) - 1, n_classes - 1
    value = np.zeros(n_chunks)
    gradient = np.zeros((n_chunks, n_free, n_gating))
    information = np.zeros((n_chunks, n_free, n_gating, n_free, n_gating))
    Z = np.asarray(Z, dtype=np.float64)
    beta = np.ascontiguousarray(beta, dtype=np.float64)
    resp = np.ascontiguousarray(resp, dtype=np.float64)
    total = np.ascontiguousarray(total, dtype=np.float64)

    def task(first, last):
        return (Z, beta, resp, total, bounds, first, last, value, gradient,
                information)  # fmt: skip

    _split(_gate_pass, n_chunks, n, task)
    information = information.sum(axis=0)
    for a in range(n_free):
        for b in range(a):  # the upper blocks mirror the lower ones
            information[b, :, a, :] = information[a, :, b, :].T
    size = n_free * n_gating
    return (
        float(value.sum()), gradient.sum(axis=0).ravel(),
        information.reshape(size, size),
    )  # fmt: skip
