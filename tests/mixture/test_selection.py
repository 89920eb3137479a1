"""GaussianMixtureSelector against scikit-learn's criteria and mclust's iris BIC."""

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from sklearn.model_selection import GridSearchCV

from skmix.mixture import GaussianMixtureSelector

matplotlib.use("Agg")

IRIS = load_iris().data


def test_criteria_match_sklearn_for_every_candidate():
    selector = GaussianMixtureSelector(range(1, 4), random_state=0).fit(IRIS)
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


def test_iris_selection_matches_mclust():
    # mclust 6 on iris: VVV,1 BIC -829.9782 and VVV,2 BIC -574.0178 (mclust's
    # sign is the opposite of scikit-learn's); among skmix's covariance types
    # (VVV, EEE, VVI, VII) VVV,2 is the best.
    selector = GaussianMixtureSelector(
        range(1, 6), n_init=10, tol=1e-8, max_iter=1000, random_state=0
    ).fit(IRIS)
    full = selector.results_.set_index(["covariance_type", "n_components"]).loc["full"]
    assert full.loc[1, "bic"] == pytest.approx(829.9782, abs=1e-3)
    assert full.loc[2, "bic"] == pytest.approx(574.0178, abs=1e-3)
    assert selector.best_params_ == {"n_components": 2, "covariance_type": "full"}
    assert selector.best_criterion_ == selector.results_["bic"].min()
    assert selector.results_.loc[selector.results_["rank"] == 1, "bic"].item() == (
        selector.best_criterion_
    )
    np.testing.assert_allclose(
        selector.score_samples(IRIS), selector.best_estimator_.score_samples(IRIS)
    )
    assert selector.predict_proba(IRIS).shape == (150, 2)


def test_icl_prefers_fewer_components_when_clusters_overlap():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (1500, 2)), rng.normal([2.2, 0], 1, (1500, 2))]
    common = dict(n_components=range(1, 4), covariance_types=["full"])
    by_bic = GaussianMixtureSelector(**common, random_state=0).fit(X)
    by_icl = GaussianMixtureSelector(**common, criterion="icl", random_state=0).fit(X)
    assert by_bic.best_params_["n_components"] == 2
    assert by_icl.best_params_["n_components"] == 1


def test_candidates_that_cannot_be_fitted_are_reported_not_fatal():
    X = np.random.default_rng(0).standard_normal((6, 2))
    selector = GaussianMixtureSelector([1, 2, 8], ["diag"], random_state=0).fit(X)
    failed = selector.results_.set_index("n_components").loc[8]
    assert np.isnan(failed["bic"]) and "n_samples" in failed["error"]
    assert selector.best_params_["n_components"] in (1, 2)
    with pytest.raises(ValueError, match="No candidate"):
        GaussianMixtureSelector([8, 9], random_state=0).fit(X)


def test_grid_search_over_selector_settings():
    search = GridSearchCV(
        GaussianMixtureSelector(range(1, 4), random_state=0),
        {"covariance_types": [["full"], ["spherical"]]},
        cv=3,
    ).fit(IRIS)
    assert search.best_params_ == {"covariance_types": ["full"]}
    assert search.best_estimator_.best_params_["covariance_type"] == "full"


def test_plot_draws_a_line_per_covariance_type():
    selector = GaussianMixtureSelector(range(1, 4), random_state=0).fit(IRIS)
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
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixtureSelector(**params).fit(IRIS)


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixtureSelector([1]).fit([[0.0, np.nan], [1.0, 2.0]])
