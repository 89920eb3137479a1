"""A statsmodels-style results object for a fitted mixture of experts."""

import datetime
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from ..utils import check_param_float, check_param_option
from ._inference import (
    INTERVAL_METHODS,
    confidence_intervals,
    observed_time_range,
)


def replication_label(model):
    """'True' or 'False': whether the best log-likelihood was reached by at
    least two starts run to convergence; 'n/a' when only one was run."""
    if len(model.start_log_likelihoods_) < 2:
        return "n/a"
    return str(model.best_log_likelihood_replicated_)


class WaldTestResult(NamedTuple):
    """A Wald chi-square test of linear restrictions ``R params = q``."""

    statistic: float
    df: int
    p_value: float


_INTERVAL_LABELS = {
    "transformed": "Wald, natural scales",
    "wald": "Wald, symmetric",
}


class MixtureResults:
    """Estimates, standard errors, intervals and tests of a fitted
    :class:`MixtureOfExpertsRegressor`, in statsmodels' vocabulary.

    Made by :meth:`MixtureOfExpertsRegressor.results`; the standard errors
    are the model's (``covariance_``, or ``robust_covariance_`` with
    ``robust=True``), computed once, on first use. Intervals are Wald
    intervals on each parameter's natural scale by default (variances on
    the log scale, so always positive); ``conf_int(method='wald')`` gives
    the symmetric ones.

    Attributes
    ----------
    params, bse, tvalues, pvalues : pandas.Series
        Indexed by (class, block, term), in ``parameter_names_`` order.
    llf, aic, bic, sabic : float
    nobs : int
        Subjects.
    df_model : int
        Free parameters.
    """

    def __init__(self, model, robust=False):
        self.model = model
        self.robust = robust
        self._index = pd.MultiIndex.from_tuples(
            model.parameter_names_, names=["class", "block", "term"]
        )
        self.llf = model.log_likelihood_
        self.aic, self.bic, self.sabic = model.aic_, model.bic_, model.sabic_
        self.nobs = model.n_subjects_
        self.df_model = model.n_parameters_

    @cached_property
    def params(self):
        return pd.Series(self.model._layout_.pack(self.model.params_), self._index)

    def cov_params(self):
        """Covariance of the estimates, a DataFrame over the parameters."""
        return pd.DataFrame(self._covariance, self._index, self._index)

    @cached_property
    def _covariance(self):
        model = self.model
        return model.robust_covariance_ if self.robust else model.covariance_

    @cached_property
    def bse(self):
        variance = np.diag(self._covariance)
        return pd.Series(np.sqrt(np.where(variance > 0, variance, np.nan)), self._index)

    @cached_property
    def tvalues(self):
        """z statistics (the estimates are asymptotically normal)."""
        return self.params / self.bse

    @cached_property
    def pvalues(self):
        return pd.Series(2 * norm.sf(np.abs(self.tvalues)), self._index)

    def conf_int(self, alpha=0.05, method="transformed"):
        """Confidence intervals at level ``1 - alpha``.

        Parameters
        ----------
        alpha : float in (0, 1), default=0.05
        method : {'transformed', 'wald'}, default='transformed'
            'transformed': Wald intervals on each parameter's natural scale,
            so none has impossible bounds. Variances, dispersions and
            shapes (blocks 'residual' and 'dispersion', ``var(...)`` terms)
            get ``exp(log est +- z SE / est)`` (the delta method), always
            positive; spline knots the logit-scale interval on the observed
            time range, within it (symmetric when times vary by subject:
            the range is not stored); coefficients and covariances
            ``est +- z SE``. 'wald': ``est +- z SE`` for every parameter.

        Returns
        -------
        intervals : DataFrame with columns 'lower' and 'upper'
        """
        check_param_float(alpha, "alpha", 0.0, 1.0, "neither")
        check_param_option(method, "method", INTERVAL_METHODS)
        lower, upper = confidence_intervals(
            list(self._index), self.params.to_numpy(), self.bse.to_numpy(),
            1 - alpha, method, observed_time_range(self.model.time_),
        )  # fmt: skip
        return pd.DataFrame({"lower": lower, "upper": upper}, index=self._index)

    def wald_test(self, restrictions, value=None):
        """Wald test of ``R params = q``.

        Parameters
        ----------
        restrictions : array-like of shape (n_restrictions, n_params), or a
            list of parameter names (tuples of ``parameter_names_``), each
            tested equal to zero (jointly).
        value : array-like of shape (n_restrictions,), optional
            ``q``; default zeros.

        Returns
        -------
        WaldTestResult
        """
        names = list(self._index)
        if len(restrictions) and isinstance(restrictions[0], tuple):
            unknown = [r for r in restrictions if tuple(r) not in names]
            if unknown:
                raise ValueError(
                    f"Unknown parameter(s) {unknown}; see parameter_names_."
                )
            R = np.zeros((len(restrictions), len(names)))
            for row, name in enumerate(restrictions):
                R[row, names.index(tuple(name))] = 1.0
        else:
            R = np.atleast_2d(np.asarray(restrictions, dtype=np.float64))
        if R.shape[1] != len(names):
            raise ValueError(
                f"restrictions need {len(names)} columns (one per parameter); got "
                f"{R.shape[1]}."
            )
        q = np.zeros(len(R)) if value is None else np.asarray(value, np.float64)
        difference = R @ self.params.to_numpy() - q
        middle = R @ self._covariance @ R.T
        statistic = float(difference @ np.linalg.solve(middle, difference))
        return WaldTestResult(statistic, len(R), float(chi2.sf(statistic, len(R))))

    def parameter_table(self, alpha=0.05, method="transformed"):
        """Tidy table: class, block, term, estimate, std_error, z, p_value
        and the interval bounds of :meth:`conf_int` ``(alpha, method)``."""
        intervals = self.conf_int(alpha, method)
        return pd.DataFrame({
            "estimate": self.params, "std_error": self.bse, "z": self.tvalues,
            "p_value": self.pvalues, "ci_lower": intervals["lower"],
            "ci_upper": intervals["upper"],
        }).reset_index()  # fmt: skip

    def summary(self, alpha=0.05, method="transformed"):
        """A statsmodels ``Summary`` whose header tells how the fit went;
        intervals from :meth:`conf_int` ``(alpha, method)``."""
        from statsmodels.iolib.summary2 import Summary

        check_param_option(method, "method", INTERVAL_METHODS)
        model = self.model
        replicated = replication_label(model)
        summary = Summary()
        summary.add_title(f"Mixture of experts ({model.family_}), "
                          f"{model.n_components} classes")  # fmt: skip
        summary.add_dict({
            "Date:": datetime.date.today().isoformat(),
            "Subjects:": str(self.nobs),
            "Converged:": str(model.converged_),
            "Iterations:": str(model.n_iter_),
            "Starts to convergence:": str(len(model.start_log_likelihoods_)),
            "Best LL replicated:": replicated,
            "Log-likelihood:": f"{self.llf:.3f}",
            "Parameters:": str(self.df_model),
            "AIC:": f"{self.aic:.3f}",
            "BIC:": f"{self.bic:.3f}",
            "Entropy:": f"{model.entropy_:.3f}",
            "Standard errors:": "sandwich" if self.robust else "observed information",
            "Intervals:": _INTERVAL_LABELS[method],
        }, ncols=2)  # fmt: skip
        table = self.parameter_table(alpha, method)
        table = table.set_index(["class", "block", "term"])
        table.index = [f"[{c}] {b}: {t}" for c, b, t in table.index]
        table.columns = ["Coef.", "Std.Err.", "z", "P>|z|",
                         f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]  # fmt: skip
        summary.add_df(table, float_format="%.4f")
        return summary
