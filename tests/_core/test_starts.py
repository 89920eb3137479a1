"""k-means starts under the one-OpenMP-thread policy draw what scikit-learn draws."""

import numpy as np
from sklearn.cluster import KMeans, kmeans_plusplus
from threadpoolctl import threadpool_info

from skmix._backend import one_openmp_thread
from skmix._core import kmeans_labels, kmeans_plusplus_indices


def test_starts_equal_scikit_learn_with_all_its_threads():
    X = np.random.default_rng(0).standard_normal((20000, 6))
    expected = KMeans(5, n_init=1, random_state=3).fit(X).labels_
    np.testing.assert_array_equal(kmeans_labels(X, 5, 3), expected)
    _, expected_indices = kmeans_plusplus(X, 4, random_state=7)
    np.testing.assert_array_equal(kmeans_plusplus_indices(X, 4, 7), expected_indices)


def test_policy_caps_scikit_learns_openmp_at_one_thread():
    with one_openmp_thread():
        openmp = [p for p in threadpool_info() if p["user_api"] == "openmp"]
        # Wheels vendor scikit-learn's own libgomp; other installs share one.
        vendored = [p for p in openmp if "scikit_learn" in p["filepath"]]
        assert openmp, "scikit-learn's OpenMP runtime is loaded"
        assert all(p["num_threads"] == 1 for p in vendored or openmp)
