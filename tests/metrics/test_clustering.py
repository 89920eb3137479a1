import itertools

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from skmix.metrics import cluster_accuracy, gcd_accuracy


def _brute_force_accuracy(y_true, y_pred):
    true_labels, pred_labels = np.unique(y_true), np.unique(y_pred)
    best = 0
    n = max(len(true_labels), len(pred_labels))
    padded = list(pred_labels) + [None] * (n - len(pred_labels))
    for perm in itertools.permutations(padded, len(true_labels)):
        mapping = dict(zip(perm, true_labels, strict=True))
        hits = sum(
            mapping.get(p, object()) == t for t, p in zip(y_true, y_pred, strict=True)
        )
        best = max(best, hits)
    return best / len(y_true)


@pytest.mark.parametrize("seed", range(6))
def test_cluster_accuracy_is_the_best_permutation(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, 40)
    y_pred = np.where(
        rng.random(40) < 0.6, (y_true * 7 + 3) % 5, rng.integers(0, 5, 40)
    )
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(
        _brute_force_accuracy(y_true, y_pred)
    )


def _split_cluster_acc_v2(y_true, y_pred, mask):
    # The GCD reference implementation (Vaze et al., 2022), verbatim in logic.
    y_true = y_true.astype(int)
    old_classes_gt = set(y_true[mask])
    new_classes_gt = set(y_true[~mask])
    D = max(y_pred.max(), y_true.max()) + 1
    w = np.zeros((D, D), dtype=int)
    for i in range(y_pred.size):
        w[y_pred[i], y_true[i]] += 1
    ind = np.vstack(linear_sum_assignment(w.max() - w)).T
    ind_map = {j: i for i, j in ind}
    total_acc = sum(w[i, j] for i, j in ind) / y_pred.size
    old_acc = sum(w[ind_map[i], i] for i in old_classes_gt)
    old_acc /= sum(w[:, i].sum() for i in old_classes_gt)
    new_acc = sum(w[ind_map[i], i] for i in new_classes_gt)
    new_acc /= sum(w[:, i].sum() for i in new_classes_gt)
    return total_acc, old_acc, new_acc


@pytest.mark.parametrize("seed", range(6))
def test_gcd_accuracy_matches_reference_implementation(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 8, 300)
    noisy = rng.random(300) < 0.3
    y_pred = np.where(noisy, rng.integers(0, 9, 300), (y_true + 2) % 9)
    is_old = y_true < 4
    result = gcd_accuracy(y_true, y_pred, is_old)
    np.testing.assert_allclose(result, _split_cluster_acc_v2(y_true, y_pred, is_old))


def test_gcd_accuracy_without_novel_rows_is_nan_for_new():
    result = gcd_accuracy([0, 1, 1], [1, 0, 0], [True, True, True])
    assert result.all == result.old == 1.0 and np.isnan(result.new)


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        cluster_accuracy([0, 1], [0])
    with pytest.raises(ValueError, match="is_old"):
        gcd_accuracy([0, 1], [0, 1], [True])
