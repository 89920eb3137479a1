"""Fused CPU kernels compiled with Numba.

Layout: rows are processed in blocks of ``_BLOCK``, each block transposed into a
feature-major float64 scratch array so that every innermost loop runs over the
rows of the block with unit stride and vectorises. One pass over the data does
the whole E-step (log-densities, log-sum-exp, responsibilities) and
accumulates the sufficient statistics, so responsibilities never touch main
memory.

Determinism: blocks are grouped into a number of chunks that depends on the
data size only, never on the thread count; each chunk sums into its own
partial statistics, which are added in chunk order. Results are bit-identical
whatever ``numba.set_num_threads`` says.

Compile time: every kernel is one jitted function, a serial ``nogil`` loop
over a range of chunks, and the wrappers below split the chunks over a thread
pool. ``parallel=True`` made each kernel compile three times as slowly (the
first fit of a fresh install spent 12 s in Numba). The partial statistics come
from the wrappers; the block scratch is allocated inside, where LLVM knows it
aliases nothing (passed in, it made the E-step 5-10% slower).

All arithmetic is float64, whatever the input dtype; inputs are read as they
are (float32 or float64, C-contiguous).
"""

import functools
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import config, get_num_threads, njit

from ._jit import cached_njit

# Reassociation lets LLVM vectorise the reductions; no 'nnan'/'ninf', since a
# zero mixture weight legitimately gives -inf log-weights.
_FASTMATH = {"nsz", "arcp", "contract", "reassoc"}
# Helpers are only called from jitted code: Python wrappers for them would be
# compiled (and cached) for nothing.
# error_model="numpy": a division by zero or log(0) gives inf/NaN, as NumPy
# does, instead of raising inside a worker thread; callers check the results.
_HELPER = {
    "fastmath": _FASTMATH, "error_model": "numpy", "no_cpython_wrapper": True,
    "no_cfunc_wrapper": True,
}  # fmt: skip
_BLOCK = 256
_MAX_CHUNKS = 64
_MAX_PARTIAL_FLOATS = 1 << 22  # bounds the per-chunk partial statistics (32 MiB)
_LOG_2PI = math.log(2.0 * math.pi)

# Below this many rows a kernel runs on the calling thread alone: waking the
# thread team costs more than it saves, and on few cores it competes with
# OpenMP threads other libraries leave spinning (scikit-learn's KMeans in the
# initialisation made a 250-row fit twice as slow).
_SERIAL_ROWS = 4 * _BLOCK
# Nor below this many rows x components: handing a piece to another thread
# costs about 0.2 ms here, while the serial E+M pass of 10,000 rows takes
# 0.4-0.5 ms with up to 3 full components (0.9 ms with 5).
_SERIAL_WORK = 1 << 15

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EXP_UNDERFLOW = -708.0
# 1.5 * 2**52 and its IEEE-754 bits: for an integer |n| < 2**51, the bits of
# ``n + _ROUNDING_SHIFT`` are ``_ROUNDING_SHIFT_BITS + n``.
_ROUNDING_SHIFT = 6755399441055744.0
_ROUNDING_SHIFT_BITS = 0x4338000000000000


@njit(**_HELPER)
def _exp_nonpositive(x, out, bits, scale, m):
    """``out[:m] = exp(x[:m])`` for ``x <= 0``, in loops LLVM can vectorise.

    libm's exp is an opaque call that blocks vectorisation and dominated the E-step.
    Cody-Waite reduction ``x = n ln2 + r`` with ``|r| <= ln2/2``, a degree-12
    Taylor polynomial for ``exp(r)`` (truncation error below 2e-16), and
    ``2**n`` built from its IEEE-754 exponent bits in ``bits``, which
    ``scale`` views as float64 (a view taken inside the kernel cost 0.4 s of
    compilation). ``n`` stays a float (``math.floor`` returns an int64, and
    AVX2 has no vector conversion between int64 and float64: the scalar
    conversions took half the time); its bits come from ``n + 1.5 * 2**52``,
    whose low mantissa bits hold ``n``. Relative error < 1e-13; arguments
    below -708 give 0.
    """
    for b in range(m):
        v = max(x[b], _EXP_UNDERFLOW)
        n = np.floor(v * _LOG2E + 0.5)
        r = v - n * _LN2_HI - n * _LN2_LO
        p = 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = p * r + 1.0
        p = p * r + 1.0
        out[b] = p if x[b] >= _EXP_UNDERFLOW else 0.0
        scale[b] = n + _ROUNDING_SHIFT
    for b in range(m):
        bits[b] = (bits[b] - _ROUNDING_SHIFT_BITS + 1023) << 52
    for b in range(m):
        out[b] *= scale[b]


@njit(**_HELPER)
def _load_block(A, start, m, block, centre):
    """``block[:, :m] = (A[start:start + m] - centre).T`` as float64.

    Four rows at a time, so that each feature's four values are stored
    together: row by row, the scattered scalar stores took 12 of the 65 ms of
    a one-thread diagonal E+M pass over 2e5 x 32 rows (7 ms this way).
    """
    n_features = A.shape[1]
    whole = m - m % 4
    for b in range(0, whole, 4):
        for i in range(n_features):
            c = centre[i]
            block[i, b] = A[start + b, i] - c
            block[i, b + 1] = A[start + b + 1, i] - c
            block[i, b + 2] = A[start + b + 2, i] - c
            block[i, b + 3] = A[start + b + 3, i] - c
    for b in range(whole, m):
        for i in range(n_features):
            block[i, b] = A[start + b, i] - centre[i]


@njit(**_HELPER)
def _block_log_prob(xt, m, full, prec_full, prec_diag, projected, const, lp, y, maha):
    """``lp[k, b] = const[k] - ||(x_b - mu_k)^T U_k||^2 / 2`` for one block.

    ``projected[k] = (mu_k - c)^T U_k`` (full) or ``(mu_k - c) * u_k``
    (diag), with the block loaded as ``x - c``, so that ``(x - mu)^T U = (x -
    c)^T U - projected`` needs one pass over the features; ``c`` (the mean of
    the means) keeps both terms small for data far from zero, where ``x^T U -
    mu^T U`` would cancel.
    """
    n_components, n_features = projected.shape
    whole = n_features - n_features % 4
    for k in range(n_components):
        for b in range(m):
            maha[b] = 0.0
        if full:
            for j in range(n_features):
                shift = projected[k, j]
                for b in range(m):
                    y[b] = -shift
                # U_k is upper triangular: column j only has rows 0..j.
                for i in range(j + 1):
                    u = prec_full[k, i, j]
                    for b in range(m):
                        y[b] += xt[i, b] * u
                for b in range(m):
                    maha[b] += y[b] * y[b]
        else:
            # Fused loops, four features per sweep over the block: the
            # running sum is loaded and stored once per four (the store
            # port bounded the one-feature loop).
            for j in range(0, whole, 4):
                u0, u1 = prec_diag[k, j], prec_diag[k, j + 1]
                u2, u3 = prec_diag[k, j + 2], prec_diag[k, j + 3]
                s0, s1 = projected[k, j], projected[k, j + 1]
                s2, s3 = projected[k, j + 2], projected[k, j + 3]
                for b in range(m):
                    t0 = xt[j, b] * u0 - s0
                    t1 = xt[j + 1, b] * u1 - s1
                    t2 = xt[j + 2, b] * u2 - s2
                    t3 = xt[j + 3, b] * u3 - s3
                    maha[b] += (t0 * t0 + t1 * t1) + (t2 * t2 + t3 * t3)
            for j in range(whole, n_features):
                u, shift = prec_diag[k, j], projected[k, j]
                for b in range(m):
                    t = xt[j, b] * u - shift
                    maha[b] += t * t
        c = const[k]
        for b in range(m):
            lp[k, b] = c - 0.5 * maha[b]


@njit(**_HELPER)
def _block_log_norm(lp, m, log_norm, row_sum, tmp, bits, scale):
    """Row-wise log-sum-exp over components for one block.

    Leaves ``log_norm[b] = log sum_k exp(lp[k, b])``, ``lp[k, b] =
    exp(lp[k, b] - max_k lp[:, b])`` and ``row_sum[b] = sum_k lp[k, b]``, so
    the responsibilities are ``lp / row_sum``. Returns ``sum_b log_norm[b]``.
    """
    n_components = lp.shape[0]
    for b in range(m):
        log_norm[b] = lp[0, b]
    for k in range(1, n_components):
        for b in range(m):
            log_norm[b] = max(log_norm[b], lp[k, b])
    for b in range(m):
        if log_norm[b] == -np.inf:  # every component impossible: avoid inf - inf
            log_norm[b] = 0.0
        row_sum[b] = 0.0
    for k in range(n_components):
        for b in range(m):
            tmp[b] = lp[k, b] - log_norm[b]
        _exp_nonpositive(tmp, lp[k], bits, scale, m)
        for b in range(m):
            row_sum[b] += lp[k, b]
    total = 0.0
    for b in range(m):
        log_norm[b] += math.log(row_sum[b])
        total += log_norm[b]
    return total


@njit(**_HELPER)
def _block_moments(
    xt, resp, m, shift, full, nk, sum_x, sum_xx_full, sum_xx_diag, d, wd
):
    """Add one block's weighted moments about ``shift`` to the running sums."""
    n_components, n_features = shift.shape
    for k in range(n_components):
        total = 0.0
        for b in range(m):
            total += resp[k, b]
        nk[k] += total
        if not full:  # both moments in one loop, nothing stored
            # Two features per sweep: each responsibility is loaded once
            # for both.
            whole = n_features - n_features % 2
            for i in range(0, whole, 2):
                s0, s1 = shift[k, i], shift[k, i + 1]
                first0 = first1 = second0 = second1 = 0.0
                for b in range(m):
                    r = resp[k, b]
                    d0 = xt[i, b] - s0
                    d1 = xt[i + 1, b] - s1
                    w0 = r * d0
                    w1 = r * d1
                    first0 += w0
                    second0 += w0 * d0
                    first1 += w1
                    second1 += w1 * d1
                sum_x[k, i] += first0
                sum_xx_diag[k, i] += second0
                sum_x[k, i + 1] += first1
                sum_xx_diag[k, i + 1] += second1
            for i in range(whole, n_features):
                s = shift[k, i]
                first = 0.0
                second = 0.0
                for b in range(m):
                    di = xt[i, b] - s
                    w = resp[k, b] * di
                    first += w
                    second += w * di
                sum_x[k, i] += first
                sum_xx_diag[k, i] += second
            continue
        for i in range(n_features):
            s = shift[k, i]
            first = 0.0
            for b in range(m):
                di = xt[i, b] - s
                d[i, b] = di
                wd[i, b] = resp[k, b] * di
                first += wd[i, b]
            sum_x[k, i] += first
        for i in range(n_features):
            for j in range(i + 1):
                second = 0.0
                for b in range(m):
                    second += wd[i, b] * d[j, b]
                sum_xx_full[k, i, j] += second


@njit(**_HELPER)
def _normalise_block(lp, row_sum, m, weight, start):
    """Responsibilities ``lp / row_sum``, times the rows' weights if any."""
    if weight.size:
        for b in range(m):
            row_sum[b] = weight[start + b] / row_sum[b]
    else:
        for b in range(m):
            row_sum[b] = 1.0 / row_sum[b]
    for k in range(lp.shape[0]):
        for b in range(m):
            lp[k, b] *= row_sum[b]


#: The pass is compiled with the cache (see :func:`._jit.cached_njit`).
_cached_njit = cached_njit(fastmath=_FASTMATH, error_model="numpy")


# What a pass over the rows computes: the ``task`` argument of ``_pass``.
_EM, _MOMENTS, _LOG_PROB, _SCORE, _LOGSUMEXP = range(5)


@_cached_njit
def _pass(
    task, X, resp, weight, const, prec_full, prec_diag, projected, centre, shift,
    full, bounds, first, last, out, log_lik, nk, sum_x, sum_xx_full, sum_xx_diag,
    n_components, bits, scale,
):  # fmt: skip
    """Run ``task`` over the blocks of chunks ``first:last`` of ``X``.

    Every kernel below is this one jitted function, so that a fit compiles
    it once per input dtype rather than once per kernel. ``_EM`` and
    ``_MOMENTS`` add each chunk into its partial statistics (``log_lik``,
    ``nk``, ``sum_x``, ``sum_xx_*``), using the given responsibilities
    ``resp`` for ``_MOMENTS``; ``_LOG_PROB`` fills ``out`` (N, K) with weighted
    log-densities, ``_SCORE`` fills ``out`` (N, 1) with the mixture
    log-density, and ``_LOGSUMEXP`` with the row-wise log-sum-exp of ``X``.
    ``weight`` (N,) are the rows' frequency weights in ``_EM`` (empty: all
    one).
    Arguments a task does not use are empty arrays. ``n_components`` sizes
    the block scratch; ``bits`` and ``scale`` are ``_exp_nonpositive``'s.
    Rows are loaded less ``centre``, which ``projected`` and ``shift``
    already account for.
    """
    n_samples, n_features = X.shape
    xt = np.empty((n_features, _BLOCK))
    lp = np.empty((n_components, _BLOCK))
    d = np.empty((n_features, _BLOCK))
    wd = np.empty((n_features, _BLOCK))
    y = np.empty(_BLOCK)
    maha = np.empty(_BLOCK)
    log_norm = np.empty(_BLOCK)
    row_sum = np.empty(_BLOCK)
    no_centre = np.zeros(max(n_components, resp.shape[1]))
    for c in range(first, last):
        for blk in range(bounds[c], bounds[c + 1]):
            start = blk * _BLOCK
            m = min(_BLOCK, n_samples - start)
            _load_block(X, start, m, xt, centre)
            if task == _LOGSUMEXP:
                _block_log_norm(xt, m, log_norm, row_sum, y, bits, scale)
                for b in range(m):
                    out[start + b, 0] = log_norm[b]
                continue
            if task == _MOMENTS:
                _load_block(resp, start, m, lp, no_centre)
            else:
                _block_log_prob(
                    xt, m, full, prec_full, prec_diag, projected, const, lp, y, maha
                )
            if task == _LOG_PROB:
                for b in range(m):
                    for k in range(out.shape[1]):
                        out[start + b, k] = lp[k, b]
                continue
            if task != _MOMENTS:
                total = _block_log_norm(lp, m, log_norm, row_sum, y, bits, scale)
                if task == _SCORE:
                    for b in range(m):
                        out[start + b, 0] = log_norm[b]
                    continue
                if weight.size:
                    total = 0.0
                    for b in range(m):
                        total += weight[start + b] * log_norm[b]
                log_lik[c] += total
                _normalise_block(lp, row_sum, m, weight, start)
            _block_moments(
                xt, lp, m, shift, full, nk[c], sum_x[c], sum_xx_full[c],
                sum_xx_diag[c], d, wd,
            )  # fmt: skip


@functools.cache
def _thread_pool():
    # Sized for the most threads Numba allows; get_num_threads() picks how
    # many tasks a call uses.
    return ThreadPoolExecutor(config.NUMBA_NUM_THREADS, "skmix-numba")


def _split(kernel, n_items, n_rows, task_args, n_columns=1):
    """Run ``kernel(*task_args(first, last))`` over ``range(n_items)``.

    The range is cut into one contiguous piece per thread; the calling thread
    runs the first piece itself. Each piece writes disjoint outputs, so the
    split never changes a result. `n_columns` (components, say) scales the
    work per row.
    """
    serial = n_rows < _SERIAL_ROWS or n_rows * n_columns < _SERIAL_WORK
    n_tasks = 1 if serial else max(1, min(get_num_threads(), n_items))
    edges = [t * n_items // n_tasks for t in range(n_tasks + 1)]
    pieces = list(zip(edges[:-1], edges[1:], strict=True))
    futures = [
        _thread_pool().submit(kernel, *task_args(first, last))
        for first, last in pieces[1:]
    ]
    kernel(*task_args(*pieces[0]))
    for future in futures:
        future.result()


def _n_blocks(n_samples):
    return (n_samples + _BLOCK - 1) // _BLOCK


def _partial_moments(n_samples, n_components, n_features, full):
    """Chunk bounds (in blocks) and zeroed per-chunk moment accumulators."""
    n_blocks = _n_blocks(n_samples)
    per_chunk = n_components * (n_features * n_features + n_features + 1)
    by_memory = max(1, _MAX_PARTIAL_FLOATS // max(1, per_chunk))
    n_chunks = max(1, min(n_blocks, _MAX_CHUNKS, by_memory))
    bounds = np.arange(n_chunks + 1, dtype=np.int64) * n_blocks // n_chunks
    d2 = n_features if full else 0  # the unused second-moment form is empty
    return bounds, (
        np.zeros((n_chunks, n_components)),
        np.zeros((n_chunks, n_components, n_features)),
        np.zeros((n_chunks, n_components, d2, d2)),
        np.zeros((n_chunks, n_components, n_features - d2)),
    )


# Placeholders for the arguments of ``_pass`` a task does not use.
_NO_CONSTANTS = (
    np.empty(0), np.empty((0, 0, 0)), np.empty((0, 0)), np.empty((0, 0)),
    np.empty(0),
)  # fmt: skip
_NO_MOMENTS = (
    np.empty(0), np.empty((0, 0)), np.empty((0, 0, 0)), np.empty((0, 0, 0, 0)),
    np.empty((0, 0, 0)),
)  # fmt: skip


_NO_WEIGHTS = np.empty(0)


def _read_only(array):
    """A read-only view of `array` (no copy).

    Numba types read-only and writable arrays apart: a read-only input (a
    memmap opened with mode 'r', a fitted model's frozen parameters) compiled
    a second specialisation of the pass, 3 s more of a cold first fit.
    """
    view = array.view()
    view.flags.writeable = False
    return view


def _run(task, X, n_components, full, constants=_NO_CONSTANTS, **arrays):
    """Run ``_pass`` over every row of ``X`` on the thread pool.

    ``arrays`` gives ``resp``, ``weight``, ``shift`` and ``out`` where the
    task uses them.
    Returns the per-chunk partial sums ``(log_lik, nk, sum_x, sum_xx_full,
    sum_xx_diag)`` of the reducing tasks.
    """
    n_samples, n_features = X.shape
    if task in (_EM, _MOMENTS):
        bounds, moments = _partial_moments(n_samples, n_components, n_features, full)
        partials = (np.zeros(len(bounds) - 1), *moments)
    else:  # one block per chunk: blocks are independent
        bounds = np.arange(_n_blocks(n_samples) + 1, dtype=np.int64)
        partials = _NO_MOMENTS
    none = np.empty((0, 0), X.dtype)
    resp, out = arrays.get("resp", none), arrays.get("out", none)
    weight = arrays.get("weight")
    weight = _NO_WEIGHTS if weight is None else np.ascontiguousarray(weight, np.float64)
    shift = arrays.get("shift", _NO_CONSTANTS[2])
    const, prec_full, prec_diag, projected, centre = constants
    if centre.size == 0:  # no components: centre on the shift, if any
        centre = shift.mean(axis=0) if shift.size else np.zeros(n_features)
    if shift.size:
        shift = np.ascontiguousarray(shift - centre)

    X, resp, weight, const, prec_full, prec_diag, projected, centre, shift = map(
        _read_only, (X, resp, weight, const, prec_full, prec_diag, projected,
                     centre, shift),
    )  # fmt: skip

    def task_args(first, last):
        bits = np.empty(_BLOCK, np.int64)
        return (
            task, X, resp, weight, const, prec_full, prec_diag, projected, centre,
            shift, full, bounds, first, last, out, *partials, n_components, bits,
            bits.view(np.float64),
        )  # fmt: skip

    n_columns = n_components or X.shape[1]  # logsumexp: X's columns
    _split(_pass, len(bounds) - 1, n_samples, task_args, n_columns)
    return partials


def _component_constants(log_weights, means, precisions_chol):
    """Per-component constants shared by every kernel below.

    Returns ``const`` (log-weight + log-det - D/2 log 2pi), the precision
    factors in both argument slots (one of them empty), so that the jitted
    pass compiles once for both covariance forms, the projected means and
    the centre they are taken about (the mean of the means); then whether
    the factors are full.
    """
    means = np.asarray(means, dtype=np.float64)
    n_components, n_features = means.shape
    centre = means.mean(axis=0) if n_components else np.zeros(n_features)
    means = means - centre
    precisions_chol = np.ascontiguousarray(precisions_chol, dtype=np.float64)
    full = precisions_chol.ndim == 3
    if full:
        diagonals = np.diagonal(precisions_chol, axis1=1, axis2=2)
        projected = np.einsum("ki,kij->kj", means, precisions_chol)
        prec_full, prec_diag = precisions_chol, np.empty((n_components, 0))
    else:
        diagonals = precisions_chol
        projected = means * precisions_chol
        prec_full, prec_diag = np.empty((n_components, 0, 0)), precisions_chol
    with np.errstate(divide="ignore"):
        const = (
            np.asarray(log_weights, dtype=np.float64)
            + np.sum(np.log(diagonals), axis=1)
            - 0.5 * n_features * _LOG_2PI
        )
    projected = np.ascontiguousarray(projected)
    return (const, prec_full, prec_diag, projected, centre), full


def _rows(X):
    return np.ascontiguousarray(X)


@functools.cache
def _strict_upper(n_features):
    return np.triu_indices(n_features, 1)


def _add_chunks(partials, full):
    """Sum per-chunk moments in chunk order; mirror the lower-triangular sums."""
    nk, sum_x, sum_xx_full, sum_xx_diag = (
        p[0] if len(p) == 1 else p.sum(axis=0) for p in partials
    )
    if not full:
        return nk, sum_x, sum_xx_diag
    rows, cols = _strict_upper(sum_xx_full.shape[-1])
    sum_xx_full[:, rows, cols] = sum_xx_full[:, cols, rows]
    return nk, sum_x, sum_xx_full


def log_gaussian_prob(X, means, precisions_chol):
    """See :func:`skmix._backend._numpy.log_gaussian_prob`."""
    X, n_components = _rows(X), means.shape[0]
    constants, full = _component_constants(
        np.zeros(n_components), means, precisions_chol
    )
    out = np.empty((X.shape[0], n_components), dtype=X.dtype)
    _run(_LOG_PROB, X, n_components, full, constants, out=out)
    return out


def score_samples(X, log_weights, means, precisions_chol):
    """See :func:`skmix._backend._numpy.score_samples`."""
    X = _rows(X)
    constants, full = _component_constants(log_weights, means, precisions_chol)
    n_components = constants[0].shape[0]
    out = np.empty((X.shape[0], 1), dtype=X.dtype)
    _run(_SCORE, X, n_components, full, constants, out=out)
    return out[:, 0]


def logsumexp_rows(A):
    """See :func:`skmix._backend._numpy.logsumexp_rows`."""
    A = _rows(A)
    out = np.empty((A.shape[0], 1), dtype=A.dtype)
    _run(_LOGSUMEXP, A, 0, False, out=out)
    return out[:, 0]


def weighted_moments(X, resp, shift, full):
    """See :func:`skmix._backend._numpy.weighted_moments`."""
    X, resp, full = _rows(X), _rows(resp), bool(full)
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    _, *moments = _run(_MOMENTS, X, shift.shape[0], full, resp=resp, shift=shift)
    return _add_chunks(moments, full)


def em_step_statistics(X, log_weights, means, precisions_chol, shift,
                       sample_weight=None):  # fmt: skip
    """See :func:`skmix._backend._numpy.em_step_statistics`."""
    X = _rows(X)
    constants, full = _component_constants(log_weights, means, precisions_chol)
    n_components = constants[0].shape[0]
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    log_lik, *moments = _run(
        _EM, X, n_components, full, constants, shift=shift, weight=sample_weight
    )
    return (float(log_lik.sum()), *_add_chunks(moments, full))


@_cached_njit
def _missing_pass(
    X, pattern, weight, const, means, factors, slopes, shift, full, bounds, first,
    last, log_lik, nk, nk_pattern, sum_x, sum_xx_full, sum_xx_diag,
):  # fmt: skip
    """The E-step of rows with NaN over chunks ``first:last`` (row ranges
    ``bounds``): see :func:`skmix._backend._numpy.missing_em_step_statistics`.

    Rows come sorted by pattern, so a block of rows (cut at pattern
    boundaries) shares its observed coordinates and every inner loop runs
    over the block's rows, as in ``_pass``. Each chunk adds into its own
    partial sums.
    """
    n_features = X.shape[1]
    n_components = means.shape[0]
    xt = np.empty((n_features, _BLOCK))
    zt = np.empty((n_components, n_features, _BLOCK))
    lp = np.empty((n_components, _BLOCK))
    d = np.empty((n_features, _BLOCK))
    wd = np.empty((n_features, _BLOCK))
    y = np.empty(_BLOCK)
    maha = np.empty(_BLOCK)
    peak = np.empty(_BLOCK)
    total = np.empty(_BLOCK)
    observed = np.empty(n_features, np.bool_)
    for c in range(first, last):
        start = bounds[c]
        while start < bounds[c + 1]:
            p = pattern[start]
            stop = min(start + _BLOCK, bounds[c + 1])
            m = 0
            while m < stop - start and pattern[start + m] == p:
                m += 1
            for j in range(n_features):
                observed[j] = X[start, j] == X[start, j]
                for b in range(m):
                    xt[j, b] = X[start + b, j]
            # Log joint of the observed coordinates' marginal.
            for k in range(n_components):
                for j in range(n_features):
                    mu = means[k, j]
                    if observed[j]:
                        for b in range(m):
                            zt[k, j, b] = xt[j, b] - mu
                    else:
                        for b in range(m):
                            zt[k, j, b] = 0.0
                for b in range(m):
                    maha[b] = 0.0
                for j in range(n_features):
                    if not observed[j]:
                        continue
                    if full:
                        for b in range(m):
                            y[b] = 0.0
                        for i in range(j + 1):  # embedded factors are upper
                            u = factors[p, k, i, j]
                            if u != 0.0:
                                for b in range(m):
                                    y[b] += zt[k, i, b] * u
                    else:
                        u = factors[p, k, j, 0]
                        for b in range(m):
                            y[b] = zt[k, j, b] * u
                    for b in range(m):
                        maha[b] += y[b] * y[b]
                ck = const[p, k]
                for b in range(m):
                    lp[k, b] = ck - 0.5 * maha[b]
            # Posteriors (times the rows' weights).
            for b in range(m):
                peak[b] = lp[0, b]
            for k in range(1, n_components):
                for b in range(m):
                    peak[b] = max(peak[b], lp[k, b])
            for b in range(m):
                if peak[b] == -np.inf:
                    peak[b] = 0.0
                total[b] = 0.0
            for k in range(n_components):
                for b in range(m):
                    lp[k, b] = math.exp(lp[k, b] - peak[b])
                    total[b] += lp[k, b]
            for b in range(m):
                w = weight[start + b] if weight.size else 1.0
                log_lik[c] += w * (peak[b] + math.log(total[b]))
                total[b] = w / total[b]
            # Moments of the rows completed by their conditional means.
            for k in range(n_components):
                count = 0.0
                for b in range(m):
                    lp[k, b] *= total[b]
                    count += lp[k, b]
                nk[c, k] += count
                nk_pattern[c, p, k] += count
                for j in range(n_features):
                    s = shift[k, j]
                    if observed[j]:
                        for b in range(m):
                            d[j, b] = xt[j, b] - s
                    else:
                        mu = means[k, j] - s
                        for b in range(m):
                            d[j, b] = mu
                        if full:
                            for i in range(n_features):
                                slope = slopes[p, k, i, j]
                                if slope != 0.0:
                                    for b in range(m):
                                        d[j, b] += zt[k, i, b] * slope
                    first_moment = 0.0
                    for b in range(m):
                        wd[j, b] = lp[k, b] * d[j, b]
                        first_moment += wd[j, b]
                    sum_x[c, k, j] += first_moment
                for a in range(n_features):
                    if full:
                        for j in range(a + 1):
                            second = 0.0
                            for b in range(m):
                                second += wd[a, b] * d[j, b]
                            sum_xx_full[c, k, a, j] += second
                    else:
                        second = 0.0
                        for b in range(m):
                            second += wd[a, b] * d[a, b]
                        sum_xx_diag[c, k, a] += second
            start += m


def missing_em_step_statistics(X, pattern, const, means, factors, slopes, shift,
                               sample_weight=None):  # fmt: skip
    """See :func:`skmix._backend._numpy.missing_em_step_statistics`."""
    X = _rows(X)
    n_samples, n_features = X.shape
    n_patterns, n_components = const.shape
    full = factors.ndim == 4
    if not full:  # one kernel signature for both forms
        factors = factors[..., None]
        slopes = np.empty((0, 0, 0, 0))
    per_chunk = n_components * (n_features * n_features + n_features + 1 + n_patterns)
    by_memory = max(1, _MAX_PARTIAL_FLOATS // max(1, per_chunk))
    n_chunks = max(1, min(_n_blocks(n_samples), _MAX_CHUNKS, by_memory))
    bounds = np.arange(n_chunks + 1, dtype=np.int64) * n_samples // n_chunks
    d2 = n_features if full else 0
    partials = (
        np.zeros(n_chunks),
        np.zeros((n_chunks, n_components)),
        np.zeros((n_chunks, n_patterns, n_components)),
        np.zeros((n_chunks, n_components, n_features)),
        np.zeros((n_chunks, n_components, d2, d2)),
        np.zeros((n_chunks, n_components, n_features - d2)),
    )
    weight = (
        _NO_WEIGHTS
        if sample_weight is None
        else np.ascontiguousarray(sample_weight, np.float64)
    )
    arrays = tuple(
        np.ascontiguousarray(a, dtype=np.float64)
        for a in (const, means, factors, slopes, shift)
    )
    pattern = np.ascontiguousarray(pattern, dtype=np.int64)

    def task_args(first, last):
        return (X, pattern, weight, *arrays, full, bounds, first, last, *partials)

    _split(_missing_pass, n_chunks, n_samples, task_args)
    log_lik, nk, nk_pattern, *moments = partials
    nk, sum_x, sum_xx = _add_chunks((nk, *moments), full)
    return float(log_lik.sum()), nk, sum_x, sum_xx, nk_pattern.sum(axis=0)
