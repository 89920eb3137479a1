"""bootstrap_lrt against mclust's mclustBootstrapLRT on faithful, its
calibration under H0, reproducibility and errors."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

import skmix.model_selection._bootstrap as bootstrap_module
from skmix.mixture import GaussianMixture
from skmix.model_selection import BootstrapLRTResult, bootstrap_lrt

DATA = Path(__file__).parents[1] / "data" / "mclust"
REFERENCE = DATA / "bootstrap_lrt_reference.json"
B = 39

needs_reference = pytest.mark.skipif(
    not REFERENCE.exists(), reason="mclust reference not generated"
)


@pytest.fixture(scope="module")
def faithful():
    return pd.read_csv(DATA / "faithful.csv").to_numpy(dtype=np.float64)


@pytest.fixture(scope="module")
def mclust():
    reference = json.loads(REFERENCE.read_text())
    assert reference["modelName"] == "EEE" and reference["G"] == [1, 2, 3]
    return reference


@pytest.fixture(scope="module")
def tight(faithful):
    """Fits to the optimum: k-means++ starts, a tight absolute tolerance."""
    estimator = GaussianMixture(
        covariance_type="EEE",
        n_init=5,
        init_params="k-means++",
        tol=1e-6,
        max_iter=500,
    )
    # A DataFrame: the bootstrap samples are arrays without its column names.
    frame = pd.DataFrame(faithful, columns=["eruptions", "waiting"])
    return bootstrap_lrt(estimator, frame, range(1, 4), B, random_state=0)


def _mclust_like(faithful, repair_negative):
    """mclust's stopping rule (relative change 1e-5) and, optionally, its
    handling of negative LRTS."""
    estimator = GaussianMixture(
        covariance_type="EEE",
        n_init=5,
        init_params="k-means++",
        tol=1e-5,
        convergence="relative",
        max_iter=1000,
    )
    return bootstrap_lrt(
        estimator,
        faithful,
        range(1, 4),
        B,
        random_state=0,
        repair_negative=repair_negative,
    )


@pytest.fixture(scope="module")
def mclust_like(faithful):
    return _mclust_like(faithful, repair_negative=False)


def _bimodal(seed=0, n=60):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.normal(-4, 1, (n, 1)), rng.normal(4, 1, (n, 1))])


def _small(**params):
    params = {"n_init": 2, "tol": 1e-4, "max_iter": 100, "backend": "numpy", **params}
    return GaussianMixture(**params)


# ------------------------------------------------------------- against mclust
@needs_reference
def test_faithful_observed_lrts_matches_mclust(tight, mclust):
    table = tight.table
    assert table["n_components"].tolist() == [1, 2, 3]
    assert table["n_components_alternative"].tolist() == [2, 3, 4]
    # mclust's nMclustParams("EEE", d = 2, G): 2G means, G - 1 weights, 3.
    assert table["n_parameters_null"].tolist() == [5, 8, 11]
    assert table["n_parameters_alternative"].tolist() == [8, 11, 14]
    # 1 vs 2 and 2 vs 3: the same maxima. (mclust stops its slowly converging
    # 3-component EM at a relative change of 1e-5, 0.02 below in LRTS.)
    np.testing.assert_allclose(table["lrts"][:2], mclust["obs"][:2], rtol=1e-3)
    np.testing.assert_allclose(
        table["log_likelihood_alternative"][:2], table["log_likelihood_null"][1:]
    )
    # 3 vs 4: mclust's 4-component EM (hierarchical start) ends below its
    # 3-component fit (LRTS -0.089); the best of five k-means++ starts finds
    # a maximum ~5.5 log-likelihood units higher.
    assert mclust["obs"][2] < 0
    assert table["lrts"][2] > mclust["obs"][2] + 10


@needs_reference
def test_faithful_decisions_agree_with_mclust(tight, mclust):
    # 1 vs 2 and 2 vs 3: every replicate below the observed LRTS, for both.
    np.testing.assert_allclose(tight.table["p_value"][:2], 1 / (B + 1))
    np.testing.assert_allclose(mclust["p_value"][:2], 1 / (mclust["nboot"] + 1))
    assert tight.table["reject"][:2].all()
    assert "4 component(s) or more (every test rejected)" in tight.summary()
    # 3 vs 4: the decisions differ only through the observed fits. mclust's
    # observed LRTS is not significant under skmix's bootstrap distribution,
    # and skmix's is significant under mclust's.
    boot3, mclust_boot3 = tight.bootstrap[3], np.asarray(mclust["boot"][2])
    assert (1 + np.sum(boot3 >= mclust["obs"][2])) / (B + 1) > 0.5
    skmix_obs3 = tight.table["lrts"][2]
    p_under_mclust = (1 + np.sum(mclust_boot3 >= skmix_obs3)) / (mclust_boot3.size + 1)
    assert p_under_mclust < 0.05


@needs_reference
def test_faithful_bootstrap_distribution_matches_mclust_with_its_settings(
    mclust_like, mclust
):
    # mclust's tolerance and no repair: the same procedure, so the replicate
    # LRTS come from the same distribution (two-sample KS at a generous level).
    for k in (1, 2, 3):
        ours, theirs = mclust_like.bootstrap[k], np.asarray(mclust["boot"][k - 1])
        assert ours.shape == (B,) and theirs.shape == (mclust["nboot"],)
        assert stats.ks_2samp(ours, theirs).pvalue > 0.01, k
        # mclust's hallmark: a fifth of the replicates below 0 (17-29% there).
        assert 0.05 < np.mean(ours < 0) < 0.5, k
        assert mclust_like.table["n_negative"][k - 1] == np.sum(ours < 0)
    np.testing.assert_allclose(
        mclust_like.table["lrts"][:2], mclust["obs"][:2], rtol=2e-3
    )


@needs_reference
def test_tight_tolerance_moves_the_bootstrap_distribution_above_mclust(tight, mclust):
    # Under H0 the extra component converges slowly; mclust's early stop
    # pulls the replicate LRTS toward 0 (2 vs 3: median 0.74).
    ours, theirs = tight.bootstrap[2], np.asarray(mclust["boot"][1])
    assert np.median(ours) > np.median(theirs) + 1
    assert stats.ks_2samp(ours, theirs).pvalue < 0.01
    assert tight.table["n_negative"].sum() <= 2


def test_repair_only_raises_negative_replicates(faithful, mclust_like):
    repaired = _mclust_like(faithful, repair_negative=True)
    assert repaired.table["n_negative"].sum() < mclust_like.table["n_negative"].sum()
    for k in (1, 2, 3):
        before, after = mclust_like.bootstrap[k], repaired.bootstrap[k]
        # Same seeds, same samples and fits: a repair keeps the better fit.
        np.testing.assert_array_equal(after[before >= 0], before[before >= 0])
        assert np.all(after >= before)
        assert np.any(after > before)


# ---------------------------------------------------------------- calibration
def test_calibrated_under_the_null():
    # 2 vs 3 on data drawn from two components: p-values are not
    # systematically small. Under H0, P(p <= 0.05) = 1/20 with B = 19, so
    # over 20 data sets the rejections are Binomial(20, 0.05) (P(>= 5) =
    # 0.003) and the mean p-value is 0.525 +- 0.065.
    p_values = []
    for seed in range(20):
        rng = np.random.RandomState(seed)
        labels = rng.rand(150) < 0.4
        X = np.where(labels, rng.normal(0, 1, 150), rng.normal(3, 1, 150))[:, None]
        estimator = _small(n_init=3)
        result = bootstrap_lrt(estimator, X, 2, 19, random_state=seed)
        p_values.append(result.table["p_value"][0])
    p_values = np.array(p_values)
    assert np.sum(p_values <= 0.05) <= 4
    assert p_values.mean() > 0.35


@pytest.mark.parametrize("bootstrap_init", ["fitted", "estimator"])
def test_one_against_two_on_bimodal_data_is_minimal(bootstrap_init):
    X = _bimodal()
    result = bootstrap_lrt(
        _small(), X, 1, 19, random_state=0, bootstrap_init=bootstrap_init
    )
    row = result.table.iloc[0]
    assert row["p_value"] == pytest.approx(1 / 20)
    assert row["reject"] and row["n_bootstrap"] == 19 and row["n_failed"] == 0
    # The observed LRTS is far above every replicate (~ chi-square scale).
    assert row["lrts"] > 100 > result.bootstrap[1].max()
    assert row["log_likelihood_null"] == pytest.approx(
        result.models[1].score_samples(X).sum()
    )


def test_works_with_scikit_learns_gaussian_mixture():
    X = _bimodal()
    result = bootstrap_lrt(
        SklearnGaussianMixture(n_init=2, tol=1e-4), X, [1, 2], 9, random_state=0
    )
    assert result.table["p_value"][0] == pytest.approx(0.1)
    assert result.table["n_parameters_null"].tolist() == [2, 5]
    assert isinstance(result.models[3], SklearnGaussianMixture)


def test_stop_early_and_selection():
    X = _bimodal()
    full = bootstrap_lrt(_small(), X, range(1, 4), 19, random_state=0)
    assert full.table["reject"].tolist()[:2] == [True, False]
    assert full.n_components_selected == 2
    stopped = bootstrap_lrt(
        _small(), X, range(1, 4), 19, random_state=0, stop_early=True
    )
    assert stopped.table["n_components"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(stopped.table, full.table.iloc[:2])
    assert sorted(stopped.bootstrap) == [1, 2] and sorted(stopped.models) == [1, 2, 3]


# ------------------------------------------------------------ reproducibility
def test_same_seed_same_result_for_any_n_jobs():
    X = _bimodal(1, 40)
    args = (_small(), X, [1, 2], 8)
    first = bootstrap_lrt(*args, random_state=3)
    again = bootstrap_lrt(*args, random_state=3)
    parallel = bootstrap_lrt(*args, random_state=3, n_jobs=2)
    for other in (again, parallel):
        pd.testing.assert_frame_equal(first.table, other.table)
        for k in (1, 2):
            np.testing.assert_array_equal(first.bootstrap[k], other.bootstrap[k])
    different = bootstrap_lrt(*args, random_state=4)
    assert not np.array_equal(first.bootstrap[2], different.bootstrap[2])


# ------------------------------------------------------------ failure handling
class FailsOnBootstrapSamples(GaussianMixture):
    """Fails on a bootstrap sample whose first value is above 0."""

    def fit(self, X, y=None):
        X = np.asarray(X)
        if X[0, 0] != ORIGINAL[0, 0] and X[0, 0] > 0:
            raise ValueError("a collapsed component")
        return super().fit(X, y)


ORIGINAL = _bimodal()


def test_failed_fits_are_redrawn_and_counted():
    # Rows are shuffled, so half the draws start with a row above 0 and fail.
    result = bootstrap_lrt(
        FailsOnBootstrapSamples(**_small().get_params()),
        ORIGINAL,
        1,
        19,
        random_state=0,
    )
    row = result.table.iloc[0]
    assert row["n_bootstrap"] == 19 and np.all(np.isfinite(result.bootstrap[1]))
    assert 5 < row["n_failed"] < 60
    assert row["p_value"] == pytest.approx(1 / 20)


class AlwaysFailsOnBootstrapSamples(GaussianMixture):
    def fit(self, X, y=None):
        if not np.array_equal(np.asarray(X), ORIGINAL):
            raise ValueError("a collapsed component")
        return super().fit(X, y)


def test_all_replicates_failing_gives_nan_with_a_warning():
    estimator = AlwaysFailsOnBootstrapSamples(**_small().get_params())
    with pytest.warns(RuntimeWarning, match="Every bootstrap replicate"):
        result = bootstrap_lrt(estimator, ORIGINAL, 1, 3, random_state=0)
    row = result.table.iloc[0]
    assert np.isnan(row["p_value"]) and not row["reject"]
    assert row["n_bootstrap"] == 0
    assert row["n_failed"] == 3 * bootstrap_module.MAX_DRAWS_PER_REPLICATE
    assert np.isnan(result.bootstrap[1]).all()


# ---------------------------------------------------------------- reporting
def test_verbose_summary_and_plot(capsys):
    X = _bimodal()
    result = bootstrap_lrt(_small(), X, [1, 2], 4, random_state=0, verbose=2)
    out = capsys.readouterr().out
    assert out.count(": replicate ") == 8
    assert "1 vs 2 components: LRTS" in out and "2 vs 3 components: LRTS" in out

    assert isinstance(result, BootstrapLRTResult)
    text = repr(result)
    assert text == result.summary()
    assert "Replications = 4" in text
    lrts = result.table["lrts"]
    assert f"1 vs 2{lrts[0]:>16.4f}" in text and f"2 vs 3{lrts[1]:>16.4f}" in text
    # 1 / (4 + 1) > 0.05: with 4 replicates no test can reject.
    assert "Selected at level 0.05: 1 component(s)" in text

    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = result.plot(2)
    (line,) = ax.get_lines()
    assert line.get_xdata()[0] == pytest.approx(lrts[1])
    assert sum(p.get_height() > 0 for p in ax.patches) >= 1
    with pytest.raises(ValueError, match="No test of 5"):
        result.plot(5)


# -------------------------------------------------------------------- errors
def test_invalid_arguments():
    X = _bimodal()
    with pytest.raises(ValueError, match="n_bootstrap"):
        bootstrap_lrt(_small(), X, 1, 0)
    for bad in (0, [], [1, 0], True, 1.5):
        with pytest.raises(ValueError, match="n_components"):
            bootstrap_lrt(_small(), X, bad, 9)
    with pytest.raises(ValueError, match="level"):
        bootstrap_lrt(_small(), X, 1, 9, level=1.0)
    with pytest.raises(ValueError, match="bootstrap_init"):
        bootstrap_lrt(_small(), X, 1, 9, bootstrap_init="hc")
    with pytest.raises(ValueError, match="means_init must be None"):
        bootstrap_lrt(_small(means_init=[[0.0]]), X, 1, 9)


def test_estimator_without_what_the_test_needs():
    X = _bimodal()
    from sklearn.cluster import KMeans

    with pytest.raises(ValueError, match="a scikit-learn estimator"):
        bootstrap_lrt("GaussianMixture", X, 1, 9)
    with pytest.raises(ValueError, match="n_components parameter"):
        bootstrap_lrt(KMeans(2), X, 1, 9)
    # PCA has n_components, fit and score_samples but cannot be sampled.
    with pytest.raises(ValueError, match="lacks sample"):
        bootstrap_lrt(PCA(), X, 1, 9, bootstrap_init="estimator")


def test_fitted_init_needs_initial_parameters():
    class Wrapped(SklearnGaussianMixture):
        """A Gaussian mixture whose starts cannot be given."""

        def __init__(self, n_components=1, random_state=None):
            super().__init__(n_components=n_components, random_state=random_state)

    X = _bimodal()
    with pytest.raises(ValueError, match="bootstrap_init='estimator'"):
        bootstrap_lrt(Wrapped(), X, 1, 9)
    result = bootstrap_lrt(Wrapped(), X, 1, 4, bootstrap_init="estimator")
    assert result.table["p_value"][0] == pytest.approx(0.2)


def test_nan_input_fails_before_any_bootstrap_work(monkeypatch):
    def no_bootstrap(*args, **kwargs):
        raise AssertionError("bootstrap started")

    monkeypatch.setattr(bootstrap_module, "_replicate", no_bootstrap)
    X = _bimodal()
    X[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_lrt(_small(), X, 1, 9, random_state=0)
