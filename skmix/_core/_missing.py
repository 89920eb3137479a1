"""Missing values: EM on the observed coordinates of each row.

Rows with NaN are grouped by their missingness pattern (which features they
observe). For a pattern observing ``O`` and missing ``M``, component k's
density of a row is the Gaussian marginal ``N(x_O; mu_O, S_OO)``; the
E-step replaces the missing coordinates by their conditional expectation
``mu_M + S_MO S_OO^{-1} (x_O - mu_O)`` and adds the conditional covariance
``S_MM - S_MO S_OO^{-1} S_OM`` to the second moments (Ghahramani & Jordan
1994, "Supervised learning from incomplete data via an EM approach"; Little
& Rubin 2002, ch. 11). The statistics are the complete-data ones, so every
M-step, covariance structure and the additive protocol are unchanged; complete
rows keep the fused kernel. The work is one batch of small matrix products
per (pattern, component): no Python loop per row.
"""

from dataclasses import dataclass

import numpy as np

from .._math._statistics import _collect, _total
from ._covariance import _covariances_of_factors

_LOG_2PI = float(np.log(2 * np.pi))


@dataclass(frozen=True)
class PatternGroup:
    """The rows of one missingness pattern.

    Attributes
    ----------
    observed : ndarray of bool, shape (n_features,)
    index : ndarray of int
        Positions of the rows in the array they came from (host).
    values : array of shape (n_rows, n_observed)
        Their observed coordinates, on the rows' device.
    """

    observed: np.ndarray
    index: np.ndarray
    values: object


@dataclass(frozen=True)
class MissingPatterns:
    """Rows split into complete ones and the others sorted by pattern.

    Attributes
    ----------
    complete : array of shape (n_complete, n_features)
        Rows without NaN, on the rows' device (for the fused kernel).
    complete_index : ndarray of int
    complete_weight : array or None
    incomplete : array of shape (n_incomplete, n_features)
        The other rows, sorted by pattern, NaN where missing.
    incomplete_index : ndarray of int
    incomplete_weight : array or None
    pattern : array of int64, shape (n_incomplete,)
        Each incomplete row's pattern (non-decreasing), on the rows' device.
    observed : ndarray of bool, shape (n_patterns, n_features)
        What each pattern observes (host).
    bounds : ndarray of int, shape (n_patterns + 1,)
        Pattern p's rows are ``incomplete[bounds[p]:bounds[p + 1]]``.
    """

    complete: object
    complete_index: np.ndarray
    complete_weight: object
    incomplete: object
    incomplete_index: np.ndarray
    incomplete_weight: object
    pattern: object
    observed: np.ndarray
    bounds: np.ndarray

    @classmethod
    def from_rows(cls, X, xp, sample_weight=None):
        """Group the rows of `X` (NumPy or CuPy) by their NaN pattern."""
        missing = xp.isnan(X)
        mask = np.asarray(missing.get() if hasattr(missing, "get") else missing)
        complete = ~mask.any(axis=1)
        complete_index = np.flatnonzero(complete)
        incomplete_index = np.flatnonzero(~complete)
        keys = _pattern_keys(mask[incomplete_index])
        order = np.argsort(keys, kind="stable")
        keys, incomplete_index = keys[order], incomplete_index[order]
        new_pattern = np.ones(keys.shape[0], dtype=bool)
        new_pattern[1:] = keys[1:] != keys[:-1]
        pattern = np.cumsum(new_pattern) - 1
        starts = np.flatnonzero(new_pattern)
        observed = ~mask[incomplete_index[starts]]
        bounds = np.append(starts, keys.shape[0])

        def take(index):
            device_index = xp.asarray(index)
            weight = None if sample_weight is None else sample_weight[device_index]
            return X[device_index], weight

        (complete_rows, complete_weight), (incomplete, incomplete_weight) = (
            take(complete_index),
            take(incomplete_index),
        )
        return cls(
            complete_rows, complete_index, complete_weight, incomplete,
            incomplete_index, incomplete_weight, xp.asarray(pattern.astype(np.int64)),
            observed, bounds,
        )  # fmt: skip

    @property
    def n_patterns(self):
        return self.observed.shape[0]

    def groups(self, xp):
        """The incomplete rows as one :class:`PatternGroup` per pattern."""
        for p in range(self.n_patterns):
            rows = self.incomplete[int(self.bounds[p]) : int(self.bounds[p + 1])]
            observed = self.observed[p]
            values = rows[:, xp.asarray(np.flatnonzero(observed))]
            index = self.incomplete_index[self.bounds[p] : self.bounds[p + 1]]
            yield PatternGroup(observed, index, values)


def _pattern_keys(mask):
    """One sortable key per row of a boolean mask, equal for equal rows: the
    mask's bits as an integer (up to 63 features), else its packed bytes."""
    if mask.shape[1] <= 63:
        return mask @ (np.int64(1) << np.arange(mask.shape[1], dtype=np.int64))
    keys = np.ascontiguousarray(np.packbits(mask, axis=1))
    return keys.view(np.dtype((np.void, keys.shape[1])))[:, 0]


def has_missing(X):
    """Whether `X` (NumPy or CuPy) holds any NaN."""
    return bool((X != X).any())


@dataclass(frozen=True)
class _Marginal:
    """Component k's view of one pattern: the marginal of the observed
    coordinates, the regression of the missing ones on them, and their
    conditional covariance."""

    means: np.ndarray  # (K, o)
    precisions: np.ndarray  # (K, o, o) upper factors, or (K, o) diagonal
    slopes: np.ndarray  # (K, o, m): x_M ~ mu_M + (x_O - mu_O) @ slopes; None if diag
    conditional: np.ndarray  # (K, m, m), or (K, m) diagonal variances


def _covariances(precisions):
    """Covariances from kernel-form precision factors (host float64)."""
    if precisions.ndim == 2:
        return 1.0 / precisions**2
    return _covariances_of_factors(precisions)


def _marginal(means, precisions, covariances, observed):
    obs, mis = np.flatnonzero(observed), np.flatnonzero(~observed)
    if precisions.ndim == 2:  # independent coordinates
        return _Marginal(means[:, obs], precisions[:, obs], None, covariances[:, mis])
    S_OO = covariances[:, obs][:, :, obs]
    S_OM = covariances[:, obs][:, :, mis]
    lower = np.linalg.cholesky(S_OO)
    # Upper W with W W^T = S_OO^-1: the marginal's precision factor.
    factor = np.swapaxes(np.linalg.inv(lower), 1, 2)
    slopes = np.linalg.solve(S_OO, S_OM)
    conditional = covariances[:, mis][:, :, mis] - np.swapaxes(S_OM, 1, 2) @ slopes
    return _Marginal(means[:, obs], np.ascontiguousarray(factor), slopes, conditional)


#: Bounds the embedded per-pattern parameters of one kernel call (floats).
_MAX_PATTERN_FLOATS = 1 << 22


class MissingScorer:
    """A :class:`~skmix._core.ComponentScorer`'s kernels on rows with NaN.

    Parameters
    ----------
    scorer : ComponentScorer
    """

    def __init__(self, scorer):
        self.scorer = scorer
        self.log_weights = np.asarray(scorer.log_weights, dtype=np.float64)
        self.means = np.asarray(scorer.means, dtype=np.float64)
        self.precisions = np.asarray(scorer.precisions, dtype=np.float64)
        self.covariances = _covariances(self.precisions)
        self._marginals = {}

    @property
    def full(self):
        return self.precisions.ndim == 3

    def marginal(self, observed):
        key = observed.tobytes()
        if key not in self._marginals:
            self._marginals[key] = _marginal(
                self.means, self.precisions, self.covariances, observed
            )
        return self._marginals[key]

    def group_log_joint(self, backend, group):
        """``log w_k + log N(x_O | k)`` of a group's rows, shape (n, K)."""
        marginal = self.marginal(group.observed)
        dtype = group.values.dtype
        log_prob = backend.kernels.log_gaussian_prob(
            group.values,
            backend.asarray(marginal.means, dtype=dtype),
            backend.asarray(marginal.precisions, dtype=dtype),
        )
        return log_prob + backend.asarray(self.log_weights, dtype=dtype)

    def log_joint(self, backend, X):
        """(n_samples, K) log joint of rows with or without NaN."""
        xp = backend.xp
        patterns = MissingPatterns.from_rows(X, xp)
        out = xp.empty((X.shape[0], self.means.shape[0]), dtype=X.dtype)
        if patterns.complete.shape[0]:
            out[xp.asarray(patterns.complete_index)] = self.scorer.log_joint(
                backend, patterns.complete
            )
        for group in patterns.groups(xp):
            out[xp.asarray(group.index)] = self.group_log_joint(backend, group)
        return out

    def embedded(self, observed):
        """Patterns' parameters in the full feature space (the kernel's form).

        Patterns observing as many features are done together, in batched
        factorisations.

        Returns ``const`` (P, K), ``factors`` (P, K, D, D) upper or (P, K, D),
        ``slopes`` (P, K, D, D) (empty if diagonal) and the missing
        coordinates' conditional covariances (P, K, D, D) or (P, K, D).
        """
        n_patterns, n_features = observed.shape
        n_components = self.means.shape[0]
        if not self.full:
            factors = np.where(observed[:, None, :], self.precisions[None], 0.0)
            conditional = np.where(observed[:, None, :], 0.0, self.covariances[None])
            with np.errstate(divide="ignore"):
                log_det = np.sum(np.log(np.where(observed[:, None, :], factors, 1.0)),
                                 axis=2)  # fmt: skip
            const = self._const(log_det, observed)
            return const, factors, np.empty((0, 0, 0, 0)), conditional
        square = (n_patterns, n_components, n_features, n_features)
        factors, slopes, conditional = (
            np.zeros(square),
            np.zeros(square),
            np.zeros(square),
        )
        log_det = np.empty((n_patterns, n_components))
        n_observed = observed.sum(axis=1)
        for size in np.unique(n_observed):
            which = np.flatnonzero(n_observed == size)
            obs = np.stack([np.flatnonzero(observed[p]) for p in which])  # (Q, o)
            mis = np.stack([np.flatnonzero(~observed[p]) for p in which])  # (Q, m)
            S = self.covariances[None]  # (1, K, D, D)
            rows_o, rows_m = obs[:, None, :, None], mis[:, None, :, None]
            cols_o, cols_m = obs[:, None, None, :], mis[:, None, None, :]
            component = np.arange(n_components)[None, :, None, None]
            S_OO = S[0][component, rows_o, cols_o]  # (Q, K, o, o)
            S_OM = S[0][component, rows_o, cols_m]
            S_MM = S[0][component, rows_m, cols_m]
            lower = np.linalg.cholesky(S_OO)
            factor = np.swapaxes(np.linalg.inv(lower), -1, -2)  # upper, W W^T = S_OO^-1
            slope = np.linalg.solve(S_OO, S_OM)
            q = which[:, None, None, None]
            factors[q, component, rows_o, cols_o] = factor
            slopes[q, component, rows_o, cols_m] = slope
            conditional[q, component, rows_m, cols_m] = (
                S_MM - np.swapaxes(S_OM, -1, -2) @ slope
            )
            log_det[which] = np.sum(
                np.log(np.diagonal(factor, axis1=-2, axis2=-1)), axis=-1
            )
        return self._const(log_det, observed), factors, slopes, conditional

    def _const(self, log_det, observed):
        """``log w_k + log det F[p, k] - n_observed / 2 log(2 pi)``."""
        n_observed = observed.sum(axis=1)[:, None]
        return self.log_weights[None] + log_det - 0.5 * n_observed * _LOG_2PI

    def e_step_statistics(self, backend, patterns, shift):
        """:class:`GaussianStatistics` of rows with NaN: complete rows by the
        fused kernel, the others by the missing-value kernel, a batch of
        patterns at a time."""
        shift = np.asarray(shift, dtype=np.float64)
        statistics = None
        if patterns.complete.shape[0]:
            statistics = self.scorer.e_step_statistics(
                backend, patterns.complete, shift, patterns.complete_weight
            )
        n_components, n_features = shift.shape
        per_pattern = 3 * n_components * n_features * (n_features if self.full else 1)
        batch = max(1, _MAX_PATTERN_FLOATS // per_pattern)
        for first in range(0, patterns.n_patterns, batch):
            last = min(first + batch, patterns.n_patterns)
            part = self._batch_statistics(backend, patterns, first, last, shift)
            statistics = part if statistics is None else statistics + part
        return statistics

    def _batch_statistics(self, backend, patterns, first, last, shift):
        """Statistics of the rows of patterns ``first:last``."""
        start, stop = int(patterns.bounds[first]), int(patterns.bounds[last])
        X = patterns.incomplete[start:stop]
        weight = patterns.incomplete_weight
        weight = None if weight is None else weight[start:stop]
        const, factors, slopes, conditional = self.embedded(
            patterns.observed[first:last]
        )
        on_device = (backend.asarray(a, dtype=X.dtype)
                     for a in (const, self.means, factors, slopes, shift))  # fmt: skip
        log_lik, nk, sum_x, sum_xx, nk_pattern = (
            backend.kernels.missing_em_step_statistics(
                X, patterns.pattern[start:stop] - first, *on_device, weight
            )
        )
        n_samples = X.shape[0] if weight is None else _total(backend, weight)
        statistics = _collect(
            backend, n_samples, log_lik, nk, sum_x, sum_xx,
            backend.asarray(shift, dtype=X.dtype), X.dtype,
        )  # fmt: skip
        # The missing coordinates' conditional covariance, once per unit of
        # responsibility.
        nk_pattern = np.asarray(backend.to_numpy(nk_pattern), dtype=np.float64)
        subscripts = "pk,pkab->kab" if self.full else "pk,pka->ka"
        statistics.sum_xx[...] += np.einsum(subscripts, nk_pattern, conditional)
        return statistics

    # ---------------------------------------------------------- imputation
    def conditional_means(self, backend, group):
        """Per component, the rows' missing coordinates' conditional means:
        shape (K, n_rows, n_missing), on the host."""
        marginal = self.marginal(group.observed)
        values = np.asarray(backend.to_numpy(group.values), dtype=np.float64)
        obs, mis = np.flatnonzero(group.observed), np.flatnonzero(~group.observed)
        shape = (self.means.shape[0], values.shape[0], mis.size)
        if marginal.slopes is None:
            return np.broadcast_to(self.means[:, None, mis], shape)
        centred = values[None] - self.means[:, None, obs]
        return self.means[:, None, mis] + centred @ marginal.slopes
