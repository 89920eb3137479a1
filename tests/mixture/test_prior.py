"""mclust's conjugate prior: MAP fits against mclust's own, and what the
prior changes (and does not) in GaussianMixture and its selector.

Reference values: ``tests/data/mclust/prior_reference.json``, made once with
R 4.2.2 and mclust 6.0.0 by ``tests/data/mclust/make_reference.R prior``:
``me(model, X, z0, prior = priorControl())`` from the partitions of
``me_reference.json`` (run to a relative change of 1e-12), and
``Mclust(X, prior = priorControl())`` on iris and faithful.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmix._backend import resolve_backend
from skmix._core import (
    MCLUST_MODEL_NAMES,
    NO_PRIOR_STRUCTURES,
    ConjugatePrior,
    DataMoments,
    components_from_responsibilities,
    get_covariance_model,
    m_step,
    resolve_prior,
)
from skmix.exceptions import DegenerateMixtureWarning
from skmix.mixture import GaussianMixture, GaussianMixtureSelector
from tests._helpers import CPU_BACKENDS

DATA = Path(__file__).parents[1] / "data" / "mclust"
REFERENCE = json.loads((DATA / "prior_reference.json").read_text())
FITS = REFERENCE["fits"]
IRIS = pd.read_csv(DATA / "iris.csv").to_numpy(dtype=np.float64)


def _data(name):
    return pd.read_csv(DATA / f"{name}.csv").to_numpy(dtype=np.float64)


def _map_from_partition(X, labels, n_components, covariance_type, **params):
    """MAP EM from the MAP M-step of a partition, as mclust's
    ``me(model, X, z, prior = priorControl())``."""
    model = get_covariance_model(covariance_type)
    prior = resolve_prior("default", model, n_components, DataMoments.from_array(X))
    start = components_from_responsibilities(
        resolve_backend("numpy"), X, np.eye(n_components)[labels], model, 0.0,
        np.tile(X.mean(axis=0), (n_components, 1)), prior,
    )  # fmt: skip
    settings = dict(reg_covar=0.0, tol=1e-14, max_iter=100_000, prior="default")
    return GaussianMixture(
        n_components,
        covariance_type=covariance_type,
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=model.precisions_from_cholesky(start.precisions_cholesky),
        **{**settings, **params},
    )


def _case_id(fit):
    return f"{fit['dataset']}-{fit['model']}-{fit['G']}"


def _close(actual, expected):
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_allclose(
        actual, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max()
    )


# ------------------------------------------------------------ mclust parity
def test_reference_covers_every_structure_with_a_prior():
    fitted = {(f["dataset"], f["model"]) for f in FITS}
    with_prior = [m for m in MCLUST_MODEL_NAMES if m not in NO_PRIOR_STRUCTURES]
    assert len(with_prior) == 10
    for dataset in ("iris", "banknote"):
        assert {m for d, m in fitted if d == dataset} == set(with_prior)
    assert {m for d, m in fitted if d == "waiting"} == {"E", "V"}


@pytest.mark.parametrize("reference", FITS, ids=_case_id)
def test_default_prior_is_mclusts(reference):
    X = _data(reference["dataset"])
    model = get_covariance_model(reference["model"])
    prior = resolve_prior("default", model, reference["G"], DataMoments.from_array(X))
    expected = reference["prior"]
    assert prior.shrinkage == expected["shrinkage"]
    assert prior.dof == expected["dof"]
    np.testing.assert_allclose(prior.mean, expected["mean"], rtol=1e-13)
    np.testing.assert_allclose(prior.scale, expected["scale"], rtol=1e-12)


@pytest.mark.parametrize("reference", FITS, ids=_case_id)
def test_map_from_the_same_partition_matches_mclust(reference):
    X = _data(reference["dataset"])
    n_components = reference["G"]
    labels = np.asarray(reference["init_labels"]) - 1  # mclust's are 1-based
    fitted = _map_from_partition(X, labels, n_components, reference["model"]).fit(X)
    model = get_covariance_model(reference["model"])

    # score, bic: the log-likelihood at the MAP estimate, as mclust's.
    assert fitted.score(X) * len(X) == pytest.approx(reference["loglik"], rel=1e-8)
    assert fitted._n_parameters() == reference["df"]
    assert -fitted.bic(X) == pytest.approx(reference["bic"], rel=1e-8)
    _close(fitted.weights_, reference["pro"])
    _close(fitted.means_, reference["mean"])
    _close(
        model.to_full(fitted.covariances_, n_components, X.shape[1]),
        reference["sigma"],
    )
    assert fitted.prior_.dof == reference["prior"]["dof"]


def test_map_differs_from_ml():
    """The reference fits are MAP fits: without the prior, EM from the same
    partition ends elsewhere."""
    reference = next(f for f in FITS if f["dataset"] == "iris" and f["model"] == "VVV")
    labels = np.asarray(reference["init_labels"]) - 1
    ml = _map_from_partition(IRIS, labels, 3, "VVV", prior=None).fit(IRIS)
    assert ml.prior_ is None
    assert abs(ml.score(IRIS) * len(IRIS) - reference["loglik"]) > 1.0


@pytest.mark.parametrize("name", sorted(REFERENCE["selected"]))
def test_selector_reproduces_mclust_with_prior(name):
    """Mclust(X, prior = priorControl()): the choice, its BIC, which
    candidates are NA (empty components) and the rest of the BIC table."""
    X = _data(name)
    reference = REFERENCE["selected"][name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # empty components
        selector = GaussianMixtureSelector(prior="default").fit(X)
    assert selector.best_params_ == {
        "n_components": reference["G"],
        "covariance_type": reference["modelName"],
    }
    # mclust stops EM one M-step earlier at the same tolerance.
    assert -selector.best_criterion_ == pytest.approx(reference["bic"], rel=1e-5)
    best = selector.best_estimator_
    assert best.score(X) * len(X) == pytest.approx(reference["loglik"], rel=1e-5)
    assert best._n_parameters() == reference["df"]

    results = selector.results_
    assert list(dict.fromkeys(results["covariance_type"])) == reference["modelNames"]
    table = results.set_index(["covariance_type", "n_components"])
    differences = []
    for model, values in reference["BIC"].items():
        for n_components, mclust_bic in zip(reference["G_values"], values,
                                            strict=True):  # fmt: skip
            row = table.loc[(model, n_components)]
            # mclust's NA here is a component emptied (returnCode -3).
            assert (mclust_bic is None) == (row["status"] != "fitted")
            if mclust_bic is not None:
                differences.append(abs(-row["bic"] - mclust_bic) / abs(mclust_bic))
    # Stopping rules differ slightly (mclust divides the change by 1 + |log L|),
    # which matters where EM crawls: most entries agree to 2e-5, all to 5e-4.
    differences = np.array(differences)
    assert len(differences) >= 80
    assert np.mean(differences < 2e-5) > 0.9
    assert differences.max() < 5e-4


def test_selector_grid_without_structures_lacking_a_prior():
    selector = GaussianMixtureSelector(range(1, 3), prior="default").fit(IRIS)
    names = set(selector.results_["covariance_type"])
    assert names == set(MCLUST_MODEL_NAMES) - set(NO_PRIOR_STRUCTURES)
    assert all(m.prior_ is not None for m in [selector.best_estimator_])
    assert "Prior: defaultPrior()" in selector.summary()
    with pytest.raises(ValueError, match="no conjugate prior"):
        GaussianMixtureSelector(covariance_types=["VVV", "EVE"], prior="default").fit(
            IRIS
        )
    with pytest.raises(ValueError, match=r"prior scale should be a \(4, 4\)"):
        GaussianMixtureSelector(range(1, 3), ["VVV"], prior={"scale": np.eye(3)}).fit(
            IRIS
        )


# --------------------------------------------------------- what it changes
def test_one_component_is_mclusts_single_gaussian_fit():
    """With one component every structure of a family gives mclust's mvn
    fit: ``(Lambda + W) / (nu + n + d + 1 + 1)`` for general structures,
    ``(s2 + W_jj) / (nu + n + 3)`` for diagonal, ``(s2 + tr W) / (nu + n d
    + 2 + d)`` for spherical ones (the data mean is the prior mean, so the
    shrinkage term is zero)."""
    n, d = IRIS.shape
    covariance = np.cov(IRIS, rowvar=False)
    scatter = (n - 1) * covariance
    dof = d + 2
    expected = {
        ("EEE", "EEV", "VEV", "VVV", "full", "tied"): (
            (covariance + scatter) / (dof + n + d + 2)
        ),
        ("EEI", "VEI", "EVI", "VVI", "diag"): np.diag(
            (np.trace(covariance) / d + np.diag(scatter)) / (dof + n + 3)
        ),
        ("EII", "VII", "spherical"): np.eye(d)
        * (np.trace(covariance) / d + np.trace(scatter))
        / (dof + n * d + 2 + d),
    }
    for names, covariance_map in expected.items():
        for name in names:
            fitted = GaussianMixture(
                1, covariance_type=name, prior="default", reg_covar=0.0
            ).fit(IRIS)
            full = get_covariance_model(name).to_full(fitted.covariances_, 1, d)[0]
            np.testing.assert_allclose(full, covariance_map, rtol=1e-10, err_msg=name)
            np.testing.assert_allclose(fitted.means_[0], IRIS.mean(axis=0))


def test_prior_keeps_a_component_on_repeated_values_finite():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(60, 2)), np.tile([6.0, 6.0], (10, 1))])
    for covariance_type in ("VVV", "VVI", "VII"):
        ml = GaussianMixture(2, covariance_type=covariance_type, reg_covar=0.0,
                             init_params="hc")  # fmt: skip
        with pytest.raises(ValueError, match="ill-defined empirical covariance"):
            ml.fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateMixtureWarning)
        fitted = GaussianMixture(
            2, reg_covar=0.0, init_params="hc", prior="default", tol=1e-10
        ).fit(X)
    k = int(np.argmin(fitted.weights_))
    assert fitted.weights_[k] * len(X) == pytest.approx(10.0, rel=1e-8)
    # Its MAP covariance: (Lambda + c (6 - mu_p)(6 - mu_p)^T) / (nu + 10 + 2 + 2).
    prior = fitted.prior_
    kappa, deviation = prior.shrinkage, np.array([6.0, 6.0]) - X.mean(axis=0)
    expected = (
        prior.scale + kappa * 10 / (10 + kappa) * np.outer(deviation, deviation)
    ) / (prior.dof + 14)
    np.testing.assert_allclose(fitted.covariances_[k], expected, rtol=1e-8)
    np.testing.assert_allclose(
        fitted.means_[k], (10 * 6.0 + kappa * X.mean(axis=0)) / (10 + kappa)
    )
    np.testing.assert_allclose(prior.scale, np.cov(X, rowvar=False) / 2)
    assert np.isfinite(fitted.score(X))


def test_dict_prior_overrides_the_defaults():
    moments = DataMoments.from_array(IRIS)
    default = resolve_prior("default", get_covariance_model("VVV"), 3, moments)
    fitted = GaussianMixture(
        3, random_state=0, prior={"shrinkage": 0.5, "dof": 9, "scale": 2 * np.eye(4)}
    ).fit(IRIS)
    assert fitted.prior_.shrinkage == 0.5 and fitted.prior_.dof == 9
    np.testing.assert_array_equal(fitted.prior_.scale, 2 * np.eye(4))
    np.testing.assert_allclose(fitted.prior_.mean, default.mean, rtol=1e-14)
    # No shrinkage: the means are the posterior-weighted means of the rows.
    flat = GaussianMixture(
        3, random_state=0, prior={"shrinkage": 0}, tol=1e-12, max_iter=1000
    ).fit(IRIS)
    resp = flat.predict_proba(IRIS)
    weighted = resp.T @ IRIS / resp.sum(axis=0)[:, None]
    np.testing.assert_allclose(flat.means_, weighted, rtol=1e-6)
    # A fitted prior_ is a prior too.
    again = GaussianMixture(3, random_state=0, prior=fitted.prior_).fit(IRIS)
    np.testing.assert_allclose(again.means_, fitted.means_)
    assert isinstance(again.prior_, ConjugatePrior)


PATH_SETTINGS = dict(covariance_type="VEV", random_state=0, prior="default",
                     tol=1e-8, max_iter=500)  # fmt: skip


def test_prior_on_dask():
    """The prior enters only the M-step from sufficient statistics: a Dask
    fit is the in-memory one."""
    da = pytest.importorskip("dask.array")
    in_memory = GaussianMixture(3, **PATH_SETTINGS).fit(IRIS)
    distributed = GaussianMixture(3, **PATH_SETTINGS).fit(
        da.from_array(IRIS, chunks=40)
    )
    np.testing.assert_allclose(distributed.prior_.scale, in_memory.prior_.scale,
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(distributed.means_, in_memory.means_, rtol=1e-7)
    assert distributed.score(IRIS) == pytest.approx(in_memory.score(IRIS), rel=1e-10)


def test_prior_on_every_backend_and_in_partial_fit():
    """Every backend and partial_fit give the same MAP fit."""
    settings = PATH_SETTINGS
    fits = [GaussianMixture(3, backend=b, **settings).fit(IRIS) for b in CPU_BACKENDS]
    for other in fits[1:]:
        np.testing.assert_allclose(other.means_, fits[0].means_, rtol=1e-7)
        np.testing.assert_allclose(other.prior_.scale, fits[0].prior_.scale, rtol=1e-12)

    # partial_fit on all rows is one EM step (fit with max_iter=1) ...
    one_step = dict(settings, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged
        stepped = GaussianMixture(3, **one_step).fit(IRIS)
    streamed = GaussianMixture(3, **one_step).partial_fit(IRIS)
    np.testing.assert_allclose(streamed.means_, stepped.means_, rtol=1e-12)
    np.testing.assert_allclose(streamed.covariances_, stepped.covariances_, rtol=1e-12)
    # ... and later batches keep the first batch's prior: the M-step of the
    # summed statistics under it.
    first, second = IRIS[::2], IRIS[1::2]
    streamed = GaussianMixture(3, **settings).partial_fit(first)
    np.testing.assert_allclose(streamed.prior_.mean, first.mean(axis=0))
    previous = streamed._fitted_components()
    streamed.partial_fit(second)
    np.testing.assert_allclose(streamed.prior_.mean, first.mean(axis=0))
    expected = m_step(
        streamed._statistics, "VEV", streamed.reg_covar_, previous, streamed.prior_
    )
    np.testing.assert_allclose(streamed.means_, expected.means, rtol=1e-12)
    np.testing.assert_allclose(streamed.covariances_, expected.covariances,
                               rtol=1e-12)  # fmt: skip


def test_prior_with_noise():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(size=(100, 2)), rng.normal(size=(100, 2)) + 5,
                   rng.uniform(-5, 10, size=(40, 2))])  # fmt: skip
    fitted = GaussianMixture(2, noise=0.15, prior="default", random_state=0).fit(X)
    assert 0.05 < fitted.noise_weight_ < 0.3
    assert np.isfinite(fitted.bic(X))
    # The default prior comes from all rows, noise included (as mclust's).
    np.testing.assert_allclose(fitted.prior_.mean, X.mean(axis=0))


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(prior="mclust"), "prior must be None, 'default'"),
        (dict(prior=[0.01]), "prior must be None, 'default'"),
        (dict(prior={"shrink": 0.1}), "Unknown prior key"),
        (dict(prior={"shrinkage": -1}), r"shrinkage must be >= 0"),
        (dict(prior={"shrinkage": np.nan}), "shrinkage must be finite"),
        (dict(prior={"shrinkage": 0, "mean": np.zeros(4)}), "positive shrinkage"),
        (dict(prior={"mean": np.zeros(3)}), r"mean should have shape \(4,\)"),
        (dict(prior={"dof": 3}), r"dof must be > 3"),
        (dict(prior={"dof": "many"}), "dof must be a number"),
        (dict(prior={"scale": np.eye(3)}), r"should be a \(4, 4\) matrix"),
        (dict(prior={"scale": -np.eye(4)}), "positive definite"),
        (dict(prior={"scale": np.triu(np.ones((4, 4)))}), "symmetric"),
        (dict(prior={"scale": np.eye(4)}, covariance_type="VVI"), "should be a number"),
        (dict(prior={"scale": 0.0}, covariance_type="EII"), r"scale must be > 0"),
        (dict(prior={"dof": 0}, covariance_type="VEI"), r"dof must be > 0"),
        (dict(prior="default", covariance_type="EVE"), "no conjugate prior"),
        (dict(prior="default", covariance_type="VVE"), "no conjugate prior"),
    ],
)
def test_bad_priors(params, match):
    model = GaussianMixture(2, random_state=0).fit(IRIS)
    means = model.means_.copy()
    with pytest.raises(ValueError, match=match):
        model.set_params(**params).fit(IRIS)
    np.testing.assert_array_equal(model.means_, means)  # the fit is untouched


def test_no_prior_is_scikit_learns_fit():
    plain = GaussianMixture(3, random_state=0).fit(IRIS)
    unset = GaussianMixture(3, random_state=0, prior=None).fit(IRIS)
    np.testing.assert_array_equal(plain.means_, unset.means_)
    np.testing.assert_array_equal(plain.covariances_, unset.covariances_)
    assert unset.prior_ is None
    regularised = GaussianMixture(3, random_state=0, prior="default").fit(IRIS)
    assert not np.allclose(regularised.covariances_, plain.covariances_, rtol=1e-3)
