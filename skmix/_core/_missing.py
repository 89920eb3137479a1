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

from .._math._statistics import _collect


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
    weight : array of shape (n_rows,) or None
    """

    observed: np.ndarray
    index: np.ndarray
    values: object
    weight: object = None


@dataclass(frozen=True)
class MissingPatterns:
    """Rows split into complete ones and groups by missingness pattern.

    Attributes
    ----------
    complete : array of shape (n_complete, n_features)
        Rows without NaN, on the rows' device (for the fused kernel).
    complete_index : ndarray of int
    complete_weight : array or None
    groups : list of PatternGroup
        One per pattern with at least one missing value.
    n_samples : int
    """

    complete: object
    complete_index: np.ndarray
    complete_weight: object
    groups: list
    n_samples: int

    @classmethod
    def from_rows(cls, X, xp, sample_weight=None):
        """Group the rows of `X` (NumPy or CuPy) by their NaN pattern."""
        missing = xp.isnan(X)
        mask = np.asarray(missing.get() if hasattr(missing, "get") else missing)
        n_samples, n_features = mask.shape
        # One key per pattern: the packed bits of the row's mask.
        keys = np.packbits(mask, axis=1)
        keys = np.ascontiguousarray(keys).view(np.dtype((np.void, keys.shape[1])))
        _, first, inverse = np.unique(keys[:, 0], return_index=True,
                                      return_inverse=True)  # fmt: skip
        inverse = inverse.ravel()
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(first.size + 1))
        groups, complete_index = [], np.empty(0, dtype=np.int64)
        for p in range(first.size):
            index = order[bounds[p] : bounds[p + 1]]
            observed = ~mask[first[p]]
            if observed.all():
                complete_index = index
                continue
            device_index = xp.asarray(index)
            values = X[device_index][:, xp.asarray(np.flatnonzero(observed))]
            weight = None if sample_weight is None else sample_weight[device_index]
            groups.append(PatternGroup(observed, index, values, weight))
        device_index = xp.asarray(complete_index)
        complete_weight = None if sample_weight is None else sample_weight[device_index]
        return cls(X[device_index], complete_index, complete_weight, groups,
                   n_samples)  # fmt: skip


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
    inverse = np.linalg.inv(precisions)  # U^-1, upper triangular
    return np.swapaxes(inverse, 1, 2) @ inverse  # (U U^T)^-1 = U^-T U^-1


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


class MissingScorer:
    """A :class:`~skmix._core.ComponentScorer`'s kernels on rows with NaN.

    Parameters
    ----------
    scorer : ComponentScorer
    """

    def __init__(self, scorer):
        self.scorer = scorer
        self.means = np.asarray(scorer.means, dtype=np.float64)
        self.precisions = np.asarray(scorer.precisions, dtype=np.float64)
        self.covariances = _covariances(self.precisions)
        self._marginals = {}

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
        return log_prob + backend.asarray(self.scorer.log_weights, dtype=dtype)

    def log_joint(self, backend, X, patterns=None):
        """(n_samples, K) log joint of rows with or without NaN."""
        xp = backend.xp
        patterns = patterns or MissingPatterns.from_rows(X, xp)
        out = xp.empty((X.shape[0], self.means.shape[0]), dtype=X.dtype)
        if patterns.complete.shape[0]:
            out[xp.asarray(patterns.complete_index)] = self.scorer.log_joint(
                backend, patterns.complete
            )
        for group in patterns.groups:
            out[xp.asarray(group.index)] = self.group_log_joint(backend, group)
        return out

    def e_step_statistics(self, backend, patterns, shift):
        """:class:`GaussianStatistics` of rows with NaN: complete rows by the
        fused kernel, each pattern with its conditional expectations."""
        xp = backend.xp
        shift = np.asarray(shift, dtype=np.float64)
        n_components, n_features = shift.shape
        full = self.precisions.ndim == 3
        statistics = None
        if patterns.complete.shape[0]:
            statistics = self.scorer.e_step_statistics(
                backend, patterns.complete, shift, patterns.complete_weight
            )
        for group in patterns.groups:
            part = self._group_statistics(backend, xp, group, shift, full)
            statistics = part if statistics is None else statistics + part
        return statistics

    def _group_statistics(self, backend, xp, group, shift, full):
        marginal = self.marginal(group.observed)
        log_joint = self.group_log_joint(backend, group)
        log_norm = backend.kernels.logsumexp_rows(log_joint)
        with np.errstate(under="ignore", invalid="ignore"):
            resp = xp.exp(log_joint - log_norm[:, None])
        if group.weight is not None:
            resp = resp * group.weight[:, None]
            log_norm = log_norm * group.weight
        M = np.flatnonzero(~group.observed)
        n_rows, dtype = group.values.shape[0], group.values.dtype
        n_components, n_features = shift.shape
        sum_x = xp.empty((n_components, n_features), dtype=dtype)
        second = (n_features, n_features) if full else (n_features,)
        sum_xx = xp.empty((n_components, *second), dtype=dtype)
        filled = xp.empty((n_rows, n_features), dtype=dtype)
        O_dev = xp.asarray(np.flatnonzero(group.observed))
        M_dev = xp.asarray(M)
        filled[:, O_dev] = group.values
        for k in range(n_components):
            mean = backend.asarray(self.means[k], dtype=dtype)
            if full:
                slopes = backend.asarray(marginal.slopes[k], dtype=dtype)
                filled[:, M_dev] = mean[M_dev] + (group.values - mean[O_dev]) @ slopes
            else:
                filled[:, M_dev] = mean[M_dev]
            d = filled - backend.asarray(shift[k], dtype=dtype)
            weighted = d * resp[:, k : k + 1]
            sum_x[k] = xp.sum(weighted, axis=0)
            sum_xx[k] = weighted.T @ d if full else xp.sum(weighted * d, axis=0)
        n_samples = n_rows if group.weight is None else float(xp.sum(group.weight))
        statistics = _collect(
            backend, n_samples, float(xp.sum(log_norm)), xp.sum(resp, axis=0),
            sum_x, sum_xx, backend.asarray(shift, dtype=dtype), dtype,
        )  # fmt: skip
        # The missing coordinates' conditional covariance, once per unit of
        # responsibility.
        sum_xx = statistics.sum_xx
        if full:
            sum_xx[:, M[:, None], M] += (
                statistics.nk[:, None, None] * marginal.conditional
            )
        else:
            sum_xx[:, M] += statistics.nk[:, None] * marginal.conditional
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
