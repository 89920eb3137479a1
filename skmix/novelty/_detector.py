"""One-class novelty detection with scikit-learn's outlier conventions."""

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils.validation import check_is_fitted

from .._core import rowwise
from ..utils import record_input_features
from ._open_set import OpenSetGMMDetector


class GaussianMixtureNoveltyDetector(OutlierMixin, BaseEstimator):
    """Novelty detection by a Gaussian mixture density with a conformal
    threshold, in scikit-learn's outlier conventions.

    One known class: :class:`OpenSetGMMDetector` on unlabelled rows. A
    Gaussian mixture (by default full covariances under mclust's conjugate
    prior, components chosen by BIC among `n_components`) models the
    training rows; ``score_samples`` is its log-density and rows below
    ``offset_`` are novel: :meth:`predict` returns -1 for them and +1 for
    inliers, as :class:`~sklearn.ensemble.IsolationForest` and
    :class:`~sklearn.neighbors.LocalOutlierFactor` (``novelty=True``) do.

    With ``contamination='auto'`` a `calibration_size` share of the rows is
    held out and ``offset_`` is set by split-conformal calibration: an inlier
    exchangeable with the training rows is flagged with probability at most
    `alpha`, whatever the data. :meth:`conformal_p_values` gives each row's
    p-value and ``is_novel(X, fdr=...)`` flags a batch at a false discovery
    rate (Benjamini-Hochberg). A float contamination sets ``offset_`` at that
    quantile of the training scores instead.

    Parameters
    ----------
    n_components : sequence of int, default=(1, 2, 3, 4, 5)
    covariance_type : str, default='auto'
        'auto': full covariances (``selection='bic'``), or full, diag or
        spherical chosen on a validation split (``selection='validation'``);
        or any structure of :class:`~skmix.mixture.GaussianMixture`.
    selection : {'bic', 'validation'}, default='bic'
        See :class:`OpenSetGMMDetector`: 'bic' uses all fitting rows and
        BIC, 'validation' a held-out share of them.
    reg_covar : 'auto' or float, default='auto'
    contamination : 'auto' or float in (0, 0.5], default='auto'
    alpha : float in (0, 1), default=0.05
        Target false-alarm rate with ``contamination='auto'``.
    calibration_size : float in (0, 1), default=0.2
    chunk_size : int, default=65536
    n_reference : int, default=10000
    forgetting_factor : float in (0, 1], default=1.0
        See :class:`OpenSetGMMDetector`: below 1, :meth:`partial_fit`
        follows a drifting stream.
    tol, max_iter, n_init, random_state, backend
        Passed to every :class:`~skmix.mixture.GaussianMixture`.
    verbose : int, default=0
        1 prints the selection's progress.

    Attributes
    ----------
    detector_ : OpenSetGMMDetector
        The fitted one-class detector.
    mixture_ : GaussianMixture
    offset_ : float
        ``decision_function = score_samples - offset_``; negative is novel.
    calibration_scores_ : ndarray or None
    n_iter_ : int
        EM iterations of the selected mixture's fit.
    backend_ : str
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.novelty import GaussianMixtureNoveltyDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2))
    >>> detector = GaussianMixtureNoveltyDetector(random_state=0).fit(X)
    >>> detector.predict([[0.1, -0.2], [6.0, 6.0]])
    array([ 1, -1])
    """

    def __init__(
        self,
        n_components=(1, 2, 3, 4, 5),
        *,
        covariance_type="auto",
        selection="bic",
        reg_covar="auto",
        contamination="auto",
        alpha=0.05,
        calibration_size=0.2,
        chunk_size=65536,
        n_reference=10000,
        forgetting_factor=1.0,
        tol=1e-3,
        max_iter=100,
        n_init=1,
        random_state=None,
        backend=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.selection = selection
        self.reg_covar = reg_covar
        self.contamination = contamination
        self.alpha = alpha
        self.calibration_size = calibration_size
        self.chunk_size = chunk_size
        self.n_reference = n_reference
        self.forgetting_factor = forgetting_factor
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.backend = backend
        self.verbose = verbose

    def fit(self, X, y=None, sample_weight=None):
        """Fit the density and set the threshold.

        Parameters
        ----------
        X : array-like or dask.array.Array of shape (n_samples, n_features)
            Inliers.
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights (see :meth:`OpenSetGMMDetector.fit`).

        Returns
        -------
        self : GaussianMixtureNoveltyDetector
        """
        detector = OpenSetGMMDetector(
            **{name: getattr(self, name) for name in self._get_param_names()}
        )
        detector.fit(X, None, sample_weight)
        self.detector_ = detector
        self.mixture_ = detector.class_mixtures_[0]
        self.offset_ = detector.offset_
        self.calibration_scores_ = detector.calibration_scores_
        self.n_iter_ = self.mixture_.n_iter_
        self.backend_ = detector.backend_
        record_input_features(self, X)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the density with a batch of inliers and re-set the
        threshold (see :meth:`OpenSetGMMDetector.partial_fit`; with
        ``forgetting_factor < 1`` the model follows a drifting stream). A
        first call is a :meth:`fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GaussianMixtureNoveltyDetector
        """
        if not hasattr(self, "detector_"):
            return self.fit(X, sample_weight=sample_weight)
        labels = np.zeros(np.shape(X)[0], dtype=int)
        self.detector_.partial_fit(X, labels, sample_weight=sample_weight)
        self.mixture_ = self.detector_.class_mixtures_[0]
        self.offset_ = self.detector_.offset_
        self.calibration_scores_ = self.detector_.calibration_scores_
        return self

    def score_samples(self, X):
        """Log-density of the training distribution (higher = more typical).

        Parameters
        ----------
        X : array-like, memmap, cupy or dask array of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.detector_.score_samples(X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for novel rows."""
        return self.score_samples(X) - self.offset_

    @rowwise(dtype=np.int64)
    def predict(self, X):
        """+1 for inliers, -1 for novel rows."""
        return np.where(np.asarray(self.decision_function(X)) < 0, -1, 1)

    def conformal_p_values(self, X):
        """Conformal p-value of each row being an inlier ('auto' only)."""
        check_is_fitted(self)
        return self.detector_.conformal_p_values(X)

    def is_novel(self, X, fdr=None):
        """Flags of novel rows: below ``offset_``, or at a false discovery
        rate `fdr` over the batch (see :meth:`OpenSetGMMDetector.is_novel`)."""
        check_is_fitted(self)
        return self.detector_.is_novel(X, fdr=fdr)

    def drift(self, X):
        """KS test of a batch's scores against the reference scores."""
        check_is_fitted(self)
        return self.detector_.drift(X)
