"""Open-set recognition with class-conditional Gaussian mixtures."""

import copy
import math
import warnings
from typing import NamedTuple

import numpy as np
from scipy.stats import ks_2samp, kstwo
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import ClassifierTags, check_random_state, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._backend import is_cupy_array, resolve_backend
from .._backend._numpy import logsumexp_rows
from .._core import (
    bic,
    check_dask_samples,
    covariance_model_names,
    get_covariance_model,
    is_dask_array,
    progress,
    progress_reporter,
    rowwise,
    stack_scorers,
)
from .._math import pooled_within_class_covariance
from ..exceptions import DegenerateMixtureWarning
from ..mixture import GaussianMixture, GaussianMixtureSelector
from ..utils import (
    check_fitted_input,
    check_label_vector,
    check_n_components_grid,
    check_param_float,
    check_param_int,
    check_param_option,
    check_sample_weight,
    check_samples,
    record_input_features,
)

DENSITIES = ("per_class", "global")
SELECTIONS = ("bic", "validation")
# Candidates for covariance_type="auto" ('tied' is per class the same as 'full').
SELECTED_COVARIANCE_TYPES = ("full", "diag", "spherical")
# reg_covar="auto": these fractions of the mean feature variance.
RELATIVE_REG_COVAR_GRID = (1e-6, 1e-3, 1e-2, 1e-1)
VALIDATION_SIZE = 0.25
# selection="bic": reg_covar="auto" is this fraction of the mean
# within-class variance (a floor only: mclust's prior does the regularising).
BIC_RELATIVE_REG_COVAR = 1e-3
# selection="bic": a class's candidates are compared on at most this many of
# its rows; the chosen one is then refitted on all of them.
BIC_SELECTION_ROWS = 1000
# selection="bic": a class with at most this many rows per feature borrows the
# common covariance (its own full one has d(d+1)/2 parameters).
OWN_COVARIANCE_ROWS_PER_FEATURE = 2
# selection="bic": a candidate with more components than the best so far runs
# this many EM steps, then stops if it cannot catch up (see _cannot_win).
CANDIDATE_TRIAL_STEPS = 5
# ... where "cannot" allows this many times the gain Aitken's extrapolation
# of its log-likelihood promises.
CANDIDATE_GAIN_SAFETY = 10.0
# drift: up to this many rows in the batch and the reference, scipy's exact
# KS p-value from the scores in memory (its own cut between exact and
# asymptotic); larger batches are counted chunk by chunk.
KS_EXACT_ROWS = 10_000
# Dask input: settings are selected on at most this many rows per class.
SELECTION_SAMPLE_PER_CLASS = 20_000


def _remaining_gain(log_likelihoods):
    """Aitken's estimate of the log-likelihood an EM run still gains: with
    linear convergence at rate ``a = d_t / d_{t-1}`` (``d`` the last two
    increments), ``d_t a / (1 - a)``; infinite when the increments do not
    shrink (the run has not reached its linear phase). See McNicholas et al.
    (2010), "Serial and parallel implementations of model-based clustering
    via parsimonious Gaussian mixture models", CSDA 54(3), 711-723."""
    if len(log_likelihoods) < 3:
        return np.inf
    previous, last = np.diff(log_likelihoods[-3:])
    if previous <= 0 or last < 0 or last >= previous:
        return np.inf
    rate = last / previous
    return last * rate / (1.0 - rate)


class DriftResult(NamedTuple):
    """Two-sample Kolmogorov-Smirnov comparison of novelty scores.

    Attributes
    ----------
    statistic : float
        Largest distance between the batch's and the reference's score CDFs.
    pvalue : float
    n_batch, n_reference : int
    """

    statistic: float
    pvalue: float
    n_batch: int
    n_reference: int


def stack_mixtures(mixtures, priors):
    """One scorer for weighted mixtures: weights ``prior_c * w_ck``, and the
    index ``c`` of its mixture as each component's owner."""
    with np.errstate(divide="ignore"):  # a class of prior 0 is a valid -inf
        log_priors = np.log(np.asarray(priors, dtype=np.float64))
    return stack_scorers(
        [
            mixture._fitted_components().scorer(log_prior)
            for mixture, log_prior in zip(mixtures, log_priors, strict=True)
        ]
    )


def _sorted_with_weights(scores, weights):
    """Sorted scores and the cumulative frequency weights along them (None
    without weights)."""
    scores = np.asarray(scores, dtype=np.float64)
    if weights is None:
        return np.sort(scores), None
    order = np.argsort(scores, kind="stable")
    return scores[order], np.cumsum(np.asarray(weights, dtype=np.float64)[order])


def conformal_p_values(scores, calibration_scores, calibration_weights=None):
    """Split-conformal p-values: ``(1 + #{calibration <= s}) / (n + 1)``.

    Under exchangeability of a new inlier with the calibration inliers,
    ``P(p <= alpha) <= alpha`` for every ``alpha``. With frequency
    `calibration_weights`, a calibration score of weight ``w`` counts ``w``
    times: ``(1 + sum_{calibration <= s} w) / (sum w + 1)``.
    """
    calibration, cumulative = _sorted_with_weights(
        calibration_scores, calibration_weights
    )
    counts = np.searchsorted(calibration, scores, side="right")
    if cumulative is None:
        return (1.0 + counts) / (calibration.size + 1.0)
    counts = np.concatenate([[0.0], cumulative])[counts]
    return (1.0 + counts) / (cumulative[-1] + 1.0)


def benjamini_hochberg(p_values, fdr):
    """Which hypotheses the Benjamini-Hochberg step-up procedure rejects.

    Rejects the ``k`` smallest p-values, ``k`` the largest rank with
    ``p_(k) <= k fdr / m``. On split-conformal p-values of a batch of test
    rows this controls the false discovery rate of the flags at `fdr`
    (Bates, Candes, Lei, Romano and Sesia, "Testing for outliers with
    conformal p-values", Ann. Statist. 2023: the p-values are positively
    dependent, PRDS).

    Parameters
    ----------
    p_values : array-like of shape (m,)
    fdr : float in (0, 1)

    Returns
    -------
    rejected : ndarray of bool, shape (m,)
    """
    p = np.asarray(p_values, dtype=np.float64).ravel()
    if p.size and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise ValueError("p_values must lie in [0, 1].")
    order = np.argsort(p, kind="stable")
    below = p[order] <= fdr * np.arange(1, p.size + 1) / max(p.size, 1)
    rejected = np.zeros(p.size, dtype=bool)
    if below.any():
        rejected[order[: np.flatnonzero(below)[-1] + 1]] = True
    return rejected


def _chunked_bincount(codes, n_bins, chunk=1 << 20):
    """``np.bincount(codes, minlength=n_bins)`` a million codes at a time
    (bincount copies its input to intp: 8 bytes a row at once otherwise)."""
    counts = np.zeros(n_bins, dtype=np.int64)
    for start in range(0, len(codes), chunk):
        counts += np.bincount(codes[start : start + chunk], minlength=n_bins)
    return counts


def ks_reference_cells(reference_scores):
    """The distinct sorted reference scores ``u_1 < ... < u_k`` and how many
    reference scores are at most each: ``at_or_below[j]`` for ``u_j``
    (``at_or_below[0] = 0``)."""
    values, counts = np.unique(
        np.asarray(reference_scores, np.float64), return_counts=True
    )
    return values, np.concatenate([[0], np.cumsum(counts)])


def ks_cell_codes(scores, values):
    """Each score's cell among the distinct reference scores `values`:
    ``2 j`` strictly between ``u_j`` and ``u_{j+1}``, ``2 j + 1`` equal to
    ``u_{j+1}``. Cells are in score order, so their counts give the batch's
    empirical CDF wherever the reference's jumps."""
    scores = np.asarray(scores, np.float64)
    below = np.searchsorted(values, scores, side="left")
    equal = values[np.minimum(below, values.size - 1)] == scores
    return (2 * below + equal).astype(np.int32)


def ks_two_sample_from_cells(cell_counts, at_or_below):
    """scipy's two-sided two-sample KS test (asymptotic p-value) from the
    batch's counts per :func:`ks_cell_codes` cell.

    ``sup |F_batch - F_reference|`` is reached at a data point; each cell's
    upper end is one (a batch row's or a reference score), and every data
    point is some cell's upper end, so the statistic is ``ks_2samp``'s. Its
    p-value is ``ks_2samp``'s for samples over ``KS_EXACT_ROWS``: Smirnov's
    limit ``kstwo.sf(d, round(m n / (m + n)))``.
    """
    m, n = int(cell_counts.sum()), int(at_or_below[-1])
    batch = np.cumsum(cell_counts) / m
    reference = at_or_below[(np.arange(cell_counts.size) + 1) // 2] / n
    difference = batch - reference
    statistic = float(max(difference.max(), np.clip(-difference.min(), 0.0, 1.0)))
    large, small = sorted([float(m), float(n)], reverse=True)
    pvalue = float(
        np.clip(kstwo.sf(statistic, np.round(large * small / (large + small))), 0, 1)
    )
    return statistic, pvalue


def _bh_position(positions, calibration_scores, calibration_weights, fdr):
    """The largest calibration position that Benjamini-Hochberg rejects at
    `fdr` (-1 for none), given each row's position (the number of
    calibration scores at or below its score).

    The p-value at position ``j`` is :func:`conformal_p_values`'s; rows at
    positions up to ``j`` are those with p-values up to it, so
    ``p_(k) <= k fdr / m`` is checked at each position with ``k`` the rows
    at or below it, as :func:`benjamini_hochberg` does on sorted p-values.
    """
    _, cumulative = _sorted_with_weights(calibration_scores, calibration_weights)
    n = len(calibration_scores)
    if cumulative is None:
        p_at = (1.0 + np.arange(n + 1)) / (n + 1.0)
    else:
        p_at = (1.0 + np.concatenate([[0.0], cumulative])) / (cumulative[-1] + 1.0)
    rows_at_or_below = np.cumsum(_chunked_bincount(positions, n + 1))
    m = max(len(positions), 1)
    rejected = np.flatnonzero(p_at <= fdr * rows_at_or_below / m)
    return int(rejected[-1]) if rejected.size else -1


def conformal_threshold(calibration_scores, alpha, calibration_weights=None):
    """Largest score whose conformal p-value is at most `alpha` (-inf if none).

    Flagging ``score <= threshold`` is the same as ``p-value <= alpha``
    (with `calibration_weights` as in :func:`conformal_p_values`).
    """
    calibration, cumulative = _sorted_with_weights(
        calibration_scores, calibration_weights
    )
    if cumulative is None:
        rank = math.floor(alpha * (calibration.size + 1))  # p <= alpha <=> count < rank
        if rank < 1:
            return -np.inf
        # Scores strictly below the rank-th smallest calibration score have
        # count <= rank - 1; the threshold sits just below it.
        return float(np.nextafter(calibration[rank - 1], -np.inf))
    # p <= alpha <=> 1 + count <= alpha (n + 1): the threshold sits just below
    # the first score whose cumulative weight breaks it (for integer weights,
    # the rank-th smallest of the repeated scores).
    bound = alpha * (cumulative[-1] + 1.0)
    if bound < 1.0:
        return -np.inf
    first = np.searchsorted(1.0 + cumulative, bound, side="right")
    return float(np.nextafter(calibration[first], -np.inf))


def weighted_quantile(values, q, weights=None):
    """``np.quantile(values, q)`` (linear interpolation) of the values
    repeated by their frequency `weights`, without repeating them.

    The repeated values are a step function of the position ``j`` in
    ``[0, sum w)``; the quantile interpolates it at ``(sum w - 1) q``, which
    for integer weights is NumPy's quantile of the repeated values.
    """
    if weights is None:
        return float(np.quantile(values, q))
    ordered, cumulative = _sorted_with_weights(values, weights)
    position = (cumulative[-1] - 1.0) * q  # NumPy's virtual index
    if position <= 0:
        return float(ordered[0])
    low = math.floor(position)
    index = np.searchsorted(cumulative, [low, low + 1], side="right")
    a, b = ordered[np.minimum(index, ordered.size - 1)]
    t = position - low
    # NumPy's lerp, exact at both ends.
    return float(a + (b - a) * t if t < 0.5 else b - (b - a) * (1.0 - t))


class OpenSetGMMDetector(BaseEstimator):
    """Classify known classes and flag novel inputs with Gaussian mixtures.

    One Gaussian mixture per known class (its number of components chosen by
    BIC in `n_components`) gives class posteriors and a novelty score, the
    log-density ``log sum_c pi_c p_c(x)`` of the known classes (or, with
    ``density='global'``, of one mixture fitted to all known rows). Rows
    scoring below ``offset_`` are novel.

    The threshold needs no contamination estimate: with
    ``contamination='auto'`` a stratified `calibration_size` share of the
    training rows is held out, the mixtures are fitted on the rest, and
    ``offset_`` is set by split-conformal calibration so that the
    false-alarm rate on inliers is at most `alpha` (a finite-sample guarantee
    for exchangeable inliers). A float contamination uses that training
    quantile, as in scikit-learn's detectors.

    Scoring runs in chunks of `chunk_size` rows on the Numba or CuPy kernels,
    so memory stays bounded for memory-mapped arrays larger than RAM; dask
    arrays are scored block by block, lazily.

    It is an open-set recogniser, neither a plain classifier (its predictions
    include a novelty label and ``decision_function`` is the novelty margin, as
    in scikit-learn's novelty detectors) nor an outlier detector (it predicts
    classes, not +1/-1); :meth:`score` is the open-set accuracy.

    Parameters
    ----------
    n_components : sequence of int, default=(1, 2, 3, 4, 5)
        Candidates for each class's mixture (and the global one).
    covariance_type : {'auto', 'full', 'tied', 'diag', 'spherical'} or an \
            mclust name, default='auto'
        With ``selection='bic'``, 'auto' gives the classes either their own
        full-covariance mixtures (MAP estimates under mclust's conjugate
        prior, ``prior='default'`` of :class:`~skmix.mixture.GaussianMixture`)
        or one Gaussian each with the classes' common within-class
        covariance, whichever has the lower BIC over all fitting rows
        (MclustDA's choice between class-wise and common structures). With
        ``selection='validation'``, 'auto' chooses among full, diag and
        spherical, as described there. A name fixes the structure of every
        class's mixture.
    selection : {'bic', 'validation'}, default='bic'
        How the settings are chosen; calibration rows take no part in either,
        so the conformal guarantee holds.

        - 'bic': on all fitting rows, no split. Per class, the number of
          components in `n_components` (tried in increasing order until BIC
          stops improving) minimises BIC, computed on at most 1000 of the
          class's rows (then the chosen mixture is refitted on all of them);
          then the covariance (see `covariance_type`). Fast,
          and robust on small classes: the prior keeps every covariance
          positive definite and pulls small classes' covariances towards
          their scale.
        - 'validation': the detector of skmix 0.1: covariance type (full,
          diag, spherical for 'auto') and `reg_covar` (for 'auto') chosen by
          the log-likelihood of a stratified 25% validation split of the
          fitting rows, then refitted on all fitting rows (12 settings, each
          a BIC search over `n_components`: slower, and less stable on small
          classes).
    reg_covar : 'auto' or float, default='auto'
        Added to covariance diagonals. With ``selection='bic'``, 'auto' is
        1e-3 times the mean within-class variance of the features. With
        ``selection='validation'``, 'auto' chooses among 1e-6, 1e-3, 1e-2 and
        1e-1 times the mean feature variance, jointly with `covariance_type`.
        Few rows per class in many dimensions need far more than
        GaussianMixture's 1e-6: on the leave-one-class-out benchmark, full
        covariances with 1e-6 and no prior lost 0.10 AUROC on wine and
        digits.
    density : {'per_class', 'global'}, default='per_class'
        Novelty score from the class-conditional mixtures or from one mixture
        of all known rows.
    contamination : 'auto' or float in (0, 0.5], default='auto'
    alpha : float in (0, 1), default=0.05
        Target false-alarm rate for ``contamination='auto'``.
    calibration_size : float in (0, 1), default=0.2
        Share of training rows held out for calibration ('auto' only).
    novelty_label : int or str, default=-1
        What :meth:`predict` returns for novel rows.
    chunk_size : int, default=65536
        Rows scored at a time.
    n_reference : int, default=10000
        Training (or calibration) scores kept as the reference distribution
        for :meth:`drift` and for re-thresholding after :meth:`partial_fit`.
    forgetting_factor : float in (0, 1], default=1.0
        Below 1, :meth:`partial_fit` follows a drifting stream: each class
        mixture discounts what it learnt before the batch by this factor
        (see :class:`~skmix.mixture.GaussianMixture`), class counts decay
        alike, and a `calibration_size` share of each batch is held out of
        the update and joins the reference rows, so the threshold is
        recalibrated on recent inliers the mixtures were not updated with.
        Reference rows older than the memory horizon (the batches after
        which ``forgetting_factor ** age < 0.01``; the fit's rows count as
        batch 0) are dropped, and at most the newest `n_reference` kept.
    tol, max_iter, n_init, random_state, backend
        Passed to every :class:`~skmix.mixture.GaussianMixture`.
    verbose : int, default=0
        1 prints a line per class as its mixtures are chosen
        (``selection='bic'``) and the covariance choice, with elapsed time.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_priors_ : ndarray of shape (n_classes,)
    covariance_type_, reg_covar_ : str, float
        The chosen covariance type and (absolute) regularisation. With
        ``selection='bic'`` and ``covariance_type='auto'``: 'full' (each
        class's own or the common matrix, see ``class_covariances_``).
    class_covariances_ : {'own', 'common'} or None
        ``selection='bic'``: whether the classes have their own mixtures or
        one Gaussian each with the common within-class covariance; None
        otherwise.
    selection_results_ : dict, list or None
        ``selection='bic'``: ``{'own': per class, (n_components, BIC) of
        each candidate tried; 'common': the BIC over all rows of 'own' and
        'common' (None without that choice)}``. ``selection='validation'``:
        ``(covariance_type, reg_covar, validation mean log-likelihood)`` per
        setting, when there was a choice.
    class_mixtures_ : list of GaussianMixture
    global_mixture_ : GaussianMixture or None
    offset_ : float
        Rows with ``score_samples < offset_`` are novel.
    calibration_scores_ : ndarray or None
        Scores of the held-out calibration rows ('auto' only).
    reference_scores_ : ndarray
    reference_weights_ : ndarray or None
        Frequency weights of the reference (calibration) rows after a fit
        with `sample_weight`, None without.
    class_counts_ : ndarray of shape (n_classes,)
        Fitting rows per class (sums of their weights with `sample_weight`).
    backend_ : str
        The backend the mixtures were fitted on.
    n_iter_ : int
        The most EM iterations of a class mixture's fit.
    n_batches_ : int
        :meth:`partial_fit` calls since the last :meth:`fit`.
    n_features_in_ : int

    References
    ----------
    Vovk, V., Gammerman, A. and Shafer, G. (2005). Algorithmic Learning in a
    Random World. Springer. (Split-conformal p-values.)

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.novelty import OpenSetGMMDetector
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (300, 2)), rng.normal(6, 1, (300, 2))])
    >>> y = np.repeat([0, 1], 300)
    >>> detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    >>> detector.predict([[0.2, -0.1], [6.1, 5.8], [-8.0, 8.0]])
    array([ 0,  1, -1])
    """

    def __init__(
        self,
        n_components=(1, 2, 3, 4, 5),
        *,
        covariance_type="auto",
        selection="bic",
        density="per_class",
        contamination="auto",
        alpha=0.05,
        calibration_size=0.2,
        novelty_label=-1,
        chunk_size=65536,
        n_reference=10000,
        forgetting_factor=1.0,
        tol=1e-3,
        reg_covar="auto",
        max_iter=100,
        n_init=1,
        random_state=None,
        backend=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.selection = selection
        self.density = density
        self.contamination = contamination
        self.alpha = alpha
        self.calibration_size = calibration_size
        self.novelty_label = novelty_label
        self.chunk_size = chunk_size
        self.n_reference = n_reference
        self.forgetting_factor = forgetting_factor
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.backend = backend
        self.verbose = verbose

    # ------------------------------------------------------------- checks
    def _check_parameters(self):
        check_param_option(self.density, "density", DENSITIES)
        check_param_option(self.selection, "selection", SELECTIONS)
        check_param_int(self.verbose, "verbose", 0)
        if not (isinstance(self.contamination, str) and self.contamination == "auto"):
            check_param_float(self.contamination, "contamination", 0.0, 0.5, "right")
        check_param_float(self.alpha, "alpha", 0.0, 1.0, "neither")
        check_param_float(
            self.calibration_size, "calibration_size", 0.0, 1.0, "neither"
        )
        check_param_int(self.chunk_size, "chunk_size", 1)
        check_param_int(self.n_reference, "n_reference", 1)
        check_param_float(
            self.forgetting_factor, "forgetting_factor", 0.0, 1.0, "right"
        )
        check_param_option(
            self.covariance_type, "covariance_type", ("auto", *covariance_model_names())
        )
        if not (isinstance(self.reg_covar, str) and self.reg_covar == "auto"):
            check_param_float(self.reg_covar, "reg_covar", 0.0)

    def _candidate_components(self):
        return check_n_components_grid(self.n_components)

    def _selector(self, random_state, covariance_type, reg_covar):
        return GaussianMixtureSelector(
            self.n_components,
            (covariance_type,),
            "bic",
            tol=self.tol,
            convergence="absolute",
            reg_covar=reg_covar,
            init_params="kmeans",
            max_iter=self.max_iter,
            n_init=self.n_init,
            random_state=random_state,
            backend=self.backend,
        )

    def _check_labels(self, y, n_samples):
        y = check_label_vector(self, y, n_samples)
        check_classification_targets(y)
        return y

    # ------------------------------------------------------------- fit
    def _check_class_sizes(self, codes, classes):
        # Every class's size first, so that a too-small class is named
        # before any fit fails on it.
        smallest = min(self._candidate_components())
        counts = np.bincount(codes, minlength=len(classes))
        for c in range(len(classes)):
            if counts[c] < smallest:
                raise ValueError(
                    f"Class {classes[c]!r} has {counts[c]} training row(s), "
                    f"fewer than the smallest number of components ({smallest})."
                )

    def _fit_mixtures(
        self, X, codes, classes, seed, covariance_type, reg_covar, weight=None
    ):
        self._check_class_sizes(codes, classes)
        mixtures, global_mixture = [], None
        with warnings.catch_warnings():
            # The per-class selectors pass over degenerate candidates; which
            # setting wins is judged on held-out rows (_candidate_settings).
            warnings.simplefilter("ignore", DegenerateMixtureWarning)
            for c in range(len(classes)):
                selector = self._selector(seed, covariance_type, reg_covar)
                rows = codes == c
                selector.fit(X[rows], sample_weight=_rows_of(weight, rows))
                mixtures.append(selector.best_estimator_)
            if self.density == "global":
                selector = self._selector(seed, covariance_type, reg_covar)
                global_mixture = selector.fit(X, sample_weight=weight).best_estimator_
        return mixtures, global_mixture

    def _candidate_settings(self, X, weight=None):
        """(covariance type, absolute reg_covar) pairs to choose among."""
        types = (
            SELECTED_COVARIANCE_TYPES
            if self.covariance_type == "auto"
            else (self.covariance_type,)
        )
        if isinstance(self.reg_covar, str):
            # Relative to the data's scale, unlike GaussianMixture's absolute
            # reg_covar: the same grid serves raw and standardised features.
            scale = float(np.mean(_weighted_variance(X, weight))) or 1.0
            regs = [r * scale for r in RELATIVE_REG_COVAR_GRID]
        else:
            regs = [self.reg_covar]
        return [(t, r) for t in types for r in regs]

    def _select_settings(self, X, codes, classes, seed, weight=None):
        """Pick covariance type and regularisation by the log-likelihood of a
        stratified validation split (a share of the fitting rows; with
        frequency weights, the rows keep theirs: the mixtures are fitted with
        the training rows' weights and judged by the weighted mean
        log-likelihood of the validation rows)."""
        settings = self._candidate_settings(X, weight)
        if len(settings) == 1:
            return settings[0], None
        counts = np.bincount(codes)
        if counts.min() < 2 * min(self._candidate_components()) + 1:
            return settings[0], None  # too few rows per class to hold any out
        train, validation = train_test_split(
            np.arange(len(codes)),
            test_size=VALIDATION_SIZE,
            stratify=codes if len(classes) > 1 else None,
            random_state=seed,
        )
        rows = []
        for covariance_type, reg_covar in settings:
            try:
                mixtures, global_mixture = self._fit_mixtures(
                    X[train], codes[train], classes, seed, covariance_type,
                    reg_covar, _rows_of(weight, train),
                )  # fmt: skip
            except ValueError:
                rows.append((covariance_type, reg_covar, -np.inf))
                continue
            priors = _class_totals(codes[train], len(classes), _rows_of(weight, train))
            density = (
                stack_mixtures([global_mixture], [1.0])
                if global_mixture is not None
                else stack_mixtures(mixtures, priors / priors.sum())
            )
            scores = self._score(X[validation], density)
            score = float(np.average(scores, weights=_rows_of(weight, validation)))
            rows.append((covariance_type, reg_covar, score))
        best = max(range(len(rows)), key=lambda i: rows[i][2])
        return rows[best][:2], rows

    # ------------------------------------------------- selection='bic'
    def _bic_reg_covar(self, pooled):
        """reg_covar of selection='bic', from the pooled within-class
        covariance: relative to the classes' own spread, not to the
        distances between them."""
        if isinstance(self.reg_covar, str):
            return BIC_RELATIVE_REG_COVAR * (float(np.mean(np.diag(pooled))) or 1.0)
        return self.reg_covar

    def _map_mixture(self, n_components, covariance_type, reg_covar, seed, **init):
        """A mixture under mclust's default prior (none for the structures
        mclust gives none, and none with fixed covariances)."""
        has_prior = (
            getattr(get_covariance_model(covariance_type), "prior_family", None)
            is not None
        )
        # One component, or a given start, needs no k-means.
        start = "kmeans" if n_components > 1 and not init else "random"
        return GaussianMixture(
            n_components, covariance_type=covariance_type,
            prior="default" if has_prior and "fixed" not in init else None,
            reg_covar=reg_covar, tol=self.tol, convergence="absolute",
            max_iter=self.max_iter, n_init=self.n_init, init_params=start,
            random_state=seed, backend=self.backend, **init,
        )  # fmt: skip

    def _common_covariance_mixture(self, X, weight, covariance, reg_covar, seed):
        """One Gaussian at the class mean with the common covariance held
        fixed: only its mean is fitted (and counted by BIC). `reg_covar`
        keeps the start's own covariance, which is then replaced, defined
        for a class of repeated rows."""
        mean = np.average(X, axis=0, weights=weight)
        return self._map_mixture(
            1, "full", reg_covar, seed, means_init=mean[None],
            precisions_init=np.linalg.inv(covariance)[None], fixed=("covariances",),
        ).fit(X, sample_weight=weight)  # fmt: skip

    def _bic_search(self, X, weight, covariance_type, reg_covar, seed):
        """One class's own mixtures: the lowest-BIC number of components in
        `n_components`, tried in increasing order until BIC stops improving,
        compared on at most ``BIC_SELECTION_ROWS`` rows (the winner is then
        refitted on all rows from its solution). Returns the mixture and
        every candidate's ``(n_components, BIC)``."""
        rows = np.arange(len(X))
        if len(rows) > BIC_SELECTION_ROWS:
            rows = np.sort(
                np.random.default_rng(seed).choice(rows, BIC_SELECTION_ROWS, False)
            )
        X_s, weight_s = X[rows], _rows_of(weight, rows)
        candidates, best = [], None
        for n_components in self._candidate_components():
            if n_components > len(rows):
                break
            model = self._map_mixture(n_components, covariance_type, reg_covar, seed)
            if best is None:  # the smallest must fit: its errors are the user's
                model.fit(X_s, sample_weight=weight_s)
                criterion = model.bic(X_s, weight_s)
            else:
                try:
                    criterion = self._challenge(model, X_s, weight_s, best[0])
                except ValueError:  # too few distinct rows for this many
                    break
            candidates.append((n_components, criterion))
            if best is not None and not criterion < best[0]:
                break
            best = (criterion, model)
        model = best[1]
        if len(rows) < len(X):
            model = self._map_mixture(
                model.n_components, covariance_type, reg_covar, seed,
                weights_init=model.weights_, means_init=model.means_,
                precisions_init=model.precisions_,
            ).fit(X, sample_weight=weight)  # fmt: skip
        return model, candidates

    def _challenge(self, model, X, weight, best_criterion):
        """Fit `model`, a candidate against the best BIC so far, and return
        its BIC.

        The candidate first runs ``CANDIDATE_TRIAL_STEPS`` EM steps. If its
        BIC then stays above the best one even were its log-likelihood to gain
        ``CANDIDATE_GAIN_SAFETY`` times what Aitken's extrapolation promises,
        it stops there and loses; otherwise EM continues to convergence,
        exactly as one uninterrupted run. So the choice is full EM's unless
        the extrapolation falls short by that factor, and a losing candidate
        (the usual case: a class that is one Gaussian) costs a few steps
        instead of the slow convergence of a split component. With
        ``n_init > 1`` every start runs to convergence.
        """
        if self.n_init > 1 or self.max_iter <= CANDIDATE_TRIAL_STEPS:
            model.fit(X, sample_weight=weight)
            return model.bic(X, weight)
        model.set_params(max_iter=CANDIDATE_TRIAL_STEPS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, sample_weight=weight)
        model.set_params(max_iter=self.max_iter)
        criterion = model.bic(X, weight)
        if model.converged_:
            return criterion
        total = len(X) if weight is None else float(np.sum(weight))
        gain = _remaining_gain(np.asarray(model.lower_bounds_) * total)
        # BIC is -2 log-likelihood + penalty.
        if criterion - best_criterion > 2.0 * CANDIDATE_GAIN_SAFETY * gain:
            return criterion
        trial_iter, trial_bounds = model.n_iter_, list(model.lower_bounds_)
        model.set_params(
            max_iter=self.max_iter - CANDIDATE_TRIAL_STEPS, warm_start=True
        ).fit(X, sample_weight=weight)
        model.set_params(max_iter=self.max_iter, warm_start=False)
        model.n_iter_ += trial_iter
        model.lower_bounds_ = trial_bounds + list(model.lower_bounds_)
        return model.bic(X, weight)

    def _fit_by_bic(self, X, codes, classes, seed, weight=None):
        """selection='bic': (covariance type, reg_covar), mixtures, global
        mixture, covariance choice ('own' or 'common'), selection results.

        With ``covariance_type='auto'`` and several classes, the classes'
        own mixtures compete with one Gaussian per class sharing the common
        within-class covariance, by BIC over all fitting rows (the common
        covariance counted once), as MclustDA chooses between its EDDA
        structures: one choice for all classes, since a classifier whose
        classes mix tight own and broad common covariances is biased towards
        the broad ones. A class with at most ``2 n_features`` rows, too few
        for a full covariance of its own, borrows the common one in 'own'
        too.
        """
        self._check_class_sizes(codes, classes)
        pooled = pooled_within_class_covariance(X, codes, weight)
        reg_covar = self._bic_reg_covar(pooled)
        covariance_type = (
            "full" if self.covariance_type == "auto" else self.covariance_type
        )
        n_features = X.shape[1]
        total = len(X) if weight is None else float(np.sum(weight))
        can_share = self.covariance_type == "auto" and len(classes) > 1
        sizes = _class_totals(codes, len(classes), weight)
        own, results = [], {"own": [], "common": None}
        report = progress_reporter(self.verbose, "OpenSetGMMDetector")
        with warnings.catch_warnings():
            # Degenerate candidates lose on BIC.
            warnings.simplefilter("ignore", DegenerateMixtureWarning)
            for c in progress(
                range(len(classes)), verbose=self.verbose,
                label="OpenSetGMMDetector: classes", unit="class",
            ):  # fmt: skip
                rows = codes == c
                model, candidates = None, []
                # Too few rows to estimate a full covariance of its own: the
                # class borrows the common one.
                if not can_share or (
                    sizes[c] > OWN_COVARIANCE_ROWS_PER_FEATURE * n_features
                ):
                    try:
                        model, candidates = self._bic_search(
                            X[rows], _rows_of(weight, rows), covariance_type,
                            reg_covar, seed,
                        )  # fmt: skip
                    except ValueError:
                        # A class too small for its own covariance can still
                        # borrow the common one (whose fit re-raises a bad
                        # setting).
                        if not can_share:
                            raise
                own.append(model)
                results["own"].append(candidates)
                report(
                    f"class {classes[c]} ({c + 1}/{len(classes)}): "
                    + (
                        f"{model.n_components} component(s) by BIC"
                        if model is not None
                        else "borrows the common covariance"
                    )
                )
            global_mixture = None
            if self.density == "global":
                global_mixture = self._bic_search(
                    X, weight, covariance_type, reg_covar, seed
                )[0]
        mixtures, chosen = own, "own"
        if can_share:
            common = pooled + reg_covar * np.eye(n_features)
            shared = [
                self._common_covariance_mixture(
                    X[codes == c],
                    _rows_of(weight, codes == c),
                    common,
                    reg_covar,
                    seed,
                )  # fmt: skip
                for c in range(len(classes))
            ]
            # Classes too small for their own covariance borrow the common
            # one in 'own' too.
            borrowed = [s if o is None else o for o, s in zip(own, shared, strict=True)]
            common_size = n_features * (n_features + 1) // 2
            criteria = {
                "own": _total_bic(
                    borrowed, X, codes, weight, total,
                    common_size if None in own else 0,
                ),
                "common": _total_bic(shared, X, codes, weight, total, common_size),
            }  # fmt: skip
            results["common"] = criteria
            mixtures = borrowed
            if criteria["common"] < criteria["own"]:
                mixtures, chosen = shared, "common"
            report(
                f"covariances: {chosen} (BIC own {criteria['own']:.1f}, "
                f"common {criteria['common']:.1f})"
            )
        return (covariance_type, reg_covar), mixtures, global_mixture, chosen, results

    def fit(self, X, y=None, sample_weight=None):
        """Fit one mixture per known class and set the novelty threshold.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            For a Dask array, settings are chosen on a stratified sample and
            the mixtures fitted by distributed EM (see :doc:`/distributed`).
        y : array-like of shape (n_samples,) or None
            Known classes; every training row is an inlier. None: one known
            class (labelled 0), as :class:`GaussianMixtureNoveltyDetector`
            fits.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights: a row of weight 3 counts as three
            copies of it, a row of weight 0 as absent (dropped before
            anything else, so a class whose rows all have weight 0 is not a
            known class). Each class's mixtures are fitted and selected with
            its rows' weights (BIC with ``n = sum w``, see
            :meth:`GaussianMixtureSelector.fit`); class priors and
            ``class_counts_`` are sums of weights; the validation
            log-likelihood of ``covariance_type='auto'`` or
            ``reg_covar='auto'`` is a weighted mean; the conformal threshold
            counts each calibration row ``w`` times (and a float
            `contamination` takes the weighted quantile). The validation and
            calibration splits draw whole rows, each with its weight, not
            copies of rows. So without a split (a fixed `covariance_type` and
            `reg_covar`, a float `contamination`), integer weights give the
            fit of the repeated rows whenever the mixtures' starts agree;
            with a split, they do so only in distribution. :meth:`drift`
            ignores the reference rows' weights.

        Returns
        -------
        self : OpenSetGMMDetector
        """
        self._check_parameters()
        distributed = is_dask_array(X)
        X_checked = (
            check_dask_samples(X, ensure_min_samples=2)
            if distributed
            else np.asarray(check_samples(X, ensure_min_samples=2), dtype=np.float64)
        )
        if distributed and is_dask_array(y):
            y = y.compute()
        if y is None:  # unlabelled rows: one known class
            y = np.zeros(X_checked.shape[0], dtype=int)
        y = self._check_labels(y, X_checked.shape[0])
        weight = None
        if sample_weight is not None:
            if is_dask_array(sample_weight):
                sample_weight = sample_weight.compute()
            weight = check_sample_weight(sample_weight, X_checked.shape[0])
            if not weight.all():  # a weight of 0 is the row's absence
                kept = np.flatnonzero(weight)
                X_checked, y, weight = X_checked[kept], y[kept], weight[kept]
            if X_checked.shape[0] < 2:
                raise ValueError(
                    f"Found {X_checked.shape[0]} row(s) of non-zero sample_weight "
                    "while a minimum of 2 is required."
                )
        rng = check_random_state(self.random_state)
        seed = rng.randint(np.iinfo(np.int32).max)
        classes, codes = np.unique(y, return_inverse=True)
        auto = isinstance(self.contamination, str)
        fit_rows, calibration_rows = np.arange(len(codes)), None
        if auto:
            if np.bincount(codes).min() < 2:
                raise ValueError(
                    "contamination='auto' holds out calibration rows per class; "
                    "every class needs at least 2 rows."
                )
            fit_rows, calibration_rows = train_test_split(
                fit_rows,
                test_size=self.calibration_size,
                stratify=codes if len(classes) > 1 else None,
                random_state=seed,
            )
        fit_rows = np.sort(fit_rows)
        reference_rows = calibration_rows if auto else fit_rows
        if len(reference_rows) > self.n_reference:
            reference_rows = rng.choice(reference_rows, self.n_reference, replace=False)
        reference_rows = np.sort(reference_rows)
        fit_weight = _rows_of(weight, fit_rows)
        class_covariances = None
        if distributed:
            settings, selection, mixtures, global_mixture, class_covariances = (
                self._fit_distributed(
                    X_checked, codes, fit_rows, classes, seed, rng, weight
                )
            )
            covariance_type, reg_covar = settings
            reference_X = np.asarray(X_checked[reference_rows].compute())
        elif self.selection == "bic":
            # Small dense products only: threaded BLAS on a busy machine made
            # the pooled covariance of 1e5 x 32 rows take 2.5 s instead of 0.02.
            with threadpool_limits(limits=1, user_api="blas"):
                settings, mixtures, global_mixture, class_covariances, selection = (
                    self._fit_by_bic(
                        X_checked[fit_rows], codes[fit_rows], classes, seed, fit_weight
                    )
                )
            covariance_type, reg_covar = settings
            reference_X = X_checked[reference_rows]
        else:
            (covariance_type, reg_covar), selection = self._select_settings(
                X_checked[fit_rows], codes[fit_rows], classes, seed, fit_weight
            )
            mixtures, global_mixture = self._fit_mixtures(
                X_checked[fit_rows], codes[fit_rows], classes, seed, covariance_type,
                reg_covar, fit_weight,
            )  # fmt: skip
            reference_X = X_checked[reference_rows]
        counts = _class_totals(codes[fit_rows], len(classes), fit_weight)

        # Everything that can fail has run: set the fitted state.
        self.classes_ = classes
        self.covariance_type_ = covariance_type
        self.reg_covar_ = reg_covar
        self.class_covariances_ = class_covariances
        self._stream_seed, self.n_batches_ = seed, 0
        self.selection_results_ = selection
        self.class_mixtures_ = mixtures
        self.global_mixture_ = global_mixture
        self.class_counts_ = counts
        self.class_priors_ = counts / counts.sum()
        self.backend_ = mixtures[0].backend_
        self.n_iter_ = max(mixture.n_iter_ for mixture in mixtures)
        self._rebuild_scorer()
        self._reference_X, self._reference_batches = reference_X, None
        self.reference_weights_ = _rows_of(weight, reference_rows)
        self._set_threshold()
        record_input_features(self, X)
        return self

    def _fit_distributed(self, X, codes, fit_rows, classes, seed, rng, weight=None):
        """Settings and mixtures for a Dask array.

        Covariance type, regularisation and the number of components of each
        class are chosen as in memory, on a stratified sample of at most
        ``SELECTION_SAMPLE_PER_CLASS`` fitting rows per class; the chosen
        mixtures are then refitted by distributed EM on all fitting rows.
        """
        sample = np.sort(
            np.concatenate(
                [
                    rng.choice(rows, min(len(rows), SELECTION_SAMPLE_PER_CLASS), False)
                    for rows in (
                        fit_rows[codes[fit_rows] == c] for c in range(len(classes))
                    )
                ]
            )
        )
        X_sample = np.asarray(X[sample].compute())
        sample_weight = _rows_of(weight, sample)
        if self.selection == "bic":
            settings, sampled, sampled_global, kinds, selection = self._fit_by_bic(
                X_sample, codes[sample], classes, seed, sample_weight
            )

            def refit(rows, model):
                # The sample's choice, warm-started from its solution.
                return clone(model).set_params(
                    weights_init=model.weights_, means_init=model.means_,
                    precisions_init=model.precisions_,
                ).fit(X[rows], sample_weight=_rows_of(weight, rows))  # fmt: skip
        else:
            kinds = None
            settings, selection = self._select_settings(
                X_sample, codes[sample], classes, seed, sample_weight
            )
            sampled, sampled_global = self._fit_mixtures(
                X_sample, codes[sample], classes, seed, *settings, sample_weight
            )

            def refit(rows, model):
                return GaussianMixture(
                    model.n_components, covariance_type=settings[0],
                    reg_covar=settings[1], tol=self.tol, max_iter=self.max_iter,
                    n_init=self.n_init, random_state=seed, backend=self.backend,
                ).fit(X[rows], sample_weight=_rows_of(weight, rows))  # fmt: skip

        mixtures = [
            refit(fit_rows[codes[fit_rows] == c], m) for c, m in enumerate(sampled)
        ]
        global_mixture = (
            refit(fit_rows, sampled_global) if sampled_global is not None else None
        )
        return settings, selection, mixtures, global_mixture, kinds

    def _rebuild_scorer(self):
        self._class_mixture = stack_mixtures(self.class_mixtures_, self.class_priors_)
        if self.global_mixture_ is None:
            self._density_mixture = self._class_mixture
        else:
            self._density_mixture = stack_mixtures([self.global_mixture_], [1.0])

    def _set_threshold(self):
        scores = self._score(self._reference_X)
        weight = getattr(self, "reference_weights_", None)
        self.reference_scores_ = scores
        if isinstance(self.contamination, str):
            self.calibration_scores_ = scores
            self.offset_ = conformal_threshold(scores, self.alpha, weight)
            if self.offset_ == -np.inf:
                total = scores.size if weight is None else float(np.sum(weight))
                warnings.warn(
                    f"{total:g} calibration rows are too few for alpha="
                    f"{self.alpha:g}: the smallest conformal p-value is "
                    f"1/{total + 1:g} > alpha, so no row will be flagged "
                    "(decision_function is +inf). Raise calibration_size or "
                    f"alpha, or give at least {math.ceil(1 / self.alpha) - 1} "
                    "calibration rows.",
                    UserWarning,
                    stacklevel=3,
                )
        else:
            self.calibration_scores_ = None
            self.offset_ = weighted_quantile(scores, self.contamination, weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the class mixtures with new rows of known classes.

        One incremental EM step per class present in the batch (see
        :meth:`GaussianMixture.partial_fit`); class priors follow the counts;
        the threshold is recomputed on the stored reference rows. With
        ``forgetting_factor < 1`` the past is discounted and a share of the
        batch refreshes the reference rows instead (see the parameter). A
        first call on an unfitted detector is a :meth:`fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels among ``classes_``.
        classes : array-like, default=None
            Accepted for scikit-learn's incremental-classifier convention; must
            be among ``classes_`` (a new class needs a refit).
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the batch's rows (see :meth:`fit`): each
            class's step weighs its rows, and ``class_counts_`` grows by
            their summed weights; rows of weight 0 are left out.

        Returns
        -------
        self : OpenSetGMMDetector
        """
        if not hasattr(self, "classes_"):
            # First call: a fit on this batch; every class needs rows in it.
            present = y
            if sample_weight is not None:  # rows of weight 0 are absent
                weight = check_sample_weight(sample_weight, np.shape(y)[0])
                present = np.asarray(y)[weight > 0]
            missing = [] if classes is None else np.setdiff1d(classes, present).tolist()
            if missing:
                raise ValueError(
                    f"The first partial_fit has no rows of class(es) {missing}; "
                    "each class needs rows to fit its mixture."
                )
            return self.fit(X, y, sample_weight=sample_weight)
        X_checked = np.asarray(check_fitted_input(self, X), dtype=np.float64)
        y = self._check_labels(y, X_checked.shape[0])
        weight = None
        if sample_weight is not None:
            weight = check_sample_weight(sample_weight, X_checked.shape[0])
        labels = np.unique(y) if classes is None else np.union1d(y, classes)
        unseen = np.setdiff1d(labels, self.classes_)
        if unseen.size:
            raise ValueError(
                f"partial_fit got label(s) {unseen.tolist()} not seen in fit; known "
                f"classes are {self.classes_.tolist()}. Refit to add a class."
            )
        codes = np.searchsorted(self.classes_, y)
        if weight is not None and not weight.all():  # weight 0: the row's absence
            kept = np.flatnonzero(weight)
            X_checked, codes, weight = X_checked[kept], codes[kept], weight[kept]
        forgetting = self.forgetting_factor
        held = np.zeros(len(codes), dtype=bool)
        if forgetting < 1.0:
            # Reproducible per batch: the fit's seed and the batch's number.
            batch = getattr(self, "n_batches_", 0)
            rng = np.random.default_rng([getattr(self, "_stream_seed", 0), batch])
            held = rng.random(len(codes)) < self.calibration_size
        update = ~held
        updated = {
            c: _updated_copy(
                self.class_mixtures_[c],
                X_checked[update & (codes == c)],
                _rows_of(weight, update & (codes == c)),
                forgetting,
            )  # fmt: skip
            for c in np.unique(codes[update])
        }
        global_mixture = self.global_mixture_
        if global_mixture is not None:
            global_mixture = _updated_copy(
                global_mixture, X_checked[update], _rows_of(weight, update), forgetting
            )
        self.class_mixtures_ = [
            updated.get(c, mixture) for c, mixture in enumerate(self.class_mixtures_)
        ]
        self.global_mixture_ = global_mixture
        self.class_counts_ = forgetting * self.class_counts_ + _class_totals(
            codes[update], self.classes_.size, _rows_of(weight, update)
        )
        self.class_priors_ = self.class_counts_ / self.class_counts_.sum()
        if held.any():
            self._add_reference_rows(X_checked[held], _rows_of(weight, held))
        self.n_batches_ = getattr(self, "n_batches_", 0) + 1
        self._rebuild_scorer()
        self._set_threshold()
        return self

    def _add_reference_rows(self, X, weight):
        """Append held-out rows of a batch to the reference: the newest
        ``n_reference`` rows of the batches within the memory horizon
        (weights of 1 where none were given)."""
        batch = getattr(self, "n_batches_", 0) + 1
        old_batches = getattr(self, "_reference_batches", None)
        if old_batches is None:  # the fit's rows
            old_batches = np.zeros(len(self._reference_X), dtype=np.int64)
        batches = np.concatenate([old_batches, np.full(len(X), batch)])
        old_weight = self.reference_weights_
        weights = None
        if weight is not None or old_weight is not None:
            old = np.ones(len(self._reference_X)) if old_weight is None else old_weight
            weights = np.concatenate(
                [old, np.ones(len(X)) if weight is None else weight]
            )
        reference = np.concatenate([self._reference_X, X])
        kept = batches > batch - memory_horizon(self.forgetting_factor)
        kept[: max(kept.size - self.n_reference, 0)] = False
        self._reference_X, self._reference_batches = reference[kept], batches[kept]
        self.reference_weights_ = None if weights is None else weights[kept]

    # ------------------------------------------------------------- scoring
    def _score(self, X, mixture=None, per_class=False):
        """Chunked scores of a host or CuPy array."""
        mixture = self._density_mixture if mixture is None else mixture
        backend = resolve_backend(self.backend, X, mixture.means.shape[0])
        on_gpu = is_cupy_array(X)
        outputs = []
        with backend.compute_context():
            for start in range(0, X.shape[0], self.chunk_size):
                chunk = backend.asarray(X[start : start + self.chunk_size], np.float64)
                if per_class:
                    outputs.append(mixture.group_log_density(backend, chunk))
                else:
                    scores = mixture.score_samples(backend, chunk)
                    outputs.append(scores if on_gpu else backend.to_numpy(scores))
        xp = backend.xp if on_gpu and not per_class else np
        if not outputs:
            return xp.empty((0, self.classes_.size) if per_class else 0)
        return xp.concatenate(outputs)

    def _validated(self, X):
        check_is_fitted(self)
        return check_fitted_input(self, X)

    @rowwise()
    def score_samples(self, X):
        """Novelty score: log-density of the known classes (higher = more typical).

        Parameters
        ----------
        X : array-like, numpy.memmap, cupy.ndarray or dask.array of shape \
                (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) (a dask array for dask input)
        """
        return self._score(self._validated(X))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for novel rows."""
        return self.score_samples(X) - self.offset_

    def is_novel(self, X, fdr=None):
        """Whether each row is flagged as novel.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        fdr : float in (0, 1), default=None
            None: flag rows whose score is below ``offset_`` (each inlier is
            flagged with probability at most ``alpha``). A float: flag the
            batch by the Benjamini-Hochberg procedure on the conformal
            p-values (``contamination='auto'``), so that the expected share
            of inliers among the flagged rows is at most `fdr` (Bates et al.
            2023); with many rows per batch this flags far fewer inliers than
            a per-row ``alpha`` at the same power. Conformal p-values are at
            least ``1 / (n_calibration + 1)``, so ``k`` of ``m`` rows can be
            flagged only if that is at most ``k fdr / m``: large batches at a
            small `fdr` need a large calibration set (``calibration_size``).

        Returns
        -------
        flags : ndarray of bool, shape (n_samples,)
        """
        if fdr is None:
            return self._below_threshold(X)
        check_param_float(fdr, "fdr", 0.0, 1.0, "neither")
        if self.calibration_scores_ is None:
            raise ValueError(
                "is_novel(fdr=...) needs conformal p-values: contamination='auto'."
            )
        # A conformal p-value is a function of the row's position among the
        # sorted calibration scores, so Benjamini-Hochberg needs only the
        # positions' histogram: no float p-values of all rows, no sort.
        positions = self._calibration_positions(X)
        if is_dask_array(positions):
            positions = positions.compute()
        return positions <= _bh_position(
            positions, self.calibration_scores_, self.reference_weights_, fdr
        )

    @rowwise(dtype=np.int32)
    def _calibration_positions(self, X):
        """How many calibration scores are at most each row's score (4 bytes
        a row: the calibration set is far below 2**31 rows)."""
        calibration = np.sort(np.asarray(self.calibration_scores_, np.float64))
        scores = self._score(self._validated(X))
        return np.searchsorted(calibration, scores, "right").astype(np.int32)

    @rowwise(dtype=bool)
    def _below_threshold(self, X):
        # Row-wise itself, so a memory map's flags need no float scores of
        # all rows.
        return self._score(self._validated(X)) < self.offset_

    @rowwise()
    def conformal_p_values(self, X):
        """Conformal p-value of each row being an inlier ('auto' only).

        Small values are evidence of novelty; ``is_novel`` is
        ``p-value <= alpha``.
        """
        check_is_fitted(self)
        if self.calibration_scores_ is None:
            raise ValueError(
                "Conformal p-values need contamination='auto' (held-out "
                "calibration rows)."
            )
        return conformal_p_values(
            self.score_samples(X),
            self.calibration_scores_,
            getattr(self, "reference_weights_", None),
        )

    def _class_log_densities(self, X):
        """``log pi_c + log p_c(x)`` per known class, shape (n_samples, n_classes)."""
        return self._score(X, self._class_mixture, per_class=True)

    @rowwise(n_columns=lambda self: self.classes_.size)
    def predict_proba(self, X):
        """Posterior of each known class (ignoring novelty)."""
        X = self._validated(X)
        log_class = self._class_log_densities(X)
        return np.exp(log_class - logsumexp_rows(log_class)[:, None])

    @rowwise(dtype=lambda self: _label_dtype(self.classes_, self.novelty_label))
    def predict(self, X):
        """Known class of each row, or `novelty_label` for novel rows."""
        X = self._validated(X)
        log_class = self._class_log_densities(X)
        if self.global_mixture_ is None:
            scores = logsumexp_rows(log_class)
        else:
            scores = np.asarray(self._score(X))
        labels = self.classes_[np.argmax(log_class, axis=1)]
        novel = scores < self.offset_
        if novel.any():
            labels = labels.astype(_label_dtype(self.classes_, self.novelty_label))
            labels[novel] = self.novelty_label
        return labels

    def drift(self, X):
        """Has the score distribution moved? KS test of a batch against the
        reference scores (calibration rows, or a sample of training rows).

        Returns
        -------
        DriftResult
        """
        check_is_fitted(self)
        reference = self.reference_scores_
        n_rows = X.shape[0] if hasattr(X, "shape") else len(X)
        if max(n_rows, reference.size) <= KS_EXACT_ROWS:
            scores = np.asarray(self.score_samples(X))
            test = ks_2samp(scores, reference)
            return DriftResult(
                float(test.statistic), float(test.pvalue), scores.size,
                reference.size,
            )  # fmt: skip
        # A large batch: each row's cell among the reference scores (4 bytes
        # a row, chunk by chunk on a memory map, lazily on Dask) and their
        # histogram, not its float scores and their sort.
        values, at_or_below = ks_reference_cells(reference)
        codes = self._reference_cell_codes(X, values)
        n_cells = 2 * values.size + 1
        if is_dask_array(codes):
            import dask.array as da

            counts = da.bincount(codes, minlength=n_cells).compute()
        else:
            counts = _chunked_bincount(codes, n_cells)
        statistic, pvalue = ks_two_sample_from_cells(counts, at_or_below)
        return DriftResult(statistic, pvalue, len(codes), reference.size)

    @rowwise(dtype=np.int32)
    def _reference_cell_codes(self, X, values):
        return ks_cell_codes(self._score(self._validated(X)), values)

    def score(self, X, y):
        """Open-set accuracy: novel rows count as right when `y` holds
        `novelty_label` for them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        accuracy : float
        """
        y = column_or_1d(y).astype(object)
        return float(np.mean(self.predict(X).astype(object) == y))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # Classifier-typed, so scikit-learn's model selection stratifies its
        # folds (KFold would hold out whole classes of a sorted y, and every
        # held-out row would be "novel").
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        return tags


def memory_horizon(forgetting_factor, weight=0.01):
    """Batches after which a batch's weight ``forgetting_factor ** age``
    falls below `weight`."""
    return max(1, math.ceil(math.log(weight) / math.log(forgetting_factor)))


def _label_dtype(classes, novelty_label):
    """Known labels' dtype, or object when `novelty_label` is of another kind."""
    if np.asarray([novelty_label]).dtype.kind != classes.dtype.kind:
        return np.dtype(object)
    return classes.dtype


def _updated_copy(mixture, X, weight=None, forgetting_factor=1.0):
    """A copy of a fitted mixture after one incremental EM step on `X`
    (rows of frequency weights `weight`, all positive, or None), discounting
    its earlier statistics by `forgetting_factor`."""
    updated = copy.deepcopy(mixture)
    if len(X):
        updated.set_params(forgetting_factor=forgetting_factor)
        updated.partial_fit(X, sample_weight=weight)
    return updated


def _rows_of(weight, rows):
    """The weights of `rows` (an index or mask), None without weights."""
    return None if weight is None else weight[rows]


def _class_totals(codes, n_classes, weight=None):
    """Rows per class, or their summed frequency weights, as floats."""
    return np.bincount(codes, weight, minlength=n_classes).astype(float)


def _total_bic(mixtures, X, codes, weight, n_samples, extra_parameters):
    """BIC of class-conditional mixtures over all rows: their summed
    log-likelihoods, their parameters plus `extra_parameters` (shared ones),
    ``n = n_samples``."""
    log_likelihood, n_parameters = 0.0, extra_parameters
    for c, mixture in enumerate(mixtures):
        rows = codes == c
        log_likelihood += float(
            np.dot(
                mixture.score_samples(X[rows]),
                np.ones(rows.sum()) if weight is None else weight[rows],
            )
        )
        n_parameters += mixture._n_parameters()
    return bic(log_likelihood, n_parameters, n_samples)


def _weighted_variance(X, weight=None):
    """Each feature's variance over the rows repeated by their weights."""
    if weight is None:
        return np.var(X, axis=0)
    mean = weight @ X / weight.sum()
    return weight @ (X - mean) ** 2 / weight.sum()
