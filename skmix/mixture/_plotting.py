"""mclust-style pictures of a fitted Gaussian mixture: the classification
(rows by MAP component, with each component's ellipse) and the
uncertainty (rows by ``1 - max posterior``), as ``plot.Mclust(what =
"classification")`` and ``what = "uncertainty"`` draw them."""

import numpy as np
from scipy.stats import chi2
from sklearn.utils.validation import check_is_fitted

from ..utils import axes_or_new, check_param_float


def _plot_inputs(model, X, features, ax):
    """The GaussianMixture of a mixture or of a selector (its best), the
    rows' coordinates on the two checked `features`, and the axes."""
    check_is_fitted(model)
    mixture = getattr(model, "best_estimator_", model)
    n_features = mixture.n_features_in_
    features = tuple(int(f) for f in features)
    if len(features) != 2 or not all(0 <= f < n_features for f in features):
        raise ValueError(
            f"features must be two column indices in [0, {n_features}); got {features}."
        )
    points = np.asarray(X, dtype=np.float64)[:, list(features)]
    return mixture, points, features, axes_or_new(ax)


def _label_axes(ax, model, features):
    names = getattr(model, "feature_names_in_", None)
    x_label, y_label = (
        str(names[f]) if names is not None else f"feature {f}" for f in features
    )
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)


def ellipse_path(mean, covariance, level=0.95, n_points=100):
    """Points of the ellipse holding `level` of a bivariate normal's mass.

    Parameters
    ----------
    mean : array-like of shape (2,)
    covariance : array-like of shape (2, 2)
    level : float in (0, 1), default=0.95
    n_points : int, default=100

    Returns
    -------
    path : ndarray of shape (n_points, 2)
    """
    radius = np.sqrt(chi2.ppf(level, df=2))
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    angle = np.linspace(0.0, 2.0 * np.pi, n_points)
    circle = np.column_stack([np.cos(angle), np.sin(angle)])
    return np.asarray(mean) + radius * (circle * np.sqrt(values)) @ vectors.T


def plot_classification(model, X, *, features=(0, 1), level=0.95, ax=None):
    """Rows coloured by their MAP component, each component's mean and the
    ellipse holding `level` of its mass, on two features.

    Parameters
    ----------
    model : fitted GaussianMixture or GaussianMixtureSelector
    X : array-like of shape (n_samples, n_features)
    features : pair of int, default=(0, 1)
        The columns on the axes; the ellipses are the components' marginal
        covariances on them.
    level : float in (0, 1), default=0.95
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
    """
    mixture, points, features, ax = _plot_inputs(model, X, features, ax)
    check_param_float(level, "level", 0.0, 1.0, "neither")
    labels = model.predict(X)  # through the model's own input checks
    covariances = mixture._fitted_components().full_covariances()
    pair = np.ix_(features, features)
    for k in range(mixture.n_components):
        colour = f"C{k % 10}"
        rows = labels == k
        label = f"component {k + 1} ({rows.sum()} rows)"
        ax.scatter(points[rows, 0], points[rows, 1], s=12, c=colour, alpha=0.7,
                   label=label)  # fmt: skip
        mean = mixture.means_[k, list(features)]
        path = ellipse_path(mean, covariances[k][pair], level)
        ax.plot(path[:, 0], path[:, 1], c=colour, lw=1.5)
        ax.plot(*mean, "+", c="k", ms=10)
    _label_axes(ax, model, features)
    ax.legend(fontsize=8, title=f"{level:.0%} ellipses", title_fontsize=8)
    return ax


def plot_uncertainty(model, X, *, features=(0, 1), ax=None):
    """Rows sized and coloured by their classification uncertainty,
    ``1 - max_k tau_ik`` (mclust's ``uncertainty``), on two features.

    Parameters
    ----------
    model : fitted GaussianMixture or GaussianMixtureSelector
    X : array-like of shape (n_samples, n_features)
    features : pair of int, default=(0, 1)
    ax : matplotlib.axes.Axes, default=None

    Returns
    -------
    ax : matplotlib.axes.Axes
    """
    _, points, features, ax = _plot_inputs(model, X, features, ax)
    uncertainty = 1.0 - model.predict_proba(X).max(axis=1)
    top = max(float(uncertainty.max()), 1e-12)
    order = np.argsort(uncertainty)  # the most uncertain drawn last, on top
    scatter = ax.scatter(
        points[order, 0], points[order, 1], c=uncertainty[order],
        s=8 + 120 * uncertainty[order] / top, cmap="viridis", vmin=0.0,
    )  # fmt: skip
    ax.figure.colorbar(scatter, ax=ax, label="uncertainty (1 - max posterior)")
    _label_axes(ax, model, features)
    return ax
