"""GLM experts (family=...) against statsmodels, R's glm and MASS::glm.nb
(one class) and flexmix's fits of its shipped examples (several classes,
offsets, grouped subjects, a concomitant gate): tests/data/flexmix/."""

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from skmix.experts import EXPERT_FAMILIES, ExpertFamily, MixtureOfExpertsRegressor

DATA = Path(__file__).parents[1] / "data" / "flexmix"
REFERENCE = json.loads((DATA / "reference.json").read_text())


def _design(fit):
    frame = pd.read_csv(DATA / fit["data_file"])
    columns = [c for c in fit["X_columns"] if c is not None]
    if "x^2" in columns:
        frame["x^2"] = frame["x"] ** 2
    X = frame[columns].to_numpy(float)
    extra = {}
    if fit.get("offset_column"):
        extra["offset"] = frame[fit["offset_column"]].to_numpy(float)
    if fit.get("group_column"):
        extra["groups"] = frame[fit["group_column"]].to_numpy()
    gate = [c for c in fit.get("concomitant_columns", [None]) if c is not None]
    if gate:
        X = np.column_stack([X, frame[gate].to_numpy(float)])
    n_expert = len(columns)
    return frame, X, frame[fit["y_column"]].to_numpy(float), extra, n_expert, gate


def _model(fit, n_expert, gate, **params):
    n_columns = n_expert + len(gate)
    return MixtureOfExpertsRegressor(
        fit["k"],
        family=fit["family"],
        expert_features=list(range(n_expert)),
        gating_features=list(range(n_expert, n_columns)) or None,
        random_state=0,
        **params,
    )


# ----------------------------------------------------------------- one class
@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, 2))
    exposure = rng.uniform(0.5, 2.0, n)
    return rng, X, exposure


def test_one_class_poisson_with_offset_is_statsmodels_glm(counts):
    rng, X, exposure = counts
    y = rng.poisson(exposure * np.exp(0.5 + 0.3 * X[:, 0] - 0.2 * X[:, 1]))
    model = MixtureOfExpertsRegressor(1, family="poisson", random_state=0).fit(
        X, y, offset=np.log(exposure)
    )
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                 offset=np.log(exposure)).fit()  # fmt: skip
    assert model.log_likelihood_ == pytest.approx(glm.llf, rel=1e-12)
    np.testing.assert_allclose(model.params_.coef[0], glm.params, rtol=1e-8)
    table = model.parameter_table()
    np.testing.assert_allclose(table.std_error, glm.bse, rtol=1e-5)
    robust = model.parameter_table(robust=True)
    sandwich = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                      offset=np.log(exposure)).fit(cov_type="HC0")  # fmt: skip
    np.testing.assert_allclose(robust.std_error, sandwich.bse, rtol=1e-5)
    assert model.n_parameters_ == 3
    expected = exposure * np.exp(sm.add_constant(X) @ glm.params)
    np.testing.assert_allclose(
        model.predict(X, offset=np.log(exposure)), expected, rtol=1e-8
    )


def test_one_class_binomial_with_trials_is_statsmodels_glm(counts):
    rng, X, _ = counts
    trials = rng.integers(1, 8, len(X)).astype(float)
    y = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-(0.2 + X[:, 0]))))
    model = MixtureOfExpertsRegressor(1, family="binomial", random_state=0).fit(
        X, y, trials=trials
    )
    glm = sm.GLM(np.column_stack([y, trials - y]), sm.add_constant(X),
                 family=sm.families.Binomial()).fit()  # fmt: skip
    assert model.log_likelihood_ == pytest.approx(glm.llf, rel=1e-12)
    np.testing.assert_allclose(model.params_.coef[0], glm.params, rtol=1e-8)
    np.testing.assert_allclose(model.parameter_table().std_error, glm.bse, rtol=1e-5)
    p = 1 / (1 + np.exp(-(sm.add_constant(X) @ glm.params)))
    np.testing.assert_allclose(model.predict(X, trials=trials), trials * p, rtol=1e-8)


def test_one_class_negative_binomial_is_statsmodels_nb2(counts):
    rng, X, _ = counts
    mean = np.exp(1 + 0.5 * X[:, 0])
    y = rng.poisson(rng.gamma(2.0, mean / 2.0))
    model = MixtureOfExpertsRegressor(
        1, family="negative_binomial", random_state=0
    ).fit(X, y)
    nb2 = sm.NegativeBinomial(y, sm.add_constant(X), loglike_method="nb2").fit(
        disp=0, maxiter=500, method="bfgs", gtol=1e-10
    )
    assert model.log_likelihood_ == pytest.approx(nb2.llf, rel=1e-9)
    np.testing.assert_allclose(model.params_.coef[0], nb2.params[:3], rtol=1e-5)
    # statsmodels' alpha is 1 / theta.
    assert model.params_.dispersion[0] == pytest.approx(1 / nb2.params[3], rel=1e-5)
    table = model.parameter_table()
    np.testing.assert_allclose(table.std_error[:3], nb2.bse[:3], rtol=1e-4)
    assert model.n_parameters_ == 4


def test_one_class_gamma_is_the_maximum_likelihood_fit(counts):
    rng, X, _ = counts
    y = rng.gamma(3.0, np.exp(0.5 + 0.4 * X[:, 1]) / 3.0)
    model = MixtureOfExpertsRegressor(1, family="gamma", random_state=0).fit(X, y)
    design = sm.add_constant(X)
    # The coefficients of a log-link gamma GLM do not depend on the shape.
    glm = sm.GLM(y, design, family=sm.families.Gamma(sm.families.links.Log())).fit()
    np.testing.assert_allclose(model.params_.coef[0], glm.params, rtol=1e-7)

    def negative_log_likelihood(v):
        shape = np.exp(v[3])
        return -stats.gamma.logpdf(y, shape, scale=np.exp(design @ v[:3]) / shape).sum()

    best = optimize.minimize(negative_log_likelihood, np.r_[glm.params, 0.0],
                             method="BFGS", options={"gtol": 1e-9})  # fmt: skip
    assert model.log_likelihood_ == pytest.approx(-best.fun, rel=1e-10)
    assert model.params_.dispersion[0] == pytest.approx(np.exp(best.x[3]), rel=1e-5)


@pytest.mark.parametrize(
    ("name", "family", "trials"),
    [("h1_poisson_npreg", "poisson", None), ("h2_binomial_npreg", "binomial", None)],
)
def test_one_class_matches_r_glm(name, family, trials):
    reference = REFERENCE["glm_one_class"][name]
    frame = pd.read_csv(DATA / "npreg.csv")
    y = frame["yp" if family == "poisson" else "yb"].to_numpy(float)
    model = MixtureOfExpertsRegressor(1, family=family, random_state=0).fit(
        frame[["x"]], y
    )
    assert model.log_likelihood_ == pytest.approx(reference["logLik"], rel=1e-10)
    np.testing.assert_allclose(model.params_.coef[0], reference["coef"], rtol=1e-7)
    np.testing.assert_allclose(
        model.parameter_table().std_error, reference["se"], rtol=1e-5
    )


def test_one_class_negative_binomial_matches_mass_glm_nb():
    reference = REFERENCE["glm_one_class"]["h3_negbin_glmnb_biochemists"]
    frame = pd.read_csv(DATA / "biochemists.csv")
    X = frame.drop(columns="art")
    model = MixtureOfExpertsRegressor(
        1, family="negative_binomial", random_state=0
    ).fit(X, frame["art"].to_numpy(float))
    assert model.log_likelihood_ == pytest.approx(reference["logLik"], rel=1e-8)
    np.testing.assert_allclose(model.params_.coef[0], reference["coef"], rtol=1e-5)
    assert model.params_.dispersion[0] == pytest.approx(reference["theta"], rel=1e-4)
    # glm.nb's standard errors are IRLS's: the expected information at a
    # known theta. skmix reports the observed information (as statsmodels'
    # NB2 above); at skmix's estimate the expected one gives glm.nb's.
    design = np.column_stack([np.ones(len(X)), X])
    mean = np.exp(design @ model.params_.coef[0])
    theta = model.params_.dispersion[0]
    expected = (design * (mean * theta / (theta + mean))[:, None]).T @ design
    np.testing.assert_allclose(
        np.sqrt(np.diag(np.linalg.inv(expected))), reference["se"], rtol=1e-4
    )


class Geometric(ExpertFamily):
    """doc/design.rst's example of a new family."""

    name = "geometric"
    integer_outcomes = True

    def mean(self, eta, trials):
        return np.exp(eta)

    def log_density(self, y, eta, dispersion, trials):
        return y * eta - (y + 1) * np.logaddexp(0, eta)

    def eta_score(self, y, eta, dispersion, trials):
        return (y - np.exp(eta)) / (1 + np.exp(eta))

    def fisher_weight(self, eta, dispersion, trials):
        return np.exp(eta) / (1 + np.exp(eta))

    def initial_intercept(self, y, weights, trials, offset):
        return np.log(weights @ y / (weights @ np.exp(offset)))

    def sample(self, rng, eta, dispersion, trials):
        return rng.geometric(1 / (1 + np.exp(eta))) - 1.0


def test_a_new_family_is_one_class(counts):
    rng, X, _ = counts
    y = rng.geometric(1 / (1 + np.exp(0.5 + 0.4 * X[:, 0]))) - 1
    model = MixtureOfExpertsRegressor(1, family=Geometric(), random_state=0).fit(X, y)
    geometric = sm.families.NegativeBinomial(alpha=1.0)
    # Newton's fit: standard errors from the observed information, as
    # skmix's (IRLS's are the expected one; the log link is not canonical).
    glm = sm.GLM(y, sm.add_constant(X), family=geometric).fit(
        method="newton", tol=1e-13
    )
    assert model.log_likelihood_ == pytest.approx(glm.llf, rel=1e-10)
    np.testing.assert_allclose(model.params_.coef[0], glm.params, rtol=1e-7)
    np.testing.assert_allclose(model.parameter_table().std_error, glm.bse, rtol=1e-4)
    draws = Geometric().sample(rng, np.full(20000, np.log(3.0)), None, None)
    assert draws.mean() == pytest.approx(3.0, rel=0.03)


# ------------------------------------------------------------------- flexmix
FLEXMIX_FITS = [
    name
    for name in REFERENCE["fits"]
    if REFERENCE["fits"][name]["family"] != "gaussian"
]


@pytest.fixture(scope="module", params=FLEXMIX_FITS)
def flexmix_fit(request):
    fit = REFERENCE["fits"][request.param]
    frame, X, y, extra, n_expert, gate = _design(fit)
    model = _model(fit, n_expert, gate).fit(X, y, **extra)
    return fit, model, (X, y, extra)


def test_default_fit_reaches_flexmix_optimum(flexmix_fit):
    fit, model, _ = flexmix_fit
    # Both stop EM at a relative change of 1e-10, short of the optimum in
    # flat directions (run to 1e-15, skmix ends 2e-7 above flexmix's
    # logLik on NPreg): parameters agree to what that leaves.
    assert model.log_likelihood_ == pytest.approx(fit["logLik"], abs=1e-5)
    np.testing.assert_allclose(model.weights_, fit["prior"], atol=5e-4)
    np.testing.assert_allclose(model.params_.coef, fit["coef"], rtol=2e-3, atol=1e-4)
    assert model.n_parameters_ == fit["df"]
    # flexmix's BIC counts rows (nobs), also with grouped subjects.
    assert model.bic_ == pytest.approx(fit["BIC"], abs=1e-5)
    assert model.aic_ == pytest.approx(fit["AIC"], abs=1e-5)


def test_standard_errors_match_flexmix_refit(flexmix_fit):
    fit, model, _ = flexmix_fit
    table = model.parameter_table()
    experts = table[table.block == "expert"].std_error.to_numpy()
    np.testing.assert_allclose(experts, np.ravel(fit["refit"]["se"]), rtol=2e-3)
    concomitant = fit["refit"].get("concomitant", {})
    if concomitant.get("terms", ["prior"]) != ["prior"]:
        gate = table[table.block == "gating"]
        np.testing.assert_allclose(
            gate.estimate, np.ravel(fit["concomitant"]["coef"][1:]), atol=3e-3
        )
        np.testing.assert_allclose(
            gate.std_error, np.ravel(concomitant["se"]), rtol=2e-3
        )


def test_grouped_subjects_share_a_class():
    fit = REFERENCE["fits"]["b_binomial_grouped_npreg"]
    frame, X, y, extra, n_expert, gate = _design(fit)
    model = _model(fit, n_expert, gate).fit(X, y, **extra)
    groups = extra["groups"]
    assert model.posterior_.shape == (fit["n_groups"], 2)
    np.testing.assert_array_equal(model.subjects_, np.unique(groups))
    rows = model.predict_class_proba(X, y, groups=groups)
    for g in np.unique(groups):
        assert np.ptp(rows[groups == g], axis=0).max() == 0
    # flexmix's stored posterior is one EM step behind its parameters.
    np.testing.assert_allclose(rows, fit["posterior"], atol=1e-4)
    assert model.score_subjects(X, y, groups=groups).sum() == pytest.approx(
        model.log_likelihood_, rel=1e-12
    )


def test_gaussian_ml_optimum_of_flexmix_example():
    fit = REFERENCE["fits"]["g_gaussian_npreg"]
    frame, X, y, extra, n_expert, gate = _design(fit)
    ml = fit["ml_em_converged"]
    ml = json.loads(ml) if isinstance(ml, str) else ml
    # groups=one per row sends the Gaussian fit through the GLM experts.
    model = _model(fit, n_expert, gate).fit(X, y, groups=np.arange(len(y)))
    assert model.log_likelihood_ == pytest.approx(ml["logLik"], abs=1e-6)
    plain = _model(fit, n_expert, gate).fit(X, y)
    assert plain.log_likelihood_ == pytest.approx(ml["logLik"], abs=1e-6)


# ------------------------------------------------- gaussian through both paths
def test_gaussian_glm_path_equals_the_regression_path():
    rng = np.random.default_rng(3)
    n = 300
    X = rng.normal(size=(n, 2))
    labels = rng.uniform(size=n) < 1 / (1 + np.exp(-2 * X[:, 1]))
    y = np.where(labels, 1 + 2 * X[:, 0], -1 - X[:, 0]) + 0.5 * rng.normal(size=n)
    plain = MixtureOfExpertsRegressor(2, random_state=0).fit(X, y)
    glm = MixtureOfExpertsRegressor(2, random_state=0).fit(X, y, groups=np.arange(n))
    assert glm.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-10)
    assert glm.n_parameters_ == plain.n_parameters_
    np.testing.assert_allclose(glm.weights_, plain.weights_, rtol=1e-6)
    np.testing.assert_allclose(
        glm.params_.coef,
        np.column_stack([plain.params_.alpha[:, 0], plain.params_.B[:, 0]]),
        rtol=1e-6,
        atol=1e-6,
    )
    np.testing.assert_allclose(glm.params_.dispersion, plain.params_.theta, rtol=1e-6)
    # Same parameters in another order: compare the sorted standard errors.
    np.testing.assert_allclose(
        np.sort(glm.parameter_table().std_error),
        np.sort(plain.parameter_table().std_error),
        rtol=1e-4,
    )


# -------------------------------------------------------- weights and sharing
def test_frequency_weights_equal_repeated_rows():
    rng = np.random.default_rng(4)
    n = 250
    X = rng.uniform(0, 3, (n, 1))
    labels = rng.uniform(size=n) < 0.4
    y = rng.poisson(np.exp(np.where(labels, 2 - 0.5 * X[:, 0], 0.2 + 0.5 * X[:, 0])))
    weight = rng.integers(0, 4, n)
    settings = {"family": "poisson", "tol": 1e-14, "random_state": 0}
    weighted = MixtureOfExpertsRegressor(2, **settings).fit(X, y, sample_weight=weight)
    rows = np.repeat(np.arange(n), weight)
    repeated = MixtureOfExpertsRegressor(2, **settings).fit(X[rows], y[rows])
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-9)
    assert weighted.bic_ == pytest.approx(repeated.bic_, rel=1e-9)
    assert weighted.entropy_ == pytest.approx(repeated.entropy_, rel=1e-6)
    np.testing.assert_allclose(weighted.params_.coef, repeated.params_.coef, rtol=1e-5)
    for robust in (False, True):
        np.testing.assert_allclose(
            weighted.parameter_table(robust=robust).std_error,
            repeated.parameter_table(robust=robust).std_error,
            rtol=1e-4,
        )


def test_shared_coefficients_are_the_constrained_maximum():
    rng = np.random.default_rng(5)
    n = 600
    X = rng.uniform(0, 2, (n, 2))
    labels = rng.uniform(size=n) < 0.5
    eta = (
        np.where(labels, 2.0, 0.5)
        + 0.4 * X[:, 0]
        + np.where(labels, -0.5, 0.5) * X[:, 1]
    )
    y = rng.poisson(np.exp(eta))
    settings = {"family": "poisson", "gating_features": None, "random_state": 0}
    free = MixtureOfExpertsRegressor(2, **settings).fit(X, y)
    shared = MixtureOfExpertsRegressor(2, shared_expert_features=[0], **settings).fit(
        X, y
    )
    coef = shared.params_.coef
    assert coef[0, 1] == coef[1, 1]
    assert shared.n_parameters_ == free.n_parameters_ - 1
    assert free.log_likelihood_ >= shared.log_likelihood_ - 1e-8
    assert ("all", "expert", "x0") in shared.parameter_names_

    # An independent optimiser on the constrained likelihood finds no better.
    design = np.column_stack([np.ones(n), X])

    def negative_log_likelihood(v):
        a0, a1, b, c0, c1, gate = v
        eta0 = a0 + b * X[:, 0] + c0 * X[:, 1]
        eta1 = a1 + b * X[:, 0] + c1 * X[:, 1]
        share = 1 / (1 + np.exp(-gate))
        return -np.logaddexp(
            np.log1p(-share) + stats.poisson.logpmf(y, np.exp(eta0)),
            np.log(share) + stats.poisson.logpmf(y, np.exp(eta1)),
        ).sum()

    start = np.r_[coef[0, 0], coef[1, 0], coef[0, 1], coef[0, 2], coef[1, 2],
                  shared.params_.beta[1, 0]] + 0.05  # fmt: skip
    best = optimize.minimize(negative_log_likelihood, start, method="BFGS",
                             options={"gtol": 1e-8})  # fmt: skip
    assert shared.log_likelihood_ == pytest.approx(-best.fun, abs=1e-6)
    assert design.shape[1] == 3


def test_coefficients_fixed_at_zero_in_a_class_are_the_constrained_maximum():
    rng = np.random.default_rng(7)
    n = 600
    X = rng.uniform(0, 2, (n, 1))
    labels = rng.uniform(size=n) < 0.4
    y = rng.poisson(np.exp(np.where(labels, 0.5 + 0.8 * X[:, 0], 2.0)))
    settings = {"family": "poisson", "gating_features": None, "random_state": 0}
    free = MixtureOfExpertsRegressor(2, **settings).fit(X, y)
    nested = MixtureOfExpertsRegressor(
        2, class_expert_features=[[0], []], **settings
    ).fit(X, y)
    assert nested.params_.coef[1, 1] == 0.0
    assert nested.n_parameters_ == free.n_parameters_ - 1
    assert [name for name in nested.parameter_names_ if name[1] == "expert"] == [
        (1, "expert", "intercept"), (1, "expert", "x0"), (2, "expert", "intercept")
    ]  # fmt: skip
    assert free.log_likelihood_ >= nested.log_likelihood_ - 1e-8

    def negative_log_likelihood(v):
        a0, b0, a1, gate = v
        share = 1 / (1 + np.exp(-gate))
        return -np.logaddexp(
            np.log1p(-share) + stats.poisson.logpmf(y, np.exp(a0 + b0 * X[:, 0])),
            np.log(share) + stats.poisson.logpmf(y, np.exp(a1)),
        ).sum()

    coef = nested.params_.coef
    start = np.r_[coef[0, :2], coef[1, 0], nested.params_.beta[1, 0]] + 0.05
    best = optimize.minimize(negative_log_likelihood, start, method="BFGS",
                             options={"gtol": 1e-8})  # fmt: skip
    assert nested.log_likelihood_ == pytest.approx(-best.fun, abs=1e-6)
    assert len(nested.parameter_table()) == nested.n_parameters_
    with pytest.raises(ValueError, match="cannot be relabelled"):
        nested.reorder_classes([1, 0])
    with pytest.raises(ValueError, match="one selection per class"):
        MixtureOfExpertsRegressor(2, class_expert_features=[[0]], **settings).fit(X, y)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("family", "y", "kwargs", "message"),
    [
        ("poisson", [-1, 2, 3, 1, 0, 2], {}, "non-negative counts"),
        ("poisson", [0.5, 2, 3, 1, 0, 2], {}, "integer counts"),
        ("binomial", [3, 2, 3, 1, 0, 2], {"trials": [2] * 6}, "more successes"),
        ("gamma", [0.0, 2, 3, 1, 1, 2], {}, "positive outcomes"),
        ("poisson", [1, 2, 3, 1, 0, 2], {"offset": [0.0] * 5}, "offset must have"),
        ("poisson", [1, 2, 3, 1, 0, 2], {"trials": [2] * 6}, "trials is only used"),
        (
            "poisson",
            [1, 2, 3, 1, 0, 2],
            {"groups": [0, 0, 1, 1, 2, 2]},
            "must share their gating",
        ),
        ("tweedie", [1, 2, 3, 1, 0, 2], {}, "Unknown family"),
    ],
)
def test_bad_input_is_refused_and_the_model_kept(family, y, kwargs, message):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(6, 1))
    good = MixtureOfExpertsRegressor(1, family="poisson", random_state=0)
    good.fit(np.arange(8.0)[:, None], [1, 0, 2, 3, 1, 4, 2, 5])
    before = pickle.dumps(good)
    good.set_params(family=family)
    with pytest.raises(ValueError, match=message):
        good.fit(X, np.asarray(y, float), **kwargs)
    good.set_params(family="poisson")
    assert pickle.dumps(good) == before


def test_trajectories_with_a_count_family_are_refused():
    y = np.ones((10, 3))
    with pytest.raises(ValueError, match="one outcome per row"):
        MixtureOfExpertsRegressor(
            1, family="poisson", gating_features=None, expert_features=None
        ).fit(None, y)


def test_every_family_is_registered():
    assert set(EXPERT_FAMILIES) == {
        "gaussian", "poisson", "binomial", "negative_binomial", "gamma"
    }  # fmt: skip


def test_results_object_is_the_model_in_statsmodels_words(counts):
    rng, X, exposure = counts
    y = rng.poisson(exposure * np.exp(0.5 + 0.3 * X[:, 0]))
    model = MixtureOfExpertsRegressor(1, family="poisson", random_state=0).fit(
        X, y, offset=np.log(exposure)
    )
    glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Poisson(),
                 offset=np.log(exposure)).fit()  # fmt: skip
    results = model.results()
    np.testing.assert_allclose(results.params, glm.params, rtol=1e-8)
    np.testing.assert_allclose(results.bse, np.sqrt(np.diag(model.covariance_)))
    np.testing.assert_allclose(results.bse, glm.bse, rtol=1e-5)
    np.testing.assert_allclose(results.pvalues, glm.pvalues, rtol=1e-3)
    np.testing.assert_allclose(results.conf_int(0.1), glm.conf_int(0.1), rtol=1e-5)
    # Wald test that both slopes are zero, as statsmodels computes it.
    names = [name for name in model.parameter_names_ if name[2] != "intercept"]
    ours = results.wald_test(names)
    theirs = glm.wald_test(np.eye(3)[1:], scalar=True)
    assert ours.statistic == pytest.approx(float(theirs.statistic), rel=1e-5)
    assert ours.df == 2
    assert ours.p_value == pytest.approx(float(theirs.pvalue), rel=1e-4)
    assert "Best LL replicated: True" in " ".join(str(results.summary()).split())
    single = MixtureOfExpertsRegressor(
        1, family="poisson", init_params="random", n_init=1, random_state=0
    ).fit(X, y, offset=np.log(exposure))
    # One start cannot be replicated: "n/a", not False.
    assert "Best LL replicated: n/a" in " ".join(
        str(single.results().summary()).split()
    )
    assert "Best LL replicated: n/a" in " ".join(str(single.summary()).split())
    with pytest.raises(ValueError, match="alpha"):
        results.conf_int(2.0)
    robust = model.results(robust=True).bse
    np.testing.assert_allclose(robust, np.sqrt(np.diag(model.robust_covariance_)))


@pytest.mark.parametrize("family", ["poisson", "binomial", "gamma"])
def test_samples_average_to_the_mixture_mean(family):
    rng = np.random.default_rng(8)
    n = 400
    X = rng.normal(size=(n, 2))
    labels = rng.uniform(size=n) < 1 / (1 + np.exp(-X[:, 1]))
    eta = np.where(labels, 1.0 + 0.5 * X[:, 0], 0.2 - 0.5 * X[:, 0])
    trials = np.full(n, 6.0) if family == "binomial" else None
    y = EXPERT_FAMILIES[family].sample(rng, eta, 3.0, trials)
    extra = {} if trials is None else {"trials": trials}
    model = MixtureOfExpertsRegressor(2, family=family, random_state=0).fit(
        X, y, **extra
    )
    first = {k: v[:5] for k, v in extra.items()}
    draws = np.stack(
        [model.sample(X[:5], random_state=seed, **first)[0] for seed in range(3000)]
    )
    expected = model.predict(X[:5], **first)
    spread = draws.std(axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - expected) < 4 * spread)


def test_sampled_trajectories_average_to_the_predicted_ones():
    from skmix.datasets import make_trajectory_mixture

    data = make_trajectory_mixture(300, random_state=1)
    model = MixtureOfExpertsRegressor(
        2, curve="linear", gating_features=["gc1"], expert_features=["ex1"],
        random_state=0,
    ).fit(data.X, data.y, time=data.time)  # fmt: skip
    X, time = data.X.iloc[:3], np.asarray(data.time)[:3]
    y, labels = model.sample(
        pd.concat([X] * 2000), np.tile(time, (2000, 1)), random_state=0
    )
    assert y.shape == (6000, time.shape[1]) and set(labels) <= {0, 1}
    means = y.reshape(2000, 3, -1).mean(axis=0)
    spread = y.reshape(2000, 3, -1).std(axis=0) / np.sqrt(2000)
    assert np.all(np.abs(means - model.predict(X, time)) < 4 * spread)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_verbose_reports_every_start_and_silence_is_the_default(family, capsys):
    frame = pd.read_csv(DATA / "npreg.csv")
    y = frame["yp" if family == "poisson" else "yn"]
    settings = {"family": family, "gating_features": None, "n_init": 4}
    MixtureOfExpertsRegressor(2, random_state=0, **settings).fit(frame[["x"]], y)
    assert capsys.readouterr().out == ""
    MixtureOfExpertsRegressor(2, random_state=0, verbose=1, **settings).fit(
        frame[["x"]], y
    )
    lines = capsys.readouterr().out.splitlines()
    # Gaussian experts run the growth-curve schedule: the 4 random short
    # runs and a k-means one; GLM experts alternate the two kinds over 4.
    assert sum("short run" in line for line in lines) == 4 + (family == "gaussian")
    assert sum("to convergence" in line for line in lines) >= 3
    assert all(line.startswith("[MixtureOfExpertsRegressor]") for line in lines)


def test_intercept_only_experts_fit_without_x():
    """X=None: the intercept-only Poisson mixture, the same fit as with an
    unused covariate column; scoring needs something to count rows by."""
    rng = np.random.default_rng(0)
    y = np.r_[rng.poisson(2, 100), rng.poisson(9, 100)].astype(float)
    params = dict(
        family="poisson", gating_features=None, expert_features=None,
        random_state=0,
    )  # fmt: skip
    bare = MixtureOfExpertsRegressor(2, **params).fit(None, y)
    padded = MixtureOfExpertsRegressor(2, **params).fit(np.zeros((200, 1)), y)
    assert bare.log_likelihood_ == pytest.approx(padded.log_likelihood_, rel=1e-12)
    np.testing.assert_allclose(
        np.sort(np.exp(bare.params_.coef.ravel())), [2.0, 9.0], rtol=0.15
    )
    assert bare.predict(None, offset=np.zeros(3)).shape == (3,)
    with pytest.raises(ValueError, match="number of rows"):
        bare.predict(None)


def test_coefficient_map_without_shared_columns_matches_the_general_map():
    # The end-to-end layout of unshared coefficients is a shortcut of the
    # index map; the general code must agree with it.
    from skmix.experts._glm import CoefficientMap

    fast = CoefficientMap(3, 2, shared=[False, False])
    general = CoefficientMap(3, 2, shared=[False, False])
    general._plain = False
    rng = np.random.default_rng(0)
    coef = rng.standard_normal((3, 2))
    vector = fast.pack(coef)
    np.testing.assert_array_equal(vector, general.pack(coef))
    np.testing.assert_array_equal(fast.unpack(vector), general.unpack(vector))
    per_class = rng.standard_normal((3, 4, 2))
    np.testing.assert_array_equal(fast.collect(per_class), general.collect(per_class))
    grams = list(rng.standard_normal((3, 2, 2)))
    np.testing.assert_array_equal(fast.information(grams), general.information(grams))
    unpacked = fast.unpack(vector)
    unpacked[0, 0] += 1.0  # a copy: the packed vector is unchanged
    assert vector[0] == coef[0, 0]
