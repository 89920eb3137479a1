"""bootstrap_lrt and compare_classes' blrt_p for mixtures of regressions
(issue 17): outcomes drawn at the observed covariates, one class per
subject, reproducible across n_jobs, clear errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmix.experts import MixtureOfExpertsRegressor
from skmix.mixture import GaussianMixture
from skmix.model_selection import bootstrap_lrt, compare_classes

NPREG = Path(__file__).parents[1] / "data" / "flexmix" / "npreg.csv"

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::skmix.exceptions.DegenerateMixtureWarning",
)


@pytest.fixture(scope="module")
def npreg():
    """flexmix's NPreg: Poisson counts on x, two classes, 100 subjects of
    two rows (id1)."""
    frame = pd.read_csv(NPREG)
    return frame[["x"]].to_numpy(), frame["yp"].to_numpy(), frame["id1"].to_numpy()


def _poisson(**params):
    return MixtureOfExpertsRegressor(
        family="poisson",
        gating_features=None,
        n_init=3,
        n_final=2,
        tol=1e-6,
        **params,
    )


def _one_class(seed=0, n=200):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    return x[:, None], rng.poisson(np.exp(1.0 + 0.1 * x))


def test_sample_draws_one_class_per_subject(npreg):
    X, y, groups = npreg
    model = _poisson(random_state=0).fit(X, y, groups=groups)
    draws, labels = model.sample(X, groups=groups, random_state=0)
    assert draws.shape == y.shape and np.all(draws == np.round(draws))
    assert pd.Series(labels).groupby(groups).nunique().max() == 1
    assert 0 < labels.mean() < 1
    again, _ = model.sample(X, groups=groups, random_state=0)
    np.testing.assert_array_equal(draws, again)
    growth = MixtureOfExpertsRegressor(1, gating_features=None).fit(X, X[:, 0] + y)
    with pytest.raises(ValueError, match="groups is for GLM experts"):
        growth.sample(X, groups=groups)


def test_npreg_rejects_one_class(npreg):
    X, y, groups = npreg
    result = bootstrap_lrt(
        _poisson(), X, 1, 9, y=y, fit_params={"groups": groups}, random_state=0
    )
    row = result.table.iloc[0]
    assert row["p_value"] == pytest.approx(1 / 10) and row["n_bootstrap"] == 9
    assert row["lrts"] > 40
    assert np.all(result.bootstrap[1] < row["lrts"])
    assert result.models[2].subjects_ is not None  # fitted with the groups


def test_one_class_data_is_not_rejected():
    X, y = _one_class()
    result = bootstrap_lrt(_poisson(), X, 1, 19, y=y, random_state=0)
    row = result.table.iloc[0]
    assert row["p_value"] > 0.05 and not row["reject"]
    assert result.n_components_selected == 1
    assert np.isfinite(result.bootstrap[1]).all()


def test_estimator_starts_and_gaussian_experts():
    """bootstrap_init='estimator': every bootstrap fit from the estimator's
    own starts; Gaussian experts run their own EM from the fitted ones."""
    X, y = _one_class(1, n=120)
    result = bootstrap_lrt(
        _poisson(), X, 1, 4, y=y, bootstrap_init="estimator", random_state=0
    )
    assert result.table["n_bootstrap"][0] == 4
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, 150)
    labels = rng.integers(0, 2, 150)
    continuous = np.where(labels, 3.0 + x, -3.0 - x) + rng.normal(0, 0.5, 150)
    gaussian = MixtureOfExpertsRegressor(gating_features=None, n_init=3)
    result = bootstrap_lrt(gaussian, x[:, None], 1, 4, y=continuous, random_state=0)
    assert result.table["p_value"][0] == pytest.approx(0.2)


def test_growth_mixture_without_covariates():
    """Trajectories at common times, X None: drawn from the fitted growth
    mixture (its own SQUAREM EM from the fitted parameters)."""
    rng = np.random.default_rng(4)
    n, time = 80, np.arange(4.0)
    second = np.arange(n) >= n // 2
    y = (np.where(second, 14.0, 10.0)[:, None] + np.where(second, -0.5, 1.0)[:, None]
         * time + rng.normal(0, 0.5, (n, 4)))  # fmt: skip
    growth = MixtureOfExpertsRegressor(
        gating_features=None, expert_features=None, random_effects="none",
        n_init=2, tol=1e-8,
    )  # fmt: skip
    result = bootstrap_lrt(growth, None, 1, 4, y=y, random_state=0)
    assert result.table["p_value"][0] == pytest.approx(1 / 5)
    assert result.table["n_bootstrap"][0] == 4


def test_results_do_not_depend_on_n_jobs():
    X, y = _one_class(3, n=100)
    one, two = (
        bootstrap_lrt(_poisson(), X, 1, 4, y=y, random_state=0, n_jobs=n_jobs)
        for n_jobs in (1, 2)
    )
    np.testing.assert_array_equal(one.bootstrap[1], two.bootstrap[1])
    pd.testing.assert_frame_equal(one.table, two.table)


def test_bad_input(npreg):
    X, y, groups = npreg
    with pytest.raises(ValueError, match="fitted on X alone"):
        bootstrap_lrt(GaussianMixture(), X, 1, 9, y=y)
    with pytest.raises(ValueError, match="fitted on X alone"):
        bootstrap_lrt(GaussianMixture(), X, 1, 9, fit_params={"groups": groups})
    with pytest.raises(ValueError, match="pass y"):
        bootstrap_lrt(_poisson(), X, 1, 9)
    with pytest.raises(ValueError, match=r"fit_params\['offset'\].*200"):
        bootstrap_lrt(_poisson(), X, 1, 9, y=y, fit_params={"offset": np.zeros(5)})
    with pytest.raises(ValueError, match=r"fit_params\['groups'\]"):
        bootstrap_lrt(_poisson(), X, 1, 9, y=y, fit_params={"groups": groups[:-1]})
    with pytest.raises(ValueError, match="sample_weight"):
        bootstrap_lrt(
            _poisson(), X, 1, 9, y=y, fit_params={"sample_weight": np.ones(200)}
        )
    with pytest.raises(ValueError, match="inconsistent numbers of rows"):
        bootstrap_lrt(_poisson(), X[:-1], 1, 9, y=y)


def test_compare_classes_fills_blrt_p(npreg):
    X, y, groups = npreg
    result = compare_classes(
        _poisson(), X, y, n_components=[1, 2], fit_params={"groups": groups},
        n_starts=2, lmr=False, n_bootstrap=19, random_state=0,
    )  # fmt: skip
    p = result.table.set_index("n_components")["blrt_p"]
    assert np.isnan(p[1]) and p[2] == pytest.approx(1 / 20)
    assert result.bootstrap.table["n_bootstrap"][0] == 19
