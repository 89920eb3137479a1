"""Class enumeration: one table across numbers of classes, and the
latent-class diagnostics applied researchers report.

The table follows lcmm's ``summarytable`` and Mplus's output: for each
number of classes ``K``, the log-likelihood, free parameters, AIC, BIC,
SABIC, ICL, relative entropy, the smallest class's share of the MAP
classification, whether the best log-likelihood was replicated over random
starts (Mplus: "THE BEST LOGLIKELIHOOD VALUE HAS BEEN REPLICATED"), and the
p-values of ``K - 1`` against ``K`` classes: the Vuong-Lo-Mendell-Rubin and
adjusted LMR tests (Mplus TECH11, through
:func:`~skmix.model_selection.lo_mendell_rubin_test`) and the parametric
bootstrap LRT (Mplus TECH14, through
:func:`~skmix.model_selection.bootstrap_lrt`).
"""

import math
import warnings
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.parallel import delayed

from .._core import aic, bic, icl, relative_entropy, sabic
from .._core._progress import progress, run_tasks
from ..utils import axes_or_new, check_n_components_grid, check_samples
from ._bootstrap import _SEED_BOUND, _check_int, bootstrap_lrt, n_parameters_of
from ._lmr import COVARIANCES, UnsupportedModelError, lmr_from_terms, model_terms

#: Posterior probabilities whose shares ``class_diagnostics`` reports.
POSTERIOR_CUTS = (0.7, 0.8, 0.9)

_CRITERIA = ("aic", "bic", "sabic", "icl")


@dataclass(repr=False)
class ClassDiagnostics:
    """Latent-class diagnostics of a fitted mixture on some rows.

    Attributes
    ----------
    counts : pandas.Series
        Rows assigned to each class by the MAP rule.
    shares : pandas.Series
        The same as fractions of the rows.
    average_posterior : pandas.DataFrame
        Row ``j``, column ``k``: mean posterior probability of class ``k``
        over the rows assigned to class ``j`` (the diagonal is each class's
        average posterior probability; NaN for a class no row is assigned to).
    above : pandas.DataFrame
        Per class, the share of its assigned rows whose posterior probability
        of it is above 0.7, 0.8 and 0.9.
    entropy : float
        Relative entropy (Mplus), 1 for a crisp classification.
    """

    counts: object
    shares: object
    average_posterior: object
    above: object
    entropy: float

    def summary(self):
        """The diagnostics as text."""
        import pandas as pd

        table = pd.concat(
            [
                self.counts.rename("count"),
                self.shares.rename("share"),
                pd.Series(
                    np.diag(self.average_posterior),
                    self.counts.index,
                    name="avg posterior",
                ),  # fmt: skip
                self.above,
            ],
            axis=1,
        )
        return "\n".join([
            f"Relative entropy: {self.entropy:.4f}",
            "Classes (MAP assignment):",
            table.to_string(float_format=lambda v: f"{v:.3f}"),
            "Average posterior probabilities (rows: assigned class):",
            self.average_posterior.to_string(float_format=lambda v: f"{v:.3f}"),
        ])  # fmt: skip

    def __repr__(self):
        return self.summary()


def class_diagnostics(responsibilities, cuts=POSTERIOR_CUTS):
    """Latent-class diagnostics from posterior probabilities.

    Parameters
    ----------
    responsibilities : array-like of shape (n_samples, n_classes)
        Posterior class probabilities, e.g. ``model.predict_proba(X)``.
    cuts : sequence of float, default=(0.7, 0.8, 0.9)
        Posterior probabilities for the ``above`` table.

    Returns
    -------
    ClassDiagnostics

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.model_selection import class_diagnostics
    >>> tau = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.05, 0.95]])
    >>> diagnostics = class_diagnostics(tau)
    >>> diagnostics.counts.tolist()
    [2, 2]
    >>> diagnostics.average_posterior.round(3).values.tolist()
    [[0.85, 0.15], [0.175, 0.825]]
    """
    import pandas as pd

    tau = np.asarray(responsibilities, dtype=np.float64)
    if tau.ndim != 2 or tau.shape[0] == 0:
        raise ValueError(
            "responsibilities must be a non-empty (n_samples, n_classes) array; "
            f"got shape {tau.shape}."
        )
    if not np.isfinite(tau).all() or np.any(tau < 0):
        raise ValueError("responsibilities must be finite and non-negative.")
    if not np.allclose(tau.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError("Each row of responsibilities must sum to one.")
    n_samples, n_classes = tau.shape
    labels = tau.argmax(axis=1)
    classes = pd.Index(range(n_classes), name="class")
    counts = pd.Series(np.bincount(labels, minlength=n_classes), classes)
    average = np.full((n_classes, n_classes), np.nan)
    above = np.full((n_classes, len(cuts)), np.nan)
    for j in range(n_classes):
        rows = labels == j
        if rows.any():
            average[j] = tau[rows].mean(axis=0)
            above[j] = [(tau[rows, j] > cut).mean() for cut in cuts]
    return ClassDiagnostics(
        counts=counts,
        shares=counts / n_samples,
        average_posterior=pd.DataFrame(
            average, index=classes.rename("assigned"), columns=classes
        ),
        above=pd.DataFrame(
            above, index=classes, columns=[f"share > {cut:g}" for cut in cuts]
        ),
        entropy=relative_entropy(tau),
    )


@dataclass(repr=False)
class ClassComparison:
    """Result of :func:`compare_classes`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per number of classes (see :func:`compare_classes`).
    models : dict of int to estimator
        Number of classes -> the best of its starts.
    start_log_likelihoods : dict of int to ndarray
        Number of classes -> each start's log-likelihood (sorted, best first).
    bootstrap : BootstrapLRTResult or None
    lmr : dict of int to LoMendellRubinResult
        Number of classes ``K`` -> the test of ``K - 1`` against ``K``
        (empty with ``lmr=False``).
    """

    table: object
    models: dict = field(default_factory=dict)
    start_log_likelihoods: dict = field(default_factory=dict)
    bootstrap: object = None
    lmr: dict = field(default_factory=dict)

    def best(self, criterion="bic"):
        """The number of classes with the lowest `criterion`."""
        if criterion not in _CRITERIA:
            raise ValueError(
                f"criterion must be one of {', '.join(map(repr, _CRITERIA))}; "
                f"got {criterion!r}."
            )
        table = self.table.dropna(subset=[criterion])
        return int(table.loc[table[criterion].idxmin(), "n_components"])

    def summary(self):
        """The table as text, one row per number of classes."""
        shown = self.table.copy()
        shown["replicated"] = [
            "n/a" if value is None else ("yes" if value else "no")
            for value in shown["replicated"]
        ]
        return shown.to_string(index=False, float_format=lambda v: f"{v:.4f}")

    def __repr__(self):
        return self.summary()

    def plot(self, criteria=("aic", "bic", "sabic", "icl"), ax=None):
        """The information criteria against the number of classes.

        Parameters
        ----------
        criteria : sequence of str, default=('aic', 'bic', 'sabic', 'icl')
        ax : matplotlib.axes.Axes, default=None
            Created if None.

        Returns
        -------
        ax : matplotlib.axes.Axes
        """
        unknown = [c for c in criteria if c not in _CRITERIA]
        if unknown:
            raise ValueError(
                f"Unknown criteria {unknown}; choose among {', '.join(_CRITERIA)}."
            )
        ax = axes_or_new(ax)
        for criterion in criteria:
            ax.plot(self.table["n_components"], self.table[criterion], marker="o",
                    label=criterion.upper())  # fmt: skip
        ax.set_xticks(list(self.table["n_components"]))
        ax.set_xlabel("number of classes")
        ax.set_ylabel("criterion (lower is better)")
        ax.legend()
        return ax


class _Data:
    """The data of one family of estimators: ``X`` alone (Gaussian
    mixtures), or ``X, y`` and fit parameters such as ``time`` (the mixture
    of experts, scored per subject)."""

    def __init__(self, X, y, fit_params):
        self.X, self.y, self.fit_params = X, y, dict(fit_params or {})

    def fit(self, model):
        if self.y is None:
            return model.fit(self.X, **self.fit_params)
        return model.fit(self.X, self.y, **self.fit_params)

    def log_likelihood(self, model):
        if self.y is not None and hasattr(model, "score_subjects"):
            return float(
                np.sum(model.score_subjects(self.X, self.y, **self.fit_params))
            )
        return float(np.sum(model.score_samples(self.X)))

    def posteriors(self, model):
        if self.y is not None and hasattr(model, "predict_class_proba"):
            return model.predict_class_proba(self.X, self.y, **self.fit_params)
        return model.predict_proba(self.X)


def _fit_start(estimator, data, n_components, seed):
    """One fit from one start: (log-likelihood, model), or (-inf, the error)
    when the start failed (e.g. emptied a class)."""
    model = clone(estimator).set_params(n_components=n_components)
    params = model.get_params(deep=False)
    if "n_init" in params:
        model.set_params(n_init=1)
    if "random_state" in params:
        model.set_params(random_state=int(seed))
    try:
        data.fit(model)
    except ValueError as error:
        if n_components == 1:  # bad data, not a bad start
            raise
        return -math.inf, error
    return data.log_likelihood(model), model


def _fit_starts(estimator, data, grid, seeds, n_jobs, verbose):
    """``K`` -> the fits of ``K`` classes, one per seed, sorted best first;
    all starts of all ``K`` in parallel with `n_jobs`, a bar over them when
    `verbose`. Yields each ``K``'s fits as soon as they are done."""
    tasks = [
        delayed(_fit_start)(estimator, data, k, seed)
        for k, row in zip(grid, seeds, strict=True)
        for seed in row
    ]
    bar = progress(
        run_tasks(tasks, n_jobs), total=len(tasks), verbose=verbose,
        label="compare_classes", unit="fit",
    )  # fmt: skip
    fits, grid = [], iter(grid)
    for fit in bar:
        fits.append(fit)
        if len(fits) == seeds.shape[1]:
            k = next(grid)
            kept = [fit for fit in fits if not isinstance(fit[1], Exception)]
            if not kept:  # every start failed: the last one's error
                raise fits[-1][1]
            yield k, sorted(kept, key=lambda fit: -fit[0]), bar
            fits = []


def compare_classes(
    estimator,
    X,
    y=None,
    n_components=range(1, 6),
    *,
    fit_params=None,
    n_starts=10,
    replication_tol=0.01,
    lmr=True,
    lmr_covariance="model",
    blrt=True,
    n_bootstrap=99,
    random_state=None,
    n_jobs=None,
    verbose=0,
):
    """Fit 1..K classes and tabulate what class enumeration reports.

    For each number of classes, the estimator is fitted from `n_starts`
    random starts (one start each, seeded from `random_state`); the best
    is kept. The table has one row per number of classes, as lcmm's
    ``summarytable`` and Mplus's output:

    - ``log_likelihood``, ``n_parameters``, ``aic``, ``bic``, ``sabic``
      (Sclove's sample-size adjusted BIC), ``icl`` (BIC plus the MAP
      classification penalty), ``entropy`` (relative entropy, 1 = crisp);
    - ``smallest_class`` (the smallest MAP class's share) and
      ``smallest_count``;
    - ``replicated``: whether a second start reached the best log-likelihood
      within `replication_tol` (None, shown as "n/a", with one start);
      ``n_replicated``: the starts within `replication_tol` of the best, the
      best included;
    - ``converged`` (the best start's);
    - ``vlmr_p`` and ``lmr_p``: the Vuong-Lo-Mendell-Rubin and adjusted
      Lo-Mendell-Rubin p-values of ``K - 1`` against ``K`` classes (Mplus
      TECH11), from :func:`~skmix.model_selection.lo_mendell_rubin_test` on
      the best fits of ``K - 1`` and ``K`` (NaN for the first row and where
      ``K - 1`` is not in the grid);
    - ``blrt_p``: the parametric bootstrap LRT p-value of ``K - 1`` against
      ``K`` classes (Mplus TECH14; NaN for the first row and where ``K - 1``
      is not in the grid), from :func:`~skmix.model_selection.bootstrap_lrt`
      with the estimator (its own fits, ``n_init=n_starts``); for the
      mixture of experts the bootstrap draws the outcomes at the observed
      covariates (and `fit_params`).

    Parameters
    ----------
    estimator : estimator instance
        An unfitted mixture with ``n_components``: one fitted on ``X`` with
        ``score_samples`` and ``predict_proba`` (e.g.
        :class:`~skmix.mixture.GaussianMixture`), or, with `y`, one with
        ``score_subjects`` and ``predict_class_proba`` (the
        :class:`~skmix.experts.MixtureOfExpertsRegressor`: subjects are the
        units). Its other parameters are kept; ``n_init`` is set to 1 per
        start.
    X : array-like of shape (n_samples, n_features), or None for experts
        without covariates
    y : array-like, default=None
        Outcomes, for estimators fitted on ``(X, y)``.
    n_components : int or sequence of int, default=range(1, 6)
        Numbers of classes; each must be below the number of rows.
    n_starts : int, default=10
        Random starts per number of classes. A start whose fit fails (a
        ValueError, e.g. a class emptied) is left out, as Mplus leaves out
        starts that do not converge; the error is raised when every start
        of a number of classes fails.
    fit_params : dict, default=None
        Passed to every ``fit`` and to the scoring (e.g. ``{"time": time}``
        for trajectories with individually varying times).
    replication_tol : float, default=0.01
        Log-likelihood units within which a start replicates the best.
    lmr : bool, default=True
        Add the VLMR and adjusted LMR p-values. They need per-unit scores,
        implemented for the Gaussian mixtures of covariance types full,
        tied, diag, spherical, EII, EEI, E and V (no noise, prior, fixed
        parameters or missing values) and for the mixture of experts; for
        other estimators the columns are NaN, with a warning.
    lmr_covariance : {'model', 'robust'}, default='model'
        ``covariance`` of :func:`~skmix.model_selection.lo_mendell_rubin_test`:
        'model' is Lo, Mendell & Rubin's formula, 'robust' reproduces
        Mplus TECH11's numbers.
    blrt : bool, default=True
        Add the bootstrap LRT p-values (the costly column). With `y`, the
        outcomes are drawn from the fitted ``K - 1``-class model at the
        observed ``X`` and `fit_params` (``time``, ``offset``, ``trials``,
        ``groups``; one class per subject), as Mplus and flexmix condition
        on the covariates.
    n_bootstrap : int, default=99
        Bootstrap replicates per test (at least 19).
    random_state : int, RandomState instance or None, default=None
        Seeds the starts and the bootstrap.
    n_jobs : int, default=None
        Starts fitted in parallel (joblib), and the bootstrap replicates.
        Every seed is drawn up front, so the results do not depend on it.
    verbose : int, default=0
        1 prints one line per number of classes and, with tqdm installed,
        draws a progress bar of the fits on stderr; 2 also reports the
        bootstrap's (``verbose=1`` there).

    Returns
    -------
    ClassComparison
        ``table``, ``models``, ``start_log_likelihoods``, ``bootstrap``,
        ``best(criterion)``, ``summary()`` and ``plot()``.
    """
    import pandas as pd

    if fit_params and "sample_weight" in fit_params:
        raise ValueError(
            "compare_classes does not weigh rows yet: its criteria would be "
            "unweighted while the fits are weighted. Fit without sample_weight."
        )
    if y is None:
        missing = estimator.get_params(deep=False).get("missing") == "fiml"
        X = check_samples(X, ensure_min_samples=2, allow_nan=missing)
        n_samples = X.shape[0]
    else:
        n_samples = len(y)
    data = _Data(X, y, fit_params)
    grid = check_n_components_grid(n_components)
    if grid[-1] >= n_samples:
        raise ValueError(
            f"n_components goes up to {grid[-1]}, but there are only {n_samples} "
            "rows (subjects); each number of classes must be below the number "
            "of rows."
        )
    n_starts = _check_int(n_starts, "n_starts", 1)
    if not isinstance(replication_tol, Real) or not replication_tol >= 0:
        raise ValueError(
            f"replication_tol must be a non-negative number; got {replication_tol!r}."
        )
    if lmr_covariance not in COVARIANCES:
        raise ValueError(
            f"lmr_covariance must be one of {', '.join(map(repr, COVARIANCES))}; "
            f"got {lmr_covariance!r}."
        )
    if blrt:
        n_bootstrap = _check_int(n_bootstrap, "n_bootstrap", 19)
    rng = check_random_state(random_state)
    rows, models, starts = [], {}, {}
    # Every start's seed is drawn first, in the order of the classes, so
    # the results do not depend on n_jobs.
    seeds = np.stack([rng.randint(_SEED_BOUND, size=n_starts) for _ in grid])
    for k, fits, bar in _fit_starts(estimator, data, grid, seeds, n_jobs, verbose):
        log_likelihood, model = fits[0]
        values = np.array([value for value, _ in fits])
        n_replicated = int(np.sum(values >= log_likelihood - replication_tol))
        tau = np.asarray(data.posteriors(model))
        n_parameters = n_parameters_of(model)
        labels = np.bincount(tau.argmax(axis=1), minlength=tau.shape[1])
        rows.append(dict(
            n_components=k,
            log_likelihood=log_likelihood,
            n_parameters=n_parameters,
            aic=aic(log_likelihood, n_parameters),
            bic=bic(log_likelihood, n_parameters, n_samples),
            sabic=sabic(log_likelihood, n_parameters, n_samples),
            icl=icl(log_likelihood, n_parameters, n_samples, tau),
            entropy=relative_entropy(tau),
            smallest_class=float(labels.min() / n_samples),
            smallest_count=int(labels.min()),
            replicated=None if n_starts == 1 else n_replicated >= 2,
            n_replicated=n_replicated,
            converged=bool(getattr(model, "converged_", True)),
        ))  # fmt: skip
        models[k], starts[k] = model, values
        if verbose:
            bar.write(
                f"{k} classes: log-likelihood {log_likelihood:.4f}, BIC "
                f"{rows[-1]['bic']:.4f}, best replicated by {n_replicated} of "
                f"{n_starts} starts"
            )
    table = pd.DataFrame(rows)
    tests = _lmr_tests(models, data, lmr_covariance) if lmr else {}
    table["vlmr_p"] = [tests[k].p_value if k in tests else math.nan for k in grid]
    table["lmr_p"] = [
        tests[k].adjusted_p_value if k in tests else math.nan for k in grid
    ]
    bootstrap = None
    table["blrt_p"] = math.nan
    if blrt:
        tested = [k for k in grid if k + 1 in grid]
        if tested:
            base = clone(estimator)
            if "n_init" in base.get_params(deep=False):
                base.set_params(n_init=max(n_starts, 1))
            bootstrap = bootstrap_lrt(
                base, X, tested, n_bootstrap, y=y, fit_params=fit_params,
                random_state=rng.randint(_SEED_BOUND), n_jobs=n_jobs,
                verbose=max(verbose - 1, 0),
            )  # fmt: skip
            p_values = dict(zip(bootstrap.table["n_components_alternative"],
                                bootstrap.table["p_value"], strict=True))  # fmt: skip
            table["blrt_p"] = [p_values.get(k, math.nan) for k in grid]
    return ClassComparison(table, models, starts, bootstrap, tests)


def _lmr_tests(models, data, covariance):
    """``K`` -> the Lo-Mendell-Rubin test of ``K - 1`` against ``K`` classes,
    for each ``K`` whose ``K - 1`` was fitted; each model's scores and
    Hessian are computed once. Empty, with a warning, for an estimator the
    test does not support."""
    terms, tests = {}, {}

    def terms_of(k):
        if k not in terms:
            terms[k] = model_terms(models[k], data.X, data.y, data.fit_params)
        return terms[k]

    for k in models:
        if k - 1 not in models:
            continue
        try:
            tests[k] = lmr_from_terms(terms_of(k - 1), terms_of(k), covariance)
        except UnsupportedModelError as error:
            warnings.warn(
                f"No Lo-Mendell-Rubin p-values (vlmr_p, lmr_p are NaN): {error} "
                "Pass lmr=False to skip them.",
                UserWarning,
                stacklevel=3,
            )
            return {}
    return tests
