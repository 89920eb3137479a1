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
    with pytest.warns(UserWarning, match="degenerate"):
        selector = GaussianMixtureSelector([1, 2], ["VVV"], reg_covar=1e-6).fit(X)
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
