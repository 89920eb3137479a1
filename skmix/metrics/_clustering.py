"""Clustering accuracy under the best one-to-one matching of labels."""

from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment


class GCDAccuracy(NamedTuple):
    """Accuracies of generalized category discovery.

    Attributes
    ----------
    all : float
        Accuracy over every evaluated row.
    old : float
        Accuracy over rows of known (labelled) classes.
    new : float
        Accuracy over rows of novel classes.
    """

    all: float
    old: float
    new: float


def _check_labelings(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(
            "y_true and y_pred must be 1-D of the same length; got shapes "
            f"{y_true.shape} and {y_pred.shape}."
        )
    if y_true.size == 0:
        raise ValueError("y_true and y_pred are empty.")
    return y_true, y_pred


def _best_matching(y_true, y_pred):
    """Contingency table and the assignment of predicted to true labels that
    maximises agreement (Hungarian algorithm)."""
    true_labels, true_codes = np.unique(y_true, return_inverse=True)
    pred_labels, pred_codes = np.unique(y_pred, return_inverse=True)
    contingency = np.zeros((pred_labels.size, true_labels.size), dtype=np.int64)
    np.add.at(contingency, (pred_codes, true_codes), 1)
    rows, cols = linear_sum_assignment(contingency, maximize=True)
    return true_labels, true_codes, contingency, dict(zip(cols, rows, strict=True))


def cluster_accuracy(y_true, y_pred):
    """Accuracy of a clustering under the best one-to-one label matching.

    Predicted clusters are matched to true classes by the Hungarian algorithm;
    clusters left unmatched (more clusters than classes) count as errors.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_pred : array-like of shape (n_samples,)

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> from skmix.metrics import cluster_accuracy
    >>> cluster_accuracy([0, 0, 1, 1, 2], [5, 5, 3, 3, 3])
    0.8
    """
    y_true, y_pred = _check_labelings(y_true, y_pred)
    _, _, contingency, match = _best_matching(y_true, y_pred)
    return float(sum(contingency[p, t] for t, p in match.items()) / y_true.size)


def gcd_accuracy(y_true, y_pred, is_old):
    """All/Old/New accuracy of generalized category discovery.

    One Hungarian matching over all evaluated rows (Vaze et al., 2022, the
    protocol of later GCD work including GPC); Old and New are the accuracies
    of that matching restricted to rows of known and of novel classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes of the evaluated (unlabelled) rows.
    y_pred : array-like of shape (n_samples,)
    is_old : array-like of bool of shape (n_samples,)
        Whether each row's true class is a known class.

    Returns
    -------
    GCDAccuracy
        ``(all, old, new)``; ``old`` or ``new`` is NaN when no row is in it.

    References
    ----------
    Vaze, S., Han, K., Vedaldi, A. and Zisserman, A. (2022). Generalized
    category discovery. CVPR.

    Examples
    --------
    >>> from skmix.metrics import gcd_accuracy
    >>> gcd_accuracy([0, 0, 1, 2, 2], [1, 1, 0, 2, 0], [1, 1, 1, 0, 0])
    GCDAccuracy(all=0.8, old=1.0, new=0.5)
    """
    y_true, y_pred = _check_labelings(y_true, y_pred)
    is_old = np.asarray(is_old, dtype=bool)
    if is_old.shape != y_true.shape:
        raise ValueError(f"is_old must have shape {y_true.shape}; got {is_old.shape}.")
    _, true_codes, contingency, match = _best_matching(y_true, y_pred)
    pred_codes = np.unique(y_pred, return_inverse=True)[1]
    matched = np.array([match.get(t, -1) for t in range(contingency.shape[1])])
    correct = matched[true_codes] == pred_codes

    def mean_or_nan(mask):
        return float(correct[mask].mean()) if mask.any() else float("nan")

    return GCDAccuracy(float(correct.mean()), mean_or_nan(is_old), mean_or_nan(~is_old))
