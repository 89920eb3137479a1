"""Choosing the number of components and covariance type by an information
criterion, with a tidy table of every candidate."""

import math
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils.validation import check_is_fitted

from .._core import (
    COVARIANCE_TYPES,
    aic,
    bic,
    covariance_model_names,
    icl,
    rowwise,
)
from ..utils import (
    check_fitted_input,
    check_param_option,
    check_samples,
    record_input_features,
)
from ._gaussian_mixture import GaussianMixture

CRITERIA = ("bic", "aic", "icl")
_RESULT_COLUMNS = [
    "covariance_type",
    "n_components",
    "log_likelihood",
    "n_parameters",
    "bic",
    "aic",
    "icl",
    "converged",
    "n_iter",
    "error",
]


def _check_n_components(values):
    try:
        values = tuple(values)
    except TypeError:
        values = (values,)
    if not values or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise ValueError(
            f"n_components must be a non-empty sequence of integers >= 1; got {values}."
        )
    return sorted(set(int(v) for v in values))


def _check_covariance_types(values):
    values = (values,) if isinstance(values, str) else tuple(values)
    if not values:
        raise ValueError("covariance_types must not be empty.")
    for value in values:
        check_param_option(value, "covariance_types", covariance_model_names())
    return list(dict.fromkeys(values))


class GaussianMixtureSelector(DensityMixin, BaseEstimator):
    """Gaussian mixture chosen over a grid by BIC, AIC or ICL.

    Fits a :class:`GaussianMixture` for every number of components and
    covariance type, records the information criteria of each in
    ``results_`` (a tidy :class:`pandas.DataFrame`, like mclust's BIC table)
    and keeps the best as ``best_estimator_``, to which the density methods
    delegate. Candidates that cannot be fitted (more components than rows, a
    collapsed covariance) get NaN criteria and their error message.

    Parameters
    ----------
    n_components : sequence of int, default=(1, 2, 3, 4, 5, 6)
    covariance_types : sequence of {'full', 'tied', 'diag', 'spherical'}, \
            default=('full', 'tied', 'diag', 'spherical')
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        Lower is better for all three. ICL is BIC plus
        ``-2 sum_i log max_k tau_ik``, which favours well-separated clusters.
    tol, reg_covar, max_iter, n_init, init_params, random_state, backend
        Passed to every :class:`GaussianMixture`.

    Attributes
    ----------
    results_ : pandas.DataFrame
        One row per candidate: covariance_type, n_components, log_likelihood
        (total), n_parameters, bic, aic, icl, converged, n_iter, error, and
        ``rank`` by `criterion` (1 is best).
    best_estimator_ : GaussianMixture
    best_params_ : dict
        ``{"n_components": ..., "covariance_type": ...}`` of the best candidate.
    best_criterion_ : float
        Its value of `criterion`.
    backend_ : str
        The backend the fits ran on.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when X has string column names.

    References
    ----------
    Schwarz, G. (1978). Estimating the dimension of a model. Annals of
    Statistics, 6(2), 461-464.

    Biernacki, C., Celeux, G. and Govaert, G. (2000). Assessing a mixture model
    for clustering with the integrated completed likelihood. IEEE TPAMI, 22(7).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skmix.mixture import GaussianMixtureSelector
    >>> X = load_iris().data
    >>> selector = GaussianMixtureSelector(range(1, 4), n_init=5, random_state=0)
    >>> selector.fit(X).best_params_
    {'n_components': 2, 'covariance_type': 'full'}
    >>> round(selector.best_criterion_, 2)   # mclust VVV,2: BIC -574.0178
    574.02
    """

    def __init__(
        self,
        n_components=(1, 2, 3, 4, 5, 6),
        covariance_types=COVARIANCE_TYPES,
        criterion="bic",
        *,
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        random_state=None,
        backend=None,
    ):
        self.n_components = n_components
        self.covariance_types = covariance_types
        self.criterion = criterion
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state
        self.backend = backend

    def _candidate(self, n_components, covariance_type):
        return GaussianMixture(
            n_components,
            covariance_type=covariance_type,
            tol=self.tol,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            init_params=self.init_params,
            random_state=self.random_state,
            backend=self.backend,
        )

    def fit(self, X, y=None):
        """Fit every candidate and keep the best by `criterion`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : GaussianMixtureSelector
        """
        import pandas as pd

        grid = _check_n_components(self.n_components)
        covariance_types = _check_covariance_types(self.covariance_types)
        check_param_option(self.criterion, "criterion", CRITERIA)
        X_checked = check_samples(X)
        # Reject bad shared parameters (e.g. tol < 0) before the grid swallows
        # them as per-candidate failures.
        self._candidate(grid[0], covariance_types[0])._check_parameters()

        rows, best, best_value = [], None, math.inf
        for covariance_type in covariance_types:
            for n_components in grid:
                row, model = self._evaluate(X_checked, n_components, covariance_type)
                rows.append(row)
                if model is not None and row[self.criterion] < best_value:
                    best, best_value = model, row[self.criterion]
        if best is None:
            raise ValueError(
                f"No candidate mixture could be fitted; first error: {rows[0]['error']}"
            )
        results = pd.DataFrame(rows, columns=_RESULT_COLUMNS)
        results["rank"] = (
            results[self.criterion].rank(method="min", na_option="keep").astype("Int64")
        )
        self.results_ = results
        self.best_estimator_ = best
        self.best_params_ = {
            "n_components": best.n_components,
            "covariance_type": best.covariance_type,
        }
        self.best_criterion_ = float(best_value)
        self.backend_ = best.backend_
        record_input_features(self, X)
        return self

    def _evaluate(self, X, n_components, covariance_type):
        row = dict(covariance_type=covariance_type, n_components=n_components)
        model = self._candidate(n_components, covariance_type)
        try:
            model.fit(X)
        except ValueError as error:
            nan = dict.fromkeys(("log_likelihood", "bic", "aic", "icl"), math.nan)
            return {
                **row,
                **nan,
                "n_parameters": math.nan,
                "converged": False,
                "n_iter": 0,
                "error": str(error),
            }, None
        log_likelihood = float(model.score_samples(X).sum())
        n_parameters = model._n_parameters()
        n_samples = X.shape[0]
        row.update(
            log_likelihood=log_likelihood,
            n_parameters=n_parameters,
            bic=bic(log_likelihood, n_parameters, n_samples),
            aic=aic(log_likelihood, n_parameters),
            icl=icl(log_likelihood, n_parameters, n_samples, model.predict_proba(X)),
            converged=bool(model.converged_),
            n_iter=int(model.n_iter_),
            error="",
        )
        return row, model

    # ------------------------------------------------------------ delegation
    def _best(self, X):
        check_is_fitted(self)
        return self.best_estimator_, check_fitted_input(self, X)

    @rowwise()
    def score_samples(self, X):
        """Log-likelihood of each sample under the best mixture."""
        best, X = self._best(X)
        return best.score_samples(X)

    def score(self, X, y=None):
        """Mean log-likelihood per sample under the best mixture."""
        best, X = self._best(X)
        return best.score(X)

    @rowwise(dtype=np.int64)
    def predict(self, X):
        """Most probable component of the best mixture for each sample."""
        best, X = self._best(X)
        return best.predict(X)

    @rowwise(n_columns=lambda self: self.best_estimator_.n_components)
    def predict_proba(self, X):
        """Component posteriors of the best mixture."""
        best, X = self._best(X)
        return best.predict_proba(X)

    def sample(self, n_samples=1):
        """Draw from the best mixture (see :meth:`GaussianMixture.sample`)."""
        check_is_fitted(self)
        return self.best_estimator_.sample(n_samples)

    def plot(self, criterion=None, ax=None):
        """Plot a criterion against the number of components, a line per
        covariance type, the best candidate circled.

        Parameters
        ----------
        criterion : {'bic', 'aic', 'icl'}, default=None
            Defaults to the selection criterion.
        ax : matplotlib.axes.Axes, default=None
            Created if None.

        Returns
        -------
        ax : matplotlib.axes.Axes
        """
        check_is_fitted(self)
        criterion = check_param_option(
            criterion or self.criterion, "criterion", CRITERIA
        )
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise ImportError(
                "plot needs matplotlib: pip install 'skmix[plot]'"
            ) from error
        if ax is None:
            _, ax = plt.subplots()
        for covariance_type, table in self.results_.groupby(
            "covariance_type", sort=False
        ):
            ax.plot(
                table["n_components"], table[criterion], "o-", label=covariance_type
            )
        best = self.results_.loc[self.results_[criterion].idxmin()]
        ax.plot(best["n_components"], best[criterion], "o", ms=14, mfc="none", c="k")
        ax.set_xlabel("number of components")
        ax.set_ylabel(f"{criterion.upper()} (lower is better)")
        ax.legend(title="covariance")
        return ax
