"""Confidence intervals on each parameter's natural scale, and the labels of
scalar-regression slopes."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from scipy.stats import norm

from skmix.datasets import make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor
from skmix.experts._inference import (
    confidence_bounds,
    interval_scales,
    observed_time_range,
)

Z = norm.ppf(0.975)


def test_interval_scales_follow_the_block_and_term():
    names = [
        (1, "mean", "intercept"),
        (1, "expert", "x"),
        (1, "covariance", "var(intercept)"),
        (1, "covariance", "cov(intercept,slope)"),
        (1, "residual", "residual_variance[t=0]"),
        (1, "curve", "knot"),
        (1, "curve", "rate"),
        (2, "dispersion", "theta"),
        ("all", "residual", "residual_variance"),
        ("all", "covariance", "var(slope)"),
        (2, "gating", "intercept"),
    ]
    expected = ["linear", "linear", "log", "linear", "log", "logit", "linear",
                "log", "log", "log", "linear"]  # fmt: skip
    assert interval_scales(names, (0.0, 9.0)).tolist() == expected
    # Without the time range a knot keeps the symmetric interval.
    assert interval_scales(names)[5] == "linear"
    assert observed_time_range(None) is None
    assert observed_time_range(np.array([3.0, 0.5, 9.0])) == (0.5, 9.0)


def test_bounds_on_each_scale():
    estimates = np.array([2.0, 0.5, 4.0, -1.0])
    se = np.array([1.5, 0.4, 1.0, 0.3])
    scales = np.array(["linear", "log", "logit", "log"])
    lower, upper = confidence_bounds(estimates, se, 0.95, scales, (1.0, 9.0))
    assert (lower[0], upper[0]) == (2.0 - Z * 1.5, 2.0 + Z * 1.5)
    assert lower[1] == np.exp(np.log(0.5) - Z * 0.4 / 0.5)
    assert upper[1] == np.exp(np.log(0.5) + Z * 0.4 / 0.5)
    # Knot 4 in (1, 9): u = 3/8, SE of logit u = 1 * 8 / (3 * 5).
    centre, half = logit(3 / 8), Z * 8 / 15
    np.testing.assert_allclose(
        [lower[2], upper[2]], 1 + 8 * expit([centre - half, centre + half])
    )
    # A nonpositive estimate has no log: symmetric.
    assert (lower[3], upper[3]) == (-1.0 - Z * 0.3, -1.0 + Z * 0.3)


def test_a_huge_relative_error_gives_an_infinite_bound_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lower, upper = confidence_bounds(
            np.array([1e-3]), np.array([10.0]), 0.95, np.array(["log"])
        )
    assert lower[0] == 0.0 and upper[0] == np.inf


@pytest.fixture(scope="module")
def small_variance():
    """One class of linear growth whose slope variance is near zero."""
    rng = np.random.default_rng(0)
    n, waves = 60, 4
    level = 2 + rng.normal(size=(n, 1))
    slope = 1 + 0.05 * rng.normal(size=(n, 1))
    y = level + np.arange(waves) * slope + rng.normal(size=(n, waves))
    X = rng.normal(size=(n, 1))
    return MixtureOfExpertsRegressor(
        1, curve="linear", n_init=1, expert_features=None, gating_features=None,
        random_state=0,
    ).fit(X, y)  # fmt: skip


def test_a_small_variance_keeps_a_positive_interval(small_variance):
    model = small_variance
    table = model.parameter_table()
    wald = model.parameter_table(method="wald")
    pd.testing.assert_series_equal(table.std_error, wald.std_error)
    slope = (table.term == "var(slope)").to_numpy()
    # The symmetric interval goes below zero; the default one does not.
    assert wald.ci_lower[slope].item() < 0
    assert 0 < table.ci_lower[slope].item() < table.estimate[slope].item()
    assert table.ci_upper[slope].item() > table.estimate[slope].item()
    positive = table.term.str.startswith("var(") | (table.block == "residual")
    assert positive.sum() == 3
    est, se = table.estimate[positive], table.std_error[positive]
    np.testing.assert_array_equal(
        table.ci_lower[positive], np.exp(np.log(est) - Z * se / est)
    )
    np.testing.assert_array_equal(
        table.ci_upper[positive], np.exp(np.log(est) + Z * se / est)
    )
    # Means and the covariance stay symmetric.
    pd.testing.assert_frame_equal(table[~positive], wald[~positive])


def test_results_conf_int_matches_the_table(small_variance):
    model = small_variance
    results = model.results()
    for method in ("transformed", "wald"):
        table = model.parameter_table(method=method)
        intervals = results.conf_int(method=method)
        np.testing.assert_array_equal(intervals["lower"], table.ci_lower)
        np.testing.assert_array_equal(intervals["upper"], table.ci_upper)
        np.testing.assert_array_equal(
            results.parameter_table(method=method).ci_lower, table.ci_lower
        )
    pd.testing.assert_frame_equal(results.conf_int(), results.conf_int(0.05))
    assert "Wald, natural scales" in str(results.summary())
    assert "Wald, symmetric" in str(results.summary(method="wald"))


@pytest.mark.parametrize("method", ["profile", "WALD", None])
def test_an_unknown_method_is_refused(small_variance, method):
    match = "method must be one of 'transformed', 'wald'"
    with pytest.raises(ValueError, match=match):
        small_variance.results().conf_int(method=method)
    with pytest.raises(ValueError, match=match):
        small_variance.parameter_table(method=method)


def test_knot_interval_stays_within_the_observed_times():
    data = make_trajectory_mixture(n_subjects=150, n_waves=6, jitter=0.0,
                                   random_state=0)  # fmt: skip
    model = MixtureOfExpertsRegressor(
        1, curve="bilinear_spline", random_effects="diag", n_init=2,
        expert_features=None, gating_features=None, random_state=0,
    ).fit(data.X, data.y, time=data.time)  # fmt: skip
    assert observed_time_range(model.time_) == (0.0, 5.0)
    for scale in ("fitted", "original"):
        table = model.parameter_table(scale=scale)
        knot = table[table.term == "knot"].iloc[0]
        est, se = knot.estimate, knot.std_error
        centre = logit(est / 5.0)
        half = Z * se * 5.0 / (est * (5.0 - est))
        np.testing.assert_allclose(
            [knot.ci_lower, knot.ci_upper],
            5.0 * expit([centre - half, centre + half]),
            rtol=1e-12,
        )
        assert 0.0 < knot.ci_lower < est < knot.ci_upper < 5.0
        wald = model.parameter_table(scale=scale, method="wald")
        positive = table.term.str.startswith("var(") | (table.block == "residual")
        assert np.all(table.ci_lower[positive] > 0)
        linear = ~positive & (table.term != "knot")
        pd.testing.assert_frame_equal(table[linear], wald[linear])


def test_scalar_regression_slopes_are_named_like_statsmodels():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"x": rng.normal(size=80), "w": rng.normal(size=80)})
    y = 1 + 2 * X.x + rng.normal(size=80)
    scalar = MixtureOfExpertsRegressor(
        1, expert_features=["x"], gating_features=None, n_init=1, random_state=0
    ).fit(X, y)
    assert scalar.parameter_names_[:2] == [(1, "mean", "intercept"),
                                           (1, "expert", "x")]  # fmt: skip
    # Growth curves keep the factor: each covariate has one per factor.
    Y = (1 + 2 * X.x.to_numpy())[:, None] + np.arange(3) + rng.normal(size=(80, 3))
    growth = MixtureOfExpertsRegressor(
        1, curve="linear", random_effects="none", expert_features=["x"],
        gating_features=None, n_init=1, random_state=0,
    ).fit(X, Y)  # fmt: skip
    experts = [t for _, b, t in growth.parameter_names_ if b == "expert"]
    assert experts == ["intercept~x", "slope~x"]


@pytest.mark.parametrize("family", ["gaussian", "negative_binomial", "gamma"])
def test_glm_dispersions_get_log_scale_intervals(family):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 1))
    mean = np.exp(1.0 + 0.5 * X[:, 0])
    y = {
        "gaussian": mean + rng.normal(size=120),
        "negative_binomial": rng.negative_binomial(2.0, 2.0 / (2.0 + mean)),
        "gamma": rng.gamma(3.0, mean / 3.0),
    }[family]
    model = MixtureOfExpertsRegressor(1, family=family, n_init=1, random_state=0)
    # Groups of one row send 'gaussian' through the GLM route too.
    model.fit(X, y, groups=np.arange(120))
    table = model.parameter_table()
    wald = model.parameter_table(method="wald")
    dispersion = (table.block == "dispersion").to_numpy()
    assert dispersion.sum() == 1
    est, se = table.estimate[dispersion], table.std_error[dispersion]
    np.testing.assert_array_equal(
        table.ci_lower[dispersion], np.exp(np.log(est) - Z * se / est)
    )
    np.testing.assert_array_equal(
        table.ci_upper[dispersion], np.exp(np.log(est) + Z * se / est)
    )
    pd.testing.assert_frame_equal(table[~dispersion], wald[~dispersion])


def test_trajectory_bands_are_the_delta_method_of_the_class_means():
    """A linear growth class's expected trajectory is ``[1, t] alpha_k``, so
    its pointwise band is ``+- z sqrt([1, t] Cov(alpha_k) [1, t]')``."""
    sim = make_trajectory_mixture(300, random_state=1)
    model = MixtureOfExpertsRegressor(
        2, curve="linear", gating_features=None, expert_features=None,
        n_init=3, n_final=1, random_state=0,
    ).fit(None, sim.y, time=sim.time)  # fmt: skip
    time = np.array([0.0, 2.5, 9.0])
    curves, lower, upper = model.class_trajectories(time=time, level=0.9)
    np.testing.assert_allclose(curves, model.class_trajectories(time=time))
    loadings = np.column_stack([np.ones(3), time])
    for k in range(2):
        means = [
            i
            for i, (c, block, _) in enumerate(model.parameter_names_)
            if c == k + 1 and block == "mean"
        ]
        cov = model.covariance_[np.ix_(means, means)]
        se = np.sqrt(np.einsum("ti,ij,tj->t", loadings, cov, loadings))
        half = norm.ppf(0.95) * se
        np.testing.assert_allclose(upper[k] - curves[k], half, rtol=1e-5)
        np.testing.assert_allclose(curves[k] - lower[k], half, rtol=1e-5)
    with pytest.raises(ValueError, match="level"):
        model.class_trajectories(time=time, level=1.5)
