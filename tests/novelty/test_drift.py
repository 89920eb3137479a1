"""Streaming that adapts: forgetting in partial_fit, and the conformal drift
monitor's false-alarm guarantee (issue 18, item 6)."""

import numpy as np
import pytest
from scipy.stats import kstest

from skmix.mixture import GaussianMixture
from skmix.novelty import (
    ConformalDriftMonitor,
    GaussianMixtureNoveltyDetector,
    OpenSetGMMDetector,
    sequential_conformal_p_values,
)


def test_sequential_p_values_by_brute_force():
    rng = np.random.default_rng(0)
    reference = np.sort(rng.integers(0, 8, 30).astype(float))
    scores = rng.integers(0, 8, 40).astype(float)  # ties on purpose
    p = sequential_conformal_p_values(scores, reference, np.random.default_rng(5))
    u = np.random.default_rng(5).uniform(size=scores.size)
    expected = []
    for i, s in enumerate(scores):
        before = np.r_[reference, scores[:i]]
        count = np.sum(before < s) + u[i] * (np.sum(before == s) + 1)
        expected.append(count / (before.size + 1))
    np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_sequential_p_values_are_uniform_under_exchangeability():
    rng = np.random.default_rng(1)
    reference = np.sort(rng.normal(size=200))
    p = sequential_conformal_p_values(rng.normal(size=5000), reference, rng)
    assert kstest(p, "uniform").pvalue > 0.01


def test_forgetting_factor_discounts_earlier_statistics():
    """One component: after fit(A) and partial_fit(B) with factor lam, the
    mean and covariance are those of A's rows weighted lam and B's 1."""
    rng = np.random.default_rng(2)
    A, B = rng.normal(0, 1, (300, 2)), rng.normal(3, 2, (100, 2))
    model = GaussianMixture(1, forgetting_factor=0.25, reg_covar=0.0).fit(A)
    model.partial_fit(B)
    weights = np.r_[np.full(300, 0.25), np.ones(100)]
    rows = np.r_[A, B]
    np.testing.assert_allclose(model.means_[0], np.average(rows, 0, weights))
    np.testing.assert_allclose(
        model.covariances_[0], np.cov(rows.T, aweights=weights, bias=True)
    )
    keep_all = GaussianMixture(1, reg_covar=0.0).fit(A).partial_fit(B)
    np.testing.assert_allclose(keep_all.means_[0], rows.mean(axis=0))


@pytest.mark.parametrize("bad", [0.0, 1.5, -1.0])
def test_forgetting_factor_out_of_range(bad):
    with pytest.raises(ValueError, match="forgetting_factor"):
        GaussianMixture(forgetting_factor=bad).fit(
            np.random.default_rng(0).random((20, 2))
        )
    with pytest.raises(ValueError, match="forgetting_factor"):
        OpenSetGMMDetector(forgetting_factor=bad).fit(
            np.random.default_rng(0).random((40, 2))
        )


def test_monitor_false_alarm_rate_on_unchanged_streams():
    """Ville's inequality: at most `level` of unchanged streams ever alarm."""
    rng = np.random.default_rng(3)
    detector = GaussianMixtureNoveltyDetector((1,), random_state=0).fit(
        rng.normal(size=(1000, 2))
    )
    alarms = 0
    for seed in range(200):
        monitor = ConformalDriftMonitor(detector, level=0.1, random_state=seed)
        stream = np.random.default_rng(100 + seed)
        for _ in range(10):
            monitor.update(stream.normal(size=(30, 2)))
        alarms += monitor.alarm_
    # P(alarm) <= 0.1; 200 streams: SE 0.021.
    assert alarms / 200 <= 0.1 + 0.05


def test_level_shift_is_detected_and_the_reference_readapts():
    rng = np.random.default_rng(4)
    detector = GaussianMixtureNoveltyDetector(
        (1,), forgetting_factor=0.3, random_state=0
    ).fit(rng.normal(size=(2000, 2)))
    monitor = ConformalDriftMonitor(detector, level=0.01, random_state=0)
    for _ in range(5):
        assert not monitor.update(rng.normal(size=(200, 2))).alarm
    shifted = [rng.normal(2.5, 1.0, (200, 2)) for _ in range(2)]
    assert monitor.update(shifted[0]).alarm
    assert monitor.alarm_batch_ == 5
    # Before adapting, most shifted inliers are flagged.
    assert detector.is_novel(shifted[1]).mean() > 0.5
    for _ in range(8):
        detector.partial_fit(rng.normal(2.5, 1.0, (500, 2)))
    fresh = rng.normal(2.5, 1.0, (5000, 2))
    np.testing.assert_allclose(detector.mixture_.means_[0], [2.5, 2.5], atol=0.1)
    assert detector.is_novel(fresh).mean() < 0.05 + 0.03
    # The reference was refreshed by the held-out shares of the batches.
    monitor.reset()
    assert not any(
        monitor.update(rng.normal(2.5, 1.0, (200, 2))).alarm for _ in range(5)
    )


def test_monitor_bad_input():
    detector = GaussianMixtureNoveltyDetector((1,), random_state=0).fit(
        np.random.default_rng(0).normal(size=(200, 2))
    )
    with pytest.raises(ValueError, match="level"):
        ConformalDriftMonitor(detector, level=1.0)
    with pytest.raises(ValueError, match="max_rows_per_batch"):
        ConformalDriftMonitor(detector, max_rows_per_batch=0)
    with pytest.raises(ValueError, match="features"):
        ConformalDriftMonitor(detector).update(np.zeros((5, 3)))
