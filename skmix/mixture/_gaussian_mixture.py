"""Gaussian mixture fitted by EM over additive sufficient statistics."""

import warnings
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend import is_cupy_array, resolve_backend
from .._core import (
    FIXABLE_PARAMETERS,
    ComponentScorer,
    DataMoments,
    EMDriver,
    FixedParameters,
    GaussianComponents,
    UniformNoise,
    aic,
    bic,
    components_from_responsibilities,
    covariance_model_names,
    degeneracy,
    get_covariance_model,
    hierarchical_partitions,
    hierarchical_start_rows,
    is_dask_array,
    kmeans_labels,
    kmeans_plusplus_indices,
    m_step,
    masked_posteriors,
    resolve_prior,
    rowwise,
    training_rows,
)
from .._core._missing import MissingPatterns, MissingScorer
from .._core._noise import (
    hypervolume_region,
    is_noise_mask,
    noise_of_kept_rows,
    noise_start_rows,
)
from .._core._prior import check_prior_spec, prior_family
from .._core._rows import INIT_SAMPLE_SIZE
from ..exceptions import DegenerateMixtureWarning
from ..utils import (
    check_fitted_input,
    check_param_array,
    check_param_float,
    check_param_int,
    check_param_option,
    check_sample_weight,
    record_input_features,
)

#: Effective points at or below which a component is empty (mclust's
#: threshold in its MAP EM, ``sqrt(.Machine$double.eps)``).
_EMPTY_COMPONENT = float(np.sqrt(np.finfo(np.float64).eps))

CONVERGENCE_RULES = ("absolute", "relative")
RIDGE_SCALES = ("absolute", "variance")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data", "hc")
MISSING_RULES = ("error", "fiml")
#: Which initial value holds each fixable parameter group.
_INITIAL_VALUE = {
    "weights": "weights_init",
    "means": "means_init",
    "covariances": "precisions_init",
}


def _check_weights(weights, n_components):
    weights = check_param_array(weights, "weights_init", (n_components,))
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        raise ValueError(
            "The parameter 'weights_init' should be in the range [0, 1], but got "
            f"max value {weights.max():.5f}, min value {weights.min():.5f}."
        )
    if not np.isclose(weights.sum(), 1.0, rtol=0.0, atol=1e-8):
        raise ValueError(
            "The parameter 'weights_init' should be normalized, but got "
            f"sum(weights_init) = {weights.sum():.5f}."
        )
    return weights


def _data_moments(rows, backend):
    """Row count, mean and covariance of the training rows (for mclust's
    default prior), from one E-step of a single component whose
    responsibilities are all one: the same pass on every row source."""
    centre, variance = _feature_moments(rows, backend)
    spread = np.sqrt(np.where(variance > 0, variance, 1.0))
    scorer = ComponentScorer(np.zeros(1), centre[None], np.diag(1.0 / spread)[None])
    with backend.compute_context():
        statistics = rows.e_step_statistics(backend, scorer, centre[None])
    return DataMoments.from_statistics(statistics)


def _feature_moments(rows, backend):
    """Each feature's (weighted) mean and variance over the training rows'
    values present, on the host."""
    mean, variance = rows.weighted_moments()
    if is_dask_array(mean):
        import dask

        mean, variance = dask.compute(mean, variance)
    return tuple(np.asarray(backend.to_numpy(a), dtype=np.float64)
                 for a in (mean, variance))  # fmt: skip


def _initial_responsibilities(X, n_components, init_params, random_state,
                              sample_weight=None):  # fmt: skip
    """Responsibilities to start EM from, drawing exactly as scikit-learn does
    (k-means and k-means++ weigh rows by `sample_weight`)."""
    n_samples = X.shape[0]
    if init_params == "random":
        resp = random_state.uniform(size=(n_samples, n_components))
        return resp / resp.sum(axis=1)[:, None]
    resp = np.zeros((n_samples, n_components))
    if init_params == "hc":
        labels = hierarchical_partitions(X, [n_components])[n_components]
        resp[np.arange(n_samples), labels] = 1
    elif init_params == "kmeans":
        labels = kmeans_labels(X, n_components, random_state, sample_weight)
        resp[np.arange(n_samples), labels] = 1
    elif init_params == "random_from_data":
        indices = random_state.choice(n_samples, size=n_components, replace=False)
        resp[indices, np.arange(n_components)] = 1
    else:  # k-means++
        indices = kmeans_plusplus_indices(X, n_components, random_state, sample_weight)
        resp[indices, np.arange(n_components)] = 1
    return resp


def _conditional_scales(conditional):
    """Square roots ``L`` (``L L^T = C``) of the conditional covariances
    (K, m, m), or standard deviations from variances (K, m); a covariance
    that rounding left slightly indefinite is clipped at zero."""
    if conditional.ndim == 2:
        return np.sqrt(np.maximum(conditional, 0.0))
    values, vectors = np.linalg.eigh(conditional)
    return vectors * np.sqrt(np.maximum(values, 0.0))[:, None, :]


def _draw_conditional(resp, means, scales, rng):
    """One draw of each row's missing coordinates: a component from the
    posterior `resp` (n, K), then its Gaussian conditional (`means` (K, n,
    m), `scales` from :func:`_conditional_scales`)."""
    n_rows, n_missing = means.shape[1], means.shape[2]
    cumulative = np.cumsum(resp, axis=1)
    components = (rng.uniform(size=(n_rows, 1)) > cumulative[:, :-1]).sum(axis=1)
    noise = rng.standard_normal((n_rows, n_missing))
    draws = np.empty((n_rows, n_missing))
    for k in np.unique(components):
        rows = components == k
        if scales.ndim == 3:
            draws[rows] = means[k, rows] + noise[rows] @ scales[k].T
        else:
            draws[rows] = means[k, rows] + noise[rows] * scales[k]
    return draws


def _fill_with_means(X, weight, xp):
    """`X` with each NaN replaced by its feature's (weighted) mean (starts)."""
    missing = xp.isnan(X)
    if not bool(missing.any()):
        return X
    present = ~missing
    weights = present * (1.0 if weight is None else weight[:, None])
    means = xp.sum(xp.where(present, X, 0.0) * weights, axis=0) / xp.sum(
        weights, axis=0
    )
    return xp.where(missing, means, X).astype(X.dtype)


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture model fitted by EM, on a NumPy, Numba or CuPy backend.

    A drop-in replacement for :class:`sklearn.mixture.GaussianMixture` with the
    same parameters, fitted attributes and numerics (from the same initial
    parameters it reaches the same log-likelihood), plus a ``backend``
    parameter, streaming :meth:`partial_fit`, and a fused E+M pass that never
    stores the responsibilities of the whole data set.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : str, default='full'
        scikit-learn's 'full' (one general covariance per component), 'tied'
        (one general covariance shared by all), 'diag' (one diagonal
        covariance per component) or 'spherical' (one variance per
        component), or any of mclust's 14 names ('EII', 'VII', 'EEI', 'VEI',
        'EVI', 'VVI', 'EEE', 'VEE', 'EVE', 'VVE', 'EEV', 'VEV', 'EVV', 'VVV';
        'E' or 'V' for one feature), which constrain the volume, shape and
        orientation of ``lambda_k D_k A_k D_k^T`` (see :doc:`/mclust`).
        'VVV', 'EEE', 'VVI' and 'VII' are scikit-learn's four under other
        names, with the same ``covariances_`` shapes; the others store
        (n_components, n_features) variances if diagonal (EII, EEI, VEI, EVI,
        E, V), else (n_components, n_features, n_features) matrices.
    tol : float, default=1e-3
        EM stops when the gain in mean log-likelihood per sample is below this
        (or, with ``convergence='relative'``, below this fraction of it).
    convergence : {'absolute', 'relative'}, default='absolute'
        'absolute' is scikit-learn's rule; 'relative' stops when the change
        of the log-likelihood is at most ``tol`` times its magnitude, as mclust
        and flexmix do (mclust's default is ``tol=1e-5``).
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the covariance diagonals.
    reg_covar_scale : {'absolute', 'variance'}, default='absolute'
        'absolute' adds `reg_covar` itself (scikit-learn); 'variance' adds
        `reg_covar` times each feature's variance in the training data, so
        the ridge follows each feature's scale (a feature of variance 1e-5
        is not swamped by a ridge of 1e-6) and rescaling a feature rescales
        the fit.
    prior : None, 'default' or dict, default=None
        mclust's conjugate prior (Fraley & Raftery 2007): EM then finds the
        posterior mode (MAP) instead of the maximum-likelihood estimate,
        which keeps covariances finite where ML collapses (a component on
        repeated values, too few points for its structure). None: no prior
        (scikit-learn). 'default': mclust's ``priorControl()``, i.e.
        ``defaultPrior`` computed from the training data, ``n_components``
        and the structure: shrinkage 0.01 towards the data mean, ``dof =
        n_features + 2`` (3 for one feature), scale ``(1/G)^(2/d)`` times
        the data covariance (general structures) or the mean of its
        variances (spherical and diagonal ones; ``var / G^2`` for one
        feature). A dict with any of 'shrinkage', 'mean', 'dof' and 'scale'
        (mclust's names; a number as scale for spherical, diagonal and
        one-feature structures, a (n_features, n_features) positive-definite
        matrix otherwise) overrides those defaults; a ``prior_`` of another
        fit is accepted too. EVE, VEE, VVE and EVV have no prior in mclust
        and raise. ``score``, ``bic`` and ``aic`` stay the log-likelihood at
        the MAP estimate, as mclust's BIC does (see :doc:`/mclust`).
    max_iter : int, default=100
        Number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the best (highest likelihood) is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data', 'hc'}, \
            default='kmeans'
        How initial responsibilities are drawn (as in scikit-learn, with the
        same random draws for the same ``random_state``). 'hc' is mclust's
        start: a partition by model-based agglomerative clustering (on a
        random subset of 2000 rows for larger data; quantile classes for one
        feature), deterministic, so ``n_init`` > 1 repeats it.
    weights_init : array-like of shape (n_components,), default=None
        Initial weights; drawn by ``init_params`` if None.
    means_init : array-like of shape (n_components, n_features), default=None
        Initial means; drawn by ``init_params`` if None.
    precisions_init : array-like, default=None
        Initial precisions (inverse covariances), shaped by
        ``covariance_type`` as ``precisions_`` below.
    noise : bool, float or array-like of bool, default=False
        Add mclust's noise component: a uniform density ``1 / V`` over the
        data's hypervolume, for clutter, with its weight estimated by EM
        (Banfield & Raftery 1993). EM starts with some rows as noise: a float
        in (0, 1) is the fraction of rows farthest from their 5th nearest
        neighbour, True is 0.1, a boolean mask (one per training row, in
        memory) marks them as mclust's ``initialization$noise`` does; the
        components start from the other rows. Noise rows are labelled -1 by
        :meth:`predict` and take the last column of :meth:`predict_proba`;
        criteria count 2 more parameters (weight and hypervolume, as mclust).
    hypervolume : float, default=None
        ``V`` of the noise component; None is mclust's ``hypvol`` of the
        training data (the smaller of the bounding box and of the box of the
        principal-component scores).
    missing : {'error', 'fiml'}, default='error'
        'error' refuses NaN, as scikit-learn does. 'fiml' treats NaN as
        missing values (full-information maximum likelihood): EM uses each
        row's observed coordinates, with the missing ones' conditional
        expectations given the observed ones under each component
        (Ghahramani & Jordan 1994), so that the fit is the maximum-likelihood
        estimate under missingness at random. :meth:`score_samples`,
        :meth:`predict_proba` and :meth:`predict` then score rows with NaN
        by the marginal density of what they observe, and :meth:`impute`
        fills them in. A row with every value missing is an error. Starts are
        drawn on the rows with NaN replaced by their feature's mean. Not with
        ``noise`` (the uniform density of a partly observed row is not
        defined by mclust's hypervolume).
    fixed : None or sequence of {'weights', 'means', 'covariances'}, \
            default=None
        Parameters held at their initial values (``weights_init``,
        ``means_init``, ``precisions_init``, which must then be given) while
        EM estimates the others. Fixed means make the covariances the
        scatter about them. Criteria count only the free parameters. Not
        with ``prior``, nor 'weights' with ``noise``.
    forgetting_factor : float in (0, 1], default=1.0
        Weight that each :meth:`partial_fit` call gives the statistics
        accumulated before its batch (the training data's included). 1
        keeps them all (incremental EM); below 1 they decay exponentially,
        so the model follows a drifting stream: online EM with a constant
        step size (Cappe and Moulines 2009), remembering about
        ``batch_size / (1 - forgetting_factor)`` recent rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and :meth:`sample`.
    warm_start : bool, default=False
        Start each ``fit`` from the previous solution (``n_init`` is ignored).
    n_jobs : int, default=None
        Runs the ``n_init`` starts in this many threads (None: one, unless
        in a :func:`joblib.parallel_backend` context; -1: all cores). The
        starts are drawn first, in order, so the fit is the one of
        ``n_jobs=1``. The kernels release the GIL and the rows are shared,
        not copied. It can pay off only on free cores and data too small for
        the kernels to split over the cores themselves (below about a
        thousand rows); on a busy 2-core machine 10 starts on 500 rows took
        0.062 s with 2 threads against 0.043 s with one. In-memory CPU rows
        only: CuPy and Dask fits run their starts one at a time.
    verbose : int, default=0
        1 prints each initialisation; 2 also prints timings and log-likelihood
        changes every ``verbose_interval`` iterations.
    verbose_interval : int, default=10
        Iterations between two verbose messages.
    backend : {'auto', 'numpy', 'numba', 'cupy'} or None, default=None
        Compute backend; None uses :func:`skmix.get_config`. ``'auto'`` runs
        calls on fewer than 32,768 rows x components on NumPy, where Numba's
        one-time compilation would cost more than the fit. An explicit
        backend that cannot run raises
        :class:`~skmix.exceptions.BackendUnavailableError`.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        'full': (n_components, n_features, n_features); 'tied': (n_features,
        n_features); 'diag': (n_components, n_features); 'spherical':
        (n_components,).
    precisions_ : ndarray
        Inverse covariances, same shape as ``covariances_``.
    precisions_cholesky_ : ndarray
        Upper Cholesky factors ``U`` with ``U U^T = precision``.
    reg_covar_ : float or ndarray of shape (n_features,)
        The ridge the fit added (per feature with ``reg_covar_scale='variance'``).
    prior_ : ConjugatePrior or None
        The prior's hyperparameters as used (shrinkage, mean, dof, scale),
        None without ``prior``. :meth:`partial_fit` keeps the first batch's.
    converged_ : bool
        Whether the best initialisation converged.
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Mean log-likelihood per sample of the best initialisation.
    lower_bounds_ : list of float
        ``lower_bound_`` after each iteration of the best initialisation.
    noise_weight_ : float
        Weight of the noise component (only with ``noise``); ``weights_`` then
        sum to ``1 - noise_weight_``.
    hypervolume_ : float
        ``V`` of the noise component (only with ``noise``).
    backend_ : str
        The backend the fit ran on.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Only when X has string column names.

    See Also
    --------
    sklearn.mixture.GaussianMixture : The scikit-learn estimator mirrored here.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.mixture import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        convergence="absolute",
        reg_covar=1e-6,
        reg_covar_scale="absolute",
        prior=None,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        noise=False,
        hypervolume=None,
        missing="error",
        fixed=None,
        forgetting_factor=1.0,
        random_state=None,
        warm_start=False,
        n_jobs=None,
        verbose=0,
        verbose_interval=10,
        backend=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.convergence = convergence
        self.reg_covar = reg_covar
        self.reg_covar_scale = reg_covar_scale
        self.prior = prior
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.noise = noise
        self.hypervolume = hypervolume
        self.missing = missing
        self.fixed = fixed
        self.forgetting_factor = forgetting_factor
        self.random_state = random_state
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.backend = backend

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing == "fiml"
        return tags

    # ------------------------------------------------------------------ checks
    def _check_parameters(self):
        check_param_int(self.n_components, "n_components", 1)
        check_param_option(
            self.covariance_type, "covariance_type", covariance_model_names()
        )
        check_param_float(self.tol, "tol", 0.0)
        check_param_option(self.convergence, "convergence", CONVERGENCE_RULES)
        check_param_float(self.reg_covar, "reg_covar", 0.0)
        check_param_option(self.reg_covar_scale, "reg_covar_scale", RIDGE_SCALES)
        check_param_int(self.max_iter, "max_iter", 0)
        check_param_int(self.n_init, "n_init", 1)
        check_param_option(self.init_params, "init_params", INIT_PARAMS)
        check_param_int(self.verbose, "verbose", 0)
        check_param_int(self.verbose_interval, "verbose_interval", 1)
        check_param_float(
            self.forgetting_factor, "forgetting_factor", 0.0, 1.0, "right"
        )
        if self.hypervolume is not None:
            check_param_float(self.hypervolume, "hypervolume", 0.0, None, "neither")
        if not (is_noise_mask(self.noise) or isinstance(self.noise, bool)):
            check_param_float(self.noise, "noise", 0.0, 1.0, "neither")
        check_prior_spec(self.prior)
        if self.prior is not None:  # EVE, VEE, VVE, EVV have none
            prior_family(get_covariance_model(self.covariance_type))
        check_param_option(self.missing, "missing", MISSING_RULES)
        if self.missing == "fiml" and self.noise is not False:
            raise ValueError(
                "missing='fiml' cannot be combined with a noise component: a "
                "uniform density over the data's hypervolume has no marginal "
                "for partly observed rows. Use noise=False."
            )
        self._fixed_names()

    def _fixed_names(self):
        """The validated names in `fixed` (a frozenset)."""
        if self.fixed is None:
            return frozenset()
        if isinstance(self.fixed, str):
            names = (self.fixed,)
        elif isinstance(self.fixed, (list, tuple, set, frozenset)):
            names = tuple(self.fixed)
        else:
            raise ValueError(
                "fixed must be None, a name or a sequence of names among "
                f"{', '.join(map(repr, FIXABLE_PARAMETERS))}; got {self.fixed!r}."
            )
        for name in names:
            check_param_option(name, "fixed", FIXABLE_PARAMETERS)
            if getattr(self, _INITIAL_VALUE[name]) is None:
                raise ValueError(
                    f"fixed={self.fixed!r} holds the {name} at their initial "
                    f"values, but {_INITIAL_VALUE[name]} is None; give it."
                )
        if names and self.prior is not None:
            raise ValueError(
                "fixed parameters cannot be combined with a prior (the "
                "posterior mode of the others is not implemented); use "
                "prior=None."
            )
        if "weights" in names and self.noise is not False:
            raise ValueError(
                "fixed weights cannot be combined with a noise component, "
                "whose weight EM estimates; use noise=False."
            )
        return frozenset(names)

    def _fixed_parameters(self, initial_values, n_features):
        """The fit's FixedParameters from the checked initial values (None
        when nothing is fixed)."""
        names = self._fixed_names()
        if not names:
            return None
        weights, means, precisions = initial_values
        covariances = None
        if "covariances" in names:
            n_components = self.n_components
            covariances = GaussianComponents.from_precisions(
                np.full(n_components, 1.0 / n_components),
                np.zeros((n_components, n_features)),
                precisions,
                self.covariance_type,
            )
        return FixedParameters(
            weights if "weights" in names else None,
            means if "means" in names else None,
            covariances,
        )

    def _checked_initial_values(self, n_features):
        """Validated copies of the user's initial parameters (None if unset)."""
        weights, means, precisions = None, None, None
        if self.weights_init is not None:
            weights = _check_weights(self.weights_init, self.n_components)
        if self.means_init is not None:
            means = check_param_array(
                self.means_init, "means_init", (self.n_components, n_features)
            )
        if self.precisions_init is not None:
            precisions = get_covariance_model(self.covariance_type).check_precisions(
                self.precisions_init, self.n_components, n_features
            )
        return weights, means, precisions

    def _driver(self):
        return EMDriver(
            self.max_iter, self.tol, relative=self.convergence == "relative",
            verbose=self.verbose, verbose_interval=self.verbose_interval,
        )  # fmt: skip

    def _training_rows(self, X, backend, sample_weight=None):
        """Validated training rows (on the backend's device, or on Dask),
        those of zero weight dropped."""
        rows = training_rows(
            X, backend, ensure_min_samples=2, sample_weight=sample_weight,
            missing=self.missing == "fiml",
        )  # fmt: skip
        if rows.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components but got "
                f"n_components = {self.n_components}, n_samples = {rows.shape[0]}."
            )
        return rows

    def _check_continuation(self, X):
        """Before warm-start or partial_fit: the new data must match the model."""
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input."
            )
        if self.means_.shape[0] != self.n_components:
            raise ValueError(
                f"n_components={self.n_components} differs from the "
                f"{self.means_.shape[0]} components of the fitted model; refit "
                "with warm_start=False."
            )
        if get_covariance_model(self.covariance_type) is not get_covariance_model(
            self._fitted_covariance_type
        ):
            raise ValueError(
                f"covariance_type={self.covariance_type!r} differs from the "
                f"fitted model's {self._fitted_covariance_type!r}; refit with "
                "warm_start=False."
            )

    # ------------------------------------------------------------------ maths
    def _noise_component(self, rows, backend, X_start):
        """The noise component's start and the rows of `X_start` that are not
        noise (None, None without noise)."""
        if self.noise is False:
            return None, None
        X_rows = rows.X if is_dask_array(rows.X) else backend.to_numpy(rows.X)
        region = hypervolume_region(X_rows)
        log_volume = region.log_volume
        if self.hypervolume is not None:
            log_volume = float(np.log(self.hypervolume))
        noise = noise_of_kept_rows(self.noise, rows.n_given, rows.kept)
        noise_rows = noise_start_rows(noise, backend.to_numpy(X_start), rows.shape[0])
        return UniformNoise(float(noise_rows.mean()), log_volume, region), ~noise_rows

    @staticmethod
    def _feature_variances(rows, backend):
        return _feature_moments(rows, backend)[1]

    def _ridge(self, variances):
        """`reg_covar`, or with ``reg_covar_scale='variance'`` that fraction of
        each feature's variance (one value per feature)."""
        if self.reg_covar_scale == "absolute":
            return float(self.reg_covar)
        return self.reg_covar * variances

    def _resolve_prior(self, rows, backend):
        """The fit's ConjugatePrior from the training rows (None without)."""
        if self.prior is None:
            return None
        return resolve_prior(
            self.prior, get_covariance_model(self.covariance_type),
            self.n_components, _data_moments(rows, backend),
        )  # fmt: skip

    def _initial_components(self, rows, backend, random_state, initial_values,
                            ridge, prior=None):  # fmt: skip
        weights_init, means_init, precisions_init = initial_values
        model = get_covariance_model(self.covariance_type)
        # All the rows in memory; on Dask, rows drawn across all blocks.
        X, weight = rows.sample(INIT_SAMPLE_SIZE, random_state)
        X = backend.asarray(X)
        if weight is not None:  # Dask samples come to the host
            weight = backend.asarray(weight)
        noise, signal_rows = self._noise_component(rows, backend, X)
        if noise is not None:
            X = X[backend.asarray(signal_rows)]
            weight = None if weight is None else weight[backend.asarray(signal_rows)]
        if weights_init is None or means_init is None or precisions_init is None:
            if self.init_params == "hc":
                subset = hierarchical_start_rows(X.shape[0], random_state)
                if subset is not None:
                    X = X[backend.asarray(subset)]
                    weight = None if weight is None else weight[backend.asarray(subset)]
            X = _fill_with_means(X, weight, backend.xp)
            resp = _initial_responsibilities(
                backend.to_numpy(X), self.n_components, self.init_params,
                random_state, None if weight is None else backend.to_numpy(weight),
            )  # fmt: skip
            # Centre the initial moments on the data mean (float32 stability).
            centre = np.asarray(backend.to_numpy(X.mean(axis=0)), dtype=np.float64)
            components = components_from_responsibilities(
                backend, X, resp, model, ridge,
                np.tile(centre, (self.n_components, 1)), prior, weight,
            )  # fmt: skip
            weights, means = components.weights, components.means
        if weights_init is not None:
            weights = weights_init
        if means_init is not None:
            means = means_init
        if precisions_init is not None:
            components = GaussianComponents.from_precisions(
                weights, means, precisions_init, model
            )
        else:
            components = replace(components, weights=weights, means=means)
        if noise is None:
            return components
        return replace(
            components, weights=components.weights * (1.0 - noise.weight), noise=noise
        )

    def _em_step(self, rows, backend, ridge, prior=None, fixed=None):
        """One EM step on `rows`: components -> (next components, mean
        log-likelihood at the given ones, their statistics)."""

        def step(components):
            statistics = rows.e_step_statistics(
                backend, components.scorer(), components.shift()
            )
            return (
                m_step(
                    statistics, components.covariance, ridge, components, prior, fixed
                ),
                statistics.mean_log_likelihood,
                statistics,
            )

        return step

    @staticmethod
    def _degeneracy(components, n_samples, ridge, prior, variances, statistics,
                    fixed):  # fmt: skip
        """Why the fitted components are degenerate ('' if they are not);
        `statistics` are the last E-step's (or None), `fixed` the parameters
        held fixed.

        Under a prior, few points do not make a covariance singular, so only
        an empty component (mclust: "mixing proportion fell below
        threshold", sum of posteriors at most sqrt(eps)) and the
        conditioning checks apply."""
        counts = components.weights * n_samples
        if prior is None:
            return degeneracy(components, counts, ridge, variances, statistics, fixed)
        if counts.min() <= _EMPTY_COMPONENT:
            return (
                f"a component is empty ({counts.min():.3g} effective points); "
                "the mixture has fewer components than asked"
            )
        return degeneracy(components, np.full_like(counts, np.inf), ridge, variances)

    def _fitted_components(self):
        """The fitted parameters as float64 components."""
        components = GaussianComponents.from_fitted(self, self._fitted_covariance_type)
        if getattr(self, "_noise_region", None) is None:
            return components
        noise = UniformNoise(
            float(self.noise_weight_), float(np.log(self.hypervolume_)),
            self._noise_region,
        )  # fmt: skip
        return replace(components, noise=noise)

    def _set_fitted(self, components, dtype, backend):
        as_dtype = {np.dtype(np.float32): np.float32}.get(np.dtype(dtype), np.float64)
        (
            self.weights_,
            self.means_,
            self.covariances_,
            self.precisions_cholesky_,
        ) = (
            np.asarray(a, dtype=as_dtype)
            for a in (
                components.weights,
                components.means,
                components.covariances,
                components.precisions_cholesky,
            )
        )
        self.precisions_ = components.covariance.precisions_from_cholesky(
            self.precisions_cholesky_
        )
        self._fitted_covariance_type = components.covariance.name
        self.backend_ = backend.name
        noise = components.noise
        self._noise_region = None if noise is None else noise.region
        if noise is not None:
            self.noise_weight_ = float(noise.weight)
            self.hypervolume_ = float(np.exp(noise.log_volume))
        else:  # a refit without noise
            for name in ("noise_weight_", "hypervolume_"):
                self.__dict__.pop(name, None)

    def _weighted_log_prob(self, X, backend):
        """log p(x | k) + log w_k on the backend's device, shape (N, K), and
        a last column for the noise component if any (marginal densities of
        rows with missing values)."""
        return (
            self._fitted_components()
            .scorer()
            .log_joint(backend, X, self._allows_missing())
        )

    def _allows_missing(self):
        return getattr(self, "_fitted_missing", "error") == "fiml"

    def _labels(self, log_joint, backend):
        """Most probable component of each row; -1 for the noise component."""
        labels = backend.xp.argmax(log_joint, axis=1)
        if getattr(self, "_noise_region", None) is not None:
            labels = backend.xp.where(labels == self.means_.shape[0], -1, labels)
        return labels

    def _n_posterior_columns(self):
        noise = getattr(self, "_noise_region", None) is not None
        return self.means_.shape[0] + noise

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the parameters with EM, keeping the best of ``n_init`` runs.

        Parameters
        ----------
        X : array-like, cupy.ndarray or dask.array.Array of shape \
                (n_samples, n_features)
            A Dask array is fitted by distributed EM: the E-step runs on each
            row block where it lives and the statistics are summed in a tree
            (see :doc:`/distributed`).
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights: a row of weight 3 counts as three
            copies of it, a row of weight 0 as absent (integer weights give
            the fit of the repeated rows from the same start). The
            log-likelihood, ``lower_bound_`` and the degeneracy checks use
            the weighted counts; k-means starts weigh the rows too.

        Returns
        -------
        self : GaussianMixture
        """
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the most probable component of each sample.

        A final E-step guarantees ``fit_predict(X) == fit(X).predict(X)``.

        Parameters
        ----------
        X : array-like or cupy.ndarray of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`fit`; every row gets a label, those of weight 0 too.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        rows, backend = self._fit(X, sample_weight)
        if is_dask_array(X) or rows.kept is not None:
            return self.predict(X)
        log_joint = self._weighted_log_prob(rows.X, backend)
        labels = self._labels(log_joint, backend)
        return labels if is_cupy_array(X) else backend.to_numpy(labels)

    def _fit(self, X, sample_weight=None):
        """EM on `X`; the validated rows and the backend."""
        self._check_parameters()
        backend = resolve_backend(
            self.backend, None if is_dask_array(X) else X, self.n_components
        )
        rows = self._training_rows(X, backend, sample_weight)
        initial_values = self._checked_initial_values(rows.shape[1])
        fixed = self._fixed_parameters(initial_values, rows.shape[1])
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if not do_init:
            self._check_continuation(rows)
        random_state = check_random_state(self.random_state)
        variances = self._feature_variances(rows, backend)
        ridge = self._ridge(variances)
        prior = self._resolve_prior(rows, backend)
        if do_init:  # drawn lazily, one per start, as scikit-learn does
            starts = (
                self._initial_components(
                    rows, backend, random_state, initial_values, ridge, prior
                )
                for _ in range(self.n_init)
            )
            lower_bound = -np.inf
        else:
            starts, lower_bound = [self._fitted_components()], self.lower_bound_

        driver = self._driver()
        # Starts in threads share the rows in host memory only.
        on_host = backend.name != "cupy" and not is_dask_array(X)
        with backend.compute_context():
            best = driver.best_of(
                starts, self._em_step(rows, backend, ridge, prior, fixed),
                lower_bound, total=self.n_init if do_init else 1,
                n_jobs=self.n_jobs if on_host else 1,
            )  # fmt: skip
        driver.warn_if_not_converged(best)
        n_samples = rows.shape[0] if best.extras is None else best.extras.n_samples
        state = best.state
        if fixed is not None and fixed.weights is not None and best.extras is not None:
            # Fixed weights say nothing about how many rows a component holds.
            counts = best.extras.nk[: state.n_components]
            state = replace(state, weights=counts / counts.sum())
        reason = self._degeneracy(
            state, n_samples, ridge, prior, variances, best.extras, fixed
        )
        if reason:
            warnings.warn(
                f"The fitted mixture is degenerate: {reason}. Its likelihood "
                "(and BIC) are not to be trusted; try fewer components, a "
                "constrained covariance_type or reg_covar_scale='variance'.",
                DegenerateMixtureWarning,
                stacklevel=2,
            )
        self._set_fitted(best.state, rows.X.dtype, backend)
        self.reg_covar_ = ridge
        self.prior_ = prior
        self._fixed, self._fitted_missing = fixed, self.missing
        record_input_features(self, X)
        self.converged_ = best.converged
        self.n_iter_ = best.n_iter
        self.lower_bound_ = best.lower_bound
        self.lower_bounds_ = best.lower_bounds
        self._statistics = best.extras
        return rows, backend

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the model with one batch: one E-step on it, one M-step.

        Statistics add up across calls (incremental EM with step size equal to
        each batch's share of the rows seen so far; with
        ``forgetting_factor < 1`` the earlier ones are discounted first), so
        streaming a data set through ``partial_fit`` in chunks needs memory
        for one chunk only. The
        first call initialises from its batch with ``init_params``; a call
        after :meth:`fit` adds the batch to the statistics of the training
        data.

        Parameters
        ----------
        X : array-like or cupy.ndarray of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the batch's rows (see :meth:`fit`).

        Returns
        -------
        self : GaussianMixture
        """
        self._check_parameters()
        backend = resolve_backend(
            self.backend, None if is_dask_array(X) else X, self.n_components
        )
        first_call = not hasattr(self, "means_")
        if first_call:
            rows = self._training_rows(X, backend, sample_weight)
            ridge = self._ridge(self._feature_variances(rows, backend))
            prior = self._resolve_prior(rows, backend)
            initial_values = self._checked_initial_values(rows.shape[1])
            components = self._initial_components(
                rows, backend, check_random_state(self.random_state),
                initial_values, ridge, prior,
            )  # fmt: skip
            previous_statistics, previous_bound, n_iter = None, -np.inf, 0
        else:
            # The batch's columns must be the fitted ones (names and order).
            validate_data(self, X, reset=False, skip_check_array=True)
            rows = training_rows(
                X, backend, sample_weight=sample_weight, missing=self.missing == "fiml"
            )
            initial_values = self._checked_initial_values(rows.shape[1])
            self._check_continuation(rows)
            components = self._fitted_components()
            ridge, prior = self.reg_covar_, self.prior_
            previous_statistics = self._statistics
            previous_bound, n_iter = self.lower_bound_, self.n_iter_
        with backend.compute_context():
            batch = rows.e_step_statistics(
                backend, components.scorer(), components.shift()
            )
        statistics = batch
        if previous_statistics is not None:
            if self.forgetting_factor < 1.0:
                previous_statistics = previous_statistics.scaled(self.forgetting_factor)
            statistics = previous_statistics + batch
        fixed = self._fixed_parameters(initial_values, rows.shape[1])
        components = m_step(
            statistics, components.covariance, ridge, components, prior, fixed
        )

        self._set_fitted(components, rows.X.dtype, backend)
        self.reg_covar_ = ridge
        self.prior_ = prior
        self._fixed, self._fitted_missing = fixed, self.missing
        if first_call:
            record_input_features(self, X)
        self.lower_bound_ = batch.mean_log_likelihood
        self.lower_bounds_ = [self.lower_bound_]
        self.converged_ = self._driver().has_converged(
            previous_bound, self.lower_bound_
        )
        self.n_iter_ = n_iter + 1
        self._statistics = statistics
        return self

    # ------------------------------------------------------------------ predict
    def _fitted_input(self, X):
        """Validated `X` on the backend's device, the backend, and a function
        returning results in `X`'s own array type (CuPy only for CuPy input)."""
        check_is_fitted(self)
        backend = resolve_backend(self.backend, X, self.means_.shape[0])
        on_gpu = is_cupy_array(X)
        X = backend.asarray(check_fitted_input(self, X, self._allows_missing()))
        if X.dtype.itemsize < self.means_.dtype.itemsize:
            # Scored in the model's precision: float32 means of data far from
            # zero would lose what float32 rows still resolve.
            X = X.astype(self.means_.dtype)
        return X, backend, (lambda a: a) if on_gpu else backend.to_numpy

    @rowwise()
    def score_samples(self, X):
        """Log-likelihood ``log p(x)`` of each sample under the model.

        Parameters
        ----------
        X : array-like or cupy.ndarray of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            A CuPy array for CuPy input (likewise for every prediction method).
        """
        X, backend, as_input_type = self._fitted_input(X)
        scorer = self._fitted_components().scorer()
        return as_input_type(scorer.score_samples(backend, X, self._allows_missing()))

    def score(self, X, y=None, sample_weight=None):
        """Mean log-likelihood per sample of `X` (weighted mean with
        `sample_weight`).

        Parameters
        ----------
        X : array-like or cupy.ndarray of shape (n_samples, n_features)
        y : Ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        log_likelihood : float
        """
        log_likelihood, n_samples = self._total_log_likelihood(X, sample_weight)
        return log_likelihood / n_samples

    @rowwise(dtype=np.int64)
    def predict(self, X):
        """Most probable component of each sample.

        Parameters
        ----------
        X : array-like or cupy.ndarray of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for rows most probably noise (with ``noise``).
        """
        X, backend, as_input_type = self._fitted_input(X)
        return as_input_type(self._labels(self._weighted_log_prob(X, backend), backend))

    @rowwise(n_columns=lambda self: self._n_posterior_columns())
    def predict_proba(self, X):
        """Posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like or cupy.ndarray of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            With a noise component, one more column (the last) for it.
        """
        X, backend, as_input_type = self._fitted_input(X)
        resp, _ = (
            self._fitted_components()
            .scorer()
            .posteriors(backend, X, self._allows_missing())
        )
        return as_input_type(resp)

    def impute(self, X, n_imputations=None):
        """Fill the missing values (NaN) of `X` from the fitted mixture.

        Needs ``missing='fiml'``. Each row's missing coordinates get their
        conditional expectation given its observed ones, ``sum_k p(k | x_O)
        E[x_M | x_O, k]``; or, for multiple imputation, draws from their
        conditional distribution (a component drawn from the posterior, then
        the Gaussian conditional), seeded by ``random_state``. Observed
        values are returned unchanged. The draws take the fitted parameters
        as known: for Rubin's rules, which want parameter uncertainty too,
        refit on bootstrap resamples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            In memory (a CuPy array is brought to the host).
        n_imputations : int or None, default=None
            None: conditional means. An int: that many imputed copies.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features), or \
                (n_imputations, n_samples, n_features)
        """
        check_is_fitted(self)
        if not self._allows_missing():
            raise ValueError(
                "impute needs a model fitted with missing='fiml'; this one was "
                f"fitted with missing={getattr(self, '_fitted_missing', 'error')!r}."
            )
        if n_imputations is not None:
            check_param_int(n_imputations, "n_imputations", 1)
        backend = resolve_backend("numpy")
        X = check_fitted_input(self, X, allow_nan=True)
        X = np.asarray(backend.to_numpy(X), dtype=np.float64)
        scorer = MissingScorer(self._fitted_components().scorer())
        patterns = MissingPatterns.from_rows(X, np)
        rng = check_random_state(self.random_state)
        draws = 1 if n_imputations is None else n_imputations
        imputed = np.repeat(X[None], draws, axis=0)
        for group in patterns.groups(np):
            resp, _ = masked_posteriors(scorer.group_log_joint(backend, group), True)
            means = scorer.conditional_means(backend, group)  # (K, n, m)
            M = np.flatnonzero(~group.observed)
            rows = group.index[:, None]
            if n_imputations is None:
                imputed[0][rows, M] = np.einsum("nk,knm->nm", resp, means)
                continue
            scales = _conditional_scales(scorer.marginal(group.observed).conditional)
            for d in range(draws):
                imputed[d][rows, M] = _draw_conditional(resp, means, scales, rng)
        return imputed[0] if n_imputations is None else imputed

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture (seeded by ``random_state``).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            Component of each sample; -1 for noise, drawn uniformly over
            the box whose volume is the data's hypervolume.
        """
        check_is_fitted(self)
        check_param_int(n_samples, "n_samples", 1)
        rng = check_random_state(self.random_state)
        return self._fitted_components().sample(n_samples, rng)

    # ------------------------------------------------------------------ criteria
    def _n_parameters(self):
        """Free parameters: the mixture's, less those held fixed."""
        count = self._fitted_components().n_parameters()
        fixed = getattr(self, "_fixed", None)
        if fixed is None:
            return count
        return count - fixed.n_parameters(
            self._fitted_covariance_type, *self.means_.shape
        )

    def _total_log_likelihood(self, X, sample_weight=None):
        """``sum_i w_i log p(x_i)`` and ``n = sum_i w_i``."""
        log_prob = self.score_samples(X)
        if is_dask_array(log_prob):
            log_prob = log_prob.compute()
        log_prob = np.asarray(log_prob.get() if hasattr(log_prob, "get") else log_prob)
        if sample_weight is None:
            return float(log_prob.sum()), log_prob.shape[0]
        sample_weight = check_sample_weight(sample_weight, log_prob.shape[0])
        positive = sample_weight > 0  # a weight of 0 is the row's absence
        total = float(sample_weight[positive] @ log_prob[positive])
        return total, float(sample_weight.sum())

    def bic(self, X, sample_weight=None):
        """Bayesian information criterion on `X` (lower is better).

        ``-2 sum_i w_i log p(x_i) + p log n`` with ``n = sum_i w_i`` under
        `sample_weight` (frequency weights: the BIC of the repeated rows).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        bic : float
        """
        log_likelihood, n_samples = self._total_log_likelihood(X, sample_weight)
        return bic(log_likelihood, self._n_parameters(), n_samples)

    def aic(self, X, sample_weight=None):
        """Akaike information criterion on `X` (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        sample_weight : array-like of shape (n_samples,), default=None
            Frequency weights of the rows, as in :meth:`bic`.

        Returns
        -------
        aic : float
        """
        log_likelihood, _ = self._total_log_likelihood(X, sample_weight)
        return aic(log_likelihood, self._n_parameters())
