"""Mixture of experts for scalar outcomes and trajectories."""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._config import check_backend_name
from .._core import (
    aic,
    bic,
    kmeans_labels,
    relative_entropy,
    sabic,
)
from .._core._progress import progress_reporter
from ..exceptions import DegenerateMixtureWarning
from ..utils import (
    check_feature_names,
    check_fitted_input,
    check_param_float,
    check_param_int,
    check_param_option,
    check_real_array,
    check_target_given,
    record_input_features,
)
from ._bootstrap_intervals import bootstrap_bounds
from ._curves import Intercept, resolve_curve
from ._design import (
    TIME_ROUTING_HINT,
    gating_design,
    glm_rows,
    glm_training_design,
    has_full_column_rank,
    select_columns,
    training_design,
    validate_outcomes,
)
from ._em import run_em
from ._families import get_family
from ._formula import MixtureFormula
from ._glm import (
    CoefficientMap,
    GLMLayout,
    GLMParams,
    GLMScaling,
    fit_glm_experts,
)
from ._glm import e_step as glm_e_step
from ._glm import permute as glm_permute
from ._inference import (
    INTERVAL_METHODS,
    CovariateScaling,
    ParameterLayout,
    delta_method,
    expected_trajectories,
    observed_time_range,
    original_scale_layout,
    parameter_table,
    to_original_scale,
    trajectory_bands,
)
from ._likelihood import (
    PER_WAVE_RESIDUALS,
    RANDOM_EFFECT_STRUCTURES,
    RANDOM_EFFECTS,
    RESIDUAL_VARIANCES,
    ExpertParams,
    TrajectoryData,
    e_step,
    gating_log_proba,
    masked_loadings,
    posterior_factors,
)
from ._results import MixtureResults, replication_label
from ._starts import StartRunner, emem_finalists, runs_to_convergence, start_kinds

INIT_PARAMS = ("kmeans", "random", "emEM")
# Replicated: another converged start within this of the best log-likelihood.
REPLICATION_TOLERANCE = 1e-2


#: A class's residual variance below this fraction of the largest class's is
#: collapsed onto a few subjects (a spurious class, not a population).
COLLAPSED_VARIANCE_RATIO = 1e-3


def degenerate_class(params, resp, n_class_parameters):
    """Why a fitted class is degenerate ('' if none is): fewer effective
    subjects than its own parameters, or a residual variance collapsed
    below :data:`COLLAPSED_VARIANCE_RATIO` of the largest class's (a class's
    variance: the mean of its per-wave ones where they differ by wave)."""
    counts = resp.sum(axis=0)
    k = int(np.argmin(counts))
    if counts[k] < n_class_parameters:
        return (
            f"class {k} has {counts[k]:.3g} effective subjects, fewer than its "
            f"{n_class_parameters:.3g} parameters"
        )
    theta = np.asarray(params.theta, dtype=np.float64)
    theta = theta.reshape(len(counts), -1).mean(axis=1)
    j = int(np.argmin(theta))
    if theta.size > 1 and theta[j] < COLLAPSED_VARIANCE_RATIO * theta.max():
        return (
            f"class {j} ({counts[j] / counts.sum():.1%} of the subjects) has a "
            f"residual variance of {theta[j]:.3g}, below 1/1000 of the largest "
            f"class's ({theta.max():.3g})"
        )
    return ""


class MixtureOfExpertsRegressor(RegressorMixin, BaseEstimator):
    """Mixture of experts with a multinomial-logit gate, for scalar outcomes
    and for trajectories.

    Covariates enter twice: *gating* covariates predict latent class
    membership (multinomial logit, class 1 the reference) and *expert*
    covariates explain differences within a class (Liu & Perera, Psychological
    Methods 2023). With a 1-D ``y`` each class is a regression of ``y`` on the
    expert covariates (as in R's flexmix with a concomitant model): linear,
    or a generalised linear model of the chosen ``family`` (Poisson,
    binomial, negative binomial, gamma), with offsets, frequency weights and
    grouped subjects whose rows share a class (flexmix's ``y ~ x | id``).
    With a 2-D ``y`` of shape (n_subjects, n_waves) each class is a growth
    model: ``y_i = Lambda(t_i; phi_k) eta_i + eps_i``, growth factors
    ``eta_i = alpha_k + B_k x_i + zeta_i``, ``zeta_i ~ N(0, Psi_k)``,
    ``eps_i ~ N(0, theta_k I)`` (or residual variances constrained otherwise,
    see ``residual_variance``); missing waves (NaN) enter the
    full-information likelihood.

    Fitted by EM (growth factors and classes as missing data) from several
    starts; standard errors from the observed information and from the
    sandwich estimator. The fit sees each covariate divided by a power of two
    near its largest magnitude, so a covariate's units change only the units
    of its coefficients (and a rank check on unit-norm columns calls only
    truly collinear designs singular).

    Parameters
    ----------
    n_components : int, default=2
        Number of latent classes.
    family : str or ExpertFamily, default='gaussian'
        Distribution of a 1-D outcome within a class: 'gaussian' (identity
        link), 'poisson' (log), 'binomial' (logit; successes out of
        ``trials``), 'negative_binomial' (log; class-specific size
        ``theta``, ``Var = mu + mu^2 / theta``), 'gamma' (log;
        class-specific shape ``nu``, ``Var = mu^2 / nu``), or an
        :class:`~skmix.experts.ExpertFamily`. Trajectories (2-D ``y``) are
        Gaussian.
    curve : str or GrowthCurve, default='linear'
        Growth curve of 2-D outcomes: 'linear', 'quadratic', 'exponential',
        'jenss_bayley', 'bilinear_spline' (class-specific knot) or a
        :class:`~skmix.experts.GrowthCurve`. Ignored for 1-D ``y``.
    random_effects : {'full', 'diag', 'tied', 'none'}, default='full'
        Covariance of the random growth factors: class-specific full or
        diagonal, one full matrix shared by all classes, or none (latent
        class growth analysis). 1-D ``y`` always uses 'none'.
    residual_variance : {'class', 'shared', 'occasion', 'class_occasion'}, \
            default='class'
        Residual (measurement-error) variances of 2-D outcomes:

        - 'class': one per class, common to its waves (``theta_k I``);
        - 'shared': one for every class and wave (as OpenMx's growth-mixture
          demo constrains it);
        - 'occasion': one per wave, shared by the classes
          (``diag(theta_1, ..., theta_J)``);
        - 'class_occasion': one per class and wave.

        Shared variances are reported once, as class 'all'; per-wave ones
        are named ``residual_variance[t=...]`` after the common times (or
        ``[wave=j]`` when times vary by subject). A 1-D ``y`` has one wave,
        so 'occasion' is 'shared' and 'class_occasion' is 'class' there (the
        fitted ``residual_variance_`` says which).
    gating_features, expert_features : 'all', None or list, default='all'
        Columns of ``X`` used by the gate and by the experts: all, none, or a
        list of column indices, or of names when ``X`` is a DataFrame.
        Categorical DataFrame columns (``category``, ``object``, ``string``,
        ``bool``) are dummy-coded as R does (treatment coding, the first
        level the baseline; terms named column + level, e.g.
        ``TreatmentYes``), and selecting one selects all its dummies.
    shared_expert_features : None or list, default=None
        Expert columns (names or indices, and 'intercept') whose
        coefficient is one for all classes (flexmix's
        ``FLXMRglmfix(fixed = ~ x)``); reported once, as class 'all'. For
        1-D ``y``.
    class_expert_features : None or list of lists, default=None
        Per class, the expert columns it uses (names or indices); the
        others' coefficients are fixed at zero in that class (flexmix's
        ``nested`` models), every class keeps its intercept. The classes
        then keep this order (they are not relabelled by size), and
        :meth:`reorder_classes` only swaps classes of one pattern. For 1-D
        ``y``.
    init_params : {'emEM', 'kmeans', 'random'}, default='emEM'
        Starts. 'kmeans': k-means partitions of per-subject least-squares
        growth factors (and expert covariates). 'random': random partitions
        and random curve parameters. 'emEM': ``n_init`` random starts run
        for ``short_run_iter`` EM iterations; the best ``n_final`` continue
        to convergence (Biernacki, Celeux & Govaert 2003), and so does one
        k-means start run after them (random partitions alone can all fall
        into one poor basin). With GLM experts the partitions are of the
        subjects' link-scale outcomes and covariates, the short runs
        alternate k-means and random partitions, and the first k-means one
        always continues.
    n_init : int, default=10
        Number of starts.
    short_run_iter : int, default=20
        EM iterations of each emEM short run.
    n_final : int, default=3
        emEM short runs continued to convergence (so replication can be
        checked), besides the k-means start.
    tol : float, default=1e-10
        Convergence threshold on the change of the log-likelihood relative to
        its magnitude.
    max_iter : int, default=2000
        EM iterations per start.
    level : float, default=0.95
        Confidence level of the Wald intervals in tables and the summary.
        By default each interval is on its parameter's natural scale, so
        none has impossible bounds: variances, dispersions and shapes on the
        log scale (always positive), spline knots on the logit scale of the
        observed time range when the subjects share their times,
        coefficients and covariances symmetric; ``method='wald'`` of
        :meth:`parameter_table` and
        :meth:`MixtureResults.conf_int <skmix.experts.MixtureResults.conf_int>` gives
        the plain symmetric ``estimate +- z SE``.
    random_state : int, RandomState instance or None, default=None
    backend : {'auto', 'numpy'} or None, default=None
        Per-subject covariances are small: the maths always runs on NumPy's
        batched LAPACK. None and 'auto' mean NumPy; None ignores the global
        setting (:func:`skmix.set_config`, ``SKMIX_BACKEND``), so a global
        'numba' or 'cupy' chosen for the other estimators does not stop this
        one from fitting. An explicit 'numba' or 'cupy' raises a ValueError.
    n_jobs : int, default=None
        Starts run in parallel (joblib): the emEM short runs (or the
        starts), then the runs to convergence. Every start's seed is drawn
        before any runs, so the fit is the same for every `n_jobs`. None
        is one (unless in a :func:`joblib.parallel_config` context).
    verbose : int, default=0
        0 is silent; 1 prints a line per start (each emEM short run and
        each run to convergence: log-likelihood, iterations, elapsed time)
        and one when the standard errors are computed (on first use) and,
        with tqdm installed, draws a progress bar of each stage on stderr.

    Attributes
    ----------
    params_ : ExpertParams or GLMParams
        GLM experts (any ``family`` other than 'gaussian', or 1-D ``y``
        fitted with offset, trials, groups, sample_weight or
        shared_expert_features): :class:`~skmix.experts.GLMParams` with
        coef (K, 1 + p_e) (intercept first), dispersion (K,) (NaN for
        Poisson and binomial) and beta (K, 1 + p_g). Otherwise alpha (K, q),
        B (K, q, p_e), psi (K, q, q), theta (K,) (or
        (K, n_waves) for the per-wave ``residual_variance`` options, rows
        equal for 'occasion'), phi (K, m), beta (K, 1 + p_g) of the best
        start; classes ordered by decreasing
        share, class 1 (index 0) the gating reference.
    family_ : str
    subjects_ : ndarray or None
        The distinct ``groups`` ids (subject ``g`` of ``posterior_`` is
        ``subjects_[g]``); None when every row is a subject.
    curve_ : GrowthCurve
    random_effects_, residual_variance_ : str
        The structures fitted (1-D ``y``: 'none', and 'class' or 'shared').
    weights_ : ndarray of shape (n_components,)
        Mean posterior class probabilities.
    log_likelihood_, aic_, bic_, sabic_ : float
        Log-likelihood and information criteria (sample-size-adjusted BIC
        uses ``n* = (n + 2) / 24``). ``n`` counts subjects, except for GLM
        experts, where it counts (weighted) rows as flexmix's BIC does, also
        with grouped subjects.
    entropy_ : float
        Relative entropy of the classification, in [0, 1] (1 = crisp).
    n_parameters_ : int
    covariance_, robust_covariance_ : ndarray of shape (n_parameters, n_parameters)
        Inverse observed information and sandwich covariance.
    parameter_names_ : list of (class, block, term)
    start_log_likelihoods_ : ndarray
        Final log-likelihood of every start run to convergence.
    best_log_likelihood_replicated_ : bool
        Whether another converged start reached the best log-likelihood
        (within 0.01).
    converged_, n_iter_ : bool, int
    backend_ : str
        Always 'numpy'.
    covariate_means_ : ndarray of shape (n_covariates,)
        Training means of the covariates (the default profile of
        :meth:`class_trajectories`), after dummy coding.
    covariate_names_ : ndarray of str or None
        Names of the covariates after dummy coding (None for an array X).
    encoder_ : CovariateEncoder or None
        The dummy coding of X's categorical columns (None: none).
    growth_factors_ : ndarray of shape (n_subjects, q)
        Empirical-Bayes growth factors of the training subjects.
    posterior_ : ndarray of shape (n_subjects, n_components)
    n_features_in_, feature_names_in_

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.datasets import make_trajectory_mixture
    >>> from skmix.experts import MixtureOfExpertsRegressor
    >>> data = make_trajectory_mixture(n_subjects=300, random_state=0)
    >>> moe = MixtureOfExpertsRegressor(
    ...     2, curve="bilinear_spline", random_state=0
    ... ).fit(data.X, data.y, time=data.time)
    >>> np.sort(moe.params_.phi[:, 0]).round(1)  # the knots: 3.5 and 5.5
    array([3.6, 5.5])
    >>> table = moe.parameter_table(scale="original")
    >>> table.loc[table.term == "knot", ["class", "estimate", "std_error"]].round(2)
        class  estimate  std_error
    22      1      5.47       0.06
    45      2      3.57       0.04
    """

    def __init__(
        self,
        n_components=2,
        *,
        family="gaussian",
        curve="linear",
        random_effects="full",
        residual_variance="class",
        gating_features="all",
        expert_features="all",
        shared_expert_features=None,
        class_expert_features=None,
        init_params="emEM",
        n_init=10,
        short_run_iter=20,
        n_final=3,
        tol=1e-10,
        max_iter=2000,
        level=0.95,
        random_state=None,
        backend=None,
        n_jobs=None,
        verbose=0,
    ):
        self.n_components = n_components
        self.family = family
        self.curve = curve
        self.random_effects = random_effects
        self.residual_variance = residual_variance
        self.gating_features = gating_features
        self.expert_features = expert_features
        self.shared_expert_features = shared_expert_features
        self.class_expert_features = class_expert_features
        self.init_params = init_params
        self.n_init = n_init
        self.short_run_iter = short_run_iter
        self.n_final = n_final
        self.tol = tol
        self.max_iter = max_iter
        self.level = level
        self.random_state = random_state
        self.backend = backend
        self.n_jobs = n_jobs
        self.verbose = verbose

    # ------------------------------------------------------------------ input
    def _check_parameters(self):
        check_param_int(self.n_components, "n_components", 1)
        check_param_option(self.random_effects, "random_effects", RANDOM_EFFECTS)
        check_param_option(
            self.residual_variance, "residual_variance", RESIDUAL_VARIANCES
        )
        check_param_option(self.init_params, "init_params", INIT_PARAMS)
        check_param_int(self.n_init, "n_init", 1)
        check_param_int(self.short_run_iter, "short_run_iter", 1)
        check_param_int(self.n_final, "n_final", 1)
        check_param_float(self.tol, "tol", 0.0)
        check_param_int(self.max_iter, "max_iter", 1)
        check_param_float(self.level, "level", 0.0, 1.0, "neither")
        check_param_int(self.verbose, "verbose", 0)
        # None never reads skmix.get_config(): the global backend is a default
        # for estimators that have several, and a valid global 'numba' or
        # 'cupy' must not break this NumPy-only one.
        if self.backend is not None:
            check_backend_name(self.backend)
            if self.backend not in ("auto", "numpy"):
                raise ValueError(
                    "MixtureOfExpertsRegressor runs on NumPy (its per-subject "
                    f"covariances are small); backend={self.backend!r} is not "
                    "supported. Use backend='numpy', 'auto' or None."
                )
        resolve_curve(self.curve)
        get_family(self.family)

    def _prediction_data(self, X, y, time):
        """The design of new subjects, with the fitted columns and times."""
        if X is None:
            X = np.empty((len(y), 0))
        else:
            X = self._covariates(X)
        Y, mask, T, scalar = validate_outcomes(y, time, len(X), self.time_)
        if scalar != self.scalar_outcome_:
            raise ValueError(
                "y must have the dimensions it had in fit "
                f"({'1-D' if self.scalar_outcome_ else '2-D'})."
            )
        return TrajectoryData(
            Y, mask, T, X[:, self.expert_columns_],
            gating_design(X, self.gating_columns_),
        )  # fmt: skip

    # -------------------------------------------------------------------- fit
    @classmethod
    def from_formula(cls, formula, data, *, gating=None, offset=None,
                     sample_weight=None, **params):  # fmt: skip
        """Fit from R-style formulas over a DataFrame, as flexmix reads.

        ``MixtureOfExpertsRegressor.from_formula("Seizures ~ Treatment *
        log(Day / 27)", seizure, offset="log(Hours)", family="poisson")`` is
        flexmix's ``flexmix(Seizures ~ Treatment * log(Day/27), data =
        seizure, k = 2, model = FLXMRglm(family = "poisson", offset =
        log(seizure$Hours)))``. The design comes from formulaic (needs
        ``pip install 'skmix[formula]'``): R's treatment coding with the
        first level as baseline, terms named as R does (``TreatmentYes``,
        ``TreatmentYes:log(Day / 27)``), interactions and transforms.

        Parameters
        ----------
        formula : str
            ``"y ~ terms"``; ``"y ~ terms | id"`` makes rows with one ``id``
            share a class (flexmix's grouping); a binomial response may be
            ``"cbind(successes, failures) ~ terms"``.
        data : DataFrame
        gating : str, optional
            ``"~ terms"`` of the gate; default: class shares only.
        offset : str, optional
            An expression over ``data``'s columns, e.g. ``"log(Hours)"``.
        sample_weight : array-like of shape (n_rows,), optional
        **params
            Constructor parameters (``n_components``, ``family``, ...).

        Returns
        -------
        model : MixtureOfExpertsRegressor
            Fitted; ``model.formula_.design(new_data, response=False)`` codes
            new data the same way (its ``X`` and ``fit_params`` feed
            :meth:`predict`).
        """
        for name in ("expert_features", "gating_features"):
            if name in params:
                raise ValueError(f"{name} comes from the formulas in from_formula.")
        specification = MixtureFormula(formula, gating, offset)
        design = specification.design(data)
        model = cls(
            expert_features=design.expert_features,
            gating_features=design.gating_features,
            **params,
        )
        model.fit(design.X, design.y, sample_weight=sample_weight, **design.fit_params)
        model.formula_ = specification
        return model

    def fit(self, X, y, time=None, *, offset=None, trials=None, groups=None,
            sample_weight=None):  # fmt: skip
        """Fit the mixture by EM from several starts.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features) or None
            Covariates. None when no column is selected.
        y : array-like of shape (n_rows,) or (n_subjects, n_waves)
            Scalar outcomes (counts for 'poisson' and 'negative_binomial',
            successes for 'binomial'), or Gaussian trajectories with NaN for
            missing waves.
        time : array-like of shape (n_waves,) or (n_subjects, n_waves)
            Measurement times of trajectories (common or individually
            varying); default ``0, 1, ..., n_waves - 1``.
        offset : array-like of shape (n_rows,), optional
            Added to every class's linear predictor with coefficient 1 (for
            counts per exposure, ``log(exposure)``).
        trials : array-like of shape (n_rows,), optional
            Binomial trials (default 1: ``y`` in {0, 1}); R's
            ``cbind(successes, failures)`` is ``y=successes``,
            ``trials=successes + failures``.
        groups : array-like of shape (n_rows,), optional
            Subject ids: the rows of one subject share a latent class
            (flexmix's ``y ~ x | id``), so they must share their gating
            covariates and weight.
        sample_weight : array-like of shape (n_rows,), optional
            Frequency weights: a row (a subject, with ``groups``) of weight
            ``w`` counts as ``w`` identical ones in the likelihood, the
            standard errors and the criteria; rows of weight 0 are dropped.

        ``offset``, ``trials``, ``groups``, ``sample_weight``,
        ``shared_expert_features`` and a family other than 'gaussian' take
        one outcome per row (1-D ``y``).

        Returns
        -------
        self : MixtureOfExpertsRegressor
        """
        self._check_parameters()
        check_target_given(self, y)
        if X is not None:
            check_feature_names(X)
        family = get_family(self.family)
        rows = {"offset": offset, "trials": trials, "groups": groups,
                "sample_weight": sample_weight}  # fmt: skip
        if (
            family.name != "gaussian"
            or self.shared_expert_features is not None
            or self.class_expert_features is not None
            or any(value is not None for value in rows.values())
        ):
            if time is not None:
                raise ValueError(
                    "time is for trajectories (2-D y); family, offset, trials, "
                    "groups, sample_weight and shared_expert_features take one "
                    "outcome per row (1-D y)."
                )
            return self._fit_glm(family, X, y, rows)
        design = training_design(X, y, time, self.gating_features, self.expert_features)
        # The fit runs on covariates divided by powers of two (design.data);
        # the estimates are stored on X's scale.
        data, scalar = design.data, design.scalar
        scaling = CovariateScaling(
            design.column_scales[design.expert_columns],
            design.column_scales[design.gating_columns],
        )
        curve = Intercept() if scalar else resolve_curve(self.curve)
        random_effects = "none" if scalar else self.random_effects
        structure = RANDOM_EFFECT_STRUCTURES[random_effects]
        residual_variance = _effective_residual_variance(
            self.residual_variance, data.Y.shape[1]
        )
        self._check_design(data, curve)
        rng = check_random_state(self.random_state)
        bounds = curve.nonlinear_bounds(data.T[data.mask])

        runs = self._run_starts(data, curve, structure, bounds, rng,
                                residual_variance)  # fmt: skip
        if not runs:
            raise ValueError(
                "Every start collapsed a class (too few subjects per class for "
                f"n_components={self.n_components}); reduce n_components or the "
                "number of covariates."
            )
        best = max(runs, key=lambda run: run[1])
        params, log_likelihood, n_iter, converged = best
        if not converged:
            warnings.warn(
                "EM did not converge; increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        params = _order_classes(curve, params, data)
        converged_lls = np.array([run[1] for run in runs])
        terms, resp, log_norm = e_step(curve, data, params)
        layout = _parameter_layout(
            curve, self.n_components, random_effects, design, residual_variance
        )
        growth_factors = _growth_factors(structure, terms, resp, params)

        reason = degenerate_class(
            params, resp, (len(layout) - (self.n_components - 1) * data.Z.shape[1])
            / self.n_components,
        )  # fmt: skip
        if reason:
            warnings.warn(
                f"The fitted mixture has a degenerate class: {reason}. Its "
                "likelihood gain (and BIC) are not to be trusted; try fewer "
                "classes or more starts.",
                DegenerateMixtureWarning,
                stacklevel=2,
            )

        # Everything that can fail has run: store the fitted state.
        self.family_ = "gaussian"
        self.subjects_ = None
        self.encoder_ = design.encoder
        self.covariate_names_ = design.feature_names
        self.scalar_outcome_ = scalar
        self.curve_ = curve
        self.random_effects_ = random_effects
        self.residual_variance_ = residual_variance
        self.time_ = None if scalar else _common_time(data.T, data.mask)
        self.covariate_means_ = design.covariate_means
        self.gating_columns_ = design.gating_columns
        self.expert_columns_ = design.expert_columns
        self.n_subjects_ = len(data.Y)
        self.backend_ = "numpy"
        self.start_log_likelihoods_ = np.sort(converged_lls)[::-1]
        self.best_log_likelihood_replicated_ = bool(
            np.sum(converged_lls >= log_likelihood - REPLICATION_TOLERANCE) >= 2
        )
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.params_ = scaling.to_original(params)
        self.posterior_ = resp
        self.weights_ = resp.mean(axis=0)
        self.entropy_ = relative_entropy(resp)
        self.growth_factors_ = growth_factors
        return self._store_fit(X, layout, data, scaling, float(log_norm.sum()),
                               len(data.Y))  # fmt: skip

    def _store_fit(self, X, layout, data, scaling, log_likelihood, n_samples):
        """The fitted attributes every route shares: criteria, the layout,
        the lazy standard errors and X's features."""
        k, ll = len(layout), log_likelihood
        self.log_likelihood_ = ll
        self.n_parameters_ = k
        self.aic_ = aic(ll, k)
        self.bic_ = bic(ll, k, n_samples)
        self.sabic_ = sabic(ll, k, n_samples)
        self.parameter_names_ = layout.names
        self._layout_ = layout
        # Standard errors are computed on first use (about a sixth of a fit).
        self._inference = _LazyInference(
            layout, data, scaling, verbose=self.verbose, label=type(self).__name__
        )
        if X is not None:
            record_input_features(self, X)
        else:
            for name in ("n_features_in_", "feature_names_in_"):
                self.__dict__.pop(name, None)
        return self

    def _fit_glm(self, family, X, y, rows):
        """Fit GLM experts (1-D y, optionally grouped, weighted or offset)."""
        design = glm_training_design(
            X, y, family=family, gating_features=self.gating_features,
            expert_features=self.expert_features, **rows,
        )  # fmt: skip
        data = design.data
        K = self.n_components
        expert_names = _column_labels(design.feature_names, design.expert_columns)
        gating_names = _column_labels(design.feature_names, design.gating_columns)
        coefficient_map = CoefficientMap(
            K, data.X.shape[1], self._shared_columns(design),
            self._zero_coefficients(design),
        )  # fmt: skip
        self._check_glm_design(data, coefficient_map)
        fit = fit_glm_experts(
            family, data, coefficient_map, K, check_random_state(self.random_state),
            init_params=self.init_params, n_init=self.n_init,
            short_run_iter=self.short_run_iter, n_final=self.n_final,
            max_iter=self.max_iter, tol=self.tol,
            runner=self._start_runner(),
        )  # fmt: skip
        if not fit.converged:
            warnings.warn(
                "EM did not converge; increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        layout = GLMLayout(family, K, coefficient_map, expert_names, gating_names)
        counts = data.subject_weights @ fit.resp
        per_class = (len(layout) - (K - 1) * data.Z.shape[1]) / K
        if counts.min() < per_class:
            warnings.warn(
                f"The fitted mixture has a degenerate class: class "
                f"{int(np.argmin(counts))} has {counts.min():.3g} effective "
                f"subjects, fewer than its {per_class:.3g} parameters. Its "
                "likelihood gain (and BIC) are not to be trusted; try fewer "
                "classes or more starts.",
                DegenerateMixtureWarning,
                stacklevel=3,
            )
        scaling = GLMScaling(
            design.column_scales[design.expert_columns],
            design.column_scales[design.gating_columns],
        )

        self.family_ = family.name
        self.subjects_ = design.subjects
        self.encoder_ = design.encoder
        self.covariate_names_ = design.feature_names
        self.scalar_outcome_ = True
        self.curve_ = Intercept()
        self.random_effects_ = "none"
        self.residual_variance_ = "class"
        self.time_ = None
        self.covariate_means_ = design.covariate_means
        self.gating_columns_ = design.gating_columns
        self.expert_columns_ = design.expert_columns
        self.n_subjects_ = len(data.Z)
        self.backend_ = "numpy"
        self.start_log_likelihoods_ = fit.start_log_likelihoods
        self.best_log_likelihood_replicated_ = bool(
            np.sum(fit.start_log_likelihoods
                   >= fit.log_likelihood - REPLICATION_TOLERANCE) >= 2
        )  # fmt: skip
        self.n_iter_ = fit.n_iter
        self.converged_ = fit.converged
        self.params_ = scaling.to_original(fit.params)
        self.posterior_ = fit.resp
        self.weights_ = counts / counts.sum()
        self.entropy_ = relative_entropy(fit.resp, data.subject_weights)
        self.growth_factors_ = None
        # flexmix's criteria count rows (weighted), also with grouped subjects.
        n_rows = float(data.subject_weights[data.subject].sum())
        return self._store_fit(X, layout, data, scaling, fit.log_likelihood, n_rows)

    def _expert_terms(self, selection, name, design):
        """Which of the experts' columns (intercept first) a selection of
        X's columns (or 'intercept') picks."""
        picked = np.zeros(len(design.expert_columns) + 1, dtype=bool)
        selection = list(selection)
        if "intercept" in selection:
            picked[0] = True
            selection.remove("intercept")
        encoder = design.encoder
        if encoder is None:
            columns = select_columns(
                selection, name, len(design.column_scales), design.feature_names
            )
        else:  # select X's columns, then take their dummies
            original = np.asarray(encoder.columns, dtype=object)
            columns = encoder.expand(
                select_columns(selection, name, len(original), original)
            )
        for column in columns:
            where = np.flatnonzero(design.expert_columns == column)
            if not len(where):
                raise ValueError(
                    f"{name}: column {column} is not an expert column (see "
                    "expert_features)."
                )
            picked[1 + where[0]] = True
        return picked

    def _shared_columns(self, design):
        """Which expert columns share one coefficient across the classes."""
        if self.shared_expert_features is None:
            return np.zeros(len(design.expert_columns) + 1, dtype=bool)
        return self._expert_terms(
            self.shared_expert_features, "shared_expert_features", design
        )

    def _zero_coefficients(self, design):
        """(n_components, 1 + p_e) mask of coefficients fixed at zero: the
        expert columns a class of ``class_expert_features`` does not list
        (its intercept always stays)."""
        if self.class_expert_features is None:
            return None
        per_class = list(self.class_expert_features)
        if len(per_class) != self.n_components:
            raise ValueError(
                "class_expert_features needs one selection per class: "
                f"{len(per_class)} given for n_components={self.n_components}."
            )
        used = np.stack([
            self._expert_terms(columns, "class_expert_features", design)
            for columns in per_class
        ])  # fmt: skip
        used[:, 0] = True
        return ~used

    def _check_glm_design(self, data, coefficient_map):
        """Clear errors for too few subjects and singular covariates."""
        n_subjects = len(data.Z)
        per_class = max(data.X.shape[1], data.Z.shape[1]) + 1
        if n_subjects < self.n_components * per_class:
            raise ValueError(
                f"Too few subjects: {n_subjects} for n_components="
                f"{self.n_components} with {data.X.shape[1] - 1} expert and "
                f"{data.Z.shape[1] - 1} gating covariates (need at least "
                f"{per_class} per class)."
            )
        for name, matrix in (("expert", data.X), ("gating", data.Z)):
            if not has_full_column_rank(matrix):
                raise ValueError(
                    f"The {name} covariates (with an intercept) are singular: a "
                    "column is constant or a linear combination of others."
                )

    def _glm_data(self, X, y, offset, trials, groups):
        """Rows of new subjects for GLM experts, on X's scale."""
        check_is_fitted(self)
        if X is None:  # no covariates: the other arrays give the row count
            sizes = [len(np.asarray(a)) for a in (y, offset, trials, groups)
                     if a is not None]  # fmt: skip
            if not sizes:
                raise ValueError(
                    "X is None and no y, offset, trials or groups gives the "
                    "number of rows; pass one of them."
                )
            X = np.empty((sizes[0], 0))
        else:
            X = self._covariates(X)
        if y is None:  # a placeholder every family accepts
            y = np.ones(len(X))
        return glm_rows(
            X, y, family=get_family(self.family_),
            expert_columns=self.expert_columns_, gating_columns=self.gating_columns_,
            offset=offset, trials=trials, groups=groups,
        )[0]  # fmt: skip

    def _check_design(self, data, curve):
        """Clear errors for too few subjects and singular covariates."""
        n = len(data.Y)
        design = np.column_stack([np.ones(n), data.X_expert])
        per_class = max(design.shape[1], data.Z.shape[1]) + 1
        if n < self.n_components * per_class:
            raise ValueError(
                f"Too few subjects: {n} for n_components={self.n_components} "
                f"with {design.shape[1] - 1} expert and {data.Z.shape[1] - 1} "
                f"gating covariates (need at least {per_class} per class)."
            )
        for name, matrix in (("expert", design), ("gating", data.Z)):
            if not has_full_column_rank(matrix):
                raise ValueError(
                    f"The {name} covariates (with an intercept) are singular: a "
                    "column is constant or a linear combination of others."
                )
        if curve.n_factors > data.mask.shape[1]:
            raise ValueError(
                f"The {type(curve).__name__} curve has {curve.n_factors} growth "
                f"factors but y has only {data.mask.shape[1]} wave(s)."
            )

    def _run_starts(self, data, curve, random_effects, bounds, rng,
                    residual_variance="class"):  # fmt: skip
        """(params, log-likelihood, n_iter, converged) of each final run."""
        emEM = self.init_params == "emEM"
        kinds = start_kinds(self.init_params, self.n_init, alternate=False)
        # The random starts' seeds come first, as without the k-means one.
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(kinds))
        runner = self._start_runner()
        shared = (curve, data, random_effects, bounds, self.tol, residual_variance)
        results = runner.map(
            _curve_start,
            [(self, *shared, kind, seed, self.short_run_iter if emEM else 0)
             for kind, seed in zip(kinds, seeds, strict=True)],
            "short runs" if emEM else "starts",
        )  # fmt: skip
        starts, kept_kinds = [], []
        for index, (kind, start) in enumerate(zip(kinds, results, strict=True)):
            if start is None:
                continue
            if emEM:
                ll, params = start
                runner.report(
                    f"short run {index + 1}/{len(kinds)} ({kind}): "
                    + (f"log-likelihood {ll:.4f}" if params is not None else "failed")
                )
                if params is None:
                    continue
            starts.append(start)
            kept_kinds.append(kind)
        if emEM:
            starts = emem_finalists(starts, kept_kinds, self.n_final)
        return runs_to_convergence(
            starts, _curve_run,
            (curve, data, random_effects, bounds, self.max_iter, self.tol,
             residual_variance),
            runner,
        )  # fmt: skip

    def _start_runner(self):
        return StartRunner(self.verbose, self.n_jobs, type(self).__name__)

    def _initial_resp(self, data, curve, rng, kind):
        """Responsibilities of a start's partition, `kind` 'kmeans' or
        'random'."""
        n, K = len(data.Y), self.n_components
        if kind == "kmeans":
            features = np.column_stack(
                [_least_squares_factors(curve, data), data.X_expert]
            )
            scale = features.std(axis=0)
            features = (features - features.mean(axis=0)) / np.where(
                scale > 0, scale, 1.0
            )
            labels = kmeans_labels(features, K, rng)
        else:
            labels = rng.permutation(np.arange(n) % K)
        return np.eye(K)[labels]

    def _initial_phi(self, curve, data, bounds, rng, kind):
        """Curve parameters per class: defaults for k-means, else random."""
        default = curve.initial_nonlinear(data.T[data.mask])
        phi = np.tile(default, (self.n_components, 1))
        if kind != "kmeans":
            for j, (low, high) in enumerate(bounds):
                inner = 0.2 * (high - low)
                phi[:, j] = rng.uniform(low + inner, high - inner, self.n_components)
        return phi

    @property
    def covariance_(self):
        """Inverse observed information of the free parameters.

        Computed on first use and cached (central differences of the
        analytic scores), so fits that never report standard errors, as in
        cross-validation, do not pay for them.
        """
        check_is_fitted(self)
        return self._inference.covariances(self.params_)[0]

    @property
    def robust_covariance_(self):
        """Sandwich covariance of the free parameters (computed on first use)."""
        check_is_fitted(self)
        return self._inference.covariances(self.params_)[1]

    # -------------------------------------------------------------- predict
    def _data_for(self, X, y, time):
        check_is_fitted(self)
        if y is None:
            if X is None:
                raise ValueError("Pass X (or y) to know the number of subjects.")
            n = _num_rows(X)
            if self.scalar_outcome_:
                y = np.zeros(n)
            else:
                if time is None and self.time_ is None:
                    raise ValueError(
                        "time is required: the model was fitted on individually "
                        f"varying times. {TIME_ROUTING_HINT}"
                    )
                n_waves = np.shape(time)[-1] if time is not None else len(self.time_)
                y = np.zeros((n, n_waves))
        return self._prediction_data(X, y, time)

    def predict_class_proba(self, X, y=None, time=None, *, offset=None,
                            trials=None, groups=None):  # fmt: skip
        """Class probabilities: the gate's prior from ``X``, or the posterior
        given the outcomes ``y``.

        (Named so because scikit-learn's contract reserves ``predict_proba``
        for classifiers.)

        Parameters
        ----------
        X : array-like of shape (n_subjects, n_features) or None
        y : array-like of shape (n_subjects,) or (n_subjects, n_waves), optional
        time : array-like, optional
        offset, trials, groups : array-like of shape (n_rows,), optional
            As in :meth:`fit` (GLM experts); with ``groups`` every row gets
            its subject's posterior.

        Returns
        -------
        proba : ndarray of shape (n_subjects, n_components)
        """
        if y is not None and self._glm_experts():
            data = self._glm_data(X, y, offset, trials, groups)
            return glm_e_step(get_family(self.family_), data, self.params_)[1][
                data.subject
            ]
        if y is None:
            check_is_fitted(self)
            if X is None:
                raise ValueError("Pass X (or y) to know the number of subjects.")
            X = self._covariates(X)
            Z = gating_design(X, self.gating_columns_)
            return np.exp(gating_log_proba(Z, self.params_.beta))
        data = self._data_for(X, y, time)
        return e_step(self.curve_, data, self.params_)[1]

    def predict(self, X, time=None, *, offset=None, trials=None):
        """Expected outcome (or trajectory) given the covariates.

        ``sum_k pi_k(x) Lambda(t; phi_k) (alpha_k + B_k x)``; for GLM
        experts ``sum_k pi_k(x) mu_k(x)`` on the response scale (counts,
        successes out of ``trials``).

        Parameters
        ----------
        X : array-like of shape (n_subjects, n_features) or None
        time : array-like of shape (n_waves,) or (n_subjects, n_waves), optional
            Default: the common training times.
        offset, trials : array-like of shape (n_rows,), optional
            As in :meth:`fit` (GLM experts).

        Returns
        -------
        y : ndarray of shape (n_subjects,) or (n_subjects, n_waves)
        """
        if self._glm_experts():
            family = get_family(self.family_)
            data = self._glm_data(X, None, offset, trials, None)
            prior = np.exp(gating_log_proba(data.Z, self.params_.beta))
            eta = data.X @ self.params_.coef.T + data.offset[:, None]
            return np.einsum(
                "nk,nk->n", prior,
                np.column_stack([family.mean(e, data.trials) for e in eta.T]),
            )  # fmt: skip
        data = self._data_for(X, None, time)
        prior = np.exp(gating_log_proba(data.Z, self.params_.beta))
        expected = 0.0
        everywhere = data._replace(mask=np.ones_like(data.mask))
        for k in range(self.n_components):
            loadings = masked_loadings(self.curve_, everywhere, self.params_.phi[k])
            means = self.params_.alpha[k] + data.X_expert @ self.params_.B[k].T
            expected = expected + prior[:, k : k + 1] * np.einsum(
                "njq,nq->nj", loadings, means
            )
        return expected[:, 0] if self.scalar_outcome_ else expected

    def sample(self, X, time=None, *, offset=None, trials=None, groups=None,
               n_samples=None, random_state=None):  # fmt: skip
        """Draw outcomes from the fitted mixture at given covariates.

        Each subject's class from the gate, then its outcome from that class:
        for GLM experts from the family (counts, successes out of
        ``trials``, ...) on the response scale; for growth models a
        trajectory ``Lambda(t; phi_k) eta + eps`` with random growth factors
        ``eta ~ N(alpha_k + B_k x, Psi_k)``.

        Parameters
        ----------
        X : array-like of shape (n_subjects, n_features) or None
        time : array-like of shape (n_waves,) or (n_subjects, n_waves), optional
            Trajectories only; default the common training times.
        offset, trials : array-like of shape (n_rows,), optional
            GLM experts, as in :meth:`fit`.
        groups : array-like of shape (n_rows,), optional
            GLM experts: subject ids, as in :meth:`fit`. One class is drawn
            per subject (from its gating covariates, which its rows must
            share), and every row of the subject is drawn from it.
        n_samples : int, optional
            The number of rows (subjects of a growth model) when ``X`` is
            None (a model without covariates); by default that of ``time``
            (2-D), ``offset``, ``trials`` or ``groups``.
        random_state : int, RandomState instance or None, default=None

        Returns
        -------
        y : ndarray of shape (n_rows,) or (n_subjects, n_waves)
        labels : ndarray of int of shape (n_rows,) or (n_subjects,)
            The drawn classes (with ``groups``, each row gets its subject's).
        """
        rng = check_random_state(random_state)
        placeholder = None
        if X is None:  # no covariates: the outcomes' shape gives the rows
            placeholder = np.ones(_sample_size(n_samples, time, offset, trials, groups))
        if self._glm_experts():
            data = self._glm_data(X, placeholder, offset, trials, groups)
            return self._draw(data, self.params_, rng)
        if groups is not None:
            raise ValueError(
                "groups is for GLM experts (1-D y fitted with groups); this "
                "model's subjects are its rows."
            )
        if placeholder is not None and not self.scalar_outcome_:
            n_waves = np.shape(time)[-1] if time is not None else len(self.time_)
            placeholder = np.ones((len(placeholder), n_waves))
        data = self._data_for(X, placeholder, time)
        return self._draw(data, self.params_, rng)

    def _draw(self, data, params, rng):
        """Outcomes and classes drawn from `params` at the design `data`:
        :meth:`sample`'s draws (new covariates on X's scale, ``params_``),
        also drawn by the parametric bootstrap at the training design (on
        the fitting scale, with the parameters on that scale)."""
        if isinstance(params, GLMParams):
            family = get_family(self.family_)
            # One class per subject (data.Z has a row per subject), shared
            # by its rows.
            labels = _draw_classes(rng, np.exp(gating_log_proba(data.Z, params.beta)))[
                data.subject
            ]
            eta = np.einsum("nj,nj->n", data.X, params.coef[labels]) + data.offset
            y = np.empty(len(labels))
            for k in np.unique(labels):
                rows = labels == k
                y[rows] = family.sample(
                    rng, eta[rows], params.dispersion[k], data.trials[rows]
                )
            return y, labels
        labels = _draw_classes(rng, np.exp(gating_log_proba(data.Z, params.beta)))
        everywhere = data._replace(mask=np.ones_like(data.mask))
        n, n_waves = data.Y.shape
        y = np.empty((n, n_waves))
        for k in np.unique(labels):
            rows = np.flatnonzero(labels == k)
            means = params.alpha[k] + data.X_expert[rows] @ params.B[k].T
            # Psi may be singular (no random effects): a symmetric root.
            values, vectors = np.linalg.eigh(params.psi[k])
            root = vectors * np.sqrt(np.maximum(values, 0.0))
            factors = means + rng.standard_normal(means.shape) @ root.T
            loadings = masked_loadings(
                self.curve_, everywhere._replace(T=data.T[rows],
                                                 mask=everywhere.mask[rows]),
                params.phi[k],
            )  # fmt: skip
            noise = rng.standard_normal((len(rows), n_waves)) * np.sqrt(params.theta[k])
            y[rows] = np.einsum("njq,nq->nj", loadings, factors) + noise
        return (y[:, 0] if self.scalar_outcome_ else y), labels

    def class_trajectories(self, time=None, x=None, *, level=None, robust=False):
        """Expected trajectory of each class at one covariate profile.

        Parameters
        ----------
        time : array-like of shape (n_points,), optional
            Default: the common training times.
        x : array-like of shape (n_features,), optional
            Covariate profile; default the training means.
        level : float in (0, 1), default=None
            Also return pointwise Wald confidence bands at this level, by
            the delta method through every parameter a trajectory depends
            on (the growth factors' means and covariate effects, and the
            knots).
        robust : bool, default=False
            Bands from the sandwich covariance instead of the observed
            information.

        Returns
        -------
        trajectories : ndarray of shape (n_components, n_points)
        lower, upper : ndarray of shape (n_components, n_points)
            The bands, only with `level`.
        """
        check_is_fitted(self)
        self._refuse_glm("class_trajectories")
        time = self.time_ if time is None else check_real_array(time, "time")
        if time is None:
            raise ValueError("time is required: the training times varied.")
        x = self.covariate_means_ if x is None else check_real_array(x, "x")
        experts = x[self.expert_columns_]
        if level is None:
            return expected_trajectories(self.curve_, self.params_, time, experts)
        check_param_float(level, "level", 0.0, 1.0, "neither")
        covariance = self.robust_covariance_ if robust else self.covariance_
        layout = self._layout_
        return trajectory_bands(
            self.curve_, layout, layout.pack(self.params_), covariance, time,
            experts, level,
        )  # fmt: skip

    def predict_growth_factors(self, X, y, time=None):
        """Empirical-Bayes growth factors ``E[eta_i | y_i, x_i]``.

        Returns
        -------
        factors : ndarray of shape (n_subjects, n_factors)
            On the fitted scale (see ``curve_.factor_names``).
        """
        self._refuse_glm("predict_growth_factors")
        data = self._data_for(X, y, time)
        terms, resp, _ = e_step(self.curve_, data, self.params_)
        structure = RANDOM_EFFECT_STRUCTURES[self.random_effects_]
        return _growth_factors(structure, terms, resp, self.params_)

    def score_subjects(self, X, y, time=None, *, offset=None, trials=None,
                       groups=None):  # fmt: skip
        """Log-likelihood of each subject's outcomes under the fitted
        mixture, ``log sum_k pi_k(x_i) f_k(y_i | x_i)`` (missing waves
        integrated out).

        Parameters
        ----------
        X : array-like of shape (n_subjects, n_features) or None
        y : array-like of shape (n_subjects,) or (n_subjects, n_waves)
        time : array-like, optional
        offset, trials, groups : array-like of shape (n_rows,), optional
            As in :meth:`fit` (GLM experts).

        Returns
        -------
        log_likelihood : ndarray of shape (n_subjects,)
            One per subject: with ``groups``, in the order of the sorted
            distinct ids.
        """
        if self._glm_experts():
            data = self._glm_data(X, y, offset, trials, groups)
            return glm_e_step(get_family(self.family_), data, self.params_)[2]
        data = self._data_for(X, y, time)
        return e_step(self.curve_, data, self.params_)[2]

    def score(self, X, y, time=None, *, offset=None, trials=None):
        """R^2 of :meth:`predict` over the observed outcomes.

        scikit-learn's regressor score, kept for its contract; it barely
        moves when a spurious class is added, so to choose the number of
        classes by cross-validation use
        ``skmix.metrics.log_likelihood_scorer`` (held-out log-likelihood
        per subject, :meth:`score_subjects`)."""
        if self._glm_experts():
            observed = self._glm_data(X, y, offset, trials, None).y
            predicted = self.predict(X, offset=offset, trials=trials)
            total = ((observed - observed.mean()) ** 2).sum()
            residual = ((observed - predicted) ** 2).sum()
            return float(1 - residual / total) if total > 0 else 0.0
        data = self._data_for(X, y, time)
        predicted = self.predict(X, time=time)
        predicted = predicted[:, None] if self.scalar_outcome_ else predicted
        observed = data.Y[data.mask]
        residual = ((observed - predicted[data.mask]) ** 2).sum()
        total = ((observed - observed.mean()) ** 2).sum()
        return float(1 - residual / total) if total > 0 else 0.0

    # ------------------------------------------------------------- inference
    def parameter_table(self, *, robust=False, scale="fitted", level=None,
                        method="transformed", n_bootstrap=200,
                        random_state=None, n_jobs=None):  # fmt: skip
        """Tidy table of estimates with standard errors and intervals.

        Parameters
        ----------
        robust : bool, default=False
            Sandwich standard errors instead of the observed information;
            the recommended choice for intervals (measured coverage in the
            mixture-of-experts guide).
        scale : {'fitted', 'original'}, default='fitted'
            'original' reports growth factors on the curve's original scale
            (for 'bilinear_spline': intercept, slope1, slope2), with
            delta-method standard errors.
        level : float, optional
            Confidence level; default ``self.level``.
        method : {'transformed', 'wald'}, default='transformed'
            'transformed': each Wald interval on its parameter's natural
            scale, so none has impossible bounds: variances, dispersions
            and shapes (blocks 'residual' and 'dispersion', ``var(...)``
            terms) on the log scale, ``exp(log est +- z SE / est)``; spline
            knots on the logit scale of the observed time range (symmetric
            when times vary by subject, as that range is not stored);
            coefficients and covariances symmetric. 'wald': every interval
            ``est +- z SE``. The SEs, z and p are the same for both.
            'bootstrap': parametric-bootstrap percentile intervals, from
            the refits of :meth:`MixtureResults.bootstrap_estimates`, each
            mapped to `scale` (percentiles follow any reparametrisation, so
            the original-scale growth factors get theirs directly; see
            :meth:`MixtureResults.conf_int` for the draws and their cost).
            The SEs, z and p stay the Wald ones.
        n_bootstrap, random_state, n_jobs
            The bootstrap's draws, their seeds and parallel refits (with
            ``method='bootstrap'`` only).

        Returns
        -------
        table : pandas.DataFrame
            Columns class, block, term, estimate, std_error, z, p_value,
            ci_lower, ci_upper.
        """
        check_is_fitted(self)
        check_param_option(scale, "scale", ("fitted", "original"))
        check_param_option(method, "method", (*INTERVAL_METHODS, "bootstrap"))
        level = self.level if level is None else level
        check_param_float(level, "level", 0.0, 1.0, "neither")
        covariance = self.robust_covariance_ if robust else self.covariance_
        layout = self._layout_
        vector = layout.pack(self.params_)
        knots = observed_time_range(self.time_)
        wald = "transformed" if method == "bootstrap" else method
        if scale == "fitted" or self.curve_.original_names is None:
            names, estimates, cov, to_scale = layout.names, vector, covariance, None
        else:
            original = original_scale_layout(layout)

            def to_scale(v):
                return to_original_scale(layout, original, v)

            names = original.names
            estimates, cov = delta_method(to_scale, vector, covariance)
        table = parameter_table(names, estimates, cov, level, wald, knots)
        if method == "bootstrap":
            draws = self.results(robust=robust).bootstrap_estimates(
                n_bootstrap, random_state, n_jobs
            )
            draws = draws.to_numpy()
            if to_scale is not None:
                draws = np.array([to_scale(draw) for draw in draws])
            table["ci_lower"], table["ci_upper"] = bootstrap_bounds(
                estimates, draws, level, "percentile"
            )
        return table

    def results(self, *, robust=False):
        """The fit as a statsmodels-style results object: ``params``,
        ``bse``, ``pvalues``, ``conf_int(alpha, method)``, ``cov_params()``,
        ``wald_test(...)`` and ``summary()``.

        Parameters
        ----------
        robust : bool, default=False
            Sandwich standard errors instead of the observed information;
            the recommended choice for intervals (measured coverage in the
            mixture-of-experts guide).

        Returns
        -------
        MixtureResults
        """
        check_is_fitted(self)
        return MixtureResults(self, robust=robust)

    def odds_ratios(self, *, robust=False, level=None):
        """The gate's odds ratios: ``exp`` of its coefficients, with Wald
        intervals mapped through ``exp`` (so they stay positive).

        Class ``k``'s row for covariate ``w`` is the multiplicative change
        in the odds of class ``k`` against the reference class (the first)
        per unit of ``w``; the intercept's is the baseline odds at zero
        covariates.

        Parameters
        ----------
        robust : bool, default=False
            Sandwich standard errors.
        level : float, optional
            Confidence level; default ``self.level``.

        Returns
        -------
        table : pandas.DataFrame
            Columns class, term, odds_ratio, ci_lower, ci_upper, p_value.
        """
        table = self.parameter_table(robust=robust, level=level)
        gate = table[table["block"] == "gating"]
        return gate.assign(
            odds_ratio=np.exp(gate["estimate"]),
            ci_lower=np.exp(gate["ci_lower"]),
            ci_upper=np.exp(gate["ci_upper"]),
        )[
            ["class", "term", "odds_ratio", "ci_lower", "ci_upper", "p_value"]
        ].reset_index(drop=True)

    def summary(self, *, robust=False, scale="fitted"):
        """A statsmodels summary: fit statistics and the parameter table."""
        from statsmodels.iolib.summary2 import Summary

        table = self.parameter_table(robust=robust, scale=scale)
        summary = Summary()
        summary.add_title("Mixture of experts: " + (
            f"{self.family_} regression" if self.scalar_outcome_
            else type(self.curve_).__name__
        ))  # fmt: skip
        info = {
            "Subjects:": str(self.n_subjects_),
            "Classes:": str(self.n_components),
            "Random effects:": self.random_effects_,
            "Residual variance:": self.residual_variance_,
            "Log-likelihood:": f"{self.log_likelihood_:.3f}",
            "-2LL:": f"{-2 * self.log_likelihood_:.3f}",
            "Parameters:": str(self.n_parameters_),
            "AIC:": f"{self.aic_:.3f}",
            "BIC:": f"{self.bic_:.3f}",
            "Sample-size adj. BIC:": f"{self.sabic_:.3f}",
            "Entropy:": f"{self.entropy_:.3f}",
            "Class shares:": " ".join(f"{w:.3f}" for w in self.weights_),
            "Best LL replicated:": replication_label(self),
            "Standard errors:": "robust (sandwich)"
            if robust
            else "observed information",
        }
        summary.add_dict(info, ncols=2)
        shown = table.iloc[:, 3:].set_axis(
            [f"[{c}] {b}: {t}" for c, b, t in table.iloc[:, :3].to_numpy()]
        )
        low, high = (1 - self.level) / 2, (1 + self.level) / 2
        shown.columns = [
            "Coef.",
            "Std.Err.",
            "z",
            "P>|z|",
            f"[{low:.3f}",
            f"{high:.3f}]",
        ]
        summary.add_df(shown, float_format="%.4f")
        return summary

    def reorder_classes(self, order):
        """Relabel the classes: new class ``j`` is old class ``order[j]``.

        The gate is re-referenced to the new class 1; the covariance matrices
        follow by the (linear) change of parameters. Use it to align classes
        across fits (label switching).

        Parameters
        ----------
        order : array-like of shape (n_components,)
            A permutation of ``range(n_components)``.

        Returns
        -------
        self : MixtureOfExpertsRegressor
        """
        check_is_fitted(self)
        order = np.asarray(order)
        if sorted(order.tolist()) != list(range(self.n_components)):
            raise ValueError(
                f"order must be a permutation of range({self.n_components}); "
                f"got {order.tolist()}."
            )
        layout = self._layout_
        zero = getattr(getattr(layout, "coefficient_map", None), "zero", None)
        if zero is not None and not np.array_equal(zero[order], zero):
            raise ValueError(
                "These classes fix different coefficients at zero "
                "(class_expert_features): they cannot be relabelled so."
            )

        permute = glm_permute if self._glm_experts() else _permute

        def permuted(vector):
            return layout.pack(permute(layout.unpack(vector), order))

        vector = layout.pack(self.params_)
        self._inference = self._inference.permuted(
            lambda covariance: delta_method(permuted, vector, covariance)[1]
        )
        self.params_ = (
            glm_permute(self.params_, order)
            if self._glm_experts()
            else _permute(self.params_, order)
        )
        self.posterior_ = self.posterior_[:, order]
        self.weights_ = self.weights_[order]
        return self

    def _covariates(self, X):
        """New covariates as the float matrix the fit saw (categorical
        columns dummy-coded with the training levels)."""
        if self.encoder_ is None:
            return np.asarray(check_fitted_input(self, X), dtype=np.float64)
        validate_data(self, X, reset=False, skip_check_array=True)
        return self.encoder_.transform(X)

    def _glm_experts(self):
        check_is_fitted(self)
        return isinstance(self.params_, GLMParams)

    def _refuse_glm(self, method):
        if self._glm_experts():
            raise ValueError(
                f"{method} is for growth models (2-D y); this model has "
                f"{self.family_} experts of one outcome per row."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # 2-D y are trajectories (one curve over waves and a time axis), not
        # scikit-learn's independent outputs.
        tags.target_tags.multi_output = False
        return tags


def _curve_start(estimator, curve, data, random_effects, bounds, tol,
                 residual_variance, kind, seed, short_run_iter):  # fmt: skip
    """One start of a growth-curve fit from the partition `kind` drawn with
    `seed`: (short-run log-likelihood, params), params None when the short
    run failed, the log-likelihood NaN without one (``short_run_iter=0``);
    None when the partition gives no parameters."""
    start_rng = np.random.RandomState(seed)
    resp = estimator._initial_resp(data, curve, start_rng, kind)
    phi = estimator._initial_phi(curve, data, bounds, start_rng, kind)
    params = _params_from_resp(
        curve, data, resp, phi, random_effects, residual_variance
    )
    if params is None:
        return None
    if not short_run_iter:
        return np.nan, params
    params, ll, _, _ = run_em(curve, data, params, random_effects, bounds,
                              short_run_iter, tol, residual_variance)  # fmt: skip
    return ll, params


def _curve_run(curve, data, random_effects, bounds, max_iter, tol,
               residual_variance, params):  # fmt: skip
    """:func:`run_em` with the start last (:func:`runs_to_convergence`)."""
    return run_em(curve, data, params, random_effects, bounds, max_iter, tol,
                  residual_variance)  # fmt: skip


class _LazyInference:
    """The covariances of the estimates, computed once, on first use.

    ``data`` hold the covariates on the fitting scale; the covariances are
    computed there (where finite-difference steps suit every coefficient)
    and returned on X's scale, as the parameters are. ``verbose``: the
    estimator's, for a bar over the finite differences and a line at the
    end.
    """

    def __init__(self, layout, data, scaling, covariances=None, verbose=0,
                 label=None):  # fmt: skip
        self.layout = layout
        self.data = data
        self.scaling = scaling
        self._covariances = covariances
        self.verbose = verbose
        self.label = label

    def covariances(self, params):
        if self._covariances is None:
            # Models pickled before verbose was kept here are silent.
            verbose = getattr(self, "verbose", 0)
            report = progress_reporter(verbose, getattr(self, "label", None))
            fitted = self.scaling.to_fitting(params)
            self._covariances = tuple(
                self.scaling.covariance_to_original(self.layout, covariance)
                for covariance in self.layout.covariances(
                    self.data, fitted, verbose=verbose
                )
            )
            report(f"standard errors of {len(self.layout)} parameters")
        return self._covariances

    def permuted(self, transform):
        """The same inference after a relabelling of the classes: computed
        covariances are transformed; pending ones are computed later at the
        relabelled parameters."""
        covariances = self._covariances
        if covariances is not None:
            covariances = tuple(transform(c) for c in covariances)
        return _LazyInference(
            self.layout, self.data, self.scaling, covariances,
            getattr(self, "verbose", 0), getattr(self, "label", None),
        )  # fmt: skip


def _parameter_layout(curve, n_components, random_effects, design,
                      residual_variance="class"):  # fmt: skip
    """The free parameters' layout, named after X's columns (and the waves
    after their common times, else their indices)."""

    def named(columns):
        return _column_labels(design.feature_names, columns)

    data = design.data
    times = _common_time(data.T, data.mask)
    waves = (
        [f"wave={j}" for j in range(data.Y.shape[1])] if times is None
        else [f"t={t:g}" for t in times]
    )  # fmt: skip
    return ParameterLayout(
        curve, n_components, data.X_expert.shape[1], data.Z.shape[1],
        random_effects, named(design.expert_columns), named(design.gating_columns),
        residual_variance, waves,
    )  # fmt: skip


def _effective_residual_variance(residual_variance, n_waves):
    """The residual-variance option in force: with one wave a per-wave
    variance is the class's ('class_occasion') or everyone's ('occasion')."""
    if n_waves == 1:
        return {"occasion": "shared", "class_occasion": "class"}.get(
            residual_variance, residual_variance
        )
    return residual_variance


def _sample_size(n_samples, time, offset, trials, groups):
    """The rows to draw for a model without covariates."""
    if n_samples is not None:
        check_param_int(n_samples, "n_samples", 1)
        return int(n_samples)
    for value in (offset, trials, groups):
        if value is not None:
            return len(value)
    if time is not None and np.ndim(time) == 2:
        return np.shape(time)[0]
    raise ValueError(
        "X is None: pass n_samples (or a 2-D time, offset, trials or groups) "
        "to say how many rows to draw."
    )


def _draw_classes(rng, proba):
    """One class per row from its probabilities (inverse CDF)."""
    cumulative = np.cumsum(proba, axis=1)
    draws = rng.uniform(size=(len(proba), 1)) * cumulative[:, -1:]
    return np.minimum((draws > cumulative).sum(axis=1), proba.shape[1] - 1)


def _column_labels(feature_names, columns):
    """Term names of X's columns: their DataFrame names, else ``x<j>``."""
    if feature_names is None:
        return [f"x{c}" for c in columns]
    return [str(feature_names[c]) for c in columns]


def _growth_factors(structure, terms, resp, params):
    """Posterior-weighted empirical-Bayes growth factors of each subject."""
    if structure.fixed_at_zero:
        means = np.stack([t.factor_means for t in terms], axis=1)
    else:
        means = np.stack(
            [posterior_factors(t, params.psi[k])[0] for k, t in enumerate(terms)],
            axis=1,
        )
    return np.einsum("nk,nkq->nq", resp, means)


# ---------------------------------------------------------------- EM helpers
def _num_rows(X):
    return np.shape(X)[0] if hasattr(X, "shape") else len(np.asarray(X))


def _least_squares_factors(curve, data):
    """Per-subject least-squares growth factors at the default curve params."""
    phi = curve.initial_nonlinear(data.T[data.mask])
    loadings = masked_loadings(curve, data, phi)
    gram = loadings.transpose(0, 2, 1) @ loadings
    ridge = 1e-8 * np.trace(gram, axis1=1, axis2=2)[:, None, None] + 1e-12
    gram = gram + ridge * np.eye(curve.n_factors)
    moments = np.einsum("njq,nj->nq", loadings, data.Y)
    return np.linalg.solve(gram, moments[..., None])[..., 0]


def _params_from_resp(curve, data, resp, phi, random_effects,
                      residual_variance="class"):  # fmt: skip
    """First parameters from a partition: per-class moments of per-subject
    least-squares growth factors, then one M-step."""
    K = resp.shape[1]
    q, p = curve.n_factors, data.X_expert.shape[1]
    shares = np.maximum(resp.mean(axis=0), 1e-3)
    log_share = np.log(shares)
    beta = np.zeros((K, data.Z.shape[1]))
    beta[:, 0] = log_share - log_share[0]
    factors = _least_squares_factors(curve, data)
    design = np.column_stack([np.ones(len(data.Y)), data.X_expert])
    alpha, B = np.empty((K, q)), np.empty((K, q, p))
    psi = np.empty((K, q, q))
    for k in range(K):
        w = resp[:, k]
        try:
            root = np.sqrt(w)[:, None]
            coef = np.linalg.lstsq(design * root, factors * root, rcond=None)[0]
        except np.linalg.LinAlgError:
            return None
        alpha[k], B[k] = coef[0], coef[1:].T
        centred = factors - design @ coef
        psi[k] = (centred * w[:, None]).T @ centred / w.sum()
    residual = (data.Y - np.einsum("njq,nq->nj", masked_loadings(curve, data, phi[0]),
                                   factors)) * data.mask  # fmt: skip
    theta = np.full(
        (K, data.Y.shape[1]) if residual_variance in PER_WAVE_RESIDUALS else K,
        max((residual**2).sum() / data.mask.sum(), 1e-6 * data.Y.var()),
    )
    # Least-squares factors carry measurement error: shrink towards a
    # well-conditioned diagonal, then impose the structure.
    psi = 0.5 * psi + 0.5 * np.einsum("kqq->kq", psi)[:, :, None] * np.eye(q)
    psi = random_effects.constrain(psi + 1e-6 * np.eye(q), shares)
    return ExpertParams(alpha, B, psi, theta, phi, beta)


def _order_classes(curve, params, data):
    """Canonical order (decreasing share) with the gate re-referenced."""
    _, resp, _ = e_step(curve, data, params)
    order = np.argsort(-resp.sum(axis=0), kind="stable")
    return _permute(params, order)


def _permute(params, order):
    beta = params.beta[order] - params.beta[order[0]]
    return ExpertParams(
        params.alpha[order], params.B[order], params.psi[order],
        params.theta[order], params.phi[order], beta,
    )  # fmt: skip


def _common_time(T, mask):
    """The times shared by every subject, or None if they vary."""
    first = T[np.argmax(mask.all(axis=1))] if mask.all(axis=1).any() else None
    if first is None or not np.all((T == first) | ~mask):
        return None
    return first.copy()
