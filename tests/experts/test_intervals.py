"""Confidence intervals: Wald on each parameter's natural scale, profile
likelihood and parametric bootstrap; and the labels of scalar-regression
slopes."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.special import expit, logit
from scipy.stats import chi2, norm
from sklearn.exceptions import ConvergenceWarning

from skmix.datasets import make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor
from skmix.experts._bootstrap_intervals import bootstrap_bounds, matching_order
from skmix.experts._inference import (
    confidence_bounds,
    interval_scales,
    observed_time_range,
)
from skmix.experts._profile import FittedLikelihood, profile_intervals

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


@pytest.mark.parametrize("method", ["likelihood", "WALD", None])
def test_an_unknown_method_is_refused(small_variance, method):
    match = "method must be one of 'transformed', 'wald', 'profile', 'bootstrap'"
    with pytest.raises(ValueError, match=match):
        small_variance.results().conf_int(method=method)
    with pytest.raises(ValueError, match=match):
        small_variance.results().summary(method=method)
    match = "method must be one of 'transformed', 'wald', 'bootstrap'"
    with pytest.raises(ValueError, match=match):
        small_variance.parameter_table(method=method)


def test_the_estimator_table_has_no_profile_intervals(small_variance):
    # Profiles are of single fitted parameters: they live on the results
    # object, whose parameters they are.
    match = "method must be one of 'transformed', 'wald', 'bootstrap'"
    with pytest.raises(ValueError, match=match):
        small_variance.parameter_table(method="profile")


def _two_spline_classes(n_subjects):
    """Two bilinear-spline classes (knots 1.8 and 3.2), fitted."""
    data = make_trajectory_mixture(n_subjects=n_subjects, n_waves=6, jitter=0.0,
                                   knots=(1.8, 3.2), random_state=0)  # fmt: skip
    return MixtureOfExpertsRegressor(
        2, curve="bilinear_spline", random_effects="diag", n_init=2,
        expert_features=None, gating_features=None, random_state=0,
    ).fit(data.X, data.y, time=data.time)  # fmt: skip


def test_original_scale_bootstrap_intervals_match_the_delta_method():
    # Bilinear-spline growth factors on the original scale (intercept,
    # slope1, slope2) are linear combinations of the fitted ones: their
    # bootstrap intervals are the percentiles of the mapped refits, whose
    # spread the delta-method standard errors predict.
    model = _two_spline_classes(300)
    wald = model.parameter_table(scale="original")
    boot = model.parameter_table(
        scale="original", method="bootstrap", n_bootstrap=100, random_state=0
    )
    pd.testing.assert_frame_equal(
        wald.drop(columns=["ci_lower", "ci_upper"]),
        boot.drop(columns=["ci_lower", "ci_upper"]),
    )
    means = (boot.block == "mean").to_numpy()
    assert set(boot.term[means]) == {"intercept", "slope1", "slope2"}
    assert np.all(boot.ci_lower < boot.estimate)
    assert np.all(boot.estimate < boot.ci_upper)
    # A 95% normal interval is 3.92 SEs wide; 100 draws estimate a width to
    # within about 15%.
    width = (boot.ci_upper - boot.ci_lower)[means] / (3.92 * boot.std_error[means])
    assert np.all((0.7 < width) & (width < 1.3)), width.to_numpy()


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


# ------------------------------------------------- profile-likelihood intervals
Q95 = chi2.ppf(0.95, 1)


def _quadratic_likelihood(mean, covariance, low=None, high=None):
    """A Gaussian log-likelihood: its profile intervals are exactly
    ``mean_j +- sqrt(q Sigma_jj)``."""
    precision = np.linalg.inv(covariance)
    p = len(mean)

    def loglik(x):
        if low is not None and np.any(x <= low):
            return -np.inf
        d = x - mean
        return -0.5 * d @ precision @ d

    return FittedLikelihood(
        loglik, lambda x: -precision @ (x - mean), np.asarray(mean, float), 0.0,
        covariance, np.full(p, -np.inf) if low is None else low,
        np.full(p, np.inf) if high is None else high, np.ones(p),
    )  # fmt: skip


def test_profile_of_a_gaussian_likelihood_is_its_ellipse_shadow():
    mean = np.array([1.0, -2.0, 0.5])
    covariance = np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    lower, upper = profile_intervals(_quadratic_likelihood(mean, covariance),
                                     [0, 1, 2], Q95)  # fmt: skip
    half = np.sqrt(Q95 * np.diag(covariance))
    np.testing.assert_allclose(lower, mean - half, rtol=1e-8)
    np.testing.assert_allclose(upper, mean + half, rtol=1e-8)


def test_a_profile_bound_stops_at_the_domain_or_is_nan_when_flat():
    mean = np.array([1.0, 3.0])
    # The first parameter positive: its lower bound 1 - 1.96 * 2 is not.
    likelihood = _quadratic_likelihood(
        mean, np.diag([4.0, 1.0]), low=np.array([0.0, -np.inf])
    )
    lower, upper = profile_intervals(likelihood, [0], Q95)
    assert lower[0] == 0.0
    np.testing.assert_allclose(upper, 1.0 + np.sqrt(Q95 * 4.0), rtol=1e-8)
    # A parameter the likelihood does not depend on: no bound, a warning.
    flat = likelihood._replace(
        loglik=lambda x: -0.5 * (x[0] - 1.0) ** 2,
        gradient=lambda x: np.array([-(x[0] - 1.0), 0.0]),
    )
    with pytest.warns(
        ConvergenceWarning, match="stays within the cut-off over 1024 Wald half-widths"
    ):
        lower, upper = profile_intervals(flat, [1], Q95, ["a", "b"])
    assert np.isnan(lower[0]) and np.isnan(upper[0])


def _regression(route):
    """One Gaussian class regressing y on two covariates (one of them large,
    so the fit's column scaling is exercised), by the Gaussian-expert route
    or, with groups of one row, the GLM route."""
    rng = np.random.default_rng(0)
    n = 60
    X = rng.normal(size=(n, 2)) * [1.0, 30.0]
    y = 1 + 0.5 * X[:, 0] - 0.02 * X[:, 1] + rng.normal(size=n)
    model = MixtureOfExpertsRegressor(1, gating_features=None, n_init=1,
                                      random_state=0)  # fmt: skip
    groups = {"groups": np.arange(n)} if route == "glm" else {}
    return model.fit(X, y, **groups), X, y


@pytest.mark.parametrize("route", ["gaussian", "glm"])
def test_profile_intervals_of_a_linear_regression_have_the_closed_form(route):
    """With ML variance ``s = RSS / n``, ``lp(b_j) = -n/2 log RSS(b_j) +
    const`` and ``RSS(b_j) = RSS + (b_j - b_hat)^2 / c_jj``, so the bounds
    are ``b_hat +- sqrt(c_jj RSS (exp(q / n) - 1))``; the variance's solve
    ``n (log(s / s_hat) + s_hat / s - 1) = q``."""
    model, X, y = _regression(route)
    n = len(y)
    design = np.column_stack([np.ones(n), X])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    rss = np.sum((y - design @ coef) ** 2)
    c = np.diag(np.linalg.inv(design.T @ design))
    half = np.sqrt(c * rss * (np.exp(Q95 / n) - 1))
    s_hat = rss / n

    def deviance(s):
        return n * (np.log(s / s_hat) + s_hat / s - 1) - Q95

    variance = [brentq(deviance, 1e-3 * s_hat, s_hat),
                brentq(deviance, s_hat, 1e3 * s_hat)]  # fmt: skip
    results = model.results()
    intervals = results.conf_int(method="profile")
    np.testing.assert_allclose(intervals.lower[:3], coef - half, rtol=1e-6)
    np.testing.assert_allclose(intervals.upper[:3], coef + half, rtol=1e-6)
    np.testing.assert_allclose(intervals.iloc[3], variance, rtol=1e-6)
    # One parameter, another level: the same closed form.
    slope = results.params.index[1]
    one = results.conf_int(0.1, method="profile", params=[slope])
    q90 = chi2.ppf(0.9, 1)
    np.testing.assert_allclose(
        one.iloc[0], coef[1] + np.array([-1, 1]) * np.sqrt(
            c[1] * rss * (np.exp(q90 / n) - 1)
        ), rtol=1e-6,
    )  # fmt: skip
    assert list(one.index) == [slope]


def test_a_variance_near_zero_keeps_a_profile_interval_in_its_domain(small_variance):
    results = small_variance.results()
    label = (1, "covariance", "var(slope)")
    interval = results.conf_int(method="profile", params=[label]).iloc[0]
    estimate = results.params[label]
    assert 0.0 <= interval.lower < estimate < interval.upper
    # The symmetric Wald interval goes below zero.
    assert results.conf_int(method="wald").loc[label, "lower"] < 0
    # Every parameter of the full covariance matrix, the covariance too.
    intervals = results.conf_int(method="profile")
    assert not intervals.isna().any().any()
    assert np.all(intervals.lower < results.params)
    assert np.all(results.params < intervals.upper)
    positive = results.params.index.get_level_values("term").str.startswith("var(")
    assert np.all(intervals.lower[positive] >= 0)


def test_classes_are_matched_by_posterior_agreement():
    labels = np.array([0, 1, 2, 2, 1, 0, 0])
    reference = np.eye(3)[labels]
    # The candidate's class j is the reference's class [2, 0, 1][j].
    candidate = reference[:, [2, 0, 1]]
    order = matching_order(reference, candidate)
    np.testing.assert_array_equal(candidate[:, order], reference)
    np.testing.assert_array_equal(matching_order(reference, reference), [0, 1, 2])


# -------------------------------------------------------- parametric bootstrap
@pytest.fixture(scope="module")
def two_classes():
    """Two well-separated classes of a scalar regression."""
    rng = np.random.default_rng(2)
    n = 200
    X = rng.normal(size=(n, 1))
    first = rng.random(n) < 0.5
    y = np.where(first, 5 + 2 * X[:, 0], -5 - X[:, 0]) + rng.normal(size=n)
    return MixtureOfExpertsRegressor(
        2, gating_features=None, n_init=2, random_state=0
    ).fit(X, y)  # fmt: skip


def test_two_classes_profile_and_bootstrap_intervals(two_classes):
    results = two_classes.results()
    estimates = results.params
    positive = results.params.index.get_level_values("block") == "residual"
    for method, options in (("profile", {}), ("bootstrap", {"random_state": 0})):
        intervals = results.conf_int(method=method, **options)
        assert np.all(intervals.lower < estimates), method
        assert np.all(estimates < intervals.upper), method
        assert np.all(intervals.lower[positive] > 0), method
    basic = results.conf_int(method="bootstrap", random_state=0,
                             bootstrap_kind="basic")  # fmt: skip
    assert np.all(basic.lower[positive] > 0)
    # The bootstrap's spread of a slope is its standard error (up to Monte
    # Carlo error: about 5% at 200 draws).
    draws = results.bootstrap_estimates(random_state=0)
    assert draws.attrs["n_failed"] == draws.attrs["n_not_converged"] == 0
    assert len(draws) == 200
    slopes = [(1, "expert", "x0"), (2, "expert", "x0")]
    np.testing.assert_allclose(draws[slopes].std(), results.bse[slopes], rtol=0.2)
    # The percentile interval is the draws' quantiles: of 200, the 10.05th
    # and 190.95th smallest (interpolated).
    ordered = np.sort(draws[slopes[0]])
    np.testing.assert_allclose(
        results.conf_int(0.1, method="bootstrap", random_state=0).loc[slopes[0]],
        [ordered[9] + 0.05 * (ordered[10] - ordered[9]),
         ordered[189] + 0.95 * (ordered[190] - ordered[189])],
    )  # fmt: skip


def test_bootstrap_is_reproducible_cached_and_independent_of_n_jobs(
    two_classes, monkeypatch
):
    from skmix.experts import _results

    calls = []
    original = _results.bootstrap_replicates

    def counted(*args, **kwargs):
        calls.append(args[1:])
        return original(*args, **kwargs)

    monkeypatch.setattr(_results, "bootstrap_replicates", counted)
    first = two_classes.results().conf_int(method="bootstrap", n_bootstrap=50,
                                           random_state=3)  # fmt: skip
    results = two_classes.results()
    again = results.conf_int(method="bootstrap", n_bootstrap=50, random_state=3)
    pd.testing.assert_frame_equal(first, again)
    assert len(calls) == 2
    results.conf_int(0.1, method="bootstrap", n_bootstrap=50, random_state=3)
    results.bootstrap_estimates(n_bootstrap=50, random_state=3)
    assert len(calls) == 2  # cached
    parallel = two_classes.results().conf_int(
        method="bootstrap", n_bootstrap=50, random_state=3, n_jobs=2
    )
    pd.testing.assert_frame_equal(first, parallel)
    other = results.conf_int(method="bootstrap", n_bootstrap=50, random_state=4)
    assert not np.allclose(other.to_numpy(), first.to_numpy())


def test_knots_and_variances_stay_in_their_domain():
    model = _two_spline_classes(200)
    results = model.results()
    knots = [(1, "curve", "knot"), (2, "curve", "knot")]
    profile = results.conf_int(method="profile", params=knots)
    bootstrap = results.conf_int(method="bootstrap", n_bootstrap=50, random_state=0)
    for intervals in (profile, bootstrap.loc[knots]):
        assert np.all(0 < intervals.lower) and np.all(intervals.upper < 5)
        assert np.all(intervals.lower < results.params[knots])
        assert np.all(results.params[knots] < intervals.upper)
    index = results.params.index
    positive = (index.get_level_values("block") == "residual") | (
        index.get_level_values("term").str.startswith("var(")
    )
    assert np.all(bootstrap.lower[positive] > 0)
    draws = results.bootstrap_estimates(n_bootstrap=50, random_state=0)
    assert np.all((draws[knots] > 0) & (draws[knots] < 5))


def test_bootstrap_bounds_percentile_and_basic():
    rng = np.random.default_rng(0)
    replicates = np.column_stack([rng.normal(1, 0.5, 399), rng.gamma(4, 0.25, 399)])
    estimates = np.array([1.1, 0.9])
    low, high = np.array([-np.inf, 0.0]), np.array([np.inf, np.inf])
    lower, upper = bootstrap_bounds(estimates, replicates, 0.9, "percentile", low, high)
    # Of B = 399 replicates, the (B + 1) 0.05 = 20th and (B + 1) 0.95 =
    # 380th smallest (Davison & Hinkley 1997, section 5.2).
    ordered = np.sort(replicates, axis=0)
    q = ordered[[19, 379]]
    np.testing.assert_allclose([lower, upper], q, rtol=1e-14)
    lower, upper = bootstrap_bounds(estimates, replicates, 0.9, "basic", low, high)
    # Basic: 2 t - q on the real line, on the log scale for the variance.
    np.testing.assert_allclose([lower[0], upper[0]], 2 * 1.1 - q[::-1, 0])
    log_q = np.log(ordered[[379, 19], 1])
    np.testing.assert_allclose([lower[1], upper[1]], np.exp(2 * np.log(0.9) - log_q))
    # Logit within a finite range.
    knot = np.array([[2.0], [2.5], [3.0], [4.5]])
    lower, upper = bootstrap_bounds(np.array([4.0]), knot, 0.5, "basic",
                                    np.array([1.0]), np.array([5.0]))  # fmt: skip
    assert 1.0 < lower[0] < upper[0] < 5.0


def test_percentile_bounds_from_100_draws_cover_at_the_nominal_level():
    # An exact bootstrap distribution, N(estimate, 1) for an estimate drawn
    # from N(0, 1): the 95% percentile interval of 100 draws covers 0 in
    # 95% of 20,000 trials (Monte Carlo SE 0.0015). NumPy's default
    # quantile covers 0.931 here.
    rng = np.random.default_rng(0)
    estimates = rng.normal(size=20_000)
    replicates = estimates + rng.normal(size=(100, 20_000))
    lower, upper = bootstrap_bounds(estimates, replicates, 0.95, "percentile")
    assert abs(np.mean((lower <= 0) & (0 <= upper)) - 0.95) < 0.005


def test_bad_interval_arguments_are_refused(two_classes):
    results = two_classes.results()
    for alpha in (0.0, 1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="alpha"):
            results.conf_int(alpha, method="profile")
    with pytest.raises(ValueError, match=r"unknown: \[\(1, 'expert', 'z'\)\]"):
        results.conf_int(method="profile", params=[(1, "expert", "z")])
    with pytest.raises(
        ValueError, match="n_bootstrap must be an integer of at least 50"
    ):
        results.conf_int(method="bootstrap", n_bootstrap=10)
    with pytest.raises(ValueError, match="n_bootstrap"):
        results.conf_int(method="bootstrap", n_bootstrap=100.0)
    with pytest.raises(ValueError, match="bootstrap_kind must be one of"):
        results.conf_int(method="bootstrap", bootstrap_kind="bca")


def test_a_weighted_fit_is_not_bootstrapped():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 1))
    y = 1 + X[:, 0] + rng.normal(size=40)
    model = MixtureOfExpertsRegressor(1, n_init=1, random_state=0).fit(
        X, y, sample_weight=rng.integers(1, 3, 40)
    )
    with pytest.raises(ValueError, match="sample_weight"):
        model.results().conf_int(method="bootstrap")


def test_tables_and_summary_take_the_new_methods(two_classes):
    results = two_classes.results()
    label = (1, "expert", "x0")
    table = results.parameter_table(method="profile", params=[label])
    assert len(table) == 1 and table.term[0] == "x0"
    pd.testing.assert_series_equal(
        table[["ci_lower", "ci_upper"]].iloc[0],
        results.conf_int(method="profile").loc[label].set_axis(
            ["ci_lower", "ci_upper"]
        ),
        check_names=False,
    )  # fmt: skip
    assert "profile likelihood" in str(results.summary(method="profile"))
    text = str(results.summary(method="bootstrap", n_bootstrap=50, random_state=0))
    assert "parametric bootstrap (percentile, 50 draws)" in text
