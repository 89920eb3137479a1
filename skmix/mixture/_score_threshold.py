"""Adaptive score thresholds from a two-component mixture of 1-D scores.

Detector confidences, retrieval similarities and anomaly scores are often
bimodal: a low mode of negatives and a high mode of positives. A
two-component Gaussian mixture on the scores separates them without a fixed
cut-off. The positive component is the one with the larger mean, whatever
index EM gave it.
"""

from collections import deque

import numpy as np

from ..utils import (
    check_param_float,
    check_param_int,
    check_param_option,
    check_real_array,
)
from ._gaussian_mixture import GaussianMixture

THRESHOLD_POLICIES = ("high", "middle")


def _check_scores(scores, name="scores"):
    scores = check_real_array(scores, name)
    if scores.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {scores.shape}.")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return scores


def _two_component_mixture(scores, **kwargs):
    # Scores are few and 1-D: the NumPy backend avoids any kernel dispatch cost.
    return GaussianMixture(2, backend="numpy", **kwargs).fit(scores[:, None])


def threshold_from_mixture(scores, mixture, policy):
    """Threshold on `scores` from a fitted two-component mixture.

    Parameters
    ----------
    scores : ndarray of shape (n_scores,)
    mixture : GaussianMixture
        Fitted on ``scores[:, None]`` with two components.
    policy : {'high', 'middle'}
        'high': the score of the positive-assigned sample with the highest
        mixture density (the positive mode). 'middle': the lowest score
        assigned to the positive component (the decision boundary). Any
        other value raises a ValueError.

    Returns
    -------
    threshold : float or None
        None when no score is assigned to the positive component.
    """
    scores = _check_scores(scores)
    check_param_option(policy, "policy", THRESHOLD_POLICIES)
    positive = int(np.argmax(mixture.means_[:, 0]))
    is_positive = mixture.predict(scores[:, None]) == positive
    if not is_positive.any():
        return None
    if policy == "middle":
        return float(scores[is_positive].min())
    density = np.where(is_positive, mixture.score_samples(scores[:, None]), -np.inf)
    return float(scores[np.argmax(density)])


def gmm_score_threshold(
    scores, *, policy="high", default=0.5, min_scores=4, tol=1e-3, max_iter=100
):
    """Score threshold separating a high mode from a low one (Consistent-Teacher).

    Fits a two-component 1-D Gaussian mixture, started from the extreme scores
    (means ``[min, max]``, equal weights, unit precisions, as in the
    reference implementation) and applies `policy`.

    Parameters
    ----------
    scores : array-like of shape (n_scores,)
    policy : {'high', 'middle'}, default='high'
        See :func:`threshold_from_mixture`.
    default : float, default=0.5
        Returned when there are fewer than `min_scores` scores, fewer than two
        distinct values, or no positive-assigned score.
    min_scores : int, default=4
    tol : float, default=1e-3
        EM convergence threshold. The reference's value: with unit initial
        precisions on scores in [0, 1], EM can stop on a plateau within a few
        iterations, before the components reach the two modes; pass e.g.
        1e-8 for a converged mixture (and a 'high' threshold at the positive
        mode).
    max_iter : int, default=100

    Returns
    -------
    threshold : float

    References
    ----------
    Wang, X. et al. (2023). Consistent-Teacher: Towards reducing inconsistent
    pseudo-targets in semi-supervised object detection. CVPR.

    Examples
    --------
    >>> from skmix.mixture import gmm_score_threshold
    >>> scores = [0.1, 0.15, 0.2, 0.22, 0.3, 0.7, 0.8, 0.82, 0.85]
    >>> gmm_score_threshold(scores, policy="middle")
    0.7
    """
    scores = _check_scores(scores)
    check_param_option(policy, "policy", THRESHOLD_POLICIES)
    check_param_int(min_scores, "min_scores", 2)
    if scores.size < min_scores or np.ptp(scores) == 0:
        return float(default)
    mixture = _two_component_mixture(
        scores,
        weights_init=[0.5, 0.5],
        means_init=[[scores.min()], [scores.max()]],
        precisions_init=[[[1.0]], [[1.0]]],
        tol=tol,
        max_iter=max_iter,
    )
    threshold = threshold_from_mixture(scores, mixture, policy)
    return float(default) if threshold is None else threshold


class GMMScoreThreshold:
    """Per-class adaptive score thresholds over a buffer of recent scores.

    The dynamic pseudo-label threshold of Consistent-Teacher: each class keeps
    its last `buffer_size` scores; after each :meth:`update` the touched
    classes' thresholds are refitted with :func:`gmm_score_threshold`. A helper
    for training loops (state plus two methods), not a scikit-learn estimator.

    Parameters
    ----------
    n_classes : int
    buffer_size : int, default=100
        Recent scores kept per class.
    policy : {'high', 'middle'}, default='high'
    default_threshold : float, default=0.5
        Threshold of a class with fewer than `min_scores` buffered scores.
    min_scores : int, default=4
    tol : float, default=1e-3
        EM convergence threshold (see :func:`gmm_score_threshold`).

    Attributes
    ----------
    thresholds_ : ndarray of shape (n_classes,)
    n_updates_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.mixture import GMMScoreThreshold
    >>> rng = np.random.default_rng(0)
    >>> scores = np.r_[rng.normal(0.2, 0.05, 60), rng.normal(0.8, 0.05, 40)]
    >>> thresholder = GMMScoreThreshold(n_classes=2, tol=1e-8)
    >>> thresholder.update(scores, np.zeros(100, dtype=int)).thresholds_.round(2)
    array([0.8, 0.5])
    >>> thresholder.select([0.9, 0.6], [0, 0])
    array([ True, False])
    """

    def __init__(
        self,
        n_classes,
        *,
        buffer_size=100,
        policy="high",
        default_threshold=0.5,
        min_scores=4,
        tol=1e-3,
    ):
        self.n_classes = check_param_int(n_classes, "n_classes", 1)
        self.buffer_size = check_param_int(buffer_size, "buffer_size", 2)
        self.policy = check_param_option(policy, "policy", THRESHOLD_POLICIES)
        self.default_threshold = check_param_float(
            default_threshold, "default_threshold", -np.inf
        )
        self.min_scores = check_param_int(min_scores, "min_scores", 2)
        self.tol = check_param_float(tol, "tol", 0.0)
        self._buffers = [deque(maxlen=buffer_size) for _ in range(n_classes)]
        self.thresholds_ = np.full(n_classes, self.default_threshold)
        self.n_updates_ = 0

    def _check_labels(self, labels, n_scores):
        labels = np.asarray(labels)
        if labels.shape != (n_scores,):
            raise ValueError(
                f"labels must have shape ({n_scores},) like scores, got {labels.shape}."
            )
        if labels.size and (
            not np.issubdtype(labels.dtype, np.integer)
            or labels.min() < 0
            or labels.max() >= self.n_classes
        ):
            raise ValueError(
                f"labels must be integers in [0, {self.n_classes - 1}]; "
                f"got {np.unique(labels)[:10]}."
            )
        return labels

    def buffer(self, label):
        """The buffered scores of class `label`, oldest first."""
        # check_param_int, not indexing: -1 would silently mean the last class.
        label = check_param_int(label, "label", 0)
        if label >= self.n_classes:
            raise ValueError(
                f"label must be in [0, {self.n_classes - 1}]; got {label}."
            )
        return np.array(self._buffers[label], dtype=np.float64)

    def update(self, scores, labels):
        """Buffer new scores and refit the thresholds of their classes.

        Parameters
        ----------
        scores : array-like of shape (n_scores,)
        labels : array-like of int of shape (n_scores,)

        Returns
        -------
        self : GMMScoreThreshold
        """
        scores = _check_scores(scores)
        labels = self._check_labels(labels, scores.size)
        for score, label in zip(scores, labels, strict=True):
            self._buffers[label].append(score)
        for label in np.unique(labels):
            self.thresholds_[label] = gmm_score_threshold(
                self.buffer(label),
                policy=self.policy,
                default=self.default_threshold,
                min_scores=self.min_scores,
                tol=self.tol,
            )
        self.n_updates_ += 1
        return self

    def select(self, scores, labels):
        """Which scores reach their class's current threshold.

        Parameters
        ----------
        scores : array-like of shape (n_scores,)
        labels : array-like of int of shape (n_scores,)

        Returns
        -------
        keep : ndarray of bool of shape (n_scores,)
        """
        scores = _check_scores(scores)
        labels = self._check_labels(labels, scores.size)
        return scores >= self.thresholds_[labels]


def gmm_top_k(scores, *, top_n=20, min_k=5, max_k=10, random_state=0):
    """Dynamic top-K selection by a two-component mixture (ViDoRAG).

    Takes the `top_n` highest scores, fits a two-component 1-D Gaussian
    mixture to them and keeps as many as fall in the group of the highest
    score, clamped to ``[min_k, max_k]``.

    Parameters
    ----------
    scores : array-like of shape (n_candidates,)
        Relevance scores of the candidates (higher is better).
    top_n : int, default=20
    min_k, max_k : int, default=5, 10
    random_state : int, RandomState instance or None, default=0
        Seeds the mixture's k-means initialisation.

    Returns
    -------
    indices : ndarray of int
        Indices into `scores` of the kept candidates, best first.

    References
    ----------
    Wang, Q. et al. (2025). ViDoRAG: Visual document retrieval-augmented
    generation via dynamic iterative reasoning agents. arXiv:2502.18017.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.mixture import gmm_top_k
    >>> scores = np.r_[np.linspace(0.9, 0.8, 7), np.linspace(0.4, 0.1, 20)]
    >>> gmm_top_k(scores)
    array([0, 1, 2, 3, 4, 5, 6])
    """
    scores = _check_scores(scores)
    top_n = check_param_int(top_n, "top_n", 1)
    min_k = check_param_int(min_k, "min_k", 1)
    max_k = check_param_int(max_k, "max_k", min_k)
    order = np.argsort(-scores, kind="stable")[:top_n]
    top = scores[order]
    if top.size <= min_k:
        return order
    if np.ptp(top) == 0:
        return order[:min_k]
    mixture = _two_component_mixture(top, random_state=random_state)
    labels = mixture.predict(top[:, None])
    group_size = int(np.sum(labels == labels[0]))
    return order[: int(np.clip(group_size, min_k, max_k))]
