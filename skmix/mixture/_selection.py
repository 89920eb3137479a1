"""Choosing the number of components and covariance structure by an
information criterion, as mclust's ``Mclust`` does, with a tidy table of
every candidate."""

import math
import warnings
from time import perf_counter
from typing import NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils.parallel import delayed
from sklearn.utils.validation import check_is_fitted

from .._backend import resolve_backend
from .._core import (
    MCLUST_MODEL_NAMES,
    MCLUST_UNIVARIATE_NAMES,
    NO_PRIOR_STRUCTURES,
    DataMoments,
    aic,
    bic,
    components_from_responsibilities,
    covariance_model_names,
    get_covariance_model,
    hierarchical_partitions,
    hierarchical_start_rows,
    icl,
    resolve_prior,
    rowwise,
)
from .._core._noise import noise_of_kept_rows, noise_start_rows
from .._core._prior import check_prior_spec
from .._core._progress import progress, run_tasks
from ..exceptions import DegenerateMixtureWarning
from ..utils import (
    axes_or_new,
    check_fitted_input,
    check_n_components_grid,
    check_param_int,
    check_param_option,
    check_sample_weight,
    check_samples,
    record_input_features,
)
from ._gaussian_mixture import INIT_PARAMS, GaussianMixture

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
    "status",
    "error",
]


def _check_covariance_types(values, n_features, prior=None):
    if values is None:  # mclust's defaults, without EVE, VEE, VVE, EVV under a prior
        names = MCLUST_UNIVARIATE_NAMES if n_features == 1 else MCLUST_MODEL_NAMES
        if prior is not None:
            names = [name for name in names if name not in NO_PRIOR_STRUCTURES]
        return list(names)
    values = (values,) if isinstance(values, str) else tuple(values)
    if not values:
        raise ValueError("covariance_types must not be empty.")
    for value in values:
        check_param_option(value, "covariance_types", covariance_model_names())
    if prior is not None:
        without = [
            value for value in values
            if get_covariance_model(value).prior_family is None
        ]  # fmt: skip
        if without:
            raise ValueError(
                f"covariance_types {without} have no conjugate prior (mclust offers "
                f"none for {', '.join(NO_PRIOR_STRUCTURES)}); leave them out or set "
                "prior=None."
            )
    return list(dict.fromkeys(values))


def _describe_prior(prior):
    """mclust's way of printing a prior: ``defaultPrior(shrinkage = 0.1)``."""
    if isinstance(prior, str):
        return "defaultPrior()"
    if isinstance(prior, dict):
        given = ", ".join(
            f"{key} = {value:g}" if np.ndim(value) == 0 else f"{key} = [...]"
            for key, value in prior.items() if value is not None
        )  # fmt: skip
        return f"defaultPrior({given})"
    return repr(prior)


def _failed_row(row, status, reason):
    nan = dict.fromkeys(("log_likelihood", "n_parameters", "bic", "aic", "icl"),
                        math.nan)  # fmt: skip
    return {**nan, "converged": False, "n_iter": 0, **row, "status": status,
            "error": reason}  # fmt: skip


def _weighted_moments(X, weight):
    """mclust's default-prior moments of rows with frequency weights: those
    of the rows repeated by their weights (``DataMoments.from_array``
    without weights)."""
    if weight is None:
        return DataMoments.from_array(X)
    n = float(weight.sum())
    mean = weight @ X / n
    centred = X - mean
    scatter = (weight[:, None] * centred).T @ centred
    return DataMoments(int(round(n)), mean, np.atleast_2d(scatter / max(n - 1.0, 1.0)))


def _criteria(log_likelihood, n_parameters, resp, weight):
    """BIC, AIC and ICL, with ``n = sum_i w_i`` and the weighted ICL penalty
    under frequency weights, as :meth:`GaussianMixture.bic` weighs the rows."""
    n_samples = resp.shape[0] if weight is None else float(weight.sum())
    return dict(
        bic=bic(log_likelihood, n_parameters, n_samples),
        aic=aic(log_likelihood, n_parameters),
        icl=icl(log_likelihood, n_parameters, n_samples, resp, weight),
    )


def _evaluate_timed(*args):
    """:func:`_evaluate`'s outcome and its time in seconds."""
    clock = perf_counter()
    outcome = _evaluate(*args)
    return outcome, perf_counter() - clock


def _evaluate(estimator, X, start, covariance_type, n_components, weight=None):
    """Fit one candidate: its row of ``results_``, the fitted model (None if
    it failed) and its criteria (also for a degenerate fit, whose row has
    NaN). `weight`: the rows' frequency weights (all positive) or None."""
    row = dict(covariance_type=covariance_type, n_components=n_components)
    model = estimator.set_params(
        n_components=n_components, covariance_type=covariance_type
    )
    try:
        if start is not None:
            model.set_params(**_partition_start(start, n_components, model))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DegenerateMixtureWarning)
            model.fit(X, sample_weight=weight)
    except ValueError as error:
        return _failed_row(row, "failed", str(error)), None, None
    degenerate = None
    for warning in caught:
        if issubclass(warning.category, DegenerateMixtureWarning):
            degenerate = str(warning.message)
        else:
            warnings.warn(warning.message, warning.category, stacklevel=2)
    # Posteriors and log-likelihood from one pass over the rows.
    backend = resolve_backend(model.backend_)
    resp, log_norm = (
        model._fitted_components()
        .scorer()
        .posteriors(backend, backend.asarray(X, dtype=model.means_.dtype))
    )
    resp, log_norm = backend.to_numpy(resp), backend.to_numpy(log_norm)
    row.update(
        log_likelihood=float(log_norm.sum() if weight is None else weight @ log_norm),
        n_parameters=model._n_parameters(),
        converged=bool(model.converged_),
        n_iter=int(model.n_iter_),
    )
    criteria = _criteria(row["log_likelihood"], row["n_parameters"], resp, weight)
    if degenerate:
        return _failed_row(row, "degenerate", degenerate), model, criteria
    return {**row, **criteria, "status": "fitted", "error": ""}, model, criteria


def _format_count(value, width):
    """A row count (or a sum of frequency weights) right-aligned in `width`."""
    if float(value).is_integer():
        return f"{int(value):>{width}d}"
    return f"{value:>{width}.2f}"


class _HierarchicalStart(NamedTuple):
    """The rows one tree clustered (and their frequency weights, None
    without), their moments and feature variances, and the tree's cut for
    each number of components, or why the tree could not be built."""

    rows: np.ndarray = None
    partitions: dict = {}
    error: str = ""
    weights: np.ndarray = None
    moments: DataMoments = None
    variances: np.ndarray = None

    @classmethod
    def of(cls, rows, partitions, weights):
        moments = _weighted_moments(rows, weights)
        if weights is None:
            variances = rows.var(axis=0)
        else:
            variances = weights @ (rows - moments.mean) ** 2 / weights.sum()
        return cls(rows, partitions, "", weights, moments, variances)


def _partition_start(start, n_components, model):
    """Initial parameters from the M-step of a start partition (mclust's
    ``me(model, X, z)``; with frequency weights, the weighted M-step), as
    ``GaussianMixture`` parameters."""
    if start.error:
        raise ValueError(start.error)
    X_start, partitions = start.rows, start.partitions
    if n_components not in partitions:  # more components than rows
        return {}
    labels = partitions[n_components]
    if np.unique(labels).size < n_components:
        raise ValueError(
            f"The hierarchical start has fewer than {n_components} classes."
        )
    structure = get_covariance_model(model.covariance_type)
    # Under a prior, the start is the MAP M-step with the prior of the rows
    # clustered (mclust's mstep on its hierarchical subset).
    weight, moments = start.weights, start.moments
    prior = resolve_prior(model.prior, structure, n_components, moments)
    components = components_from_responsibilities(
        resolve_backend("numpy"), X_start, np.eye(n_components)[labels], structure,
        model._ridge(start.variances), np.tile(moments.mean, (n_components, 1)),
        prior, weight,
    )  # fmt: skip
    return dict(
        weights_init=components.weights,
        means_init=components.means,
        precisions_init=structure.precisions_from_cholesky(
            components.precisions_cholesky
        ),
        n_init=1,
    )


class GaussianMixtureSelector(DensityMixin, BaseEstimator):
    """Gaussian mixture chosen over a grid by BIC, AIC or ICL, as mclust's
    ``Mclust(X)``.

    Fits a :class:`GaussianMixture` for every number of components and
    covariance structure, records the information criteria of each in
    ``results_`` (a tidy :class:`pandas.DataFrame`, like mclust's BIC table)
    and keeps the best as ``best_estimator_``, to which the density methods
    delegate. The defaults are mclust's: its 14 structures (E and V for one
    feature) with 1 to 9 components, each started from one hierarchical
    clustering tree (``init_params='hc'``), no ridge, and EM to a relative
    change of 1e-5. Candidates that cannot be fitted (more components than
    rows, a singular covariance) or whose fit is degenerate (a
    :class:`~skmix.exceptions.DegenerateMixtureWarning`) get NaN criteria,
    their status and the reason.

    Parameters
    ----------
    n_components : sequence of int, default=(1, 2, ..., 9)
    covariance_types : sequence of str, default=None
        Any of :class:`GaussianMixture`'s ``covariance_type`` names. None:
        mclust's 14 ('EII', 'VII', 'EEI', 'VEI', 'EVI', 'VVI', 'EEE', 'VEE',
        'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV'), or 'E' and 'V' for one
        feature.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        Lower is better for all three (mclust reports BIC and ICL with the
        opposite sign). ICL is BIC plus ``-2 sum_i log max_k tau_ik``, which
        favours well-separated clusters.
    tol : float, default=1e-5
    convergence : {'absolute', 'relative'}, default='relative'
    reg_covar : float, default=0.0
    max_iter : int, default=1000
        Passed to every :class:`GaussianMixture`.
    init_params : str, default='hc'
        'hc': every candidate starts from the M-step of its number of
        components' cut of one hierarchical tree, computed once (on a random
        subset of 2000 rows for larger data), as mclust does. Otherwise any
        :class:`GaussianMixture` ``init_params``, with `n_init` starts.
    n_init : int, default=1
    prior : None, 'default' or dict, default=None
        mclust's conjugate prior for every candidate (see
        :class:`GaussianMixture`), as ``Mclust(X, prior = priorControl())``:
        each candidate's default prior is computed from X, its number of
        components and its structure; EVE, VEE, VVE and EVV, which have no
        prior, leave the default grid (and raise if listed). Criteria are
        computed from the log-likelihood at the MAP estimate, as mclust's.
    noise, hypervolume
        A uniform noise component in every candidate (see
        :class:`GaussianMixture`); the noise start is chosen once and the
        hierarchical start clusters the other rows, as
        ``Mclust(X, initialization = list(noise = ...))`` does.
    random_state : int, RandomState instance or None, default=None
        Draws the hierarchical subset, and is passed to every candidate.
    n_jobs : int, default=None
        Candidates fitted in parallel (joblib); None is one.
    verbose : int, default=0
        0 is silent; 1 prints a line per candidate (criterion and time) and,
        with tqdm installed, draws a progress bar on stderr.
    backend : {'auto', 'numpy', 'numba', 'cupy'} or None, default=None
        Compute backend of every candidate. ``'auto'`` decides once for the
        grid by its total size (rows x the components of all candidates), so
        a large grid of small fits runs on Numba.

    Attributes
    ----------
    results_ : pandas.DataFrame
        One row per candidate: covariance_type, n_components, log_likelihood
        (total), n_parameters, bic, aic, icl, converged, n_iter, status
        ('fitted', 'failed' or 'degenerate'), error (the reason), and
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
    Fraley, C. and Raftery, A. E. (2002). Model-based clustering, discriminant
    analysis, and density estimation. JASA, 97(458), 611-631.

    Scrucca, L., Fop, M., Murphy, T. B. and Raftery, A. E. (2016). mclust 5:
    clustering, classification and density estimation using Gaussian finite
    mixture models. The R Journal, 8(1), 289-317.

    Biernacki, C., Celeux, G. and Govaert, G. (2000). Assessing a mixture model
    for clustering with the integrated completed likelihood. IEEE TPAMI, 22(7).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skmix.mixture import GaussianMixtureSelector
    >>> X = load_iris().data
    >>> selector = GaussianMixtureSelector().fit(X)
    >>> selector.best_params_
    {'n_components': 2, 'covariance_type': 'VEV'}
    >>> round(selector.best_criterion_, 3)   # Mclust(iris): VEV,2 BIC -561.728
    561.728
    """

    def __init__(
        self,
        n_components=(1, 2, 3, 4, 5, 6, 7, 8, 9),
        covariance_types=None,
        criterion="bic",
        *,
        tol=1e-5,
        convergence="relative",
        reg_covar=0.0,
        max_iter=1000,
        init_params="hc",
        n_init=1,
        prior=None,
        noise=False,
        hypervolume=None,
        random_state=None,
        n_jobs=None,
        verbose=0,
        backend=None,
    ):
        self.n_components = n_components
        self.covariance_types = covariance_types
        self.criterion = criterion
        self.tol = tol
        self.convergence = convergence
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.init_params = init_params
        self.n_init = n_init
        self.prior = prior
        self.noise = noise
        self.hypervolume = hypervolume
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.backend = backend

    def _candidate(self, noise=None, backend=None):
        return GaussianMixture(
            noise=self.noise if noise is None else noise,
            hypervolume=self.hypervolume,
            tol=self.tol,
            convergence=self.convergence,
            reg_covar=self.reg_covar,
            max_iter=self.max_iter,
            n_init=self.n_init,
            prior=self.prior,
            init_params="kmeans" if self.init_params == "hc" else self.init_params,
            random_state=self.random_state,
            backend=self.backend if backend is None else backend,
        )

    def _hierarchical_start(self, X, grid, random_state, weight=None):
        """One tree for every candidate (on a subset of many rows); the tree
        ignores `weight`, the M-steps of its cuts use it."""
        subset = hierarchical_start_rows(X.shape[0], random_state)
        X_start = X if subset is None else X[subset]
        if weight is not None and subset is not None:
            weight = weight[subset]
        grid = [k for k in grid if k <= X_start.shape[0]]
        try:
            partitions = hierarchical_partitions(X_start, grid)
        except ValueError as error:  # e.g. constant data: every fit fails
            return _HierarchicalStart(error=f"The hierarchical start failed: {error}")
        return _HierarchicalStart.of(X_start, partitions, weight)

    def fit(self, X, y=None, sample_weight=None):
        """Fit every candidate and keep the best by `criterion`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights, passed to every candidate's
            :meth:`GaussianMixture.fit`: a row of weight 3 counts as three
            copies of it, a row of weight 0 as absent (it is dropped before
            anything else, noise and hierarchical starts included). The
            criteria use the weighted log-likelihood ``sum_i w_i log p(x_i)``
            and ``n = sum_i w_i``, as :meth:`GaussianMixture.bic` does, and
            ICL the weighted penalty ``-2 sum_i w_i log max_k tau_ik``.
            The hierarchical tree of ``init_params='hc'`` (and a noise start
            from outlying rows) ignores the weights, as in
            :class:`GaussianMixture`, though the M-step of each cut is
            weighted; integer weights therefore give the fit of the repeated
            rows when the starts agree (always with weight-aware
            ``init_params``, such as 'kmeans', on well-separated data).

        Returns
        -------
        self : GaussianMixtureSelector
        """
        import pandas as pd

        grid = check_n_components_grid(self.n_components)
        check_param_option(self.criterion, "criterion", CRITERIA)
        check_param_option(self.init_params, "init_params", INIT_PARAMS)
        check_param_int(self.verbose, "verbose", 0)
        X_checked = check_samples(X, ensure_min_samples=2)
        X_fit, weight, kept = X_checked, None, None
        if sample_weight is not None:
            weight = check_sample_weight(sample_weight, X_checked.shape[0])
            if not weight.all():  # a weight of 0 is the row's absence
                kept = np.flatnonzero(weight)
                X_fit, weight = X_checked[kept], weight[kept]
            if X_fit.shape[0] < 2:
                raise ValueError(
                    f"Found {X_fit.shape[0]} row(s) of non-zero sample_weight "
                    "while a minimum of 2 is required."
                )
        check_prior_spec(self.prior)
        covariance_types = _check_covariance_types(
            self.covariance_types, X_checked.shape[1], self.prior
        )
        # Reject bad shared parameters (e.g. tol < 0, a prior of the wrong
        # shape) before the grid swallows them as per-candidate failures.
        self._candidate()._check_parameters()
        X_host = np.asarray(X_fit, dtype=np.float64)
        if self.prior is not None:
            moments = _weighted_moments(X_host, weight)
            for covariance_type in covariance_types:
                resolve_prior(self.prior, get_covariance_model(covariance_type),
                              grid[0], moments)  # fmt: skip

        noise = self._noise_rows(X_host, X_checked.shape[0], kept)
        start = None
        if self.init_params == "hc":
            signal = X_host if noise is None else X_host[~noise]
            signal_weight = None
            if weight is not None:
                signal_weight = weight if noise is None else weight[~noise]
            start = self._hierarchical_start(
                signal, grid, check_random_state(self.random_state), signal_weight
            )
        tasks = [(t, k) for t in covariance_types for k in grid]
        outcomes = self._fit_all(X_fit, start, tasks, noise, weight)

        rows = [row for row, _, _ in outcomes]
        best_value, best = self._select(outcomes)
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
        self._training_labels = best.predict(X_fit)
        self._training_weights = weight
        record_input_features(self, X)
        return self

    def _select(self, outcomes):
        """The best fitted candidate by the criterion: (value, model).

        Degenerate candidates are passed over with a warning; if every
        candidate that ran is degenerate, the best of them is kept, with a
        warning saying so.
        """
        rows = [row for row, _, _ in outcomes]
        status = [row["status"] for row in rows]
        if "fitted" not in status and "degenerate" not in status:
            raise ValueError(
                f"No candidate mixture could be fitted; first error: {rows[0]['error']}"
            )
        usable = "fitted" if "fitted" in status else "degenerate"
        value, index = min(
            (criteria[self.criterion], i)
            for i, (row, _, criteria) in enumerate(outcomes)
            if row["status"] == usable
        )
        degenerate = [row for row in rows if row["status"] == "degenerate"]
        if usable == "degenerate":
            message = (
                "Every candidate is degenerate; the best of them by "
                f"{self.criterion} is kept: {degenerate[0]['error']}"
            )
        elif degenerate:
            message = (
                f"{len(degenerate)} degenerate candidate(s) were not selected, "
                f"e.g. {degenerate[0]['covariance_type']} with "
                f"{degenerate[0]['n_components']} components: "
                f"{degenerate[0]['error'].rstrip('.')}. See results_."
            )
        if degenerate:
            warnings.warn(message, DegenerateMixtureWarning, stacklevel=3)
        return value, outcomes[index][1]

    def _noise_rows(self, X, n_samples, kept=None):
        """The noise start shared by every candidate, a mask of the rows of
        `X` (None without noise). `kept`: which of the `n_samples` rows given
        `X` holds (None: all), to which a noise mask of those rows is cut."""
        if self.noise is False:
            return None
        noise = noise_of_kept_rows(self.noise, n_samples, kept)
        return noise_start_rows(noise, X, X.shape[0])

    def _fit_all(self, X, start, tasks, noise, weight=None):
        """Every candidate's outcome, in the order of `tasks` (in parallel
        with `n_jobs`), with a bar and a line per candidate when `verbose`."""
        # One backend for the grid, by its total size: under "auto" each
        # small candidate alone would run on NumPy, though the grid repays
        # compiling the Numba kernels. A grid too small for that leaves the
        # choice to each candidate (NumPy, BLAS on one thread).
        backend = resolve_backend(self.backend, X, sum(k for _, k in tasks))
        backend = None if backend.serial_blas else backend.name
        jobs = [
            delayed(_evaluate_timed)(
                self._candidate(noise, backend), X, start, *task, weight
            )
            for task in tasks
        ]
        bar = progress(
            run_tasks(jobs, self.n_jobs), total=len(jobs), verbose=self.verbose,
            label=type(self).__name__, unit="fit",
        )  # fmt: skip
        outcomes = []
        for index, (outcome, seconds) in enumerate(bar, 1):
            outcomes.append(outcome)
            bar.write(self._report(index, len(jobs), outcome[0], seconds))
        return outcomes

    def _report(self, index, total, row, seconds):
        value = row[self.criterion]
        outcome = (
            f"{self.criterion.upper()} {value:.3f}" if row["status"] == "fitted"
            else f"{row['status']}: {row['error']}"
        )  # fmt: skip
        return (
            f"[{index}/{total}] {row['covariance_type']}, {row['n_components']} "
            f"components: {outcome} ({seconds:.2f} s)"
        )

    def summary(self, n_best=3):
        """mclust-style report: the best model, its class sizes and
        log-likelihood, df, BIC and ICL, and the best `n_best` candidates.

        BIC and ICL are shown with skmix's sign (lower is better); mclust
        prints their negatives. After a fit with `sample_weight`, ``n`` and
        the class sizes are sums of the weights.

        Returns
        -------
        str
        """
        check_is_fitted(self)
        best = self.best_estimator_
        table = self.results_.set_index(["covariance_type", "n_components"])
        chosen = table.loc[(best.covariance_type, best.n_components)]
        labels = self._training_labels
        weight = getattr(self, "_training_weights", None)
        weight = np.ones(labels.size) if weight is None else weight
        classes = list(range(best.n_components)) + ([-1] if -1 in labels else [])
        sizes = [float(weight[labels == k].sum()) for k in classes]
        n_samples = float(weight.sum())
        ranked = self.results_.dropna(subset=[self.criterion]).nsmallest(
            n_best, self.criterion
        )
        lines = [
            "Gaussian finite mixture model fitted by EM",
            f"{best.covariance_type} model with {best.n_components} components:",
            "",
            f"{'log-likelihood':>16}{'n':>8}{'df':>6}{'BIC':>14}{'ICL':>14}",
            f"{chosen['log_likelihood']:>16.4f}{_format_count(n_samples, 8)}"
            f"{int(chosen['n_parameters']):>6d}{chosen['bic']:>14.4f}"
            f"{chosen['icl']:>14.4f}",
            "",
            "Clustering table:",
            "".join(f"{k:>7d}" if k >= 0 else "  noise" for k in classes),
            "".join(_format_count(n, 7) for n in sizes),
            "",
            f"Best {self.criterion.upper()} values:",
        ]
        if self.prior is not None:
            lines.insert(2, f"Prior: {_describe_prior(self.prior)}")
        names = [f"{r.covariance_type},{r.n_components}" for r in ranked.itertuples()]
        width = max(12, *(len(n) + 2 for n in names))
        values = ranked[self.criterion].to_numpy()
        lines.append(" " * 10 + "".join(f"{n:>{width}}" for n in names))
        for label, row in ((self.criterion.upper(), values),
                           ("diff", values - values[0])):  # fmt: skip
            lines.append(f"{label:<10}" + "".join(f"{v:>{width}.4f}" for v in row))
        return "\n".join(lines)

    # ------------------------------------------------------------ delegation
    def _best(self, X):
        check_is_fitted(self)
        return self.best_estimator_, check_fitted_input(self, X)

    @rowwise()
    def score_samples(self, X):
        """Log-likelihood of each sample under the best mixture."""
        best, X = self._best(X)
        return best.score_samples(X)

    def score(self, X, y=None, sample_weight=None):
        """Mean log-likelihood per sample under the best mixture (weighted
        mean with `sample_weight`, see :meth:`GaussianMixture.score`)."""
        best, X = self._best(X)
        return best.score(X, sample_weight=sample_weight)

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
        ax = axes_or_new(ax)
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
