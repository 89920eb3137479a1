"""Starts drawn with scikit-learn's clustering, under skmix's thread policy."""

from sklearn.cluster import KMeans, kmeans_plusplus

from .._backend import one_openmp_thread


def kmeans_labels(X, n_clusters, random_state):
    """Labels of one k-means run (scikit-learn's, with its random draws)."""
    with one_openmp_thread():
        return (
            KMeans(n_clusters=n_clusters, n_init=1, random_state=random_state)
            .fit(X)
            .labels_
        )


def kmeans_plusplus_indices(X, n_clusters, random_state):
    """Rows chosen as centres by k-means++ seeding."""
    with one_openmp_thread():
        return kmeans_plusplus(X, n_clusters, random_state=random_state)[1]
