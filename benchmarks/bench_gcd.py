"""Generalized category discovery on scikit-learn's digits.

Classes 0-4 are known, with 50% of their rows labelled; classes 5-9 are novel
and their number is not given to SemiSupervisedGMM. Features: the first 20
principal components (fitted on all rows, the same input for every method).
Reported on the unlabelled rows, with one Hungarian matching (All/Old/New):

* skmix SemiSupervisedGMM (number of novel classes found by split/merge);
* scikit-learn GaussianMixture with the number of components chosen by BIC
  (2..16, full covariance), ignoring the labels;
* semi-supervised k-means given the true number of classes (10): labelled
  rows fixed to their class, novel centroids seeded by k-means++.

Goal (issue 3): |K-hat - 10| <= 1 and All accuracy above both baselines.

Usage::

    python benchmarks/bench_gcd.py            # seeds 0-4
    python benchmarks/bench_gcd.py --seeds 2
"""

import argparse
import time

import numpy as np
from sklearn.cluster import kmeans_plusplus
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.metrics import gcd_accuracy
from skmix.semi_supervised import SemiSupervisedGMM

N_CLASSES = 10


def split(y, seed):
    """Known classes 0-4, half of their rows labelled."""
    rng = np.random.default_rng(seed)
    is_old = y < 5
    labelled = is_old & (rng.random(y.size) < 0.5)
    return np.where(labelled, y, -1), labelled, is_old


def semi_supervised_kmeans(X, y_partial, n_clusters, seed, max_iter=300):
    """k-means with labelled rows pinned to their class's centroid."""
    labelled = y_partial >= 0
    known = np.unique(y_partial[labelled])
    centroids = [X[y_partial == c].mean(axis=0) for c in known]
    novel, _ = kmeans_plusplus(X[~labelled], n_clusters - known.size, random_state=seed)
    centroids = np.vstack([centroids, novel])
    assignment = np.where(labelled, np.searchsorted(known, y_partial), -1)
    for _ in range(max_iter):
        distances = ((X[:, None, :] - centroids[None]) ** 2).sum(axis=2)
        new = np.where(labelled, assignment, np.argmin(distances, axis=1))
        if np.array_equal(new, assignment):
            break
        assignment = new
        centroids = np.vstack(
            [
                X[assignment == k].mean(axis=0) if np.any(assignment == k)
                else centroids[k]
                for k in range(n_clusters)
            ]
        )  # fmt: skip
    return assignment


def gmm_bic(X, seed, max_components=16):
    fits = [
        SklearnGaussianMixture(k, n_init=2, random_state=seed).fit(X)
        for k in range(2, max_components + 1)
    ]
    best = min(fits, key=lambda model: model.bic(X))
    return best.predict(X), best.n_components


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()

    X_raw, y = load_digits(return_X_y=True)
    X = PCA(20, random_state=0).fit_transform(X_raw)
    rows = {"SemiSupervisedGMM": [], "GMM + BIC": [], "SS k-means (true K)": []}
    print(f"{'seed':>4} {'method':>20} {'K':>3} {'All':>6} {'Old':>6} {'New':>6} "
          f"{'s':>5}")  # fmt: skip
    for seed in range(args.seeds):
        y_partial, labelled, is_old = split(y, seed)
        unlabelled = ~labelled
        start = time.perf_counter()
        model = SemiSupervisedGMM(random_state=seed).fit(X, y_partial)
        results = {
            "SemiSupervisedGMM": (model.predict(X), model.n_components_,
                                  time.perf_counter() - start)
        }  # fmt: skip
        start = time.perf_counter()
        predictions, k = gmm_bic(X, seed)
        results["GMM + BIC"] = (predictions, k, time.perf_counter() - start)
        start = time.perf_counter()
        predictions = semi_supervised_kmeans(X, y_partial, N_CLASSES, seed)
        results["SS k-means (true K)"] = (
            predictions,
            N_CLASSES,
            time.perf_counter() - start,
        )
        for name, (predictions, k, seconds) in results.items():
            accuracy = gcd_accuracy(
                y[unlabelled], predictions[unlabelled], is_old[unlabelled]
            )
            rows[name].append((k, *accuracy))
            all_, old, new = accuracy
            print(f"{seed:>4} {name:>20} {k:>3} {all_:6.3f} {old:6.3f} {new:6.3f} "
                  f"{seconds:5.1f}")  # fmt: skip
    print("\nmean over seeds")
    for name, values in rows.items():
        k, all_, old, new = np.mean(values, axis=0)
        k_values = [int(v[0]) for v in values]
        print(f"{name:>20}  K {k:5.1f} {k_values}  All {all_:.3f}  Old {old:.3f}  "
              f"New {new:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
