"""MixtureOfExpertsRegressor against references: statsmodels (OLS, MixedLM),
the OpenMx fits of ECLS-K, and the generating values of simulations."""

import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.optimize import linear_sum_assignment

import skmix
from skmix.datasets import load_ecls_k, make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor


def _align(model, labels):
    """Reorder the model's classes to best match the true labels."""
    agreement = np.zeros((model.n_components, model.n_components))
    np.add.at(agreement, (labels, model.posterior_.argmax(axis=1)), 1)
    return model.reorder_classes(linear_sum_assignment(-agreement)[1])


@pytest.fixture(scope="module")
def simulation():
    data = make_trajectory_mixture(500, random_state=3)
    model = MixtureOfExpertsRegressor(
        2,
        curve="bilinear_spline",
        gating_features=["gc1", "gc2"],
        expert_features=["ex1", "ex2"],
        random_state=0,
    ).fit(data.X, data.y, time=data.time)
    return data, _align(model, data.labels)


def test_scalar_one_class_is_ordinary_least_squares():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 3 + rng.normal(size=200)
    model = MixtureOfExpertsRegressor(1, random_state=0).fit(X, y)
    ols = sm.OLS(y, sm.add_constant(X)).fit()
    table = model.parameter_table()
    coef = table[table.block.isin(["mean", "expert"])]
    np.testing.assert_allclose(coef.estimate, ols.params, rtol=1e-8)
    # Maximum likelihood scales the variance by (n - p) / n.
    np.testing.assert_allclose(coef.std_error, ols.bse * np.sqrt(196 / 200), rtol=1e-5)
    assert model.log_likelihood_ == pytest.approx(ols.llf, rel=1e-10)
    np.testing.assert_allclose(model.predict(X), ols.fittedvalues, rtol=1e-8)


def test_one_class_growth_model_is_statsmodels_mixedlm():
    rng = np.random.default_rng(1)
    n, waves = 150, 5
    time = np.arange(waves, dtype=float)
    factors = rng.multivariate_normal([10, 2], [[4, 0.5], [0.5, 1]], n)
    y = factors[:, :1] + factors[:, 1:] * time + rng.normal(0, 1.5, (n, waves))
    model = MixtureOfExpertsRegressor(
        1, curve="linear", gating_features=None, expert_features=None
    ).fit(None, y, time=time)

    long = pd.DataFrame(
        {"y": y.ravel(), "t": np.tile(time, n), "id": np.repeat(np.arange(n), waves)}
    )
    exog = sm.add_constant(long[["t"]])
    mixed = sm.MixedLM(long.y, exog, groups=long.id, exog_re=exog).fit(reml=False)
    assert model.log_likelihood_ == pytest.approx(mixed.llf, rel=1e-7)
    np.testing.assert_allclose(model.params_.alpha[0], mixed.fe_params, rtol=1e-5)
    np.testing.assert_allclose(model.params_.psi[0], mixed.cov_re, rtol=1e-3)
    assert model.params_.theta[0] == pytest.approx(mixed.scale, rel=1e-4)
    table = model.parameter_table()
    se = table[table.block == "mean"].std_error.to_numpy()
    np.testing.assert_allclose(se, mixed.bse_fe, rtol=1e-3)


@pytest.mark.parametrize(
    ("n_classes", "reference", "n_parameters"),
    [(1, 31347.39, 11), (2, 31171.41, 23), (3, 31008.30, 35)],
)
def test_ecls_k_bilinear_spline_reaches_openmx_fits(n_classes, reference, n_parameters):
    data = load_ecls_k()
    y = data[[f"M{i}" for i in range(1, 10)]].to_numpy()
    ages = data[[f"T{i}" for i in range(1, 10)]].to_numpy()
    model = MixtureOfExpertsRegressor(
        n_classes,
        curve="bilinear_spline",
        gating_features=None,
        expert_features=None,
        n_final=1,  # the best emEM short run, to keep the suite fast
        random_state=0,
    ).fit(None, y, time=ages - ages[:, :1])
    assert model.n_parameters_ == n_parameters
    assert -2 * model.log_likelihood_ <= reference + 0.5


def test_simulation_recovers_generating_values(simulation):
    data, model = simulation
    table = model.parameter_table(scale="original")
    factors = ["intercept", "slope1", "slope2"]
    for k in range(2):
        rows = table[(table["class"] == k + 1) & (table.block == "mean")]
        z = (rows.estimate.to_numpy() - data.class_means[k]) / rows.std_error
        assert np.all(np.abs(z) < 3.5), rows
        knot = table[(table["class"] == k + 1) & (table.term == "knot")].iloc[0]
        assert abs(knot.estimate - data.knots[k]) < 3.5 * knot.std_error
        for j, factor in enumerate(factors):
            for c, covariate in enumerate(["ex1", "ex2"]):
                row = table[
                    (table["class"] == k + 1) & (table.term == f"{factor}~{covariate}")
                ].iloc[0]
                truth = data.expert_coefficients[k, j, c]
                assert abs(row.estimate - truth) < 3.5 * row.std_error
    gating = table[table.block == "gating"]
    z = (gating.estimate.to_numpy() - data.gating[0]) / gating.std_error
    assert np.all(np.abs(z) < 3.5)
    assert np.mean(model.posterior_.argmax(axis=1) == data.labels) > 0.8


def test_sandwich_agrees_with_observed_information_when_correct(simulation):
    _, model = simulation
    ratio = np.sqrt(np.diag(model.robust_covariance_) / np.diag(model.covariance_))
    assert 0.85 < np.median(ratio) < 1.15


def test_original_scale_slopes_by_delta_method(simulation):
    _, model = simulation
    fitted = model.parameter_table()
    original = model.parameter_table(scale="original")
    index = {
        tuple(r): i for i, r in enumerate(fitted[["class", "block", "term"]].values)
    }
    mean_slope = index[(1, "mean", "mean_slope")]
    half = index[(1, "mean", "half_slope_difference")]
    C = model.covariance_
    slope1 = original[(original["class"] == 1) & (original.term == "slope1")].iloc[0]
    assert slope1.estimate == pytest.approx(
        fitted.estimate[mean_slope] - fitted.estimate[half]
    )
    expected_se = np.sqrt(
        C[mean_slope, mean_slope] + C[half, half] - 2 * C[mean_slope, half]
    )
    assert slope1.std_error == pytest.approx(expected_se, rel=1e-6)


def test_reorder_classes_rereferences_the_gate(simulation):
    _, model = simulation
    model = pickle.loads(pickle.dumps(model))
    before = model.parameter_table()
    model.reorder_classes([1, 0])
    after = model.parameter_table()
    gate_before = before[before.block == "gating"]
    gate_after = after[after.block == "gating"]
    np.testing.assert_allclose(gate_after.estimate, -gate_before.estimate.to_numpy())
    np.testing.assert_allclose(gate_after.std_error, gate_before.std_error)
    model.reorder_classes([1, 0])
    pd.testing.assert_frame_equal(model.parameter_table(), before)


def test_standard_errors_are_lazy_and_follow_a_relabelling(simulation):
    """Relabelling before the standard errors are first computed gives the
    same table as transforming them after."""
    data, model = simulation
    fresh = pickle.loads(pickle.dumps(model))
    refit = MixtureOfExpertsRegressor(**model.get_params()).fit(
        data.X, data.y, time=data.time
    )
    assert refit._inference._covariances is None  # a fit computes no SEs
    refit = _align(refit, data.labels)  # relabelled while pending
    assert fresh.covariance_.shape == (len(fresh.parameter_names_),) * 2
    # ... computed, so the relabellings below transform it.
    fresh.reorder_classes([1, 0]).reorder_classes([1, 0])
    expected = fresh.parameter_table(robust=True)
    actual = refit.parameter_table(robust=True)
    np.testing.assert_allclose(actual.estimate, expected.estimate, rtol=1e-10)
    np.testing.assert_allclose(actual.std_error, expected.std_error, rtol=1e-4)


def test_predictions(simulation):
    data, model = simulation
    prior = model.predict_class_proba(data.X)
    posterior = model.predict_class_proba(data.X, data.y, time=data.time)
    np.testing.assert_allclose(prior.sum(axis=1), 1)
    np.testing.assert_allclose(posterior, model.posterior_)
    # The gate alone is informative but the outcomes sharpen it.
    assert (posterior.argmax(1) == data.labels).mean() > (
        prior.argmax(1) == data.labels
    ).mean()
    expected = model.predict(data.X, time=data.time)
    assert expected.shape == data.y.shape
    # R^2 of the marginal expectation under the generating parameters.
    gc, ex = data.X[["gc1", "gc2"]].to_numpy(), data.X[["ex1", "ex2"]].to_numpy()
    second = 1 / (1 + np.exp(-(gc @ data.gating[0, 1:] + data.gating[0, 0])))
    oracle = 0.0
    for k, share in enumerate([1 - second, second]):
        eta = data.class_means[k] + ex @ data.expert_coefficients[k].T
        knot = data.knots[k]
        curve = (
            eta[:, :1]
            + eta[:, 1:2] * np.minimum(data.time, knot)
            + eta[:, 2:] * np.maximum(data.time - knot, 0)
        )
        oracle = oracle + share[:, None] * curve
    oracle_r2 = (
        1 - ((data.y - oracle) ** 2).sum() / ((data.y - data.y.mean()) ** 2).sum()
    )
    assert model.score(data.X, data.y, time=data.time) == pytest.approx(
        oracle_r2, abs=0.01
    )
    factors = model.predict_growth_factors(data.X, data.y, time=data.time)
    np.testing.assert_allclose(factors, model.growth_factors_)
    curves = model.class_trajectories(time=np.linspace(0, 9, 5))
    assert curves.shape == (2, 5)
    summary = model.summary(scale="original").as_text()
    assert "-2LL" in summary and "slope1~ex2" in summary


def test_information_criteria_and_entropy(simulation):
    _, model = simulation
    k, n, ll = model.n_parameters_, 500, model.log_likelihood_
    assert k == 2 * (3 + 6 + 6 + 1 + 1) + 3
    assert model.bic_ == pytest.approx(-2 * ll + k * np.log(n))
    assert model.sabic_ == pytest.approx(-2 * ll + k * np.log((n + 2) / 24))
    assert 0.5 < model.entropy_ <= 1


def _npreg(seed, n=300):
    """flexmix's NPreg design with a concomitant (gating) covariate."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    w = rng.normal(size=n)
    second = rng.uniform(size=n) < 1 / (1 + np.exp(-(0.0 + 1.0 * w)))
    y = np.where(second, 15 + 10 * x - x**2, 5 * x) + rng.normal(0, 3, n)
    X = pd.DataFrame({"x": x, "x2": x**2, "w": w})
    return X, y, second.astype(int)


def test_npreg_mixture_of_regressions_recovers_coefficients():
    truth = {
        (1, "mean", "intercept"): 0.0,
        (1, "expert", "x"): 5.0,
        (1, "expert", "x2"): 0.0,
        (1, "residual", "residual_variance"): 9.0,
        (2, "mean", "intercept"): 15.0,
        (2, "expert", "x"): 10.0,
        (2, "expert", "x2"): -1.0,
        (2, "residual", "residual_variance"): 9.0,
        (2, "gating", "intercept"): 0.0,
        (2, "gating", "w"): 1.0,
    }
    covered = []
    for seed in range(20):
        X, y, labels = _npreg(seed)
        model = MixtureOfExpertsRegressor(
            2,
            gating_features=["w"],
            expert_features=["x", "x2"],
            n_init=5,
            random_state=seed,
        ).fit(X, y)
        _align(model, labels)
        table = model.parameter_table().set_index(["class", "block", "term"])
        for key, value in truth.items():
            row = table.loc[key]
            covered.append(abs(row.estimate - value) <= 2 * row.std_error)
            assert abs(row.estimate - value) < 4 * row.std_error, (seed, key)
    # Nominal 95.4% for +-2 SE over 200 intervals.
    assert 0.9 <= np.mean(covered) <= 0.99


@pytest.mark.parametrize(
    ("curve", "phi", "make_loadings"),
    [
        ("exponential", 0.4, lambda t, c: np.c_[np.ones_like(t), 1 - np.exp(-c * t)]),
        (
            "jenss_bayley",
            -0.6,
            lambda t, c: np.c_[np.ones_like(t), t, np.exp(c * t) - 1],
        ),
        ("quadratic", None, lambda t, c: np.c_[np.ones_like(t), t, t * t]),
    ],
)
def test_nonlinear_curves_recover_their_parameters(curve, phi, make_loadings):
    rng = np.random.default_rng(2)
    n, time = 400, np.arange(8.0)
    loadings = make_loadings(time, phi)
    q = loadings.shape[1]
    means = (
        np.array([50.0, 20.0, -4.0][:q])
        if curve != "quadratic"
        else np.array([50.0, 3.0, -0.2])
    )
    cov = np.diag([4.0, 1.0, 0.25][:q]) * (0.01 if curve == "quadratic" else 1)
    factors = rng.multivariate_normal(means, cov, n)
    y = factors @ loadings.T + rng.normal(0, 0.5, (n, len(time)))
    model = MixtureOfExpertsRegressor(
        1, curve=curve, gating_features=None, expert_features=None, random_state=0
    ).fit(None, y, time=time)
    table = model.parameter_table()
    mean = table[table.block == "mean"]
    assert np.all(np.abs(mean.estimate - means) < 4 * mean.std_error)
    if phi is not None:
        rate = table[table.block == "curve"].iloc[0]
        assert abs(rate.estimate - phi) < 4 * rate.std_error


def test_missing_waves_use_full_information(simulation):
    data, _ = simulation
    rng = np.random.default_rng(0)
    y = data.y.copy()
    y[rng.uniform(size=y.shape) < 0.2] = np.nan
    y[:, 0] = data.y[:, 0]
    model = MixtureOfExpertsRegressor(
        2,
        curve="bilinear_spline",
        gating_features=["gc1", "gc2"],
        expert_features=["ex1", "ex2"],
        n_init=5,
        random_state=0,
    ).fit(data.X, y, time=data.time)
    knots = np.sort(model.params_.phi[:, 0])
    np.testing.assert_allclose(knots, data.knots, atol=0.25)


def test_same_random_state_same_fit():
    X, y, _ = _npreg(0, n=150)
    fits = [
        MixtureOfExpertsRegressor(2, n_init=3, random_state=7).fit(X, y).params_
        for _ in range(2)
    ]
    for a, b in zip(*fits, strict=True):
        np.testing.assert_array_equal(a, b)


def _trajectories(n=60, waves=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    level = np.where(np.arange(n) % 2, 3.0, 12.0)[:, None] + rng.normal(size=(n, 1))
    slope = 1 + X[:, :1] + 0.3 * rng.normal(size=(n, 1))
    y = level + np.arange(waves) * slope + rng.normal(size=(n, waves))
    return X, y


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y: (X, y, np.arange(4)), "time must have shape"),
        (
            lambda X, y: (X, np.vstack([y[:-1], np.full(5, np.nan)]), None),
            "no observed",
        ),
        (lambda X, y: (X[:5], y[:5], None), "Too few subjects"),
        (lambda X, y: (np.c_[X, 2 * X[:, 0]], y, None), "singular"),
        (lambda X, y: (X, np.where(y > 5, np.inf, y), None), "infinity"),
        (lambda X, y: (X[:-1], y, None), "inconsistent numbers of samples"),
    ],
)
def test_bad_input_raises_and_keeps_the_fitted_model(change, message):
    X, y = _trajectories()
    model = MixtureOfExpertsRegressor(2, n_init=2, random_state=0).fit(X, y)
    before = dict(model.__dict__)
    X_bad, y_bad, time = change(X, y)
    with pytest.raises(ValueError, match=message):
        model.fit(X_bad, y_bad, time=time)
    assert model.__dict__.keys() == before.keys()
    assert all(model.__dict__[key] is value for key, value in before.items())


def test_bad_parameters_raise():
    X, y = _trajectories()
    with pytest.raises(ValueError, match="backend"):
        MixtureOfExpertsRegressor(backend="cupy").fit(X, y)
    with pytest.raises(ValueError, match="unknown column"):
        MixtureOfExpertsRegressor(gating_features=["age"]).fit(X, y)
    with pytest.raises(ValueError, match="curve must be one of"):
        MixtureOfExpertsRegressor(curve="cubic").fit(X, y)
    with pytest.raises(ValueError, match="growth factors but y has only 2"):
        MixtureOfExpertsRegressor(curve="quadratic").fit(X, y[:, :2])


@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_every_start_strategy_finds_the_emem_optimum(simulation, init_params):
    data, reference = simulation
    model = MixtureOfExpertsRegressor(
        2,
        curve="bilinear_spline",
        gating_features=["gc1", "gc2"],
        expert_features=["ex1", "ex2"],
        init_params=init_params,
        n_init=3,
        random_state=0,
    ).fit(data.X, data.y, time=data.time)
    assert model.log_likelihood_ == pytest.approx(reference.log_likelihood_, abs=0.01)
    assert len(model.start_log_likelihoods_) == 3  # every start converged
    assert model.best_log_likelihood_replicated_


def test_random_effect_structures_count_their_parameters():
    # Equal factor covariances in both classes: 'tied' loses (almost) nothing.
    data = make_trajectory_mixture(400, random_state=5)
    fits = {
        structure: MixtureOfExpertsRegressor(
            2,
            curve="bilinear_spline",
            random_effects=structure,
            gating_features=None,
            expert_features=None,
            n_init=4,
            random_state=0,
        ).fit(None, data.y, time=data.time)
        for structure in ("full", "tied", "diag", "none")
    }
    per_class = {"full": 11, "tied": 5, "diag": 8, "none": 5}
    shared = {"full": 0, "tied": 6, "diag": 0, "none": 0}
    for structure, model in fits.items():
        assert model.n_parameters_ == 2 * per_class[structure] + shared[structure] + 1
    ll = {s: m.log_likelihood_ for s, m in fits.items()}
    # Nested: none < diag <= full and tied <= full (up to optimiser noise).
    assert ll["none"] < ll["diag"] <= ll["full"] + 1e-3
    assert ll["tied"] <= ll["full"] + 1e-3
    # The truth has equal covariances: the likelihood-ratio statistic of
    # full against tied is small (6 df; chi2 99.9% quantile 22.5).
    assert 2 * (ll["full"] - ll["tied"]) < 22.5
    # ... and strong correlations: a diagonal structure is clearly worse.
    assert 2 * (ll["full"] - ll["diag"]) > 22.5
    np.testing.assert_allclose(
        np.sort(fits["tied"].params_.phi[:, 0]), data.knots, atol=0.2
    )


def test_complex_outcomes_and_times_raise():
    # Issue 19: y and time went through np.asarray(..., dtype=float), which
    # only warns and drops the imaginary part.
    X, y = _trajectories()
    model = MixtureOfExpertsRegressor(1, n_init=1, random_state=0)
    rng = np.random.default_rng(0)
    scalar = y[:, 0] + 0.5j * rng.normal(size=len(y))
    match = "Complex data not supported: y"
    with pytest.raises(ValueError, match=match):
        model.fit(X, scalar)
    with pytest.raises(ValueError, match=match):
        model.fit(X, pd.Series(scalar))
    with pytest.raises(ValueError, match=match):
        model.fit(X, y + 1j)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y.astype(object) + 1j)
    with pytest.raises(ValueError, match="Complex data not supported: time"):
        model.fit(X, y, time=np.arange(5) + 0j)
    model.fit(X, y)
    with pytest.raises(ValueError, match=match):
        model.predict_class_proba(X, y + 1j)
    with pytest.raises(ValueError, match="Complex data not supported: time"):
        model.predict(X, time=np.arange(5) * (1 + 1j))
    with pytest.raises(ValueError, match="Complex data not supported: time"):
        model.class_trajectories(time=np.arange(5) + 0j)
    with pytest.raises(ValueError, match="Complex data not supported: x"):
        model.class_trajectories(x=[1.0, 2j])
    # X itself was already refused by scikit-learn's check_array.
    with pytest.raises(ValueError, match="Complex data not supported"):
        model.fit(X + 1j, y)


@pytest.mark.parametrize("global_backend", ["numba", "cupy", "auto", "numpy"])
def test_global_backend_does_not_break_a_default_fit(global_backend):
    # Issue 19: backend=None read the global setting, so SKMIX_BACKEND=numba
    # (valid for the other estimators) failed every default fit here.
    X, y = _trajectories()
    reference = MixtureOfExpertsRegressor(1, n_init=1, random_state=0).fit(X, y)
    with skmix.config_context(backend=global_backend):
        model = MixtureOfExpertsRegressor(1, n_init=1, random_state=0).fit(X, y)
        np.testing.assert_array_equal(model.predict(X), reference.predict(X))
    assert model.backend_ == "numpy"
    previous = skmix.get_config()["backend"]
    skmix.set_config(backend=global_backend)
    try:
        MixtureOfExpertsRegressor(1, n_init=1, random_state=0).fit(X, y)
    finally:
        skmix.set_config(backend=previous)


@pytest.mark.parametrize("backend", ["numba", "cupy", "gpu"])
def test_explicit_unsupported_backend_still_raises(backend):
    X, y = _trajectories()
    with skmix.config_context(backend="numpy"):
        with pytest.raises(ValueError, match=f"backend='{backend}'"):
            MixtureOfExpertsRegressor(1, backend=backend).fit(X, y)


def _scaled_fit(X, y, scales, time=None, **params):
    model = MixtureOfExpertsRegressor(random_state=0, **params)
    return model.fit(X * scales, y, time=time)


def _estimates_on_unit_scale(model, scales, columns):
    """Estimates and standard errors with every coefficient of a column
    scaled by ``s`` multiplied back by ``s``."""
    table = model.parameter_table()
    factor = np.ones(len(table))
    for column, scale in zip(columns, scales, strict=True):
        of_column = table.term.str.fullmatch(rf"(.*~)?{column}")
        of_column &= table.block.isin(["expert", "gating"])
        factor[of_column.to_numpy()] = scale
    return table.estimate * factor, table.std_error * factor


@pytest.mark.parametrize("scale", [1e14, 1e-14, 3.7e100])
def test_covariate_units_do_not_matter(scale):
    # Issue 19: the rank check's tolerance was relative to the largest
    # column, so a full-rank X with one column in other units was called
    # singular; the fit and its standard errors depended on units too.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 3 + rng.normal(size=200)
    scales = np.array([1.0, scale, 1.0])
    reference = _scaled_fit(X, y, 1.0, n_components=1, n_init=1)
    scaled = _scaled_fit(X, y, scales, n_components=1, n_init=1)
    assert scaled.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-12)
    np.testing.assert_allclose(
        scaled.params_.B * scales, reference.params_.B, rtol=1e-10
    )
    for got, expected in zip(
        _estimates_on_unit_scale(scaled, [scale], ["x1"]),
        _estimates_on_unit_scale(reference, [1.0], ["x1"]),
        strict=True,
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(
        scaled.predict(X * scales), reference.predict(X), rtol=1e-10
    )

    # Two gated classes, with the gating and an expert covariate rescaled.
    X, y, _ = _npreg(0)
    scales = np.array([1.0, scale, 1 / scale])  # x, x2, w
    params = dict(gating_features=["w"], expert_features=["x", "x2"], n_init=3)
    reference = _scaled_fit(X, y, 1.0, **params)
    scaled = _scaled_fit(X, y, scales, **params)
    assert scaled.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-8)
    for got, expected in zip(
        _estimates_on_unit_scale(scaled, scales[1:], ["x2", "w"]),
        _estimates_on_unit_scale(reference, [1.0, 1.0], ["x2", "w"]),
        strict=True,
    ):
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(
        scaled.predict_class_proba(X * scales), reference.predict_class_proba(X),
        rtol=1e-5, atol=1e-8,
    )  # fmt: skip


def test_trajectories_with_rescaled_covariates():
    data = make_trajectory_mixture(300, random_state=3)
    scales = np.array([1e14, 1.0, 1e-14, 1.0])  # gc1, gc2, ex1, ex2
    params = dict(n_components=2, curve="linear", n_init=3)
    reference = _scaled_fit(data.X, data.y, 1.0, time=data.time, **params)
    scaled = _scaled_fit(data.X, data.y, scales, time=data.time, **params)
    assert scaled.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-8)
    np.testing.assert_allclose(
        scaled.params_.B * scales, reference.params_.B, rtol=1e-3, atol=1e-6
    )
    np.testing.assert_allclose(
        scaled.params_.beta[:, 1:] * scales, reference.params_.beta[:, 1:], rtol=1e-3
    )
    se, reference_se = (np.sqrt(np.diag(m.covariance_)) for m in (scaled, reference))
    factors = reference_se / se  # the scales, or 1, for every parameter
    assert np.all(np.isfinite(se))
    np.testing.assert_allclose(
        np.sort(np.unique(np.round(np.log10(factors)))), [-14, 0, 14]
    )


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda X: np.c_[X, 1e14 * X[:, 0]],  # collinear, in other units
        lambda X: np.c_[X, 1e-14 * (X[:, 0] - 2 * X[:, 1])],
        lambda X: np.c_[X, np.full(len(X), 1e14)],  # constant: the intercept
        lambda X: np.c_[X, np.zeros(len(X))],
    ],
)
def test_truly_singular_covariates_still_raise(make_bad):
    X, y = _trajectories()
    with pytest.raises(ValueError, match="expert covariates .* are singular"):
        MixtureOfExpertsRegressor(1, n_init=1).fit(make_bad(X), y)
    with pytest.raises(ValueError, match="gating covariates .* are singular"):
        MixtureOfExpertsRegressor(2, n_init=1, expert_features=None).fit(make_bad(X), y)


@pytest.mark.parametrize("level", [1.5, 0.0, 1.0, float("nan")])
def test_parameter_table_checks_its_level(level):
    # A level outside (0, 1) gave NaN intervals without a word.
    X, y = _trajectories()
    model = MixtureOfExpertsRegressor(1, n_init=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="level"):
        model.parameter_table(level=level)


def test_gate_odds_ratios_are_exponentiated_wald_intervals():
    X, y, _ = _npreg(0)
    model = MixtureOfExpertsRegressor(
        2, gating_features=["w"], expert_features=["x", "x2"], n_init=3,
        random_state=0,
    ).fit(X, y)  # fmt: skip
    table = model.parameter_table()
    gate = table[table.block == "gating"].reset_index(drop=True)
    odds = model.odds_ratios()
    assert odds["term"].tolist() == gate["term"].tolist()
    np.testing.assert_allclose(odds["odds_ratio"], np.exp(gate["estimate"]))
    np.testing.assert_allclose(odds["ci_lower"], np.exp(gate["ci_lower"]))
    np.testing.assert_allclose(odds["ci_upper"], np.exp(gate["ci_upper"]))
    assert np.all(odds["ci_lower"] > 0)
    wider = model.odds_ratios(level=0.99)
    assert np.all(wider["ci_lower"] <= odds["ci_lower"])


def test_degenerate_classes_are_named():
    from skmix.experts._moe import degenerate_class

    params = SimpleNamespace(theta=np.array([1.0, 2.0]))
    resp = np.tile([0.5, 0.5], (100, 1))
    assert degenerate_class(params, resp, 4) == ""
    tiny = np.tile([0.98, 0.02], (100, 1))
    assert "2 effective subjects" in degenerate_class(params, tiny, 4)
    collapsed = SimpleNamespace(theta=np.array([1.0, 1e-4]))
    message = degenerate_class(collapsed, resp, 4)
    assert "class 1" in message and "residual variance of 0.0001" in message


def test_singular_information_warns_and_uses_a_pseudo_inverse():
    from skmix.exceptions import SingularInformationWarning
    from skmix.experts._inference import _inverse_information

    names = [(1, "mean", "a"), (1, "mean", "b")]
    regular = np.array([[2.0, 0.5], [0.5, 1.0]])
    np.testing.assert_allclose(
        _inverse_information(regular, names), np.linalg.inv(regular)
    )
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.warns(SingularInformationWarning, match="singular"):
        covariance = _inverse_information(singular, names)
    np.testing.assert_allclose(covariance, np.linalg.pinv(singular))
    with pytest.warns(SingularInformationWarning, match="not positive definite"):
        _inverse_information(np.diag([1.0, -1.0]), names)
