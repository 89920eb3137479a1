"""Constrained residual variances of growth mixtures (``residual_variance``):
OpenMx's growth-mixture demo, recovery of per-wave variances, nesting, and
the analytic scores of the constrained parameters."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmix.datasets import make_trajectory_mixture
from skmix.experts import BilinearSpline, MixtureOfExpertsRegressor
from skmix.experts._inference import ParameterLayout
from skmix.experts._likelihood import (
    PER_WAVE_RESIDUALS,
    ExpertParams,
    TrajectoryData,
    e_step,
)

OPENMX = Path(__file__).parents[1] / "data" / "openmx"
NOISE = np.array([0.3, 0.6, 1.0, 1.5, 2.5])


def _fit(Y, time, residual_variance, **params):
    return MixtureOfExpertsRegressor(
        2,
        curve="linear",
        random_effects="full",
        residual_variance=residual_variance,
        gating_features=None,
        expert_features=None,
        random_state=0,
        **params,
    ).fit(None, Y, time=time)


def _newton_decrement(model):
    """``g' H^-1 g / 2`` at the fit: how far (in log-likelihood) a Newton
    step from the estimate would go, by the analytic total score."""
    layout, data = model._layout_, model._inference.data
    gradient = layout.gradient(data, layout.pack(model.params_))
    return float(gradient @ model.covariance_ @ gradient) / 2


def test_openmx_growth_mixture_demo():
    Y = pd.read_csv(OPENMX / "growth_mixture.csv").to_numpy()
    reference = json.loads((OPENMX / "growth_mixture_fit.json").read_text())
    model = _fit(Y, np.arange(5), "shared")
    # The figures OpenMx's demo asserts, and the exact optimum it reaches.
    assert -2 * model.log_likelihood_ == pytest.approx(8739.05, abs=0.01)
    assert -2 * model.log_likelihood_ == pytest.approx(
        reference["minus_two_log_likelihood"], abs=1e-4
    )
    np.testing.assert_allclose(model.weights_, [0.6009, 0.3991], atol=1e-3)
    np.testing.assert_allclose(
        model.weights_, sorted(reference["weights"], reverse=True), atol=1e-5
    )
    assert model.n_parameters_ == reference["n_parameters"] == 12
    # OpenMx's class 2 is the larger one, skmix's class 1.
    table = model.parameter_table().set_index(["class", "block", "term"])
    estimates, errors = reference["estimates"], reference["standard_errors"]
    names = {
        "meani": ("mean", "intercept"),
        "means": ("mean", "slope"),
        "vari": ("covariance", "var(intercept)"),
        "cov": ("covariance", "cov(intercept,slope)"),
        "vars": ("covariance", "var(slope)"),
    }
    for ours, theirs in ((1, 2), (2, 1)):
        for name, (block, term) in names.items():
            row = table.loc[(ours, block, term)]
            assert row.estimate == pytest.approx(estimates[f"{name}{theirs}"], abs=2e-4)
            assert row.std_error == pytest.approx(errors[f"{name}{theirs}"], rel=5e-3)
    residual = table.loc[("all", "residual", "residual_variance")]
    assert residual.estimate == pytest.approx(estimates["residual"], rel=1e-4)
    assert residual.std_error == pytest.approx(errors["residual"], rel=5e-3)
    np.testing.assert_array_equal(model.params_.theta, residual.estimate)
    assert _newton_decrement(model) < 1e-6


def _simulate(n=600, seed=0):
    """Two linear-growth classes with wave-specific measurement error."""
    rng = np.random.default_rng(seed)
    time = np.arange(5.0)
    labels = rng.random(n) < 0.4
    means = np.where(labels[:, None], [2.0, 1.5], [6.0, -0.5])
    psi = np.array([[1.0, 0.2], [0.2, 0.3]])
    eta = means + rng.multivariate_normal([0, 0], psi, n)
    noise = rng.normal(size=(n, 5)) * np.sqrt(NOISE)
    return eta[:, :1] + eta[:, 1:] * time + noise, time


@pytest.fixture(scope="module")
def simulated_fits():
    Y, time = _simulate()
    return {
        option: _fit(Y, time, option, n_init=4)
        for option in ("class", "shared", "occasion", "class_occasion")
    }


def test_occasion_recovers_per_wave_variances(simulated_fits):
    model = simulated_fits["occasion"]
    table = model.parameter_table()
    residual = table[table.block == "residual"]
    assert residual["class"].tolist() == ["all"] * 5
    assert residual.term.tolist() == [f"residual_variance[t={t}]" for t in range(5)]
    z = (residual.estimate.to_numpy() - NOISE) / residual.std_error.to_numpy()
    assert np.all(np.abs(z) < 3.5), z
    assert model.params_.theta.shape == (2, 5)
    np.testing.assert_array_equal(model.params_.theta[0], model.params_.theta[1])
    # 2 x (2 means + 3 covariances) + 5 variances + 1 gating intercept.
    assert model.n_parameters_ == 16
    assert _newton_decrement(model) < 1e-4


def test_nested_options_and_likelihood_ratio(simulated_fits):
    fits = simulated_fits
    ll = {option: model.log_likelihood_ for option, model in fits.items()}
    k = {option: model.n_parameters_ for option, model in fits.items()}
    assert k == {"shared": 12, "class": 13, "occasion": 16, "class_occasion": 21}
    # Nesting, up to optimiser noise.
    for small, large in (
        ("shared", "class"), ("shared", "occasion"),
        ("class", "class_occasion"), ("occasion", "class_occasion"),
    ):  # fmt: skip
        assert ll[small] <= ll[large] + 1e-3, (small, large)
    statistic = 2 * (ll["class_occasion"] - ll["class"])
    assert statistic >= 0
    assert k["class_occasion"] - k["class"] == 2 * 5 - 2
    # The generating variances differ by wave: the test rejects 'class'.
    assert statistic > 100
    # The classes share them: 'class_occasion' barely beats 'occasion'
    # (5 df; chi2 99.9% quantile 20.5).
    assert 2 * (ll["class_occasion"] - ll["occasion"]) < 20.5
    for option in ("class_occasion", "shared"):
        assert _newton_decrement(fits[option]) < 1e-4


def _problem(residual_variance, random_effects, n=40, n_waves=6, seed=0):
    curve = BilinearSpline()
    rng = np.random.default_rng(seed)
    q, p, K = curve.n_factors, 2, 2
    T = np.arange(n_waves) + rng.uniform(-0.2, 0.2, (n, n_waves))
    mask = rng.uniform(size=(n, n_waves)) > 0.2
    mask[:, 0] = True
    Y = np.where(mask, rng.normal(size=(n, n_waves)) + T, 0.0)
    X = rng.normal(size=(n, p))
    Z = np.column_stack([np.ones(n), rng.normal(size=(n, 1))])
    data = TrajectoryData(Y, mask, np.where(mask, T, 0.0), X, Z)
    A = rng.normal(size=(K, q, q))
    psi = A @ A.transpose(0, 2, 1) / q + 0.2 * np.eye(q)
    if random_effects == "none":
        psi[:] = 0.0
    theta = {
        "class": np.array([0.7, 1.3]),
        "shared": np.array([0.9, 0.9]),
        "occasion": np.tile(rng.uniform(0.5, 1.5, n_waves), (K, 1)),
        "class_occasion": rng.uniform(0.5, 1.5, (K, n_waves)),
    }[residual_variance]
    params = ExpertParams(
        alpha=rng.normal(size=(K, q)),
        B=0.3 * rng.normal(size=(K, q, p)),
        psi=psi,
        theta=theta,
        phi=np.array([[2.3], [3.1]]),
        beta=np.array([[0.0, 0.0], [0.3, -0.5]]),
    )
    layout = ParameterLayout(
        curve, K, p, 2, random_effects, ["a", "b"], ["g"], residual_variance,
        [f"t={j}" for j in range(n_waves)],
    )  # fmt: skip
    return curve, data, params, layout


@pytest.mark.parametrize("random_effects", ["full", "none"])
@pytest.mark.parametrize("residual_variance", ["shared", "occasion", "class_occasion"])
def test_scores_match_finite_differences(residual_variance, random_effects):
    curve, data, params, layout = _problem(residual_variance, random_effects)
    vector = layout.pack(params)
    restored = layout.unpack(vector)
    for a, b in zip(params, restored, strict=True):
        np.testing.assert_array_equal(a, b)
    n_theta = {"shared": 1, "occasion": 6, "class_occasion": 12}[residual_variance]
    residual = [name for name in layout.names if name[1] == "residual"]
    assert len(residual) == n_theta
    shared = residual_variance in ("shared", "occasion")
    assert {name[0] for name in residual} == ({"all"} if shared else {1, 2})
    if residual_variance in PER_WAVE_RESIDUALS:
        assert residual[-1][2] == "residual_variance[t=5]"

    analytic = layout.score_matrix(data, params)

    def per_subject(v):
        return e_step(curve, data, layout.unpack(v))[2]

    numeric = np.empty_like(analytic)
    for j in range(len(vector)):
        h = 1e-6 * max(1.0, abs(vector[j]))
        plus, minus = vector.copy(), vector.copy()
        plus[j] += h
        minus[j] -= h
        numeric[:, j] = (per_subject(plus) - per_subject(minus)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_regression_experts_are_weighted_least_squares():
    # One latent class without random effects and a variance per wave: the
    # maximum likelihood is the fixed point of weighted least squares with
    # the per-wave precisions and of the per-wave mean squared residuals.
    Y, time = _simulate(300, seed=1)
    model = MixtureOfExpertsRegressor(
        1, random_effects="none", residual_variance="occasion",
        gating_features=None, expert_features=None, random_state=0,
    ).fit(None, Y, time=time)  # fmt: skip
    theta = model.params_.theta[0]
    design = np.column_stack([np.ones(5), time])
    rows = np.tile(design, (len(Y), 1))
    root = np.sqrt(np.tile(1 / theta, len(Y)))
    coef = np.linalg.lstsq(rows * root[:, None], Y.ravel() * root, rcond=None)[0]
    np.testing.assert_allclose(model.params_.alpha[0], coef, rtol=1e-6)
    residuals = Y - design @ coef
    np.testing.assert_allclose(theta, (residuals**2).mean(axis=0), rtol=1e-6)
    assert model.n_parameters_ == 2 + 5


def test_scalar_outcomes_have_one_wave():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 1))
    labels = rng.random(300) < 0.5
    y = np.where(labels, 1 + 2 * X[:, 0], -1 - X[:, 0]) + rng.normal(size=300)
    fits = {
        option: MixtureOfExpertsRegressor(
            2, residual_variance=option, n_init=4, random_state=0
        ).fit(X, y)
        for option in ("class", "shared", "occasion", "class_occasion")
    }
    assert fits["occasion"].residual_variance_ == "shared"
    assert fits["class_occasion"].residual_variance_ == "class"
    for option, same in (("occasion", "shared"), ("class_occasion", "class")):
        assert fits[option].log_likelihood_ == fits[same].log_likelihood_
        assert fits[option].parameter_names_ == fits[same].parameter_names_
    assert fits["shared"].n_parameters_ == fits["class"].n_parameters_ - 1
    assert fits["shared"].log_likelihood_ <= fits["class"].log_likelihood_ + 1e-6


def test_original_scale_and_relabelling_keep_shared_variances():
    data = make_trajectory_mixture(300, random_state=0)
    model = MixtureOfExpertsRegressor(
        2, curve="bilinear_spline", residual_variance="occasion", n_init=3,
        n_final=2, random_state=0,
    ).fit(data.X, data.y, time=data.time)  # fmt: skip
    n_waves = data.y.shape[1]
    np.testing.assert_allclose(np.sort(model.params_.phi[:, 0]), data.knots, atol=0.2)
    fitted = model.parameter_table()
    original = model.parameter_table(scale="original")
    for table in (fitted, original):
        shared = table[table.block == "residual"]
        assert shared["class"].tolist() == ["all"] * n_waves
    np.testing.assert_allclose(
        original[original.block == "residual"].std_error,
        fitted[fitted.block == "residual"].std_error,
    )
    before = fitted[fitted.block == "residual"].std_error.to_numpy()
    model.reorder_classes([1, 0])
    after = model.parameter_table()
    np.testing.assert_allclose(
        after[after.block == "residual"].std_error, before, rtol=1e-10
    )
    assert "Residual variance:" in str(model.summary())


def test_unknown_option_lists_the_options():
    y = np.random.default_rng(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match="residual_variance must be one of "
                       "'class', 'shared', 'occasion', 'class_occasion'"):  # fmt: skip
        MixtureOfExpertsRegressor(residual_variance="wave").fit(None, y)
