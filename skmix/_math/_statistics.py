"""Additive sufficient statistics of a Gaussian mixture E-step.

EM for every Gaussian-based model in skmix is: E-step -> these statistics ->
M-step. Because they add, fitting in one pass, streaming with ``partial_fit``
and fitting over chunks or Dask partitions are the same code: map the E-step
over chunks, ``+`` the results, run one M-step.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaussianStatistics:
    """Responsibility-weighted moments of a set of rows, about a shift.

    Moments are taken about ``shift`` (normally the current means) rather than
    the origin, so that the covariance ``E[(x - s)(x - s)^T] - d d^T`` with
    ``d = E[x - s]`` small suffers no cancellation, float32 data included.

    Attributes
    ----------
    n_samples : int or float
        Number of rows summarised (the sum of their frequency weights when
        the rows are weighted).
    log_likelihood : float
        ``sum_i log p(x_i)`` under the parameters used for the E-step (NaN when
        the responsibilities did not come from an E-step, as at initialisation).
    nk : ndarray of shape (n_components,)
        ``sum_i r_ik``.
    sum_x : ndarray of shape (n_components, n_features)
        ``sum_i r_ik (x_i - shift_k)``.
    sum_xx : ndarray of shape (n_components, n_features, n_features) or \
            (n_components, n_features)
        ``sum_i r_ik (x_i - shift_k)(x_i - shift_k)^T``, or its diagonal.
    shift : ndarray of shape (n_components, n_features)
    """

    n_samples: int
    log_likelihood: float
    nk: np.ndarray
    sum_x: np.ndarray
    sum_xx: np.ndarray
    shift: np.ndarray

    @property
    def full(self):
        """Whether the second moments are full matrices."""
        return self.sum_xx.ndim == 3

    def recenter(self, shift):
        """The same statistics taken about another shift (exact)."""
        shift = np.asarray(shift, dtype=np.float64)
        delta = self.shift - shift  # x - new = (x - old) + delta
        sum_x = self.sum_x + self.nk[:, None] * delta
        if self.full:
            cross = self.sum_x[:, :, None] * delta[:, None, :]
            sum_xx = (
                self.sum_xx
                + cross
                + np.swapaxes(cross, 1, 2)
                + self.nk[:, None, None] * delta[:, :, None] * delta[:, None, :]
            )
        else:
            sum_xx = self.sum_xx + 2 * self.sum_x * delta + self.nk[:, None] * delta**2
        return GaussianStatistics(
            self.n_samples, self.log_likelihood, self.nk, sum_x, sum_xx, shift
        )

    def __add__(self, other):
        if not isinstance(other, GaussianStatistics):
            return NotImplemented
        if self.sum_xx.shape != other.sum_xx.shape:
            raise ValueError(
                "Cannot add statistics of different shapes: "
                f"{self.sum_xx.shape} and {other.sum_xx.shape}."
            )
        if not np.array_equal(self.shift, other.shift):
            other = other.recenter(self.shift)
        return GaussianStatistics(
            self.n_samples + other.n_samples,
            self.log_likelihood + other.log_likelihood,
            self.nk + other.nk,
            self.sum_x + other.sum_x,
            self.sum_xx + other.sum_xx,
            self.shift,
        )

    def scaled(self, factor):
        """The statistics with every row's weight multiplied by `factor`
        (exponential forgetting in online EM)."""
        return GaussianStatistics(
            self.n_samples * factor, self.log_likelihood * factor, self.nk * factor,
            self.sum_x * factor, self.sum_xx * factor, self.shift,
        )  # fmt: skip

    def components(self, index):
        """The statistics of some components only (``index`` into the
        component axis); the log-likelihood is the whole mixture's."""
        return GaussianStatistics(
            self.n_samples, self.log_likelihood, self.nk[index],
            self.sum_x[index], self.sum_xx[index], self.shift[index],
        )  # fmt: skip

    @property
    def mean_log_likelihood(self):
        """Average log-likelihood per row (scikit-learn's ``lower_bound_``)."""
        return self.log_likelihood / self.n_samples


#: Largest magnitude whose square stays finite, per floating dtype.
_SQUARE_LIMIT = {
    np.dtype(t): float(np.sqrt(np.finfo(t).max)) for t in (np.float32, np.float64)
}


def _collect(backend, n_samples, log_lik, nk, sum_x, sum_xx, shift, dtype=None):
    def host(array):
        return np.asarray(backend.to_numpy(array), dtype=np.float64)

    log_lik = float(log_lik)
    if dtype is not None and not np.isfinite(log_lik):
        # Gaussian log-densities of finite rows are finite unless a squared
        # distance overflows.
        limit = _SQUARE_LIMIT.get(np.dtype(dtype), _SQUARE_LIMIT[np.dtype("f8")])
        raise ValueError(
            "The log-likelihood of X is not finite: squared distances "
            f"overflow {np.dtype(dtype).name} (values near or above {limit:.0e} "
            "in magnitude, or a collapsed covariance). Rescale the data."
        )
    return GaussianStatistics(
        n_samples, log_lik, host(nk), host(sum_x), host(sum_xx), host(shift)
    )


def e_step_statistics(backend, X, log_weights, means, precisions_chol, shift,
                      sample_weight=None):  # fmt: skip
    """Run the fused E-step kernel of `backend` and collect its statistics.

    Parameters
    ----------
    backend : Backend
    X : array of shape (n_samples, n_features), on the backend's device
    log_weights, means, precisions_chol : ndarray
        Current parameters; `precisions_chol` in kernel form (see
        :func:`skmix._math.kernel_precisions`).
    shift : ndarray of shape (n_components, n_features)
    sample_weight : array of shape (n_samples,) or None, default=None
        Frequency weights of the rows, on the backend's device.

    Returns
    -------
    stats : GaussianStatistics
    """
    as_device = backend.asarray
    # Record the shift as the kernel saw it (rounded to X's dtype), so that
    # recentring stays exact for float32 data.
    shift = as_device(shift, dtype=X.dtype)
    log_lik, nk, sum_x, sum_xx = backend.kernels.em_step_statistics(
        X,
        as_device(log_weights, dtype=X.dtype),
        as_device(means, dtype=X.dtype),
        as_device(precisions_chol, dtype=X.dtype),
        shift,
        sample_weight=sample_weight,
    )
    n_samples = X.shape[0] if sample_weight is None else _total(backend, sample_weight)
    return _collect(backend, n_samples, log_lik, nk, sum_x, sum_xx, shift, X.dtype)


def _total(backend, sample_weight):
    return float(backend.to_numpy(backend.xp.sum(sample_weight)))


def responsibility_statistics(backend, X, resp, shift, full, sample_weight=None):
    """Statistics for given responsibilities (initialisation, labelled data),
    each row counted ``sample_weight`` times if given."""
    shift = backend.asarray(shift, dtype=X.dtype)  # as the kernel sees it
    resp = backend.asarray(resp, dtype=X.dtype)
    n_samples = X.shape[0]
    if sample_weight is not None:
        sample_weight = backend.asarray(sample_weight, dtype=X.dtype)
        resp = resp * sample_weight[:, None]
        n_samples = _total(backend, sample_weight)
    nk, sum_x, sum_xx = backend.kernels.weighted_moments(X, resp, shift, full)
    return _collect(backend, n_samples, float("nan"), nk, sum_x, sum_xx, shift)
