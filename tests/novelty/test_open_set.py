"""OpenSetGMMDetector: conformal guarantee, scoring paths, persistence, errors."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import ks_2samp, multivariate_normal

from skmix.mixture import GaussianMixture
from skmix.novelty import OpenSetGMMDetector, _open_set
from skmix.novelty._open_set import (
    conformal_p_values,
    conformal_threshold,
    ks_cell_codes,
    ks_reference_cells,
    ks_two_sample_from_cells,
    weighted_quantile,
)

from .._helpers import CPU_BACKENDS

CENTRES = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.0]])


def _known(n_per_class=300, seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, [1.0, 0.6], (n_per_class, 2)) for c in CENTRES])
    return X, np.repeat([0, 1, 2], n_per_class)


def test_conformal_threshold_and_p_values_by_brute_force():
    rng = np.random.default_rng(0)
    calibration = rng.normal(size=99)
    scores = np.r_[rng.normal(size=500), calibration[:5]]
    p = conformal_p_values(scores, calibration)
    expected = [(1 + np.sum(calibration <= s)) / 100 for s in scores]
    np.testing.assert_allclose(p, expected)
    for alpha in (0.01, 0.05, 0.2, 0.5):
        threshold = conformal_threshold(calibration, alpha)
        np.testing.assert_array_equal(scores <= threshold, p <= alpha)
    assert conformal_threshold(calibration, 0.005) == -np.inf


def test_false_alarm_rate_is_at_most_alpha_on_fresh_inliers():
    # The split-conformal guarantee holds on average over calibration draws:
    # E[false-alarm rate] = floor(alpha (n + 1)) / (n + 1) <= alpha, here with
    # n = 300 calibration rows; the mean of 20 runs has a s.d. of about 0.004.
    alpha, rates = 0.1, []
    for seed in range(20):
        X, y = _known(500, seed)
        detector = OpenSetGMMDetector(
            (1, 2), covariance_type="full", reg_covar=1e-6, alpha=alpha,
            random_state=seed,
        )  # fmt: skip
        X_new, _ = _known(2000, seed + 100)
        rates.append(detector.fit(X, y).is_novel(X_new).mean())
    assert np.mean(rates) <= alpha + 0.012
    assert np.mean(rates) >= alpha - 0.02  # calibrated, not needlessly strict


def test_float_contamination_flags_that_share_of_training_rows():
    X, y = _known()
    detector = OpenSetGMMDetector(contamination=0.1, random_state=0).fit(X, y)
    assert detector.is_novel(X).mean() == pytest.approx(0.1, abs=0.01)
    assert detector.calibration_scores_ is None
    with pytest.raises(ValueError, match="contamination='auto'"):
        detector.conformal_p_values(X)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_predictions_match_scipy_class_conditional_densities(backend):
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0, backend=backend).fit(X, y)
    rng = np.random.default_rng(1)
    X_new = rng.uniform(-4, 10, (300, 2))
    log_class = np.column_stack(
        [
            np.log(prior)
            + logsumexp(
                [
                    np.log(w) + multivariate_normal(m, c).logpdf(X_new)
                    for w, m, c in zip(
                        mixture.weights_,
                        mixture.means_,
                        _full(mixture.covariances_, mixture.covariance_type, 2),
                        strict=True,
                    )  # fmt: skip
                ],
                axis=0,
            )
            for prior, mixture in zip(
                detector.class_priors_, detector.class_mixtures_, strict=True
            )
        ]
    )
    np.testing.assert_allclose(
        detector.score_samples(X_new), logsumexp(log_class, axis=1), rtol=1e-9
    )
    np.testing.assert_allclose(
        detector.predict_proba(X_new),
        np.exp(log_class - logsumexp(log_class, axis=1, keepdims=True)),
        atol=1e-12,
    )
    expected = np.where(
        logsumexp(log_class, axis=1) < detector.offset_, -1, np.argmax(log_class, 1)
    )
    np.testing.assert_array_equal(detector.predict(X_new), expected)
    np.testing.assert_allclose(
        detector.decision_function(X_new),
        detector.score_samples(X_new) - detector.offset_,
    )


def _full(covariances, covariance_type, n_features):
    if covariance_type == "full":
        return covariances
    if covariance_type == "diag":
        return [np.diag(c) for c in covariances]
    return [np.eye(n_features) * c for c in covariances]


def test_novel_rows_get_the_novelty_label_and_known_rows_their_class():
    X, y = _known()
    names = np.array(["a", "b", "c"])[y]
    detector = OpenSetGMMDetector(random_state=0).fit(X, names)
    predicted = detector.predict(np.array([[0.1, 0.0], [6.0, 0.2], [30.0, -30.0]]))
    assert predicted.tolist() == ["a", "b", -1]
    assert detector.score(X, names) > 0.9


def test_chunked_memmap_and_in_memory_scores_agree(tmp_path):
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0, chunk_size=64).fit(X, y)
    whole = OpenSetGMMDetector(random_state=0).fit(X, y).score_samples(X)
    np.testing.assert_array_equal(detector.score_samples(X), whole)
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=X.shape)
    mapped[:] = X
    np.testing.assert_array_equal(detector.score_samples(mapped), whole)


def test_dask_arrays_are_scored_lazily_by_block():
    da = pytest.importorskip("dask.array")
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    lazy = detector.score_samples(da.from_array(X, chunks=(100, 1)))
    assert type(lazy).__module__.startswith("dask")
    np.testing.assert_array_equal(lazy.compute(), detector.score_samples(X))


def test_partial_fit_updates_priors_models_and_threshold():
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    before = [m.means_.copy() for m in detector.class_mixtures_]
    counts = detector.class_counts_.copy()
    rng = np.random.default_rng(3)
    batch = rng.normal(CENTRES[1] + 0.5, [1.0, 0.6], (200, 2))
    detector.partial_fit(batch, np.ones(200, dtype=int))
    np.testing.assert_array_equal(detector.class_counts_, counts + [0, 200, 0])
    np.testing.assert_array_equal(detector.class_mixtures_[0].means_, before[0])
    assert not np.allclose(detector.class_mixtures_[1].means_, before[1])
    with pytest.raises(ValueError, match="not seen in fit"):
        detector.partial_fit(batch, np.full(200, 7))


def test_drift_statistic():
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    same, _ = _known(300, seed=5)
    assert detector.drift(same).pvalue > 0.01
    shifted = same + [1.5, 0.0]
    result = detector.drift(shifted)
    assert result.pvalue < 1e-6 and result.statistic > 0.2


def test_counted_ks_test_is_scipys_with_ties():
    """The cell counts give scipy's statistic and p-value, ties included."""
    rng = np.random.default_rng(0)
    reference = np.round(rng.normal(size=800), 1)
    batch = np.r_[np.round(rng.normal(0.1, 1.0, 12_000), 1), reference]
    values, at_or_below = ks_reference_cells(reference)
    counts = np.bincount(ks_cell_codes(batch, values), minlength=2 * values.size + 1)
    expected = ks_2samp(batch, reference)
    statistic, pvalue = ks_two_sample_from_cells(counts, at_or_below)
    assert statistic == pytest.approx(expected.statistic, rel=1e-14)
    assert pvalue == pytest.approx(expected.pvalue, rel=1e-10)


@pytest.mark.parametrize("kind", ["array", "memmap", "dask"])
def test_drift_of_a_large_batch_is_ks_2samp_of_its_scores(kind, tmp_path):
    """Over ``KS_EXACT_ROWS`` rows the batch is counted, not sorted, chunk by
    chunk or on Dask: the same test as scipy's on all its scores."""
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0, chunk_size=4096).fit(X, y)
    batch, _ = _known(4000, seed=6)
    batch = batch + [1.0, 0.0]
    expected = ks_2samp(detector.score_samples(batch), detector.reference_scores_)
    if kind == "memmap":
        mapped = np.lib.format.open_memmap(
            tmp_path / "X.npy", mode="w+", shape=batch.shape
        )
        mapped[:] = batch
        batch = mapped
    elif kind == "dask":
        batch = pytest.importorskip("dask.array").from_array(batch, chunks=5000)
    result = detector.drift(batch)
    assert result.n_batch == 12_000
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-8)
    assert result.pvalue < 1e-3  # the shift is seen


@pytest.mark.parametrize("how", ["pickle", "joblib", "skops"])
def test_persisted_model_scores_identically(how, tmp_path):
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    path = tmp_path / "model"
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(detector))
    elif how == "joblib":
        joblib.dump(detector, path)
        loaded = joblib.load(path)
    else:
        sio = pytest.importorskip("skops.io")
        sio.dump(detector, path)
        loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.score_samples(X), detector.score_samples(X))
    np.testing.assert_array_equal(loaded.predict(X), detector.predict(X))


def test_global_density_option():
    X, y = _known()
    detector = OpenSetGMMDetector(density="global", random_state=0).fit(X, y)
    assert detector.global_mixture_ is not None
    assert detector.predict([[40.0, 40.0]]).tolist() == [-1]
    assert detector.predict([[6.0, 0.0]]).tolist() == [1]


def test_validation_selection_records_every_candidate():
    X, y = _known()
    detector = OpenSetGMMDetector(selection="validation", random_state=0).fit(X, y)
    assert len(detector.selection_results_) == 12
    best = max(detector.selection_results_, key=lambda row: row[2])
    assert (detector.covariance_type_, detector.reg_covar_) == best[:2]


@pytest.mark.parametrize(
    "X, y, params, match",
    [
        (np.r_[np.zeros((4, 2)), np.ones((1, 2))], [0, 0, 0, 0, 1], {}, "at least 2"),
        (np.random.default_rng(0).random((8, 2)), [0] * 6 + [1] * 2,
         {"n_components": (3,), "contamination": 0.1}, "fewer than the smallest"),
        ([[0.0, np.nan], [1.0, 1.0]], [0, 1], {}, "NaN"),
        (np.ones((5, 2)), [0, 1, 0, 1, 0], {"alpha": 1.5}, "alpha"),
    ],
)  # fmt: skip
def test_bad_input(X, y, params, match):
    with pytest.raises(ValueError, match=match):
        OpenSetGMMDetector(**params).fit(X, y)


def test_failed_fit_and_bad_scoring_input_leave_the_model_untouched():
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    before = detector.score_samples(X)
    with pytest.raises(ValueError):
        detector.fit(X[:3], [0, 1, 2])
    with pytest.raises(ValueError, match="features"):
        detector.score_samples(np.ones((3, 5)))
    np.testing.assert_array_equal(detector.score_samples(X), before)


# ------------------------------------------------------------ sample weights
def _weighted_known(seed=0):
    """Class 0 of two blobs (two components), classes 1 and 2 of one; integer
    weights 0 to 3."""
    rng = np.random.default_rng(seed)
    X = np.vstack(
        [
            rng.normal([-2.0, -6.0], 0.5, (60, 2)),
            rng.normal([2.0, -6.0], 0.5, (60, 2)),
            rng.normal(CENTRES[1], [1.0, 0.6], (120, 2)),
            rng.normal(CENTRES[2], [1.0, 0.6], (120, 2)),
        ]
    )
    y = np.repeat([0, 1, 2], 120)
    return X, y, rng.integers(0, 4, X.shape[0])


def _assert_same_detector(a, b, X_new, rtol):
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_allclose(a.class_counts_, b.class_counts_, rtol=rtol)
    np.testing.assert_allclose(a.class_priors_, b.class_priors_, rtol=rtol)
    assert [m.n_components for m in a.class_mixtures_] == [
        m.n_components for m in b.class_mixtures_
    ]
    for m, n in zip(a.class_mixtures_, b.class_mixtures_, strict=True):
        np.testing.assert_allclose(m.means_, n.means_, rtol=rtol)
        np.testing.assert_allclose(m.covariances_, n.covariances_, rtol=rtol)
    assert a.offset_ == pytest.approx(b.offset_, rel=rtol)
    np.testing.assert_allclose(
        a.score_samples(X_new), b.score_samples(X_new), rtol=rtol
    )
    np.testing.assert_allclose(
        a.predict_proba(X_new), b.predict_proba(X_new), rtol=rtol, atol=1e-12
    )
    np.testing.assert_array_equal(a.predict(X_new), b.predict(X_new))


def test_weighted_conformal_threshold_p_values_and_quantile_repeat_the_scores():
    rng = np.random.default_rng(1)
    for _ in range(200):
        calibration = np.round(rng.normal(size=rng.integers(1, 30)), 1)  # ties
        weight = rng.integers(1, 5, calibration.size).astype(float)
        repeated = np.repeat(calibration, weight.astype(int))
        scores = np.r_[rng.normal(size=20), calibration]
        np.testing.assert_array_equal(
            conformal_p_values(scores, calibration, weight),
            conformal_p_values(scores, repeated),
        )
        for alpha in (0.01, 0.05, 0.2, 0.5, 0.9):
            assert conformal_threshold(calibration, alpha, weight) == (
                conformal_threshold(repeated, alpha)
            )
        for q in (0.0, 0.05, 0.37, 0.5, 1.0):
            assert weighted_quantile(calibration, q, weight) == np.quantile(repeated, q)


def test_integer_weights_give_the_fit_of_repeated_rows_without_splits():
    """A fixed covariance type and regularisation and a float contamination
    draw no split: the weighted fit is the repeated rows' fit (the per-class
    k-means starts agree on well-separated blobs)."""
    X, y, weight = _weighted_known()
    common = dict(
        n_components=(1, 2), covariance_type="full", reg_covar=1e-6,
        contamination=0.05, random_state=0,
    )  # fmt: skip
    weighted = OpenSetGMMDetector(**common).fit(X, y, sample_weight=weight)
    repeated = OpenSetGMMDetector(**common).fit(
        np.repeat(X, weight, axis=0), np.repeat(y, weight)
    )
    assert [m.n_components for m in weighted.class_mixtures_] == [2, 1, 1]
    np.testing.assert_array_equal(
        weighted.class_counts_, np.bincount(y, weight).astype(float)
    )
    X_new = np.random.default_rng(5).uniform(-5, 9, (300, 2))
    _assert_same_detector(weighted, repeated, X_new, rtol=1e-8)
    np.testing.assert_array_equal(weighted.is_novel(X_new), repeated.is_novel(X_new))


def _selection_numbers(results):
    """The criteria in ``selection_results_``, flat, for either selection."""
    if isinstance(results, dict):  # selection='bic'
        numbers = [bic for rows in results["own"] for _, bic in rows]
        return numbers + list((results["common"] or {}).values())
    return [row[2] for row in results]


@pytest.mark.parametrize("selection", ["bic", "validation"])
def test_zero_weights_are_dropped_rows(selection):
    """With the default selection and calibration splits, too: rows of weight
    0 are dropped before any draw, and a class left without rows is unknown."""
    X, y, weight = _weighted_known(seed=1)
    weight[y == 2] = 0
    kept = weight > 0
    with_zeros = OpenSetGMMDetector((1, 2), selection=selection, random_state=0).fit(
        X, y, sample_weight=weight
    )
    dropped = OpenSetGMMDetector((1, 2), selection=selection, random_state=0).fit(
        X[kept], y[kept], sample_weight=weight[kept]
    )
    assert with_zeros.classes_.tolist() == [0, 1]
    assert with_zeros.selection_results_ == dropped.selection_results_
    _assert_same_detector(with_zeros, dropped, X, rtol=0)
    np.testing.assert_array_equal(
        with_zeros.conformal_p_values(X), dropped.conformal_p_values(X)
    )
    # Weights of 0 and 1: the unweighted fit of the rows of weight 1.
    unit = OpenSetGMMDetector((1, 2), selection=selection, random_state=0).fit(
        X, y, sample_weight=kept.astype(float)
    )
    unweighted = OpenSetGMMDetector((1, 2), selection=selection, random_state=0).fit(
        X[kept], y[kept]
    )
    assert unit.covariance_type_ == unweighted.covariance_type_
    assert unit.reg_covar_ == pytest.approx(unweighted.reg_covar_, rel=1e-12)
    np.testing.assert_allclose(
        _selection_numbers(unit.selection_results_),
        _selection_numbers(unweighted.selection_results_),
        rtol=1e-8,
    )
    _assert_same_detector(unit, unweighted, X, rtol=1e-8)


def test_weighted_calibration_counts_each_row_w_times():
    X, y, weight = _weighted_known(seed=2)
    weight = np.maximum(weight, 1)
    detector = OpenSetGMMDetector((1, 2), alpha=0.1, random_state=0).fit(
        X, y, sample_weight=weight
    )
    calibration_weight = detector.reference_weights_
    assert calibration_weight.shape == detector.calibration_scores_.shape
    assert detector.offset_ == conformal_threshold(
        np.repeat(detector.calibration_scores_, calibration_weight.astype(int)), 0.1
    )
    assert detector.class_counts_.sum() + calibration_weight.sum() == weight.sum()


def test_weighted_partial_fit_is_the_step_on_repeated_rows():
    X, y = _known()
    fitted = OpenSetGMMDetector(random_state=0).fit(X, y)
    rng = np.random.default_rng(3)
    batch = rng.normal(CENTRES[1] + 0.5, [1.0, 0.6], (100, 2))
    labels = rng.integers(0, 2, 100)
    weight = rng.integers(0, 4, 100)
    weighted = pickle.loads(pickle.dumps(fitted)).partial_fit(
        batch, labels, sample_weight=weight
    )
    repeated = pickle.loads(pickle.dumps(fitted)).partial_fit(
        np.repeat(batch, weight, axis=0), np.repeat(labels, weight)
    )
    np.testing.assert_array_equal(
        weighted.class_counts_, fitted.class_counts_ + np.bincount(labels, weight, 3)
    )
    _assert_same_detector(weighted, repeated, X, rtol=1e-8)


def test_dask_fit_drops_rows_of_zero_weight():
    da = pytest.importorskip("dask.array")
    X, y, weight = _weighted_known(seed=3)
    kept = weight > 0
    common = dict(n_components=(1, 2), contamination=0.05, random_state=0)
    with_zeros = OpenSetGMMDetector(**common).fit(
        da.from_array(X, chunks=(100, 2)), y, sample_weight=weight
    )
    dropped = OpenSetGMMDetector(**common).fit(
        da.from_array(X[kept], chunks=(100, 2)), y[kept], sample_weight=weight[kept]
    )
    _assert_same_detector(with_zeros, dropped, X, rtol=1e-10)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (-np.ones(900), "non-negative"),
        (np.ones(899), "899 values"),
        (np.zeros(900), "zero"),
        (np.r_[1.0, np.zeros(899)], "minimum of 2"),
    ],
)
def test_bad_sample_weight(sample_weight, match):
    X, y = _known()
    with pytest.raises(ValueError, match=match):
        OpenSetGMMDetector(random_state=0).fit(X, y, sample_weight=sample_weight)
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    before = detector.score_samples(X)
    if match != "minimum of 2":
        with pytest.raises(ValueError, match=match):
            detector.partial_fit(X, y, sample_weight=sample_weight)
    np.testing.assert_array_equal(detector.score_samples(X), before)


def test_benjamini_hochberg_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from skmix.novelty import benjamini_hochberg

    rng = np.random.default_rng(3)
    p = np.r_[rng.uniform(size=200), rng.uniform(0, 0.002, size=20)]
    for fdr in (0.01, 0.1, 0.3):
        expected = multipletests(p, alpha=fdr, method="fdr_bh")[0]
        np.testing.assert_array_equal(benjamini_hochberg(p, fdr), expected)
    assert not benjamini_hochberg(np.array([]), 0.1).size
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        benjamini_hochberg(np.array([0.5, 1.5]), 0.1)


def test_fdr_flags_control_the_false_discovery_rate():
    """Batches of 900 fresh inliers and 100 novel rows: the share of inliers
    among the flagged rows is at most fdr on average (Bates et al. 2023),
    while the novel rows are found."""
    fdr, proportions, found = 0.1, [], []
    for seed in range(10):
        X, y = _known(300, seed)
        detector = OpenSetGMMDetector(
            (1, 2), covariance_type="full", alpha=0.05, random_state=seed
        ).fit(X, y)
        inliers, _ = _known(300, seed + 100)
        novel = np.random.default_rng(seed).normal([12.0, 12.0], 1.0, (100, 2))
        flags = detector.is_novel(np.vstack([inliers, novel]), fdr=fdr)
        false = flags[: len(inliers)].sum()
        proportions.append(false / max(flags.sum(), 1))
        found.append(flags[len(inliers) :].mean())
    assert np.mean(proportions) <= fdr + 0.03
    assert np.mean(found) > 0.95
    with pytest.raises(ValueError, match="fdr"):
        detector.is_novel(novel, fdr=1.5)


def test_too_few_calibration_rows_for_alpha_warn_that_nothing_is_flagged():
    X, y = _known(40)  # 24 calibration rows: p-values >= 1/25 > alpha = 0.01
    with pytest.warns(UserWarning, match="too few for alpha=0.01"):
        detector = OpenSetGMMDetector(1, alpha=0.01, random_state=0).fit(X, y)
    assert detector.offset_ == -np.inf
    assert not detector.is_novel(X + 100).any()


# ----------------------------------------------------- selection='bic'
def _pooled_reference(X, y):
    """LDA's pooled within-class covariance, from NumPy's per-class ones."""
    classes = np.unique(y)
    scatter = sum((np.sum(y == c) - 1) * np.cov(X[y == c].T) for c in classes)
    return scatter / (len(X) - len(classes))


def test_bic_default_shares_the_common_covariance_of_equal_classes():
    """Classes of one covariance: one Gaussian each, at the class mean, with
    the pooled within-class covariance (plus the 1e-3 floor), all rows used
    (a float contamination holds none out)."""
    X, y = _known()
    detector = OpenSetGMMDetector(contamination=0.05, random_state=0).fit(X, y)
    assert detector.class_covariances_ == "common"
    criteria = detector.selection_results_["common"]
    assert criteria["common"] < criteria["own"]
    floor = 1e-3 * np.mean(np.diag(_pooled_reference(X, y)))
    assert detector.reg_covar_ == pytest.approx(floor)
    expected = _pooled_reference(X, y) + floor * np.eye(2)
    for c, mixture in enumerate(detector.class_mixtures_):
        np.testing.assert_allclose(mixture.means_[0], X[y == c].mean(axis=0))
        np.testing.assert_allclose(mixture.covariances_[0], expected, rtol=1e-10)


def test_bic_default_gives_unequal_classes_their_own_mixtures():
    """A class of two blobs and classes of very different shapes: their own
    mixtures win, the two-blob class with two components (BIC), and its
    score is the mixture's density."""
    rng = np.random.default_rng(0)
    X = np.vstack(
        [
            rng.normal([-3.0, 0.0], 0.3, (200, 2)),
            rng.normal([3.0, 0.0], 0.3, (200, 2)),
            rng.normal([0.0, 8.0], [4.0, 0.1], (300, 2)),
        ]
    )
    y = np.repeat([0, 1], [400, 300])
    detector = OpenSetGMMDetector(contamination=0.05, random_state=0).fit(X, y)
    assert detector.class_covariances_ == "own"
    assert [m.n_components for m in detector.class_mixtures_] == [2, 1]
    own = detector.selection_results_["own"]
    assert [k for k, _ in own[0]] == [1, 2, 3]  # stopped when BIC rose
    assert own[0][1][1] < min(own[0][0][1], own[0][2][1])
    expected = logsumexp(
        [
            np.log(prior) + mixture.score_samples(X[:5])
            for prior, mixture in zip(
                [400 / 700, 300 / 700], detector.class_mixtures_, strict=True
            )
        ],
        axis=0,
    )
    np.testing.assert_allclose(detector.score_samples(X[:5]), expected, rtol=1e-10)


def test_bic_default_compares_large_classes_on_a_sample_then_fits_all_rows(
    monkeypatch,
):
    """Candidates are compared on a sample of a large class; the chosen one
    is refitted on every row (one class: its MAP mean is the mean of all
    rows, the prior's mean being that mean)."""
    monkeypatch.setattr(_open_set, "BIC_SELECTION_ROWS", 150)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 3)) @ np.array([[1.0, 0.5, 0], [0, 1, 0.2], [0, 0, 2]])
    detector = OpenSetGMMDetector(contamination=0.05, random_state=0).fit(X)
    mixture = detector.class_mixtures_[0]
    assert mixture.n_components == 1
    np.testing.assert_allclose(mixture.means_[0], X.mean(axis=0), atol=1e-12)
    # The covariance is the prior's MAP on all 1000 rows: close to NumPy's.
    np.testing.assert_allclose(mixture.covariances_[0], np.cov(X.T), rtol=0.02)


def test_bic_default_keeps_the_false_alarm_guarantee():
    """All of the fit uses the fitting rows only, so split-conformal
    calibration still bounds the false-alarm rate on fresh inliers."""
    rates = []
    for seed in range(20):
        X, y = _known(n_per_class=150, seed=seed)
        detector = OpenSetGMMDetector(alpha=0.1, random_state=seed).fit(X, y)
        fresh, _ = _known(n_per_class=500, seed=100 + seed)
        rates.append(np.mean(detector.is_novel(fresh)))
    # E[rate] <= alpha; the mean of 20 rates has an SE of about 0.01.
    assert np.mean(rates) <= 0.1 + 0.025


def test_bic_default_lends_the_common_covariance_to_a_tiny_class():
    """A class with at most twice as many rows as features gets no full
    covariance of its own: it borrows the common one; the others keep theirs."""
    rng = np.random.default_rng(2)
    X = np.vstack(
        [
            rng.normal(0.0, [3.0, 0.2, 1.0], (200, 3)),
            rng.normal(10.0, [0.2, 3.0, 1.0], (200, 3)),
            rng.normal(-10.0, 1.0, (6, 3)),
        ]
    )
    y = np.repeat([0, 1, 2], [200, 200, 6])
    detector = OpenSetGMMDetector(contamination=0.05, random_state=0).fit(X, y)
    assert detector.class_covariances_ == "own"
    assert detector.selection_results_["own"][2] == []
    floor = 1e-3 * np.mean(np.diag(_pooled_reference(X, y)))
    expected = _pooled_reference(X, y) + floor * np.eye(3)
    tiny = detector.class_mixtures_[2]
    np.testing.assert_allclose(tiny.covariances_[0], expected, rtol=1e-10)
    np.testing.assert_allclose(tiny.means_[0], X[y == 2].mean(axis=0))
    for c in (0, 1):  # their own shapes, far from the pooled one
        own = detector.class_mixtures_[c].covariances_[0]
        np.testing.assert_allclose(np.diag(own), np.var(X[y == c], axis=0), rtol=0.1)


def test_every_row_method_is_lazy_on_dask():
    """predict, predict_proba, is_novel and the p-values stay Dask arrays
    and equal the in-memory results (issue 18, item 7)."""
    da = pytest.importorskip("dask.array")
    X, y = _known()
    detector = OpenSetGMMDetector(random_state=0).fit(X, y)
    lazy_X = da.from_array(X, chunks=(128, 2))
    for method in ("predict", "predict_proba", "is_novel", "conformal_p_values"):
        lazy = getattr(detector, method)(lazy_X)
        assert type(lazy).__module__.startswith("dask"), method
        np.testing.assert_array_equal(lazy.compute(), getattr(detector, method)(X))


def test_memmap_methods_check_feature_names_once(tmp_path):
    """Fitted on a DataFrame, a memory map scored in many chunks warns once
    per call (no feature names), and the frame itself not at all."""
    pd = pytest.importorskip("pandas")
    X, y = _known()
    frame = pd.DataFrame(X, columns=["a", "b"])
    detector = OpenSetGMMDetector(random_state=0, chunk_size=50).fit(frame, y)
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=X.shape)
    mapped[:] = X
    for method in ("predict", "predict_proba", "is_novel", "score_samples"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            on_map = getattr(detector, method)(mapped)
        names = [w for w in caught if "feature names" in str(w.message)]
        assert len(names) == 1, (method, [str(w.message) for w in caught])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            on_frame = getattr(detector, method)(frame)
        np.testing.assert_array_equal(on_map, on_frame)


@pytest.mark.parametrize("weighted", [False, True])
def test_fdr_flags_equal_benjamini_hochberg_on_the_p_values(weighted, tmp_path):
    """is_novel(fdr=) counts rows per calibration position instead of sorting
    p-values; the flags are those of BH on the conformal p-values, ties and
    frequency-weighted calibration included, on a memory map too."""
    from skmix.novelty import benjamini_hochberg

    X, y = _known(300)
    weight = np.random.default_rng(0).integers(1, 4, len(y)) if weighted else None
    detector = OpenSetGMMDetector((1,), random_state=0).fit(X, y, sample_weight=weight)
    rng = np.random.default_rng(1)
    batch = np.vstack([_known(100, 5)[0], rng.normal(9.0, 3.0, (60, 2))])
    batch = np.vstack([batch, batch[:40]])  # repeated rows: tied p-values
    mapped = np.lib.format.open_memmap(tmp_path / "b.npy", mode="w+", shape=batch.shape)
    mapped[:] = batch
    for fdr in (0.05, 0.1, 0.3):
        expected = benjamini_hochberg(detector.conformal_p_values(batch), fdr)
        assert expected.any()
        np.testing.assert_array_equal(detector.is_novel(batch, fdr=fdr), expected)
        np.testing.assert_array_equal(detector.is_novel(mapped, fdr=fdr), expected)


def test_verbose_reports_each_class_and_the_covariance_choice(capsys):
    X, y = _known()
    OpenSetGMMDetector(random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""  # silent by default
    OpenSetGMMDetector(random_state=0, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "[OpenSetGMMDetector] class 0 (1/3)",
        "[OpenSetGMMDetector] class 1 (2/3)",
        "[OpenSetGMMDetector] class 2 (3/3)",
        "[OpenSetGMMDetector] covariances",
    ]


def _map_gaussian_mixture(n_components, reg_covar):
    """The candidate mixture of ``OpenSetGMMDetector(random_state=0)``, run
    to convergence in one go (from the seed the detector draws)."""
    seed = np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    return GaussianMixture(
        n_components, prior="default", reg_covar=reg_covar, tol=1e-3,
        convergence="absolute", init_params="kmeans", random_state=seed,
    )  # fmt: skip


def test_bic_default_stops_a_losing_candidate_early_with_full_ems_choice():
    """One Gaussian class in 32 dimensions: the two-component candidate stops
    after its trial steps, and loses as it does run to convergence (whose
    BIC is lower than the stopped one's, yet above one component's)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(800, 32)) * rng.uniform(0.5, 2.0, 32)
    detector = OpenSetGMMDetector(contamination=0.05, random_state=0).fit(X)
    [(_, one), (k, stopped)] = detector.selection_results_["own"][0]
    assert k == 2
    full = _map_gaussian_mixture(2, detector.reg_covar_).fit(X)
    assert full.n_iter_ > _open_set.CANDIDATE_TRIAL_STEPS
    assert one < full.bic(X) < stopped


def test_bic_default_runs_a_winning_candidate_to_convergence():
    """A class of a broad and a tight blob in 8 dimensions (k-means starts
    them apart, EM takes several steps): the two-component candidate is the
    uninterrupted EM run (same iterations, same parameters)."""
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(0.0, 1.0, (400, 8)), rng.normal(0.5, 0.3, (200, 8))])
    detector = OpenSetGMMDetector(contamination=0.05, random_state=0).fit(X)
    mixture = detector.class_mixtures_[0]
    assert mixture.n_components == 2
    full = _map_gaussian_mixture(2, detector.reg_covar_).fit(X)
    assert full.n_iter_ > _open_set.CANDIDATE_TRIAL_STEPS
    assert mixture.n_iter_ == full.n_iter_
    np.testing.assert_allclose(mixture.lower_bounds_, full.lower_bounds_, rtol=1e-12)
    np.testing.assert_allclose(mixture.means_, full.means_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(mixture.covariances_, full.covariances_, rtol=1e-10)
