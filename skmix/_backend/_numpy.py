"""Reference kernels in plain array code: the oracle the other backends match.

Every function works on NumPy arrays and, unchanged, on CuPy arrays (the array
module is taken from the input), so the CuPy backend reuses them. They use
only functions of the Python array API standard (checked on the CPU under
``array_api_strict``, tests/test_array_api.py), through the two helpers below
where NumPy/CuPy and the standard spell a function differently. They compute
in the input's dtype, as scikit-learn does.

Precision Cholesky factors come in one of two forms (see
:meth:`skmix._core.CovarianceModel.kernel_precisions`): ``(n_components,
n_features, n_features)`` upper-triangular factors (full and tied
covariances) or ``(n_components, n_features)`` inverse standard deviations
(diag and spherical).
"""

import math

import numpy as np


def _module_of(array):
    """The array's namespace: CuPy, NumPy, or any standard namespace."""
    root = type(array).__module__.split(".")[0]
    if root == "cupy":
        import cupy

        return cupy
    if root == "numpy" or not hasattr(array, "__array_namespace__"):
        return np
    return array.__array_namespace__()


def _astype(array, dtype, xp):
    """``astype`` without a copy when the dtype already matches."""
    if hasattr(array, "astype"):  # NumPy and CuPy arrays
        return array.astype(dtype, copy=False)
    return xp.astype(array, dtype, copy=False)  # the standard


def _diagonals(matrices, xp):
    """Diagonals of a stack of matrices, shape (K, D)."""
    if hasattr(xp, "diagonal"):  # NumPy and CuPy
        return xp.diagonal(matrices, axis1=1, axis2=2)
    return xp.linalg.diagonal(matrices)  # the standard


def _log_det_precision(precisions_chol):
    xp = _module_of(precisions_chol)
    if precisions_chol.ndim == 3:
        diagonals = _diagonals(precisions_chol, xp)
    else:
        diagonals = precisions_chol
    return xp.sum(xp.log(diagonals), axis=1)


def log_gaussian_prob(X, means, precisions_chol):
    """Log-density of each row of `X` under each Gaussian component.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    means : array of shape (n_components, n_features)
    precisions_chol : array of shape (n_components, n_features, n_features) \
            or (n_components, n_features)
        Cholesky factors of the precisions, full or diagonal form.

    Returns
    -------
    log_prob : array of shape (n_samples, n_components)
    """
    xp = _module_of(X)
    n_features = X.shape[1]
    # Rows are centred before they are squared: the expanded forms cancel
    # catastrophically for data far from zero (float64 data at 1e8 +- 1e-3
    # gave a log-likelihood of +3e5 for 15.5).
    # A squared distance beyond the dtype's range is +inf (log-density -inf),
    # as on the Numba path; callers report non-finite log-likelihoods.
    with np.errstate(over="ignore"):
        maha = _squared_distances(X, means, precisions_chol, xp)
    log_det = _astype(_log_det_precision(precisions_chol), X.dtype, xp)
    return -0.5 * (n_features * math.log(2 * math.pi) + maha) + log_det


def _squared_distances(X, means, precisions_chol, xp):
    """``||(x - mu_k)^T U_k||^2`` for each row and component."""
    n_samples = X.shape[0]
    n_components = means.shape[0]
    if precisions_chol.ndim == 3:
        maha = xp.empty((n_samples, n_components), dtype=X.dtype)
        ones = xp.ones(X.shape[1], dtype=X.dtype)
        for k in range(n_components):
            y = (X - means[k, ...]) @ precisions_chol[k, ...]
            maha[:, k] = (y * y) @ ones  # see _row_sums
    else:
        # Diagonal: three GEMMs of the expanded form (five times faster than
        # a pass per component), about the mean of the means, so that what
        # cancels is the spread of the data, not their offset from zero.
        centre = xp.mean(means, axis=0)
        X, means = X - centre, means - centre
        precisions = precisions_chol**2
        maha = (
            xp.sum(means**2 * precisions, axis=1)
            - 2.0 * (X @ (means * precisions).T)
            + (X**2) @ precisions.T
        )
    return maha


def _row_sums(A, xp):
    """``sum(A, axis=1)`` as a matrix-vector product: NumPy's reduction over
    a few columns is slow (93 us against 33 us for 5000 x 3)."""
    return A @ xp.ones(A.shape[1], dtype=A.dtype)


def _row_maxima(A, xp):
    """``max(A, axis=1)`` (NaN propagating); for few columns an elementwise
    maximum per column (15 us against 210 us for 5000 x 3)."""
    if A.shape[1] > 32:
        return xp.max(A, axis=1)
    row_max = A[:, 0]
    for k in range(1, A.shape[1]):
        row_max = xp.maximum(row_max, A[:, k])
    return row_max


def logsumexp_rows(A):
    """``log(sum(exp(A), axis=1))`` without overflow; rows of -inf give -inf."""
    xp = _module_of(A)
    row_max = _row_maxima(A, xp)
    row_max = xp.where(xp.isfinite(row_max), row_max, 0.0)
    with np.errstate(under="ignore", divide="ignore"):
        return xp.log(_row_sums(xp.exp(A - row_max[:, None]), xp)) + row_max


def weighted_moments(X, resp, shift, full):
    """Responsibility-weighted zeroth, first and second moments about `shift`.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    resp : array of shape (n_samples, n_components)
    shift : array of shape (n_components, n_features)
        Moments of component k are taken about ``shift[k]``.
    full : bool
        Second moments as matrices (full, tied) or their diagonals (diag,
        spherical).

    Returns
    -------
    nk : array of shape (n_components,)
        ``sum_i resp[i, k]``.
    sum_x : array of shape (n_components, n_features)
        ``sum_i resp[i, k] (x_i - shift_k)``.
    sum_xx : array of shape (n_components, n_features, n_features) \
            or (n_components, n_features)
        ``sum_i resp[i, k] (x_i - shift_k)(x_i - shift_k)^T``, or its diagonal.
    """
    xp = _module_of(X)
    n_components, n_features = shift.shape
    shift = _astype(shift, X.dtype, xp)
    sum_x = xp.empty((n_components, n_features), dtype=X.dtype)
    second_shape = (n_features, n_features) if full else (n_features,)
    sum_xx = xp.empty((n_components, *second_shape), dtype=X.dtype)
    # Row sums as matrix-vector products: four times faster than weighting
    # the rows and reducing over them (5000 x 4 x 3, diagonal), and the
    # rows stay centred on each component before they are squared.
    for k in range(n_components):
        diff = X - shift[k, ...]
        weight = resp[:, k]
        sum_x[k, ...] = weight @ diff
        if full:
            sum_xx[k, ...] = (diff * weight[:, None]).T @ diff
        else:
            sum_xx[k, ...] = weight @ (diff * diff)
    return xp.sum(resp, axis=0), sum_x, sum_xx


def em_step_statistics(X, log_weights, means, precisions_chol, shift,
                       sample_weight=None):  # fmt: skip
    """E-step fused with the sufficient statistics it feeds to the M-step.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    log_weights : array of shape (n_components,)
    means : array of shape (n_components, n_features)
    precisions_chol : array, full or diagonal form
    shift : array of shape (n_components, n_features)
    sample_weight : array of shape (n_samples,) or None, default=None
        Frequency weights of the rows: row i counts ``sample_weight[i]`` times.

    Returns
    -------
    log_likelihood : float
        ``sum_i w_i log p(x_i)`` under the current parameters.
    nk, sum_x, sum_xx : arrays
        As returned by :func:`weighted_moments` for the posterior
        responsibilities times the sample weights.
    """
    xp = _module_of(X)
    weighted = log_gaussian_prob(X, means, precisions_chol) + _astype(
        log_weights, X.dtype, xp
    )
    log_norm = logsumexp_rows(weighted)
    # A row impossible under every component (-inf - -inf) gives NaN
    # responsibilities and a -inf log-likelihood, which the caller reports.
    with np.errstate(under="ignore", invalid="ignore"):
        resp = xp.exp(weighted - log_norm[:, None])
    full = precisions_chol.ndim == 3
    if sample_weight is not None:
        sample_weight = _astype(sample_weight, X.dtype, xp)
        resp = resp * sample_weight[:, None]
        log_norm = log_norm * sample_weight
    return (float(xp.sum(log_norm)), *weighted_moments(X, resp, shift, full))


def score_samples(X, log_weights, means, precisions_chol):
    """Mixture log-density ``log p(x_i)`` of each row of `X`."""
    weighted = log_gaussian_prob(X, means, precisions_chol) + _astype(
        log_weights, X.dtype, _module_of(X)
    )
    return logsumexp_rows(weighted)


def missing_em_step_statistics(X, pattern, const, means, factors, slopes, shift,
                               sample_weight=None):  # fmt: skip
    """E-step statistics of rows with missing values (NaN), by pattern.

    Pattern p's parameters are embedded in the full feature space: row i of
    pattern ``pattern[i]`` has component k's log-density ``const[p, k] -
    ||z F[p, k]||^2 / 2`` with ``z = x - mu_k`` on the observed coordinates
    (0 on the missing ones) and ``F[p, k]`` the marginal precision factor of
    the observed coordinates (zero rows and columns elsewhere); its missing
    coordinates are filled with ``mu_k + z S[p, k]`` (zero columns on the
    observed ones) before the moments are taken.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        Rows sorted by pattern, NaN where missing.
    pattern : array of int64, shape (n_samples,)
        Each row's pattern, non-decreasing.
    const : array of shape (n_patterns, n_components)
        ``log w_k + log det F[p, k] - n_observed / 2 log(2 pi)``.
    means : array of shape (n_components, n_features)
    factors : array of shape (n_patterns, n_components, n_features, n_features) \
            or (n_patterns, n_components, n_features)
        Upper-triangular embedded factors, or diagonal ones.
    slopes : array of shape (n_patterns, n_components, n_features, n_features) \
            or empty (diagonal covariances: the missing coordinates' means)
    shift : array of shape (n_components, n_features)
    sample_weight : array of shape (n_samples,) or None

    Returns
    -------
    log_likelihood : float
    nk, sum_x, sum_xx : arrays
        As :func:`em_step_statistics`, without the missing coordinates'
        conditional covariance (which the caller adds per pattern).
    nk_pattern : array of shape (n_patterns, n_components)
        ``sum_i r_ik`` over each pattern's rows.
    """
    xp = _module_of(X)
    n_patterns, n_components = const.shape
    n_features = X.shape[1]
    full = factors.ndim == 4
    bounds = np.searchsorted(
        np.asarray(pattern.get() if hasattr(pattern, "get") else pattern),
        np.arange(n_patterns + 1),
    )
    log_lik = 0.0
    nk_pattern = xp.zeros((n_patterns, n_components), dtype=X.dtype)
    sum_x = xp.zeros((n_components, n_features), dtype=X.dtype)
    second = (n_features, n_features) if full else (n_features,)
    sum_xx = xp.zeros((n_components, *second), dtype=X.dtype)
    for p in range(n_patterns):
        rows = X[int(bounds[p]) : int(bounds[p + 1]), ...]
        if rows.shape[0] == 0:
            continue
        missing = xp.isnan(rows)
        centred = [
            xp.where(missing, 0.0, rows - means[k, ...]) for k in range(n_components)
        ]
        log_joint = xp.stack(
            [
                const[p, k]
                - 0.5
                * xp.sum(
                    (
                        centred[k] @ factors[p, k, ...]
                        if full
                        else centred[k] * factors[p, k, ...]
                    )
                    ** 2,
                    axis=1,
                )
                for k in range(n_components)
            ],
            axis=1,
        )
        log_norm = logsumexp_rows(log_joint)
        with np.errstate(under="ignore", invalid="ignore"):
            resp = xp.exp(log_joint - log_norm[:, None])
        if sample_weight is not None:
            weight = sample_weight[int(bounds[p]) : int(bounds[p + 1])]
            resp, log_norm = resp * weight[:, None], log_norm * weight
        log_lik += float(xp.sum(log_norm))
        nk_pattern[p, ...] = xp.sum(resp, axis=0)
        for k in range(n_components):
            fill = means[k, ...]
            if full:
                fill = fill + centred[k] @ slopes[p, k, ...]
            d = xp.where(missing, fill, rows) - shift[k, ...]
            weighted = d * resp[:, k : k + 1]
            sum_x[k, ...] += xp.sum(weighted, axis=0)
            sum_xx[k, ...] += weighted.T @ d if full else xp.sum(weighted * d, axis=0)
    return log_lik, xp.sum(nk_pattern, axis=0), sum_x, sum_xx, nk_pattern
