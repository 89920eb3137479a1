"""mclust-style classification and uncertainty plots."""

import numpy as np
import pytest
from scipy.stats import chi2

from skmix.mixture import (
    GaussianMixture,
    ellipse_path,
    plot_classification,
    plot_uncertainty,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_ellipse_holds_the_level_of_a_bivariate_normal():
    mean, covariance = np.array([1.0, -2.0]), np.array([[4.0, 1.5], [1.5, 1.0]])
    path = ellipse_path(mean, covariance, level=0.9)
    offsets = path - mean
    distances = np.einsum("ij,jk,ik->i", offsets, np.linalg.inv(covariance), offsets)
    np.testing.assert_allclose(distances, chi2.ppf(0.9, df=2), rtol=1e-10)


def _fitted():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (100, 3)), rng.normal(6, 1, (60, 3))])
    return GaussianMixture(2, random_state=0).fit(X), X


def test_classification_draws_each_component_and_its_ellipse():
    model, X = _fitted()
    ax = plot_classification(model, X, features=(0, 2))
    counts = sorted(len(c.get_offsets()) for c in ax.collections)
    assert counts == [60, 100]
    # Each ellipse is the component's (0, 2) marginal at 95%.
    covariances = model.covariances_[:, [0, 2]][:, :, [0, 2]]
    ellipses = [line for line in ax.lines if len(line.get_xdata()) == 100]
    for k, line in enumerate(ellipses):
        offsets = np.column_stack([line.get_xdata(), line.get_ydata()])
        offsets = offsets - model.means_[k, [0, 2]]
        distances = np.einsum(
            "ij,jk,ik->i", offsets, np.linalg.inv(covariances[k]), offsets
        )
        np.testing.assert_allclose(distances, chi2.ppf(0.95, df=2), rtol=1e-8)
    assert ax.get_xlabel() == "feature 0" and ax.get_ylabel() == "feature 2"


def test_uncertainty_colours_rows_by_one_minus_max_posterior():
    model, X = _fitted()
    ax = plot_uncertainty(model, X)
    colours = np.sort(ax.collections[0].get_array())
    expected = np.sort(1.0 - model.predict_proba(X).max(axis=1))
    np.testing.assert_allclose(colours, expected)


@pytest.mark.parametrize("features", [(0,), (0, 3), (-1, 1)])
def test_bad_features(features):
    model, X = _fitted()
    with pytest.raises(ValueError, match="two column indices"):
        plot_classification(model, X, features=features)
