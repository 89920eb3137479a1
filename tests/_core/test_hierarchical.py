"""mclust's model-based hierarchical clustering (``hc``, ``hclass``).

The reference is ``tests/data/mclust/hc_reference.json``, written by mclust
6.0.0 (see the README there): for iris, faithful, banknote and diabetes, the
tree and ``hclass(tree, 1:9)`` of ``hc(X, "VVV", "SVD")`` (Mclust's default),
``hc(X, "EII", "VARS")`` and ``hc(X, "VVV", "VARS")``, and the SVD-transformed
data. Trees must agree merge for merge, and labels exactly (mclust's minus
one): this is stronger than an adjusted Rand index of 1.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from skmix._core._hierarchical import (
    _trace_scatter,
    hc_transform,
    hierarchical_labels,
    hierarchical_merges,
)
from skmix._core._starts import (
    hierarchical_partitions,
    hierarchical_start_rows,
    quantile_classes,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "mclust"
DATASETS = ["iris", "faithful", "banknote", "diabetes"]
SETTINGS = ["VVV_SVD", "EII_VARS", "VVV_VARS"]


@pytest.fixture(scope="module")
def reference():
    return json.loads((DATA / "hc_reference.json").read_text())


def _data(name):
    return np.loadtxt(DATA / f"{name}.csv", delimiter=",", skiprows=1)


def _mclust_merges(entry):
    # Stored as hc() returns it: 2 x (n-1), 1-based.
    return np.asarray(entry["merge"], dtype=np.int64).T - 1


def _aligned(Z, Z_ref):
    # Singular vectors' signs are LAPACK's choice; no merge depends on them.
    return Z * np.where((Z * Z_ref).sum(axis=0) < 0, -1.0, 1.0)


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("setting", SETTINGS)
def test_tree_and_partitions_equal_mclusts(reference, name, setting):
    entry = reference[name][setting]
    model, use = setting.split("_")
    merges = hierarchical_merges(hc_transform(_data(name), use), model)
    np.testing.assert_array_equal(merges, _mclust_merges(entry))
    for k in range(1, 10):
        expected = np.asarray(entry["hclass"][str(k)]) - 1
        labels = hierarchical_labels(merges, k)
        np.testing.assert_array_equal(labels, expected, err_msg=f"K={k}")
        assert adjusted_rand_score(labels, expected) == 1.0


@pytest.mark.parametrize("name", DATASETS)
def test_tree_from_mclusts_transformed_data_equals_mclusts(reference, name):
    # The tree alone, free of the SVD's last bits: from the very Z mclust used.
    entry = reference[name]["VVV_SVD"]
    merges = hierarchical_merges(np.asarray(entry["Z"]), "VVV")
    np.testing.assert_array_equal(merges, _mclust_merges(entry))


@pytest.mark.parametrize("name", DATASETS)
def test_svd_transform_equals_mclusts(reference, name):
    entry = reference[name]["VVV_SVD"]
    Z_ref = np.asarray(entry["Z"])
    Z = hc_transform(_data(name), "SVD")
    assert Z.shape == Z_ref.shape
    np.testing.assert_allclose(_aligned(Z, Z_ref), Z_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        _aligned(Z[:5], Z_ref[:5]), np.asarray(entry["Z_head"]), rtol=0, atol=1e-10
    )


@pytest.mark.parametrize("name", DATASETS)
def test_std_transform_is_scale_with_mclusts_center_and_scale(reference, name):
    entry = reference[name]["VVV_SVD"]
    X = _data(name)
    expected = (X - np.asarray(entry["center"])) / np.asarray(entry["scale"])
    np.testing.assert_allclose(hc_transform(X, "STD"), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", DATASETS)
def test_vvv_alpha_equals_mclusts(reference, name):
    # hcVVV's alpha = traceW(Z / sqrt(n p)), bit for bit from the same data.
    entry = reference[name]
    assert (
        _trace_scatter(np.asarray(entry["VVV_SVD"]["Z"])) == entry["VVV_SVD"]["alpha"]
    )
    assert _trace_scatter(_data(name)) == entry["VVV_VARS"]["alpha"]


def test_vars_is_the_data():
    X = _data("faithful")
    Z = hc_transform(X, "vars")
    np.testing.assert_array_equal(Z, X)
    assert Z is not X


@pytest.mark.parametrize("use", ["PCS", "PCR", "SPH", "SVD"])
def test_projections_are_decorrelated(use):
    X = _data("banknote")
    Z = hc_transform(X, use)
    C = np.cov(Z, rowvar=False)
    np.testing.assert_allclose(C - np.diag(np.diag(C)), 0.0, atol=1e-10)
    if use == "SPH":
        np.testing.assert_allclose(
            np.cov(Z, rowvar=False, ddof=0), np.eye(6), atol=1e-10
        )


def test_constant_columns_are_dropped_where_the_transform_scales():
    X = _data("diabetes").copy()
    X[:, 1] = 7.0
    assert hc_transform(X, "STD").shape == (X.shape[0], 2)
    assert hc_transform(X, "SVD").shape == (X.shape[0], 2)
    assert hc_transform(X, "VARS").shape == X.shape


@pytest.mark.parametrize("model", ["EII", "VVV"])
def test_tree_ignores_column_signs(model):
    Z = hc_transform(_data("banknote"), "SVD")
    flipped = Z * np.array([1.0, -1.0, 1.0, -1.0, -1.0, 1.0])
    np.testing.assert_array_equal(
        hierarchical_merges(flipped, model), hierarchical_merges(Z, model)
    )


def test_eii_is_wards_linkage():
    # Independent of mclust: Ward's criterion in scipy (continuous data, no ties).
    X = np.random.default_rng(0).standard_normal((120, 3))
    merges = hierarchical_merges(X, "EII")
    ward = linkage(X, method="ward")
    for k in range(1, 10):
        expected = fcluster(ward, k, criterion="maxclust")
        assert adjusted_rand_score(hierarchical_labels(merges, k), expected) == 1.0


@pytest.mark.parametrize("model", ["EII", "VVV"])
def test_trees_are_deterministic(model):
    X = _data("iris")
    first = hierarchical_merges(X, model)
    np.testing.assert_array_equal(hierarchical_merges(X.copy(), model), first)
    np.testing.assert_array_equal(
        hierarchical_merges(np.asfortranarray(X), model), first
    )


@pytest.mark.parametrize("model", ["EII", "VVV"])
def test_merges_form_a_tree(model):
    X = np.random.default_rng(1).standard_normal((60, 4))
    merges = hierarchical_merges(X, model)
    assert merges.shape == (59, 2) and merges.dtype == np.int64
    assert (merges[:, 0] < merges[:, 1]).all()
    # Each name but row 0's is absorbed once; only live names merge.
    assert sorted(merges[:, 1]) == list(range(1, 60))
    absorbed = set()
    for lo, hi in merges:
        assert lo not in absorbed and hi not in absorbed
        absorbed.add(hi)


def test_labels_cut_the_tree_at_every_size():
    merges = hierarchical_merges(np.random.default_rng(2).standard_normal((40, 2)))
    np.testing.assert_array_equal(hierarchical_labels(merges, 40), np.arange(40))
    np.testing.assert_array_equal(hierarchical_labels(merges, 1), np.zeros(40))
    coarser = hierarchical_labels(merges, 1)
    for k in range(2, 41):
        labels = hierarchical_labels(merges, k)
        assert labels.dtype == np.int64
        # K clusters, numbered in order of first appearance.
        _, first = np.unique(labels, return_index=True)
        np.testing.assert_array_equal(labels[np.sort(first)], np.arange(k))
        # Nested: each cluster lies inside one cluster of the cut above it.
        for c in range(k):
            assert np.unique(coarser[labels == c]).size == 1
        coarser = labels


def test_partitions_of_all_rows(reference):
    X = _data("iris")
    partitions = hierarchical_partitions(X, range(1, 10))
    for k in range(1, 10):
        expected = np.asarray(reference["iris"]["VVV_SVD"]["hclass"][str(k)]) - 1
        np.testing.assert_array_equal(partitions[k], expected)


def test_partitions_on_a_subset_of_many_rows():
    rng = np.random.RandomState(0)
    rows = hierarchical_start_rows(300, rng, subset_size=100)
    assert rows.shape == (100,)
    assert np.unique(rows).size == 100 and (np.diff(rows) > 0).all()
    again = hierarchical_start_rows(300, np.random.RandomState(0), subset_size=100)
    np.testing.assert_array_equal(again, rows)
    other = hierarchical_start_rows(300, np.random.RandomState(1), subset_size=100)
    assert not np.array_equal(other, rows)
    assert hierarchical_start_rows(100, rng, subset_size=100) is None


def test_partitions_use_eii_without_more_rows_than_features():
    # mclustBIC: hc with hcModelName if n > d, else EII.
    X = np.random.default_rng(5).standard_normal((5, 6))
    partitions = hierarchical_partitions(X, [2, 3])
    merges = hierarchical_merges(X, "EII")
    for k in (2, 3):
        np.testing.assert_array_equal(partitions[k], hierarchical_labels(merges, k))


def test_one_feature_uses_quantile_classes():
    """mclust's qclass, as Mclust starts one-dimensional data; the reference
    is the start of the E and V fits in me_reference.json."""
    fits = json.loads((DATA / "me_reference.json").read_text())["fits"]
    waiting = np.loadtxt(DATA / "waiting.csv", delimiter=",", skiprows=1)
    for fit in (f for f in fits if f["dataset"] == "waiting"):
        expected = np.asarray(fit["init_labels"]) - 1
        np.testing.assert_array_equal(
            hierarchical_partitions(waiting[:, None], [fit["G"]])[fit["G"]], expected
        )
    labels = quantile_classes(np.arange(12.0), 3)
    np.testing.assert_array_equal(labels, np.repeat([0, 1, 2], 4))


def test_errors():
    X = _data("faithful")
    with pytest.raises(ValueError, match="NaN"):
        hierarchical_merges(np.where(np.eye(272, 2) > 0, np.nan, X))
    with pytest.raises(ValueError, match="NaN"):
        hc_transform(np.where(np.eye(272, 2) > 0, np.inf, X))
    with pytest.raises(ValueError, match="at least 2 rows"):
        hierarchical_merges(X[:1])
    with pytest.raises(ValueError, match="2-D"):
        hierarchical_merges(X[:, 0])
    with pytest.raises(ValueError, match="model"):
        hierarchical_merges(X, "VEV")
    with pytest.raises(ValueError, match="use"):
        hc_transform(X, "RND")
    with pytest.raises(ValueError, match="alpha"):
        hierarchical_merges(X, "VVV", beta=0.0)
    with pytest.raises(ValueError, match="rank-deficient"):
        hc_transform(np.column_stack([X, X[:, 0]]), "SVD")
    with pytest.raises(ValueError, match="every column is constant"):
        hc_transform(np.ones((5, 2)), "STD")
    merges = hierarchical_merges(X[:10])
    for k in (0, 11, 2.5):
        with pytest.raises(ValueError, match="n_components"):
            hierarchical_labels(merges, k)
