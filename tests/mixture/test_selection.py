"""GaussianMixtureSelector against scikit-learn's criteria and mclust's
``Mclust(X)`` (reference tables from mclust 6.0.0 in
``tests/data/mclust/mclust_bic_reference.json``)."""

import json
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.model_selection import GridSearchCV

from skmix.mixture import GaussianMixtureSelector

matplotlib.use("Agg")

IRIS = load_iris().data
DATA = Path(__file__).parents[1] / "data" / "mclust"
MCLUST = json.loads((DATA / "mclust_bic_reference.json").read_text())
CHOICE = json.loads((DATA / "mclust_choice_reference.json").read_text())
CHOICE_SETS = sorted(set(CHOICE) - {"provenance", "description"})
#: Data sets where the choice differs from Mclust's on purpose (doc/mclust.rst).
CHOICE_DIFFERS = {
    "rock": "VVE",  # mclust's VVE M-step does not maximise; skmix's VVE wins
    "lifecyclesavings": "VVE",
    "women": "degenerate",  # mclust's EEV,4 has a component of 1.19 points
}
#: scikit-learn's GaussianMixture settings and its four structures.
SKLEARN_SETTINGS = dict(
    covariance_types=("full", "tied", "diag", "spherical"),
    init_params="kmeans", tol=1e-3, convergence="absolute", reg_covar=1e-6,
    max_iter=100,
)  # fmt: skip


def test_criteria_match_sklearn_for_every_candidate():
    selector = GaussianMixtureSelector(
        range(1, 4), random_state=0, **SKLEARN_SETTINGS
    ).fit(IRIS)
    assert len(selector.results_) == 12
    for row in selector.results_.itertuples():
        reference = SklearnGaussianMixture(
            row.n_components, covariance_type=row.covariance_type, random_state=0
        ).fit(IRIS)
        assert row.bic == pytest.approx(reference.bic(IRIS), rel=1e-6)
        assert row.aic == pytest.approx(reference.aic(IRIS), rel=1e-6)
        max_proba = reference.predict_proba(IRIS).max(axis=1)
        icl = reference.bic(IRIS) - 2 * np.log(max_proba).sum()
        assert row.icl == pytest.approx(icl, rel=1e-6)
        assert row.n_parameters == reference._n_parameters()


@pytest.mark.parametrize("name", ["iris", "faithful", "diabetes", "banknote"])
def test_defaults_reproduce_mclust(name):
    """Mclust(X)'s choice, and its BIC for every structure and number of
    components it fitted, from the same hierarchical start."""
    X = pd.read_csv(DATA / f"{name}.csv").to_numpy(dtype=np.float64)
    reference = MCLUST[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # degenerate candidates
        selector = GaussianMixtureSelector().fit(X)
    assert selector.best_params_ == {
        "n_components": reference["G"],
        "covariance_type": reference["modelName"],
    }
    table = selector.results_.set_index(["covariance_type", "n_components"])
    compared = 0
    for model, values in reference["BIC"].items():
        for n_components, mclust_bic in enumerate(values, start=1):
            row = table.loc[(model, n_components)]
            if mclust_bic is None or model == "VVE" or row["status"] != "fitted":
                continue  # NA in mclust; VVE: see test_mclust_parity.py
            # mclust stops EM one M-step earlier at the same tolerance.
            assert -row["bic"] == pytest.approx(mclust_bic, rel=2e-5, abs=0.05)
            compared += 1
    assert compared >= 0.85 * 9 * 13
    best = table.loc[(reference["modelName"], reference["G"])]
    if reference["modelName"] != "VVE":
        # Within the stopping tolerance (1e-5 of the log-likelihood); ICL's
        # entropy term moves more with the last posterior update.
        assert -best["bic"] == pytest.approx(reference["bic"], rel=1e-5)
        assert -best["icl"] == pytest.approx(reference["icl"], rel=5e-5)
        assert best["n_parameters"] == reference["df"]
    # The same clustering, up to a row at a boundary.
    agreement = adjusted_rand_score(reference["classification"], selector.predict(X))
    assert agreement > 0.98


@pytest.mark.parametrize("name", CHOICE_SETS)
def test_choice_agrees_with_mclust_on_more_data_sets(name):
    """Mclust(X)'s choice and BIC on 16 more small data sets, or the
    documented reason why not; every BIC both fitted agrees but for a few
    candidates where EM ends at another local maximum."""
    reference = CHOICE[name]
    X = pd.read_csv(DATA / "choice" / f"{name}.csv").to_numpy(dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # degenerate candidates
        selector = GaussianMixtureSelector().fit(X)
    table = selector.results_.set_index(["covariance_type", "n_components"])
    chosen = (selector.best_params_["covariance_type"],
              selector.best_params_["n_components"])  # fmt: skip
    theirs = table.loc[(reference["modelName"], reference["G"])]
    reason = CHOICE_DIFFERS.get(name)
    if reason is None:
        assert chosen == (reference["modelName"], reference["G"])
        assert -selector.best_criterion_ == pytest.approx(reference["bic"], rel=2e-5)
    elif reason == "VVE":
        assert chosen[0] == "VVE" and theirs["status"] == "fitted"
        assert -theirs["bic"] == pytest.approx(reference["bic"], rel=2e-5)
        mclust_vve = reference["BIC"]["VVE"][chosen[1] - 1]
        assert mclust_vve is not None
        assert -selector.best_criterion_ > max(mclust_vve, reference["bic"]) + 0.5
    else:
        # mclust's component of 1.19 points, short of EEV's 2 by more than
        # the tolerance.
        assert theirs["status"] == "degenerate"
        assert "a component has 1.193 effective points" in theirs["error"]
    if name == "swiss":  # mclust's VEE is NA from 4 components: singular scatters
        assert reference["BIC"]["VEE"][3] is None
        assert "own scatter matrix is singular" in table.loc[("VEE", 4)]["error"]
    fitted_by_mclust = compared = differ = 0
    for model, values in reference["BIC"].items():
        for n_components, mclust_bic in enumerate(values, start=1):
            row = table.loc[(model, n_components)]
            if mclust_bic is None or model == "VVE":
                continue
            fitted_by_mclust += 1
            if row["status"] != "fitted":
                continue
            compared += 1
            differ += not np.isclose(-row["bic"], mclust_bic, rtol=2e-5, atol=0.05)
    assert compared >= 0.75 * fitted_by_mclust
    assert differ <= 0.1 * compared


def test_summary_reports_the_best_models():
    selector = GaussianMixtureSelector(range(1, 4), ["VEV", "VVV"]).fit(IRIS)
    text = selector.summary()
    assert "VEV model with 2 components" in text
    assert "561.7285" in text and "-215.7260" in text
    assert "VEV,2" in text and "VEV,3" in text and "VVV,2" in text
    assert "50" in text and "100" in text


def test_delegation_to_the_best_estimator():
    selector = GaussianMixtureSelector(range(1, 4), ["VEV"]).fit(IRIS)
    assert selector.best_criterion_ == selector.results_["bic"].min()
    assert selector.results_.loc[selector.results_["rank"] == 1, "bic"].item() == (
        selector.best_criterion_
    )
    np.testing.assert_allclose(
        selector.score_samples(IRIS), selector.best_estimator_.score_samples(IRIS)
    )
    assert selector.predict_proba(IRIS).shape == (150, 2)


def test_parallel_fits_equal_sequential_fits():
    common = dict(n_components=range(1, 4), covariance_types=["EEE", "VEI", "EVE"])
    sequential = GaussianMixtureSelector(**common).fit(IRIS)
    parallel = GaussianMixtureSelector(**common, n_jobs=2).fit(IRIS)
    # Worker processes may round the last bits differently (their BLAS and
    # LAPACK threads), which can break exact ties in the rank.
    pd.testing.assert_frame_equal(
        sequential.results_.drop(columns="rank"),
        parallel.results_.drop(columns="rank"),
        rtol=1e-9,
    )
    assert sequential.best_params_ == parallel.best_params_


def test_verbose_prints_a_line_per_candidate(capsys):
    GaussianMixtureSelector([1, 2], ["EII", "VVV"], verbose=1).fit(IRIS)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("[1/4] EII, 1 components: BIC")


def test_when_every_candidate_is_degenerate_the_best_is_kept_with_a_warning():
    X = np.random.default_rng(0).standard_normal((8, 6))
    with pytest.warns(UserWarning, match="Every candidate is degenerate"):
        selector = GaussianMixtureSelector([2, 3], ["VVV"], reg_covar=1e-6).fit(X)
    assert (selector.results_["status"] == "degenerate").all()
    assert selector.best_params_["n_components"] in (2, 3)
    assert np.isfinite(selector.best_criterion_)


def test_degenerate_candidates_are_reported_not_selected():
    """A component sitting on repeated values: its variance is the ridge and
    its likelihood unbounded, so the fit is marked, not chosen."""
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (200, 2)), np.tile([[4.0, 4.0]], (14, 1))])
    with pytest.warns(UserWarning, match="degenerate") as caught:
        selector = GaussianMixtureSelector([1, 2], ["VVV"], reg_covar=1e-6).fit(X)
    assert any(str(w.message).endswith("'variance'. See results_.") for w in caught)
    row = selector.results_.set_index("n_components").loc[2]
    assert row["status"] == "degenerate" and np.isnan(row["bic"])
    assert "regularisation floor" in row["error"]
    assert selector.best_params_["n_components"] == 1


def test_icl_prefers_fewer_components_when_clusters_overlap():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (1500, 2)), rng.normal([2.2, 0], 1, (1500, 2))]
    common = dict(n_components=range(1, 4), covariance_types=["full"],
                  init_params="kmeans")  # fmt: skip
    by_bic = GaussianMixtureSelector(**common, random_state=0).fit(X)
    by_icl = GaussianMixtureSelector(**common, criterion="icl", random_state=0).fit(X)
    assert by_bic.best_params_["n_components"] == 2
    assert by_icl.best_params_["n_components"] == 1


def test_candidates_that_cannot_be_fitted_are_reported_not_fatal():
    X = np.random.default_rng(0).standard_normal((6, 2))
    selector = GaussianMixtureSelector([1, 2, 8], ["diag"], random_state=0).fit(X)
    failed = selector.results_.set_index("n_components").loc[8]
    assert np.isnan(failed["bic"]) and "n_samples" in failed["error"]
    assert failed["status"] == "failed"
    assert selector.best_params_["n_components"] in (1, 2)
    with pytest.raises(ValueError, match="No candidate"):
        GaussianMixtureSelector([8, 9], random_state=0).fit(X)


def test_grid_search_over_selector_settings():
    search = GridSearchCV(
        GaussianMixtureSelector(range(1, 4), random_state=0, **SKLEARN_SETTINGS),
        {"covariance_types": [["full"], ["spherical"]]},
        cv=3,
    ).fit(IRIS)
    assert search.best_params_ == {"covariance_types": ["full"]}
    assert search.best_estimator_.best_params_["covariance_type"] == "full"


def test_plot_draws_a_line_per_covariance_type():
    selector = GaussianMixtureSelector(
        range(1, 4), random_state=0, **SKLEARN_SETTINGS
    ).fit(IRIS)
    ax = selector.plot()
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels[:4] == ["full", "tied", "diag", "spherical"]
    np.testing.assert_allclose(
        ax.get_lines()[0].get_ydata(),
        selector.results_.query("covariance_type == 'full'")["bic"],
    )
    assert ax.get_ylabel().startswith("BIC")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": [0, 1]}, "n_components"),
        ({"n_components": []}, "n_components"),
        ({"covariance_types": ["weird"]}, "covariance_types"),
        ({"criterion": "hqc"}, "criterion"),
        ({"tol": -1.0}, "tol"),
        ({"init_params": "ward"}, "init_params"),
        ({"convergence": "loose"}, "convergence"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixtureSelector(**params).fit(IRIS)


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixtureSelector([1]).fit([[0.0, np.nan], [1.0, 2.0]])


# ------------------------------------------------------------ sample weights
CRITERIA_COLUMNS = ["log_likelihood", "n_parameters", "bic", "aic", "icl"]


def _blobs(seed=0, n_per_blob=40):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    X = np.vstack([rng.normal(c, 1.0, (n_per_blob, 2)) for c in centres])
    return X, rng.integers(0, 4, X.shape[0])


def _assert_same_selection(weighted, repeated, rtol):
    assert weighted.best_params_ == repeated.best_params_
    pd.testing.assert_frame_equal(
        weighted.results_.drop(columns=CRITERIA_COLUMNS),
        repeated.results_.drop(columns=CRITERIA_COLUMNS),
        check_dtype=False,
    )
    np.testing.assert_allclose(
        weighted.results_[CRITERIA_COLUMNS].to_numpy(float),
        repeated.results_[CRITERIA_COLUMNS].to_numpy(float),
        rtol=rtol,
    )
    assert weighted.best_criterion_ == pytest.approx(repeated.best_criterion_, rel=rtol)
    for attribute in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(weighted.best_estimator_, attribute),
            getattr(repeated.best_estimator_, attribute),
            rtol=rtol,
            atol=1e-12,
        )


def test_integer_weights_give_the_selection_of_repeated_rows():
    """From agreeing starts (k-means on well-separated blobs converges to the
    same partition either way), every candidate's fit and criteria, ICL's
    weighted penalty included, are those of the repeated rows."""
    X, weight = _blobs()
    common = dict(
        n_components=range(1, 5), covariance_types=["EII", "VVI", "VVV"],
        init_params="kmeans", random_state=0,
    )  # fmt: skip
    for criterion in ("bic", "icl"):
        weighted = GaussianMixtureSelector(**common, criterion=criterion).fit(
            X, sample_weight=weight
        )
        repeated = GaussianMixtureSelector(**common, criterion=criterion).fit(
            np.repeat(X, weight, axis=0)
        )
        _assert_same_selection(weighted, repeated, rtol=1e-8)
        np.testing.assert_allclose(
            weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-10
        )


@pytest.mark.parametrize("init_params", ["hc", "kmeans"])
def test_zero_weights_are_dropped_rows(init_params):
    X, weight = _blobs(seed=1)
    common = dict(
        n_components=range(1, 4), covariance_types=["EII", "VVV"],
        init_params=init_params, random_state=0,
    )  # fmt: skip
    kept = weight > 0
    with_zeros = GaussianMixtureSelector(**common).fit(X, sample_weight=weight)
    dropped = GaussianMixtureSelector(**common).fit(X[kept], sample_weight=weight[kept])
    pd.testing.assert_frame_equal(with_zeros.results_, dropped.results_)
    # Weights of 0 and 1: the unweighted selection on the rows of weight 1,
    # the hierarchical tree included.
    unit = GaussianMixtureSelector(**common).fit(X, sample_weight=kept.astype(float))
    unweighted = GaussianMixtureSelector(**common).fit(X[kept])
    _assert_same_selection(unit, unweighted, rtol=1e-8)
    np.testing.assert_array_equal(unit.predict(X), unweighted.predict(X))


def test_weighted_criteria_are_those_of_gaussian_mixture():
    """BIC and AIC with n = sum of the weights, as GaussianMixture.bic(X,
    sample_weight) computes them; ICL adds -2 sum_i w_i log max_k tau_ik."""
    X, _ = _blobs(seed=2)
    weight = np.random.default_rng(2).uniform(0.2, 3.0, X.shape[0])
    selector = GaussianMixtureSelector(range(1, 4), ["VVV", "EEE"]).fit(
        X, sample_weight=weight
    )
    best = selector.best_estimator_
    row = selector.results_.query("rank == 1").iloc[0]
    assert row["bic"] == pytest.approx(best.bic(X, sample_weight=weight), rel=1e-10)
    assert row["aic"] == pytest.approx(best.aic(X, sample_weight=weight), rel=1e-10)
    assert row["log_likelihood"] == pytest.approx(
        best.score(X, sample_weight=weight) * weight.sum(), rel=1e-10
    )
    penalty = -2.0 * weight @ np.log(best.predict_proba(X).max(axis=1))
    assert row["icl"] == pytest.approx(row["bic"] + penalty, rel=1e-10)
    assert selector.score(X, sample_weight=weight) == pytest.approx(
        best.score(X, sample_weight=weight)
    )
    text = selector.summary()
    assert f"{weight.sum():.2f}" in text  # n is the sum of the weights


def test_summary_counts_integer_weights_as_rows():
    X, weight = _blobs(seed=3)
    common = dict(n_components=[3], covariance_types=["VVV"], init_params="kmeans")
    weighted = GaussianMixtureSelector(**common, random_state=0).fit(
        X, sample_weight=weight
    )
    repeated = GaussianMixtureSelector(**common, random_state=0).fit(
        np.repeat(X, weight, axis=0)
    )
    assert weighted.summary() == repeated.summary()


def test_noise_mask_of_every_row_is_cut_to_the_rows_of_positive_weight():
    rng = np.random.default_rng(4)
    X, weight = _blobs(seed=4)
    X = np.vstack([X, rng.uniform(-10, 16, (20, 2))])
    weight = np.r_[weight, rng.integers(0, 3, 20)]
    mask = np.r_[np.zeros(120, bool), np.ones(20, bool)]
    kept = weight > 0
    common = dict(n_components=[2, 3], covariance_types=["VVV"], random_state=0)
    with_zeros = GaussianMixtureSelector(**common, noise=mask).fit(
        X, sample_weight=weight
    )
    dropped = GaussianMixtureSelector(**common, noise=mask[kept]).fit(
        X[kept], sample_weight=weight[kept]
    )
    pd.testing.assert_frame_equal(with_zeros.results_, dropped.results_)
    with pytest.raises(ValueError, match="one entry per row"):
        GaussianMixtureSelector(**common, noise=mask[:-1]).fit(X, sample_weight=weight)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (-np.ones(150), "non-negative"),
        (np.ones(149), "149 values"),
        (np.ones((150, 2)), "1-dimensional"),
        (np.zeros(150), "zero"),
        (np.r_[1.0, np.zeros(149)], "minimum of 2"),
        (np.r_[np.nan, np.ones(149)], "NaN"),
    ],
)
def test_bad_sample_weight(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixtureSelector([1, 2], ["VVV"]).fit(IRIS, sample_weight=sample_weight)


def test_a_constant_weight_scales_the_likelihood_not_the_hierarchical_fit():
    """The tree is built on the rows, the M-step of its cuts weighs them: a
    weight of 2 on every row fits as without weights, with twice the
    log-likelihood and n = 2 n_samples in the criteria."""
    common = dict(n_components=range(1, 4), covariance_types=["VEV", "VVV"])
    weighted = GaussianMixtureSelector(**common).fit(
        IRIS, sample_weight=np.full(150, 2.0)
    )
    unweighted = GaussianMixtureSelector(**common).fit(IRIS)
    fitted = unweighted.results_["status"] == "fitted"
    log_likelihood = unweighted.results_["log_likelihood"][fitted]
    n_parameters = unweighted.results_["n_parameters"][fitted]
    np.testing.assert_allclose(
        weighted.results_["log_likelihood"][fitted], 2 * log_likelihood, rtol=1e-8
    )
    np.testing.assert_allclose(
        weighted.results_["bic"][fitted],
        -4 * log_likelihood + n_parameters * np.log(300),
        rtol=1e-8,
    )
    one = dict(n_components=[2], covariance_types=["VEV"])
    weighted = GaussianMixtureSelector(**one).fit(IRIS, sample_weight=np.full(150, 2.0))
    unweighted = GaussianMixtureSelector(**one).fit(IRIS)
    for attribute in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(weighted.best_estimator_, attribute),
            getattr(unweighted.best_estimator_, attribute),
            rtol=1e-8,
        )
