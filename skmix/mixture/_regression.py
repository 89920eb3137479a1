"""Gaussian mixture regression: a joint density of [X, y] read as p(y | x)."""

from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state, check_X_y
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend import resolve_backend
from .._core import GaussianComponents, rowwise
from .._math import condition_gaussians
from ..utils import (
    check_feature_names,
    check_param_int,
    check_sample_weight,
    check_target_given,
    record_input_features,
)
from ..utils._validation import FLOAT_DTYPES
from ._gaussian_mixture import GaussianMixture


class ConditionalMixture(NamedTuple):
    """The predictive distribution ``p(y | x)`` of each row: a Gaussian mixture.

    Attributes
    ----------
    weights : ndarray of shape (n_samples, n_components)
        Posterior of each component given ``x`` alone.
    means : ndarray of shape (n_samples, n_components) or \
            (n_samples, n_components, n_targets)
        ``E[y | x, k]``; the trailing axis is dropped for 1-D ``y``.
    covariances : ndarray of shape (n_components,) or \
            (n_components, n_targets, n_targets)
        ``Cov[y | x, k]`` (variances for 1-D ``y``); they do not depend on ``x``.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def mixture_moments(weights, means, covariances):
    """Mean and covariance diagonal of a per-row Gaussian mixture.

    Parameters
    ----------
    weights : ndarray of shape (n_samples, n_components)
    means : ndarray of shape (n_samples, n_components, n_targets)
    covariances : ndarray of shape (n_components, n_targets, n_targets)

    Returns
    -------
    mean, variance : ndarrays of shape (n_samples, n_targets)
    """
    mean = np.einsum("nk,nky->ny", weights, means)
    second = np.einsum("nk,nky->ny", weights, means**2) + weights @ np.diagonal(
        covariances, axis1=1, axis2=2
    )
    return mean, np.maximum(second - mean**2, 0.0)


def scale_variance(predictions, target_variance):
    """Variance-scaling post-filter (Silen et al., 2012).

    Stretches each output column about its mean so that its variance over the
    batch equals `target_variance`, undoing the over-smoothing of conditional
    means. Columns with zero variance are left as they are.
    """
    centre = predictions.mean(axis=0)
    variance = predictions.var(axis=0)
    gain = np.ones_like(variance)
    positive = variance > 0
    gain[positive] = np.sqrt(target_variance[positive] / variance[positive])
    return centre + gain * (predictions - centre)


def _weighted_variance(values, sample_weight=None):
    """Each column's variance, that of the rows repeated by their frequency
    weights under `sample_weight` (rows of weight 0 left out)."""
    if sample_weight is None:
        return values.var(axis=0)
    kept = sample_weight > 0
    values, sample_weight = values[kept], sample_weight[kept]
    mean = sample_weight @ values / sample_weight.sum()
    return (sample_weight @ (values - mean) ** 2 / sample_weight.sum()).astype(
        values.dtype, copy=False
    )


class GaussianMixtureRegressor(RegressorMixin, BaseEstimator):
    """Regression through a Gaussian mixture on the joint space ``[X, y]``.

    Fits a :class:`GaussianMixture` to the stacked ``[X, y]`` and predicts from
    the conditional mixture ``p(y | x)``: each component contributes a linear
    regression ``intercept_[k] + coef_[k] x`` weighted by its posterior given
    ``x`` (GMM regression, as in GMM-based voice conversion). Predictions come
    with standard deviations, the whole conditional mixture, or samples.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components (one component is linear regression).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Covariance of the joint mixture. Only 'full' and 'tied' couple ``y`` to
        ``x`` within a component; with 'diag' or 'spherical' each component
        predicts its constant mean.
    tol : float, default=1e-5
        EM convergence threshold on the mean log-likelihood per sample. Lower
        than :class:`GaussianMixture`'s 1e-3: the joint likelihood of
        regression data often crosses long plateaus before the components
        align with the local regressions, and stopping on one leaves a poor
        predictor (on the piecewise-linear test data, 9 of 10 k-means starts
        stopped on one at tol=1e-3, 15 of 20 at 1e-4, none of 20 at 1e-5).
    max_iter : int, default=500
        EM iterations per initialisation.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
            default='k-means++'
        Initialisation of the joint mixture. Not 'kmeans' as in
        :class:`GaussianMixture`: k-means on ``[X, y]`` tends to cut along the
        widest axis (often ``y``), a saddle EM rarely leaves. On the
        piecewise-linear data of the tests, 100 of 100 (data seed, random
        state) pairs fit with 'k-means++' and 94 with 'kmeans'.
    reg_covar, n_init, random_state, backend
        Passed to the joint :class:`GaussianMixture`.
    variance_scaling : bool, default=False
        Apply the variance-scaling post-filter in :meth:`predict`: stretch the
        predictions of a batch (taken as one sequence) about their mean so that
        their variance equals the training variance of ``y``. Conditional
        means are over-smoothed; this restores their global variance.

    Attributes
    ----------
    gaussian_mixture_ : GaussianMixture
        The joint mixture over ``[X, y]``.
    weights_ : ndarray of shape (n_components,)
    n_iter_ : int
        EM iterations of the joint mixture's best initialisation.
    converged_ : bool
    coef_ : ndarray of shape (n_components, n_targets, n_features)
        Slopes of each component's regression of ``y`` on ``x``.
    intercept_ : ndarray of shape (n_components, n_targets)
    conditional_covariances_ : ndarray of shape (n_components, n_targets, n_targets)
        Residual covariance of ``y`` given ``x`` within each component.
    target_variance_ : ndarray of shape (n_targets,)
        Variance of the training targets (for ``variance_scaling``).
    backend_ : str
        The backend the fit ran on.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when X has string column names.

    References
    ----------
    Ghahramani, Z. and Jordan, M. I. (1994). Supervised learning from incomplete
    data via an EM approach. NIPS 6.

    Toda, T., Black, A. W. and Tokuda, K. (2007). Voice conversion based on
    maximum-likelihood estimation of spectral parameter trajectory. IEEE TASLP.

    Silen, H., Helander, E., Nurminen, J. and Gabbouj, M. (2012). Ways to
    implement global variance in statistical speech synthesis. Interspeech.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.mixture import GaussianMixtureRegressor
    >>> x = np.linspace(0, 2, 200)
    >>> noise = np.random.default_rng(0).normal(scale=0.01, size=200)
    >>> y = np.where(x < 1, 3 * x + 1, -3 * x + 7) + noise
    >>> gmr = GaussianMixtureRegressor(2, random_state=0).fit(x[:, None], y)
    >>> gmr.weights_.round(2)
    array([0.5, 0.5])
    >>> gmr.predict([[0.25], [1.75]]).round(2)
    array([1.75, 1.75])
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-5,
        reg_covar=1e-6,
        max_iter=500,
        n_init=1,
        init_params="k-means++",
        random_state=None,
        variance_scaling=False,
        backend=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.variance_scaling = variance_scaling
        self.backend = backend

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the joint mixture of ``[X, y]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights of the rows, passed to the joint
            :meth:`GaussianMixture.fit`: a row of weight 3 counts as three
            copies of it, a row of weight 0 as absent. ``target_variance_``
            is the weighted variance. Integer weights give the fit of the
            repeated rows from the same start (the k-means and k-means++
            starts weigh the rows, but draw differently from repeated rows).

        Returns
        -------
        self : GaussianMixtureRegressor
        """
        check_target_given(self, y)
        check_feature_names(X)
        X_checked, y_checked = check_X_y(
            X, y, dtype=list(FLOAT_DTYPES), multi_output=True, y_numeric=True
        )
        y_2d = y_checked.reshape(len(y_checked), -1).astype(X_checked.dtype)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X_checked.shape[0])
        joint = GaussianMixture(
            self.n_components,
            covariance_type=self.covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            random_state=self.random_state,
            backend=self.backend,
        ).fit(np.hstack([X_checked, y_2d]), sample_weight=sample_weight)
        n_x = X_checked.shape[1]
        components = joint._fitted_components()
        conditional = condition_gaussians(
            components.means, components.full_covariances(), n_x
        )
        self.gaussian_mixture_ = joint
        self.weights_ = joint.weights_
        self.backend_ = joint.backend_
        self.n_iter_ = joint.n_iter_
        self.converged_ = joint.converged_
        self.coef_ = conditional.coef
        self.intercept_ = conditional.intercept
        self.conditional_covariances_ = conditional.covariances
        self.target_variance_ = _weighted_variance(y_2d, sample_weight)
        self._marginal_scorer = GaussianComponents.from_covariances(
            components.weights,
            conditional.marginal_means,
            conditional.marginal_covariances,
            "full",
        ).scorer()
        self._y_is_1d = y_checked.ndim == 1
        record_input_features(self, X)
        return self

    def _component_posteriors(self, X):
        """Posterior of each component given ``x`` alone, (n_samples, K)."""
        backend = resolve_backend(self.backend, X, self.weights_.shape[0])
        with backend.compute_context():
            resp, _ = self._marginal_scorer.posteriors(
                backend, backend.asarray(X, dtype=np.float64)
            )
            return backend.to_numpy(resp)

    def _conditional(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=list(FLOAT_DTYPES))
        weights = self._component_posteriors(X)
        means = self.intercept_[None] + np.einsum("kyx,nx->nky", self.coef_, X)
        return X.dtype, weights, means

    def _as_target_shape(self, array):
        return array[..., 0] if self._y_is_1d else array

    @rowwise(
        n_columns=lambda self: None if self._y_is_1d else self.coef_.shape[1],
        n_outputs=lambda self, return_std=False: 1 + bool(return_std),
    )
    def predict(self, X, return_std=False):
        """Conditional mean ``E[y | x]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        return_std : bool, default=False
            Also return the standard deviation of ``y | x`` (of the model,
            before any variance scaling).

        Returns
        -------
        y_mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
        y_std : ndarray, same shape as `y_mean`
            Only if `return_std` is True.
        """
        dtype, weights, means = self._conditional(X)
        mean, variance = mixture_moments(weights, means, self.conditional_covariances_)
        if self.variance_scaling:
            mean = scale_variance(mean, self.target_variance_)
        mean = self._as_target_shape(mean).astype(dtype, copy=False)
        if not return_std:
            return mean
        return mean, self._as_target_shape(np.sqrt(variance)).astype(dtype, copy=False)

    def predict_distribution(self, X):
        """The conditional mixture ``p(y | x)`` of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ConditionalMixture
            Weights, means and covariances of the conditional mixture, e.g. for
            quantiles with :func:`skmix.metrics.mixture_quantile` (1-D ``y``).
        """
        _, weights, means = self._conditional(X)
        covariances = self.conditional_covariances_
        if self._y_is_1d:
            return ConditionalMixture(weights, means[..., 0], covariances[:, 0, 0])
        return ConditionalMixture(weights, means, covariances)

    def sample_y(self, X, n_samples=1, random_state=0):
        """Draw from ``p(y | x)`` for each row of `X`.

        Parameters
        ----------
        X : array-like of shape (n_samples_X, n_features)
        n_samples : int, default=1
            Draws per row.
        random_state : int, RandomState instance or None, default=0
            As in :meth:`sklearn.gaussian_process.GaussianProcessRegressor.sample_y`.

        Returns
        -------
        y_samples : ndarray of shape (n_samples_X, n_samples) or \
                (n_samples_X, n_targets, n_samples)
        """
        check_param_int(n_samples, "n_samples", 1)
        rng = check_random_state(random_state)
        _, weights, means = self._conditional(X)
        n_rows, n_components, n_targets = means.shape
        cumulative = np.cumsum(weights, axis=1)
        uniforms = rng.random_sample((n_rows, n_samples))
        components = np.minimum(
            (uniforms[:, :, None] > cumulative[:, None, :]).sum(axis=2),
            n_components - 1,
        )
        factors = np.linalg.cholesky(self.conditional_covariances_)
        noise = rng.standard_normal((n_rows, n_samples, n_targets))
        rows = np.arange(n_rows)[:, None]
        draws = means[rows, components] + np.einsum(
            "nsij,nsj->nsi", factors[components], noise
        )
        draws = np.swapaxes(draws, 1, 2)  # (n_rows, n_targets, n_samples)
        return draws[:, 0, :] if self._y_is_1d else draws
