"""The uniform noise component against mclust's noise model.

Reference: ``tests/data/mclust/noise_reference.json`` (mclust 6.0.0, made by
``tests/data/mclust/make_reference.R``): three Gaussian clusters in uniform
clutter (``noise.csv``, label -1 = clutter), mclust's noise start (rows far
from their 5th nearest neighbour), ``Mclust(X, initialization = list(noise =
noise_init))`` and the VVV, 3-component fit.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from skmix._core._noise import hypervolume_region
from skmix.mixture import GaussianMixture, GaussianMixtureSelector

DATA = Path(__file__).parents[1] / "data" / "mclust"
REFERENCE = json.loads((DATA / "noise_reference.json").read_text())
TABLE = pd.read_csv(DATA / "noise.csv")
X = TABLE[["x1", "x2"]].to_numpy()
TRUTH = TABLE["label"].to_numpy()
NOISE_START = np.asarray(REFERENCE["noise_init"])
MCLUST_SETTINGS = dict(
    init_params="hc", tol=1e-5, convergence="relative", reg_covar=0.0,
    max_iter=1000,
)  # fmt: skip


def test_hypervolume_is_mclusts():
    region = hypervolume_region(X)
    assert np.exp(region.log_volume) == pytest.approx(REFERENCE["hypvol"], rel=1e-12)
    assert REFERENCE["hypvol"] == pytest.approx(REFERENCE["bounding_box_volume"])
    assert REFERENCE["pc_box_volume"] > REFERENCE["hypvol"]  # the box won


def test_vvv_with_noise_matches_mclust():
    reference = REFERENCE["VVV_G3"]
    model = GaussianMixture(
        3, covariance_type="VVV", noise=NOISE_START, **MCLUST_SETTINGS
    ).fit(X)
    assert model.hypervolume_ == pytest.approx(reference["hypvol"], rel=1e-12)
    assert model._n_parameters() == reference["df"]  # mclust counts noise as 2
    # Within mclust's stopping tolerance.
    assert model.score(X) * len(X) == pytest.approx(reference["loglik"], rel=1e-5)
    assert -model.bic(X) == pytest.approx(reference["bic"], rel=1e-5)
    assert model.noise_weight_ == pytest.approx(reference["noise_weight"], abs=1e-3)
    assert model.weights_.sum() + model.noise_weight_ == pytest.approx(1.0)
    labels = model.predict(X)
    assert adjusted_rand_score(TRUTH, labels) == pytest.approx(
        reference["ari_vs_truth"], abs=2e-3
    )
    mclust_labels = np.asarray(reference["classification"]) - 1  # 0 was noise
    assert adjusted_rand_score(mclust_labels, labels) > 0.99


def test_selector_with_noise_matches_mclust():
    reference = REFERENCE["default"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        selector = GaussianMixtureSelector(noise=NOISE_START).fit(X)
    assert selector.best_params_ == {
        "n_components": reference["G"],
        "covariance_type": reference["modelName"],
    }
    assert -selector.best_criterion_ == pytest.approx(reference["bic"], rel=1e-5)
    assert adjusted_rand_score(TRUTH, selector.predict(X)) == pytest.approx(
        reference["ari_vs_truth"], abs=2e-3
    )
    assert "noise" in selector.summary()


def test_default_start_recovers_clutter_as_well_as_mclust():
    """Without mclust's start: the built-in nearest-neighbour rule."""
    model = GaussianMixture(3, noise=True, random_state=0).fit(X)
    ari = adjusted_rand_score(TRUTH, model.predict(X))
    assert ari >= REFERENCE["VVV_G3"]["ari_vs_truth"] - 0.01
    # Rows called noise are mostly clutter, and most clutter is found.
    called = model.predict(X) == -1
    assert (TRUTH[called] == -1).mean() > 0.9
    assert called[TRUTH == -1].mean() > 0.75


def test_noise_on_every_path():
    da = pytest.importorskip("dask.array")
    fits = [
        GaussianMixture(3, noise=0.25, random_state=0, backend=b).fit(X)
        for b in ("numpy", "numba")
    ]
    np.testing.assert_allclose(fits[0].score(X), fits[1].score(X), rtol=1e-10)
    model = fits[1]
    distributed = GaussianMixture(3, noise=0.25, random_state=0).fit(
        da.from_array(X, chunks=150)
    )
    np.testing.assert_allclose(distributed.score(X), model.score(X), rtol=1e-8)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        np.where(proba.argmax(axis=1) == 3, -1, proba.argmax(axis=1)), model.predict(X)
    )
    # The density is the mixture's: Gaussian parts plus weight / volume.
    far = np.array([[1e3, 1e3]])
    assert model.score_samples(far)[0] == pytest.approx(
        np.log(model.noise_weight_ / model.hypervolume_), rel=1e-9
    )
    samples, labels = model.sample(2000)
    region = hypervolume_region(X)
    noise = samples[labels == -1]
    assert abs(len(noise) / 2000 - model.noise_weight_) < 0.05
    u = (noise - region.centre) @ region.rotation
    assert np.all((u >= region.lower) & (u <= region.upper))
    before = model.score(X)
    model.partial_fit(X)
    assert model.score(X) >= before - 1e-9
    assert model.bic(X) == pytest.approx(
        -2 * model.score(X) * len(X) + (17 + 2) * np.log(len(X))
    )


def test_refit_without_noise_drops_its_attributes():
    model = GaussianMixture(3, noise=0.25, random_state=0).fit(X)
    model.set_params(noise=False).fit(X)
    assert not hasattr(model, "noise_weight_")
    assert model.predict_proba(X).shape == (len(X), 3)
    assert model.predict(X).min() == 0


@pytest.mark.parametrize(
    "params, data, match",
    [
        (dict(noise=1.5), X, "noise"),
        (dict(noise=np.zeros(len(X), bool)), X, "must mark some rows"),
        (dict(noise=np.ones(3, bool)), X, "one entry per row"),
        (dict(noise=True, hypervolume=-1.0), X, "hypervolume"),
        (dict(noise=True), np.c_[X[:, 0], np.ones(len(X))], "positive hypervolume"),
    ],
)
def test_bad_noise_settings(params, data, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(3, random_state=0, **params).fit(data)
