import numpy as np
import pytest
from scipy.stats import chi2

from skmix.metrics import (
    christoffersen_conditional_coverage_test,
    christoffersen_independence_test,
    kupiec_pof_test,
)


def _hits(n_observations, positions):
    hits = np.zeros(n_observations, dtype=bool)
    hits[list(positions)] = True
    return hits


def test_kupiec_reference_250_days_6_exceedances():
    # Reference from the issue: T=250, x=6, p=0.01 -> LR 3.5554, p 0.0594.
    result = kupiec_pof_test(_hits(250, range(6)), coverage=0.01)
    assert result.statistic == pytest.approx(3.5554, abs=5e-5)
    assert result.pvalue == pytest.approx(0.0594, abs=5e-5)
    assert (result.df, result.n_observations, result.n_exceedances) == (1, 250, 6)


def test_kupiec_is_zero_when_hit_rate_equals_coverage_and_accepts_0_1_ints():
    result = kupiec_pof_test(_hits(200, range(0, 200, 20)).astype(int), 0.05)
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.pvalue == pytest.approx(1.0)


def test_kupiec_without_exceedances():
    # x = 0: LR = -2 T log(1 - p) (0 log 0 = 0).
    result = kupiec_pof_test(np.zeros(500, dtype=bool), 0.01)
    assert result.statistic == pytest.approx(-2 * 500 * np.log(0.99))


def test_kupiec_size_under_the_null():
    # i.i.d. Bernoulli(p) hits: a 5%-level test rejects about 5% of the time.
    rng = np.random.default_rng(0)
    pvalues = [
        kupiec_pof_test(rng.random(1000) < 0.05, 0.05).pvalue for _ in range(2000)
    ]
    assert np.mean(np.array(pvalues) < 0.05) == pytest.approx(0.05, abs=0.015)


def test_independence_is_zero_when_transition_rates_agree():
    # Transitions: n00=4, n01=2, n10=2, n11=1, so pi01 = pi11 = pi = 1/3.
    hits = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0]
    result = christoffersen_independence_test(hits)
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.pvalue == pytest.approx(1.0)


def test_independence_on_clustered_hits_matches_hand_computation():
    # Transitions: n00=6, n01=0, n10=1, n11=2; pi01=0, pi11=2/3, pi=2/9.
    hits = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    log_l_markov = np.log(1 / 3) + 2 * np.log(2 / 3)
    log_l_iid = 7 * np.log(7 / 9) + 2 * np.log(2 / 9)
    expected = 2 * (log_l_markov - log_l_iid)
    result = christoffersen_independence_test(hits)
    assert result.statistic == pytest.approx(expected, rel=1e-12)
    assert result.pvalue == pytest.approx(chi2.sf(expected, 1), rel=1e-12)


def test_conditional_coverage_adds_both_statistics_on_two_degrees_of_freedom():
    hits = _hits(250, [10, 11, 12, 100, 101, 200])
    pof = kupiec_pof_test(hits, 0.01).statistic
    ind = christoffersen_independence_test(hits).statistic
    result = christoffersen_conditional_coverage_test(hits, 0.01)
    assert result.df == 2
    assert result.statistic == pytest.approx(pof + ind, rel=1e-12)
    assert result.pvalue == pytest.approx(chi2.sf(pof + ind, 2), rel=1e-12)
    # Clustered hits are caught by the independence part.
    assert christoffersen_independence_test(hits).pvalue < 0.01


@pytest.mark.parametrize(
    "hits, coverage, match",
    [
        (np.zeros((10, 2)), 0.01, "1-D"),
        ([0, 2, 1], 0.01, "0/1"),
        ([1], 0.01, "at least 2"),
        ([0, 1, 0], 0.0, "coverage"),
        ([0, 1, 0], 1.0, "coverage"),
    ],
)
def test_bad_input(hits, coverage, match):
    with pytest.raises(ValueError, match=match):
        christoffersen_conditional_coverage_test(hits, coverage)
