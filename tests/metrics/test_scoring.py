"""log_likelihood_scorer (issue 17): cross-validation chooses the number of
classes by held-out likelihood, with ``time`` routed to fit and score."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, cross_val_score

from skmix.experts import MixtureOfExpertsRegressor
from skmix.metrics import log_likelihood_scorer
from skmix.mixture import GaussianMixture

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::skmix.exceptions.DegenerateMixtureWarning",
)


def _trajectories(seed=0, n=300, waves=5):
    """Two classes of linear growth, individually varying times."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    time = np.arange(waves) + rng.uniform(-0.3, 0.3, (n, waves))
    intercept = np.where(labels == 0, 10.0, 14.0) + rng.normal(0, 1, n)
    slope = np.where(labels == 0, 1.0, -0.5) + rng.normal(0, 0.3, n)
    y = intercept[:, None] + slope[:, None] * time + rng.normal(0, 0.5, (n, waves))
    return np.zeros((n, 1)), y, time


def _experts(**params):
    return MixtureOfExpertsRegressor(
        curve="linear", gating_features=None, expert_features=None, random_state=0,
        **params,
    )  # fmt: skip


def test_scorer_is_the_mean_subject_log_likelihood():
    X, y, time = _trajectories()
    model = _experts(n_components=2).fit(X, y, time=time)
    expected = model.score_subjects(X, y, time=time).mean()
    assert log_likelihood_scorer(model, X, y, time=time) == pytest.approx(expected)
    # The subjects' log-likelihoods add up to the fit's.
    np.testing.assert_allclose(
        model.score_subjects(X, y, time=time).sum(), model.log_likelihood_, rtol=1e-8
    )
    X_gm = np.random.default_rng(1).standard_normal((100, 2))
    gm = GaussianMixture(2, random_state=0).fit(X_gm)
    assert log_likelihood_scorer(gm, X_gm) == pytest.approx(gm.score(X_gm))


def test_grid_search_with_routed_time_picks_two_classes():
    X, y, time = _trajectories()
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            _experts().set_fit_request(time=True), {"n_components": [1, 2, 3]},
            scoring=log_likelihood_scorer, cv=3,
        ).fit(X, y, time=time)  # fmt: skip
    assert search.best_params_ == {"n_components": 2}
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] + 0.1  # two classes clearly beat one


def test_without_routing_the_error_says_how_to_route_time():
    X, y, time = _trajectories(n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="enable_metadata_routing"):
            cross_val_score(
                _experts(n_components=1), X, y, params={"time": time}, cv=2,
                error_score="raise",
            )  # fmt: skip
