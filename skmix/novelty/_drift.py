"""Drift monitoring over a stream of batches with a conformal test martingale.

Under exchangeability of the reference rows and the stream, the smoothed
conformal p-values of the stream's rows, each computed against the
reference and every earlier stream row, are independent and uniform (Vovk,
Gammerman and Shafer 2005, ch. 7). A betting martingale on them,

    M_n = mean over eps in a grid of prod_{i <= n} eps * p_i ** (eps - 1),

is then a non-negative martingale with ``M_0 = 1``, so by Ville's inequality
``P(sup_n M_n >= 1 / level) <= level``: an alarm when ``M_n`` reaches
``1 / level`` is a false alarm with probability at most `level` over the
whole stream, however long (Vovk, Petej, Nouretdinov, Ahlberg, Carlsson and
Gammerman 2021, "Retrain or not retrain: conformal test martingales for
change-point detection", PMLR 152). Small p-values (rows scoring below
the reference) make the bets with ``eps < 1`` grow.
"""

from typing import NamedTuple

import numba
import numpy as np
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_is_fitted

from ..utils import check_param_float, check_param_int

#: Betting exponents: midpoints of 100 equal bins of (0, 1).
BETTING_EXPONENTS = (np.arange(100) + 0.5) / 100


@numba.njit(cache=True)
def _earlier_counts(ranks, n_ranks):
    """Per row ``i``: how many rows ``j < i`` have a smaller rank, and how
    many the same rank (a Fenwick tree over ranks, O(m log m))."""
    tree = np.zeros(n_ranks + 1, dtype=np.int64)
    same = np.zeros(n_ranks, dtype=np.int64)
    below = np.empty(ranks.size, dtype=np.int64)
    equal = np.empty(ranks.size, dtype=np.int64)
    for i in range(ranks.size):
        r = ranks[i]
        total, k = 0, r  # prefix sum over ranks < r
        while k > 0:
            total += tree[k]
            k -= k & -k
        below[i], equal[i] = total, same[r]
        k = r + 1
        while k <= n_ranks:
            tree[k] += 1
            k += k & -k
        same[r] += 1
    return below, equal


def sequential_conformal_p_values(scores, reference, rng):
    """Smoothed conformal p-values of `scores`, in order, each against the
    `reference` scores and every earlier score (low scores are strange).

    ``p_i = (#{s < s_i} + u_i (#{s = s_i} + 1)) / (n_i + 1)`` over the
    ``n_i`` scores before row ``i``, ``u_i`` uniform on (0, 1).

    Parameters
    ----------
    scores : ndarray of shape (m,)
    reference : ndarray of shape (n,), sorted
    rng : numpy.random.Generator

    Returns
    -------
    p_values : ndarray of shape (m,)
    """
    scores = np.asarray(scores, dtype=np.float64)
    below = np.searchsorted(reference, scores, side="left")
    equal = np.searchsorted(reference, scores, side="right") - below
    distinct, ranks = np.unique(scores, return_inverse=True)
    earlier_below, earlier_equal = _earlier_counts(
        ranks.astype(np.int64), distinct.size
    )
    n_before = reference.size + np.arange(scores.size)
    u = rng.uniform(size=scores.size)
    return (below + earlier_below + u * (equal + earlier_equal + 1)) / (n_before + 1)


def log_mixture_martingale(log_bets):
    """``log`` of the mean of ``exp(log_bets)`` over the betting exponents."""
    top = np.max(log_bets)
    return float(top + np.log(np.mean(np.exp(log_bets - top))))


class DriftAlarm(NamedTuple):
    """The monitor's state after a batch.

    Attributes
    ----------
    alarm : bool
        Whether the martingale has reached ``1 / level`` (it stays raised
        until :meth:`ConformalDriftMonitor.reset`).
    martingale : float
        ``M_n``, the evidence against "the stream looks like the reference"
        (a likelihood ratio: 100 means 100 to 1).
    n_rows : int
        Stream rows monitored so far.
    """

    alarm: bool
    martingale: float
    n_rows: int


class ConformalDriftMonitor:
    """Watch a stream of batches for a change in a novelty detector's scores,
    with a false-alarm probability of at most `level` over the whole stream.

    The rows' scores (``detector.score_samples``) are turned into sequential
    conformal p-values against the detector's reference scores
    (``reference_scores_``: its calibration rows) and the stream so far,
    and a conformal test martingale bets on them (see the module's
    docstring). While the stream is exchangeable with the reference the
    martingale stays small; after a change that lowers the scores (a level
    shift, new kinds of rows) it grows geometrically and raises an alarm
    when it reaches ``1 / level``.

    Parameters
    ----------
    detector : fitted OpenSetGMMDetector or GaussianMixtureNoveltyDetector
    level : float in (0, 1), default=0.01
        Probability of any false alarm on an unchanged stream.
    max_rows_per_batch : int, default=1000
        At most this many rows of each batch, drawn at random, are monitored
        (a random subsample keeps the guarantee), so time and memory grow by
        at most that much per batch.
    random_state : int, RandomState instance or None, default=None
        The subsample and the p-values' tie-breaking.

    Attributes
    ----------
    martingale_, log_martingale_ : float
    alarm_ : bool
    alarm_batch_ : int or None
        Index of the batch that raised the alarm.
    history_ : list of float
        ``M_n`` after each batch.
    n_rows_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.novelty import ConformalDriftMonitor, GaussianMixtureNoveltyDetector
    >>> rng = np.random.default_rng(0)
    >>> detector = GaussianMixtureNoveltyDetector(random_state=0)
    >>> detector = detector.fit(rng.normal(size=(2000, 3)))
    >>> monitor = ConformalDriftMonitor(detector, random_state=0)
    >>> [monitor.update(rng.normal(size=(200, 3))).alarm for _ in range(3)]
    [False, False, False]
    >>> monitor.update(rng.normal(1.5, 1.0, size=(200, 3))).alarm
    True
    """

    def __init__(
        self, detector, *, level=0.01, max_rows_per_batch=1000, random_state=None
    ):
        check_param_float(level, "level", 0.0, 1.0, "neither")
        check_param_int(max_rows_per_batch, "max_rows_per_batch", 1)
        self.detector = detector
        self.level = level
        self.max_rows_per_batch = max_rows_per_batch
        self.random_state = random_state
        self.reset()

    def reset(self, detector=None):
        """Start over against the (possibly refitted or updated) detector's
        current reference scores.

        Parameters
        ----------
        detector : fitted detector, default=None
            A replacement for ``self.detector``.

        Returns
        -------
        self : ConformalDriftMonitor
        """
        if detector is not None:
            self.detector = detector
        check_is_fitted(self.detector)
        inner = getattr(self.detector, "detector_", self.detector)
        self._seen = np.sort(np.asarray(inner.reference_scores_, dtype=np.float64))
        self._rng = np.random.default_rng(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )
        self._log_bets = np.zeros(BETTING_EXPONENTS.size)
        self.martingale_, self.log_martingale_ = 1.0, 0.0
        self.alarm_, self.alarm_batch_ = False, None
        self.history_, self.n_rows_, self._n_batches = [], 0, 0
        return self

    def update(self, X):
        """Monitor one batch.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        DriftAlarm
        """
        n_rows = np.shape(X)[0]
        rows = np.arange(n_rows)
        if n_rows > self.max_rows_per_batch:
            rows = np.sort(self._rng.choice(n_rows, self.max_rows_per_batch, False))
            X = _safe_indexing(X, rows)
        scores = np.asarray(self.detector.score_samples(X), dtype=np.float64)
        p_values = sequential_conformal_p_values(scores, self._seen, self._rng)
        self._seen = np.sort(np.concatenate([self._seen, scores]))
        eps = BETTING_EXPONENTS
        self._log_bets += scores.size * np.log(eps) + (eps - 1) * np.log(p_values).sum()
        self.log_martingale_ = log_mixture_martingale(self._log_bets)
        with np.errstate(over="ignore"):  # inf is overwhelming evidence
            self.martingale_ = float(np.exp(self.log_martingale_))
        self.n_rows_ += scores.size
        if not self.alarm_ and self.log_martingale_ >= -np.log(self.level):
            self.alarm_, self.alarm_batch_ = True, self._n_batches
        self._n_batches += 1
        self.history_.append(self.martingale_)
        return DriftAlarm(self.alarm_, self.martingale_, self.n_rows_)
