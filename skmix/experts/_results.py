"""A statsmodels-style results object for a fitted mixture of experts."""

import datetime
import warnings
from functools import cached_property
from numbers import Integral
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm
from sklearn.exceptions import ConvergenceWarning

from ..utils import check_param_float, check_param_option
from ._bootstrap_intervals import (
    BOOTSTRAP_KINDS,
    MIN_BOOTSTRAP,
    bootstrap_bounds,
    bootstrap_replicates,
    check_bootstrap_model,
)
from ._inference import (
    RESULTS_INTERVAL_METHODS,
    confidence_intervals,
    observed_time_range,
)
from ._profile import fitted_likelihood, parameter_space, profile_intervals


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
    "profile": "profile likelihood",
    "bootstrap": "parametric bootstrap",
}


def _check_n_bootstrap(n_bootstrap):
    if (
        not isinstance(n_bootstrap, Integral)
        or isinstance(n_bootstrap, bool)
        or n_bootstrap < MIN_BOOTSTRAP
    ):
        raise ValueError(
            f"n_bootstrap must be an integer of at least {MIN_BOOTSTRAP} (fewer "
            f"draws do not estimate the tail quantiles); got {n_bootstrap!r}."
        )
    return int(n_bootstrap)


def _cache_key(random_state):
    """The bootstrap cache's key for `random_state`: an int or None repeat
    their draws' seeds; a RandomState or Generator moves on (no key)."""
    if random_state is None or isinstance(random_state, Integral):
        return random_state if random_state is None else int(random_state)
    return False


class MixtureResults:
    """Estimates, standard errors, intervals and tests of a fitted
    :class:`MixtureOfExpertsRegressor`, in statsmodels' vocabulary.

    Made by :meth:`MixtureOfExpertsRegressor.results`; the standard errors
    are the model's (``covariance_``, or ``robust_covariance_`` with
    ``robust=True``), computed once, on first use. Intervals are Wald
    intervals on each parameter's natural scale by default (variances on
    the log scale, so always positive); ``conf_int(method='wald')`` gives
    the symmetric ones, ``method='profile'`` profile-likelihood intervals
    and ``method='bootstrap'`` parametric-bootstrap ones (both computed on
    request from the training design the model keeps, and cached).

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
        # Intervals computed on request: profile bounds by (alpha, position),
        # bootstrap replicates by (n_bootstrap, seed).
        self._profile_bounds = {}
        self._bootstrap_cache = {}

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

    def conf_int(self, alpha=0.05, method="transformed", *, params=None,
                 n_bootstrap=200, bootstrap_kind="percentile",
                 random_state=None, n_jobs=None):  # fmt: skip
        """Confidence intervals at level ``1 - alpha``.

        Parameters
        ----------
        alpha : float in (0, 1), default=0.05
        method : {'transformed', 'wald', 'profile', 'bootstrap'}, \
                default='transformed'
            'transformed': Wald intervals on each parameter's natural scale,
            so none has impossible bounds. Variances, dispersions and
            shapes (blocks 'residual' and 'dispersion', ``var(...)`` terms)
            get ``exp(log est +- z SE / est)`` (the delta method), always
            positive; spline knots the logit-scale interval on the observed
            time range, within it (symmetric when times vary by subject:
            the range is not stored); coefficients and covariances
            ``est +- z SE``. 'wald': ``est +- z SE`` for every parameter.

            'profile': the profile-likelihood interval, the values ``b``
            with ``2 (llf - max_others loglik(b, others)) <=
            chi2_1(1 - alpha)`` (the likelihood-ratio test inverted; bounds
            by root-finding on the signed root deviance, each profile point
            a BFGS maximisation with the analytic score, Venzon &
            Moolgavkar 1988). Outside the parameter space (a variance not
            positive, a random-effect covariance not positive definite, a
            knot outside the estimator's bounds, 2% of the time range
            inside the observed times) the likelihood counts as zero, so
            bounds are never impossible; where the deviance stays below the
            cut-off up to such a limit, the limit is the bound. A bound that
            cannot be found (a likelihood flat over a thousand Wald
            half-widths, a maximisation that fails) is NaN, with a
            ConvergenceWarning. Cost: a few dozen maximisations per
            parameter; on a 2-class bilinear-spline growth model of 500
            subjects (10 waves, 51 parameters) about 0.1-0.3 s per
            parameter, 13 s for all of them, on one core (plus the
            standard errors' 0.6 s, which start the search). Restrict
            it with `params`.

            'bootstrap': parametric-bootstrap intervals: `n_bootstrap`
            outcome sets drawn from the fitted model at the observed
            covariates (and times, offsets, trials, groups), each refitted
            by EM from the fitted parameters, classes matched to the
            fitted ones; the intervals from the quantiles of each parameter
            over the converged refits (`bootstrap_kind`). Failed and
            non-converged refits are left out and counted (a
            ConvergenceWarning says how many). Cost: one warm EM refit per
            draw, on one core about 3 s for the default 200 draws of a
            2-class regression of 300 subjects, 30 s for the bilinear-spline
            model above; `n_jobs` runs them in parallel. The
            replicates are cached: another call with the same
            `n_bootstrap` and (int or None) `random_state` reuses them, at
            any `alpha` and `bootstrap_kind`.

            Profile and bootstrap intervals do not depend on ``robust``.
        params : list of labels, optional
            The parameters to report, labels of ``params.index`` (tuples
            ``(class, block, term)``); default all. The profile computes
            only these.
        n_bootstrap : int, default=200
            Bootstrap draws (at least 50).
        bootstrap_kind : {'percentile', 'basic'}, default='percentile'
            'percentile': the ``alpha/2`` and ``1 - alpha/2`` quantiles of
            the replicates (Efron & Tibshirani 1993, section 13.3; the
            ``(B + 1) alpha/2``-th and ``(B + 1) (1 - alpha/2)``-th of B
            replicates, interpolated, as Davison & Hinkley 1997, section 5.2,
            take them: from 100 draws each bound leaves ``alpha/2``
            outside on average, where NumPy's default quantile leaves 0.035
            at alpha = 0.05), in the
            parameter space since every refit is, and invariant to a
            reparametrisation. 'basic': ``2 est - q_(1 - alpha/2)`` and
            ``2 est - q_(alpha/2)`` (Davison & Hinkley 1997, section 5.2),
            which corrects a bias of the percentile interval when the
            estimator is skewed, taken on a scale where each parameter is
            unbounded (log for variances, logit within a curve parameter's
            bounds), so also within the parameter space.
        random_state : int, RandomState instance or None, default=None
            Seeds of the bootstrap draws (every random choice).
        n_jobs : int, default=None
            Bootstrap refits run in parallel (joblib); the draws' seeds
            come first, so the intervals are the same for every `n_jobs`.

        Returns
        -------
        intervals : DataFrame with columns 'lower' and 'upper'
        """
        check_param_float(alpha, "alpha", 0.0, 1.0, "neither")
        check_param_option(method, "method", RESULTS_INTERVAL_METHODS)
        positions = self._positions(params)
        if method == "profile":
            lower, upper = self._profile(alpha, positions)
        elif method == "bootstrap":
            check_param_option(bootstrap_kind, "bootstrap_kind", BOOTSTRAP_KINDS)
            replicates = self._bootstrap(n_bootstrap, random_state, n_jobs)
            low, high = parameter_space(self.model)
            lower, upper = bootstrap_bounds(
                self.params.to_numpy(), replicates.estimates, 1 - alpha,
                bootstrap_kind, low, high,
            )  # fmt: skip
            lower, upper = lower[positions], upper[positions]
        else:
            lower, upper = confidence_intervals(
                list(self._index), self.params.to_numpy(), self.bse.to_numpy(),
                1 - alpha, method, observed_time_range(self.model.time_),
            )  # fmt: skip
            lower, upper = lower[positions], upper[positions]
        return pd.DataFrame(
            {"lower": lower, "upper": upper}, index=self._index[positions]
        )

    def bootstrap_estimates(self, n_bootstrap=200, random_state=None, n_jobs=None):
        """The parametric bootstrap's refitted parameters (see
        :meth:`conf_int` ``method='bootstrap'``; cached alike).

        Returns
        -------
        estimates : DataFrame of shape (n_converged, n_params)
            One row per converged refit, columns ``params.index``;
            ``estimates.attrs`` has 'n_bootstrap', 'n_failed',
            'n_not_converged' and 'n_relabelled' (refits whose classes were
            matched to the fitted ones by relabelling).
        """
        replicates = self._bootstrap(n_bootstrap, random_state, n_jobs)
        table = pd.DataFrame(replicates.estimates, columns=self._index)
        table.attrs.update({
            name: getattr(replicates, name)
            for name in ("n_bootstrap", "n_failed", "n_not_converged",
                         "n_relabelled")
        })  # fmt: skip
        return table

    def _positions(self, params):
        """Positions in ``params.index`` of the labels `params` (None: all)."""
        names = list(self._index)
        if params is None:
            return np.arange(len(names))
        if (
            isinstance(params, tuple)
            and params
            and not isinstance(params[0], tuple | list)
        ):
            params = [params]  # one label
        params = [tuple(label) if isinstance(label, list) else label
                  for label in params]  # fmt: skip
        unknown = [label for label in params if label not in names]
        if unknown or not params:
            raise ValueError(
                "params must be labels of results.params.index, tuples "
                f"(class, block, term); unknown: {unknown or params!r}."
            )
        return np.array([names.index(label) for label in params])

    @cached_property
    def _likelihood(self):
        return fitted_likelihood(self.model)

    def _profile(self, alpha, positions):
        """Profile bounds at `alpha` of the parameters at `positions`,
        computing only those not cached."""
        missing = [j for j in dict.fromkeys(positions.tolist())
                   if (alpha, j) not in self._profile_bounds]  # fmt: skip
        if missing:
            lower, upper = profile_intervals(
                self._likelihood, missing, chi2.ppf(1 - alpha, 1), list(self._index)
            )
            for j, low, high in zip(missing, lower, upper, strict=True):
                self._profile_bounds[alpha, j] = (low, high)
        bounds = np.array([self._profile_bounds[alpha, j] for j in positions])
        return bounds[:, 0], bounds[:, 1]

    def _bootstrap(self, n_bootstrap, random_state, n_jobs):
        """The bootstrap replicates, cached by (n_bootstrap, random_state),
        with a warning counting failed and non-converged refits."""
        n_bootstrap = _check_n_bootstrap(n_bootstrap)
        check_bootstrap_model(self.model)
        key = (n_bootstrap, _cache_key(random_state))
        replicates = self._bootstrap_cache.get(key) if key[1] is not False else None
        if replicates is None:
            replicates = bootstrap_replicates(
                self.model, n_bootstrap, random_state, n_jobs
            )
            if key[1] is not False:
                self._bootstrap_cache[key] = replicates
        left_out = replicates.n_failed + replicates.n_not_converged
        if left_out:
            warnings.warn(
                f"{replicates.n_failed} of {n_bootstrap} bootstrap refits failed "
                f"and {replicates.n_not_converged} did not converge; the "
                f"intervals use the other {len(replicates.estimates)}.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return replicates

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

    def parameter_table(self, alpha=0.05, method="transformed", **options):
        """Tidy table: class, block, term, estimate, std_error, z, p_value
        and the interval bounds of :meth:`conf_int` ``(alpha, method,
        **options)`` (``options``: its keywords; with ``params``, only
        those rows)."""
        intervals = self.conf_int(alpha, method, **options)
        index = intervals.index
        return pd.DataFrame({
            "estimate": self.params[index], "std_error": self.bse[index],
            "z": self.tvalues[index], "p_value": self.pvalues[index],
            "ci_lower": intervals["lower"], "ci_upper": intervals["upper"],
        }).reset_index()  # fmt: skip

    def summary(self, alpha=0.05, method="transformed", **options):
        """A statsmodels ``Summary`` whose header tells how the fit went;
        intervals from :meth:`conf_int` ``(alpha, method, **options)``."""
        from statsmodels.iolib.summary2 import Summary

        check_param_option(method, "method", RESULTS_INTERVAL_METHODS)
        label = _INTERVAL_LABELS[method]
        if method == "bootstrap":
            label += (f" ({options.get('bootstrap_kind', 'percentile')}, "
                      f"{options.get('n_bootstrap', 200)} draws)")  # fmt: skip
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
            "Intervals:": label,
        }, ncols=2)  # fmt: skip
        table = self.parameter_table(alpha, method, **options)
        table = table.set_index(["class", "block", "term"])
        table.index = [f"[{c}] {b}: {t}" for c, b, t in table.index]
        table.columns = ["Coef.", "Std.Err.", "z", "P>|z|",
                         f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]"]  # fmt: skip
        summary.add_df(table, float_format="%.4f")
        return summary
