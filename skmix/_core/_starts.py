"""Starts: scikit-learn's k-means under skmix's thread policy, and mclust's
hierarchical and quantile partitions."""

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus

from .._backend import one_openmp_thread


def kmeans_labels(X, n_clusters, random_state, sample_weight=None):
    """Labels of one k-means run (scikit-learn's, with its random draws)."""
    with one_openmp_thread():
        return (
            KMeans(n_clusters=n_clusters, n_init=1, random_state=random_state)
            .fit(X, sample_weight=sample_weight)
            .labels_
        )


def kmeans_plusplus_indices(X, n_clusters, random_state, sample_weight=None):
    """Rows chosen as centres by k-means++ seeding."""
    with one_openmp_thread():
        return kmeans_plusplus(
            X, n_clusters, random_state=random_state, sample_weight=sample_weight
        )[1]


#: Rows mclust's hierarchical start clusters (``mclust.options("subset")``).
HC_SUBSET_SIZE = 2000


def hierarchical_start_rows(n_samples, random_state, subset_size=HC_SUBSET_SIZE):
    """Indices of the rows a hierarchical start clusters: all of them (None)
    up to `subset_size`, else a sorted random subset, as mclust draws."""
    if n_samples <= subset_size:
        return None
    return np.sort(random_state.choice(n_samples, size=subset_size, replace=False))


def quantile_classes(x, n_classes):
    """mclust's ``qclass``: classes between quantiles of one feature.

    Quantiles are taken at ever finer probability grids until `n_classes` + 1
    distinct ones exist; the surplus boundaries closest to their neighbours
    are dropped, and the outer ones widened so every value falls inside.
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    eps = np.std(x, ddof=1) * np.sqrt(np.finfo(np.float64).eps) if x.size > 1 else 0.0
    n_grid = n_classes
    boundaries = np.empty(0)
    while boundaries.size < n_classes + 1:
        n_grid += 1
        boundaries = np.unique(np.quantile(x, np.linspace(0.0, 1.0, n_grid)))
        if n_grid > x.size + n_classes + 1:
            raise ValueError(
                f"Cannot split {np.unique(x).size} distinct values into "
                f"{n_classes} classes."
            )
    surplus = boundaries.size - n_classes - 1
    if surplus:
        # R's order() is stable: the first of equal gaps goes first.
        boundaries = np.delete(
            boundaries, np.argsort(np.diff(boundaries), kind="stable")[:surplus]
        )
    boundaries[0], boundaries[-1] = x.min() - eps, x.max() + eps
    return np.searchsorted(boundaries, x, side="right") - 1


def hierarchical_partitions(X, n_components):
    """mclust's start partitions of `X` for each number of components.

    One feature: :func:`quantile_classes`. Several: one tree of mclust's
    model-based agglomerative clustering (VVV criterion on the SVD scores; EII
    on the data when there are no more rows than features) cut at each number.

    Returns
    -------
    dict
        ``{k: labels}`` with labels in ``0..k-1`` for each k.
    """
    # Imported here: its Numba kernels would make every import pay for Numba.
    from ._hierarchical import hc_transform, hierarchical_labels, hierarchical_merges

    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    if n_features == 1:
        return {k: quantile_classes(X[:, 0], k) for k in n_components}
    if n_samples > n_features:
        tree = hierarchical_merges(hc_transform(X, "SVD"), "VVV")
    else:  # mclust's EII; the SVD scores of so few rows are rank-deficient
        tree = hierarchical_merges(X, "EII")
    return {k: hierarchical_labels(tree, k) for k in n_components}
