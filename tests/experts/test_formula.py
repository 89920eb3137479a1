"""Covariates as statisticians write them: categorical columns coded as R
does, and flexmix's formulas (checked against flexmix's fits,
tests/data/flexmix/)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmix.experts import MixtureOfExpertsRegressor

DATA = Path(__file__).parents[1] / "data" / "flexmix"
FITS = json.loads((DATA / "reference.json").read_text())["fits"]


@pytest.fixture(scope="module")
def seizure():
    frame = pd.read_csv(DATA / "seizure.csv")
    return pd.DataFrame({
        "Seizures": frame.Seizures,
        "Treatment": np.where(frame.TreatmentYes == 1, "Yes", "No"),
        "Day": frame.Day,
        "Hours": frame.Hours,
    })  # fmt: skip


def test_categorical_columns_are_treatment_coded(seizure):
    frame = seizure.assign(log_day=np.log(seizure.Day / 27))
    X = frame[["Treatment", "log_day"]]
    coded = pd.DataFrame({
        "TreatmentYes": (frame.Treatment == "Yes").astype(float),
        "log_day": frame.log_day,
    })  # fmt: skip
    settings = {"family": "poisson", "gating_features": None, "random_state": 0}
    offset = np.log(seizure.Hours)
    model = MixtureOfExpertsRegressor(2, **settings).fit(X, seizure.Seizures,
                                                         offset=offset)  # fmt: skip
    reference = MixtureOfExpertsRegressor(2, **settings).fit(
        coded, seizure.Seizures, offset=offset
    )
    assert model.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-12)
    assert list(model.covariate_names_) == ["TreatmentYes", "log_day"]
    assert model.feature_names_in_.tolist() == ["Treatment", "log_day"]
    np.testing.assert_allclose(
        model.predict(X.iloc[:5], offset=offset[:5]),
        reference.predict(coded.iloc[:5], offset=offset[:5]),
        rtol=1e-12,
    )
    with pytest.raises(ValueError, match="level 'Maybe', unseen in fit"):
        model.predict(X.assign(Treatment="Maybe"), offset=offset)


def test_category_order_sets_the_baseline_and_selection_takes_all_dummies():
    rng = np.random.default_rng(0)
    n = 300
    group = pd.Categorical(rng.choice(["c", "a", "b"], n), categories=["c", "a", "b"])
    X = pd.DataFrame({"group": group, "flag": rng.uniform(size=n) < 0.5})
    y = rng.normal(size=n) + (X.group == "a") + 2 * X.flag
    model = MixtureOfExpertsRegressor(
        1, gating_features=None, expert_features=["group", "flag"]
    ).fit(X, y)
    assert list(model.covariate_names_) == ["groupa", "groupb", "flagTrue"]
    table = model.parameter_table()
    design = np.column_stack([
        np.ones(n), X.group == "a", X.group == "b", X.flag
    ]).astype(float)  # fmt: skip
    ols = np.linalg.lstsq(design, y, rcond=None)[0]
    np.testing.assert_allclose(table.estimate[:4], ols, rtol=1e-8)


def test_flexmix_seizure_formula_with_offset(seizure):
    fit = FITS["c_poisson_offset_seizure"]
    model = MixtureOfExpertsRegressor.from_formula(
        "Seizures ~ Treatment * log(Day / 27)", seizure, offset="log(Hours)",
        family="poisson", n_components=2, random_state=0,
    )  # fmt: skip
    assert model.log_likelihood_ == pytest.approx(fit["logLik"], abs=1e-5)
    np.testing.assert_allclose(model.params_.coef, fit["coef"], rtol=2e-3, atol=1e-4)
    terms = model.parameter_table().term.tolist()[:4]
    # flexmix's names, up to formulaic's spacing inside the call.
    assert [t.replace(" ", "") for t in terms] == [
        "intercept", "TreatmentYes", "log(Day/27)", "TreatmentYes:log(Day/27)"
    ]  # fmt: skip
    new = model.formula_.design(seizure.iloc[:3], response=False)
    assert new.y is None
    np.testing.assert_allclose(
        model.predict(new.X, **new.fit_params),
        model.predict(
            model.formula_.design(seizure).X.iloc[:3], offset=np.log(seizure.Hours[:3])
        ),  # fmt: skip
        rtol=1e-12,
    )


def test_flexmix_grouped_cbind_formula():
    fit = FITS["b_binomial_grouped_npreg"]
    npreg = pd.read_csv(DATA / "npreg.csv")
    model = MixtureOfExpertsRegressor.from_formula(
        "cbind(yb, 1 - yb) ~ x | id2", npreg, family="binomial", random_state=0
    )
    assert model.log_likelihood_ == pytest.approx(fit["logLik"], abs=1e-5)
    assert model.n_subjects_ == fit["n_groups"]
    np.testing.assert_allclose(model.weights_, fit["prior"], atol=5e-4)


def test_flexmix_concomitant_formula():
    fit = FITS["e_poisson_gate_yn_npreg"]
    npreg = pd.read_csv(DATA / "npreg.csv")
    model = MixtureOfExpertsRegressor.from_formula(
        "yp ~ x", npreg, gating="~ yn", family="poisson", random_state=0
    )
    assert model.log_likelihood_ == pytest.approx(fit["logLik"], abs=1e-5)
    gate = model.parameter_table().query("block == 'gating'")
    assert gate.term.tolist() == ["intercept", "yn"]
    np.testing.assert_allclose(gate.estimate, fit["concomitant"]["coef"][1], atol=3e-3)


@pytest.mark.parametrize(
    ("formula", "kwargs", "message"),
    [
        ("yp ~ x - 1", {}, "no intercept"),
        ("yp x", {}, "must read 'y ~ terms'"),
        ("yp ~ x", {"gating": "yn"}, "gating must read"),
        ("yp ~ x", {"expert_features": [0]}, "comes from the formulas"),
    ],
)
def test_bad_formulas_are_refused(formula, kwargs, message):
    npreg = pd.read_csv(DATA / "npreg.csv")
    with pytest.raises(ValueError, match=message):
        MixtureOfExpertsRegressor.from_formula(
            formula, npreg, family="poisson", **kwargs
        )
