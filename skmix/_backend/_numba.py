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

All arithmetic is float64, whatever the input dtype; inputs are read as they
are (float32 or float64, C-contiguous).
"""

import functools
import math
import threading
from contextlib import contextmanager

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

# Reassociation lets LLVM vectorise the reductions; no 'nnan'/'ninf', since a
# zero mixture weight legitimately gives -inf log-weights.
_FASTMATH = {"nsz", "arcp", "contract", "reassoc"}
_BLOCK = 256
_MAX_CHUNKS = 64
_MAX_PARTIAL_FLOATS = 1 << 22  # bounds the per-chunk partial statistics (32 MiB)
_LOG_2PI = math.log(2.0 * math.pi)

# Numba's default 'workqueue' threading layer aborts the process when two
# threads launch parallel kernels at once (e.g. GridSearchCV with a threading
# backend). Each call already uses every core, so serialising loses nothing.
_PARALLEL_LOCK = threading.Lock()
# Below this many rows a kernel runs on the calling thread alone: waking the
# thread team costs more than it saves, and on few cores it competes with
# OpenMP threads other libraries leave spinning (scikit-learn's KMeans in the
# initialisation made a 250-row fit twice as slow).
_SERIAL_ROWS = 4 * _BLOCK


@contextmanager
def _parallel_section(n_rows):
    """Serialise kernel launches; use one thread for small inputs."""
    with _PARALLEL_LOCK:
        if n_rows >= _SERIAL_ROWS:
            yield
            return
        n_threads = get_num_threads()
        set_num_threads(1)
        try:
            yield
        finally:
            set_num_threads(n_threads)


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EXP_UNDERFLOW = -708.0


@njit(cache=True, fastmath=_FASTMATH)
def _exp_nonpositive(x, out, bits, m):
    """``out[:m] = exp(x[:m])`` for ``x <= 0``, in a loop LLVM can vectorise.

    libm's exp is an opaque call that blocks vectorisation and dominated the E-step.
    Cody-Waite reduction ``x = n ln2 + r`` with ``|r| <= ln2/2``, a degree-12
    Taylor polynomial for ``exp(r)`` (truncation error below 2e-16), and
    ``2**n`` built from its IEEE-754 exponent bits. Relative error < 1e-13;
    arguments below -708 give 0.
    """
    scale = bits.view(np.float64)
    for b in range(m):
        v = max(x[b], _EXP_UNDERFLOW)
        n = math.floor(v * _LOG2E + 0.5)
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
        bits[b] = (np.int64(n) + 1023) << 52
    for b in range(m):
        out[b] *= scale[b]


@njit(cache=True)
def _n_chunks(n_blocks, floats_per_chunk):
    by_memory = max(1, _MAX_PARTIAL_FLOATS // max(1, floats_per_chunk))
    return max(1, min(n_blocks, _MAX_CHUNKS, by_memory))


@njit(cache=True)
def _partial_moments(n_samples, n_components, n_features, full):
    """Block and chunk counts, and zeroed per-chunk moment accumulators."""
    n_blocks = (n_samples + _BLOCK - 1) // _BLOCK
    per_chunk = n_components * (n_features * n_features + n_features + 1)
    n_chunks = _n_chunks(n_blocks, per_chunk)
    d2 = n_features if full else 0  # the unused second-moment form is empty
    return (
        n_blocks,
        n_chunks,
        np.zeros((n_chunks, n_components)),
        np.zeros((n_chunks, n_components, n_features)),
        np.zeros((n_chunks, n_components, d2, d2)),
        np.zeros((n_chunks, n_components, n_features - d2)),
    )


@njit(cache=True)
def _chunk_blocks(chunk, n_chunks, n_blocks):
    return chunk * n_blocks // n_chunks, (chunk + 1) * n_blocks // n_chunks


@njit(cache=True, fastmath=_FASTMATH)
def _load_block(A, start, m, block):
    """``block[:, :m] = A[start:start + m].T`` as float64."""
    for b in range(m):
        for i in range(A.shape[1]):
            block[i, b] = A[start + b, i]


@njit(cache=True, fastmath=_FASTMATH)
def _block_log_prob(xt, m, full, prec_full, prec_diag, projected, const, lp, y, maha):
    """``lp[k, b] = const[k] - ||(x_b - mu_k)^T U_k||^2 / 2`` for one block.

    ``projected[k] = mu_k^T U_k`` (full) or ``mu_k * u_k`` (diag), so that
    ``(x - mu)^T U = x^T U - projected`` needs one pass over the features.
    """
    n_components, n_features = projected.shape
    for k in range(n_components):
        for b in range(m):
            maha[b] = 0.0
        for j in range(n_features):
            shift = projected[k, j]
            if full:
                for b in range(m):
                    y[b] = -shift
                # U_k is upper triangular: column j only has rows 0..j.
                for i in range(j + 1):
                    u = prec_full[k, i, j]
                    for b in range(m):
                        y[b] += xt[i, b] * u
            else:
                u = prec_diag[k, j]
                for b in range(m):
                    y[b] = xt[j, b] * u - shift
            for b in range(m):
                maha[b] += y[b] * y[b]
        c = const[k]
        for b in range(m):
            lp[k, b] = c - 0.5 * maha[b]


@njit(cache=True, fastmath=_FASTMATH)
def _block_log_norm(lp, m, log_norm, row_sum, tmp, bits):
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
        _exp_nonpositive(tmp, lp[k], bits, m)
        for b in range(m):
            row_sum[b] += lp[k, b]
    total = 0.0
    for b in range(m):
        log_norm[b] += math.log(row_sum[b])
        total += log_norm[b]
    return total


@njit(cache=True, fastmath=_FASTMATH)
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
            if full:
                for j in range(i + 1):
                    second = 0.0
                    for b in range(m):
                        second += wd[i, b] * d[j, b]
                    sum_xx_full[k, i, j] += second
            else:
                second = 0.0
                for b in range(m):
                    second += wd[i, b] * d[i, b]
                sum_xx_diag[k, i] += second


@njit(cache=True, fastmath=_FASTMATH)
def _normalise_block(lp, row_sum, m):
    for k in range(lp.shape[0]):
        for b in range(m):
            lp[k, b] /= row_sum[b]


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _em_pass(X, const, prec_full, prec_diag, projected, shift, full):
    n_samples, n_features = X.shape
    n_components = const.shape[0]
    n_blocks, n_chunks, nk, sum_x, sum_xx_full, sum_xx_diag = _partial_moments(
        n_samples, n_components, n_features, full
    )
    log_lik = np.zeros(n_chunks)
    for c in prange(n_chunks):
        xt = np.empty((n_features, _BLOCK))
        lp = np.empty((n_components, _BLOCK))
        d = np.empty((n_features, _BLOCK))
        wd = np.empty((n_features, _BLOCK))
        y = np.empty(_BLOCK)
        maha = np.empty(_BLOCK)
        log_norm = np.empty(_BLOCK)
        row_sum = np.empty(_BLOCK)
        bits = np.empty(_BLOCK, np.int64)
        first, last = _chunk_blocks(c, n_chunks, n_blocks)
        for blk in range(first, last):
            start = blk * _BLOCK
            m = min(_BLOCK, n_samples - start)
            _load_block(X, start, m, xt)
            _block_log_prob(
                xt, m, full, prec_full, prec_diag, projected, const, lp, y, maha
            )
            log_lik[c] += _block_log_norm(lp, m, log_norm, row_sum, y, bits)
            _normalise_block(lp, row_sum, m)
            _block_moments(
                xt, lp, m, shift, full, nk[c], sum_x[c], sum_xx_full[c],
                sum_xx_diag[c], d, wd,
            )  # fmt: skip
    # Partial sums per chunk; the wrapper adds them in chunk order. (A sum
    # here would become a parallel reduction whose order follows the threads.)
    return log_lik, nk, sum_x, sum_xx_full, sum_xx_diag


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _log_prob_pass(X, const, prec_full, prec_diag, projected, full, normalise, out):
    """Fill ``out`` with weighted log-densities (N, K), or, with ``normalise``,
    the mixture log-density (N, 1)."""
    n_samples, n_features = X.shape
    n_components = const.shape[0]
    n_blocks = (n_samples + _BLOCK - 1) // _BLOCK
    for blk in prange(n_blocks):
        xt = np.empty((n_features, _BLOCK))
        lp = np.empty((n_components, _BLOCK))
        y = np.empty(_BLOCK)
        maha = np.empty(_BLOCK)
        row_sum = np.empty(_BLOCK)
        log_norm = np.empty(_BLOCK)
        bits = np.empty(_BLOCK, np.int64)
        start = blk * _BLOCK
        m = min(_BLOCK, n_samples - start)
        _load_block(X, start, m, xt)
        _block_log_prob(
            xt, m, full, prec_full, prec_diag, projected, const, lp, y, maha
        )
        if normalise:
            _block_log_norm(lp, m, log_norm, row_sum, y, bits)
            for b in range(m):
                out[start + b, 0] = log_norm[b]
        else:
            for b in range(m):
                for k in range(n_components):
                    out[start + b, k] = lp[k, b]


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _moments_pass(X, resp, shift, full):
    n_samples, n_features = X.shape
    n_components = shift.shape[0]
    n_blocks, n_chunks, nk, sum_x, sum_xx_full, sum_xx_diag = _partial_moments(
        n_samples, n_components, n_features, full
    )
    for c in prange(n_chunks):
        xt = np.empty((n_features, _BLOCK))
        rt = np.empty((n_components, _BLOCK))
        d = np.empty((n_features, _BLOCK))
        wd = np.empty((n_features, _BLOCK))
        first, last = _chunk_blocks(c, n_chunks, n_blocks)
        for blk in range(first, last):
            start = blk * _BLOCK
            m = min(_BLOCK, n_samples - start)
            _load_block(X, start, m, xt)
            _load_block(resp, start, m, rt)
            _block_moments(
                xt, rt, m, shift, full, nk[c], sum_x[c], sum_xx_full[c],
                sum_xx_diag[c], d, wd,
            )  # fmt: skip
    return nk, sum_x, sum_xx_full, sum_xx_diag


@njit(parallel=True, cache=True, fastmath=_FASTMATH)
def _logsumexp_pass(A, out):
    n_samples, n_cols = A.shape
    n_blocks = (n_samples + _BLOCK - 1) // _BLOCK
    for blk in prange(n_blocks):
        at = np.empty((n_cols, _BLOCK))
        tmp = np.empty(_BLOCK)
        row_sum = np.empty(_BLOCK)
        log_norm = np.empty(_BLOCK)
        bits = np.empty(_BLOCK, np.int64)
        start = blk * _BLOCK
        m = min(_BLOCK, n_samples - start)
        _load_block(A, start, m, at)
        _block_log_norm(at, m, log_norm, row_sum, tmp, bits)
        for b in range(m):
            out[start + b] = log_norm[b]


def _component_constants(log_weights, means, precisions_chol):
    """Per-component constants shared by every kernel below.

    Returns ``const`` (log-weight + log-det - D/2 log 2pi), the projected means,
    and the precision factors in both argument slots (one of them empty), so
    that each jitted kernel compiles once for both covariance forms.
    """
    means = np.asarray(means, dtype=np.float64)
    n_components, n_features = means.shape
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
    return const, np.ascontiguousarray(projected), prec_full, prec_diag, full


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
    X = _rows(X)
    n_components = means.shape[0]
    const, projected, prec_full, prec_diag, full = _component_constants(
        np.zeros(n_components), means, precisions_chol
    )
    out = np.empty((X.shape[0], n_components), dtype=X.dtype)
    with _parallel_section(X.shape[0]):
        _log_prob_pass(X, const, prec_full, prec_diag, projected, full, False, out)
    return out


def score_samples(X, log_weights, means, precisions_chol):
    """See :func:`skmix._backend._numpy.score_samples`."""
    X = _rows(X)
    const, projected, prec_full, prec_diag, full = _component_constants(
        log_weights, means, precisions_chol
    )
    out = np.empty((X.shape[0], 1), dtype=X.dtype)
    with _parallel_section(X.shape[0]):
        _log_prob_pass(X, const, prec_full, prec_diag, projected, full, True, out)
    return out[:, 0]


def logsumexp_rows(A):
    """See :func:`skmix._backend._numpy.logsumexp_rows`."""
    A = _rows(A)
    out = np.empty(A.shape[0], dtype=A.dtype)
    with _parallel_section(A.shape[0]):
        _logsumexp_pass(A, out)
    return out


def weighted_moments(X, resp, shift, full):
    """See :func:`skmix._backend._numpy.weighted_moments`."""
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    with _parallel_section(X.shape[0]):
        partials = _moments_pass(_rows(X), _rows(resp), shift, bool(full))
    return _add_chunks(partials, full)


def em_step_statistics(X, log_weights, means, precisions_chol, shift):
    """See :func:`skmix._backend._numpy.em_step_statistics`."""
    const, projected, prec_full, prec_diag, full = _component_constants(
        log_weights, means, precisions_chol
    )
    shift = np.ascontiguousarray(shift, dtype=np.float64)
    with _parallel_section(X.shape[0]):
        log_lik, *partials = _em_pass(
            _rows(X), const, prec_full, prec_diag, projected, shift, full
        )
    return (float(log_lik.sum()), *_add_chunks(partials, full))
