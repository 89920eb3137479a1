"""Semi-supervised Gaussian mixture for generalized category discovery."""

import math

import numpy as np
from scipy.special import gammaln
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .._backend import resolve_backend
from .._core import (
    EMDriver,
    GaussianComponents,
    bic,
    components_from_responsibilities,
    covariance_model_names,
    kmeans_labels,
    masked_posteriors,
    progress_reporter,
    rowwise,
)
from .._core._progress import progress
from .._math import (
    log_split_hastings_ratio,
    niw_log_marginal_likelihood,
    niw_prior,
    pooled_within_class_covariance,
)
from ..utils import (
    check_fitted_input,
    check_label_vector,
    check_param_float,
    check_param_int,
    check_param_option,
    check_samples,
    record_input_features,
)

UNLABELLED = -1


# ----------------------------------------------------------------- labels
def unlabelled_mask(y, marker=UNLABELLED):
    """Rows marked unlabelled: equal to `marker` (a string only matches a
    string), NaN or None."""

    def is_unlabelled(label):
        if label is None or (isinstance(label, float) and math.isnan(label)):
            return True
        if marker is None or isinstance(label, str) != isinstance(marker, str):
            return False
        return bool(label == marker)

    return np.array([is_unlabelled(label) for label in y], dtype=bool)


def novel_class_labels(known_classes, n_novel):
    """Labels for novel classes, after the known ones.

    Integer classes continue the integers; other labels get ``'novel_<i>'``.
    """
    if n_novel == 0:
        return []
    if all(isinstance(c, (int, np.integer)) for c in known_classes):
        start = int(max(known_classes)) + 1
        return list(range(start, start + n_novel))
    return [f"novel_{i}" for i in range(n_novel)]


# ----------------------------------------------------------------- EM core
def _log_joint(backend, X, components):
    """``log w_k + log N(x | k)`` on the host, shape (n_samples, n_components)."""
    with backend.compute_context():
        return backend.to_numpy(components.scorer().log_joint(backend, X))


def _fit_components(backend, X, resp, covariance_type, reg_covar):
    """Maximum-likelihood components for given responsibilities, with moments
    about the data's mean (about zero they cancel for data far from it: an
    offset of 1e5 left no positive-definite covariance)."""
    centre = np.asarray(backend.to_numpy(X.mean(axis=0)), dtype=np.float64)
    shift = np.tile(centre, (resp.shape[1], 1))
    return components_from_responsibilities(
        backend, X, resp, covariance_type, reg_covar, shift
    )


class SemiSupervisedGMM(ClassifierMixin, BaseEstimator):
    """Gaussian mixture for partially labelled data with unknown novel classes.

    Generalized category discovery after GPC (Zhao, Wen and Han, ICCV 2023):
    labelled rows fix their class (each known class owns one or more
    components); unlabelled rows hold known and novel classes, the number of
    novel classes is unknown. EM fits the constrained mixture; between EM runs,
    each novel component proposes a split (2-means of its rows) and a merge
    with its nearest novel neighbour, accepted by the Normal-Inverse-Wishart
    Hastings ratio (``log H > 0``) or, for exploration, with probability
    `split_prob` / `merge_prob`. A merge removes both parents and each
    component takes part in at most one move per round; the number of
    components carries over to the next round until it is stable.

    Parameters
    ----------
    n_components_per_class : int, default=1
        Components owned by each known class.
    unlabelled_label : int, str or None, default=-1
        Label marking unlabelled rows; NaN and None always do. Set it to None
        (or another value) when -1 is a real class, as in {-1, 1} labels.
    n_novel_init : int, default=1
        Novel components before the first split/merge round.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
    split_prob, merge_prob : float, default=0.1
        Probability of accepting a split (merge) whose Hastings ratio is below
        1. Both 0 gives a deterministic search.
    concentration : float, default=1.0
        Dirichlet-process concentration ``alpha`` in the Hastings ratio.
    prior_covariance : 'labelled' or float, default='labelled'
        Expected covariance of a class under the NIW prior, which sets the
        granularity of the split/merge decisions. 'labelled': the pooled
        within-class covariance of the labelled rows (novel classes are
        expected to be as spread as known ones). A float: that fraction of
        the data covariance (DeepDPM and GPC use 0.005).
    prior_pseudo_count : 'auto' or float, default='auto'
        How many observations the prior covariance is worth: the NIW degrees
        of freedom are ``n_features + 2 + prior_pseudo_count``. 'auto': the
        median number of labelled rows per known class, the evidence the
        'labelled' covariance was estimated from. 0 is the weakest proper
        prior; with it, split/merge on digits overestimated the number of
        novel classes (12-13 components for 10 classes).
    max_rounds : int, default=30
        Split/merge rounds at most.
    n_stable_rounds : int, default=3
        Stop once the number of components is unchanged for this many rounds.
    min_cluster_size : int, default=10
        Smallest part a split may create; novel components with fewer
        unlabelled rows are removed.
    tol : float, default=1e-4
        EM convergence threshold on the mean log-likelihood.
    reg_covar : float, default=1e-6
    max_iter : int, default=200
        EM iterations per round.
    random_state : int, RandomState instance or None, default=None
    backend : {'auto', 'numpy', 'numba', 'cupy'} or None, default=None
    verbose : int, default=0
        1 prints a line per split/merge round: the number of novel classes,
        the partition's log posterior and the elapsed time; with tqdm
        installed, a progress bar of the rounds is drawn on stderr (its
        total is `max_rounds`; the rounds stop early once stable).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Known classes (sorted), then the labels given to novel classes.
    n_known_classes_ : int
    n_novel_classes_ : int
    n_components_ : int
    component_classes_ : ndarray of shape (`n_components_`,)
        Index into ``classes_`` of the class each component belongs to.
    weights_, means_, covariances_, precisions_cholesky_ : ndarray
        Mixture parameters, as in :class:`~skmix.mixture.GaussianMixture`.
    split_merge_history_ : list of dict
        Per round: n_components before and after, and every proposal with its
        log Hastings ratio and whether it was accepted (and at random).
    converged_ : bool
        Whether the number of components stabilised before `max_rounds`.
    lower_bound_ : float
        Mean constrained log-likelihood of the final EM.
    n_iter_ : int
        EM iterations of the final model's EM run.
    backend_ : str
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.semi_supervised import SemiSupervisedGMM
    >>> rng = np.random.default_rng(0)
    >>> centres = np.array([[0, 0], [6, 0], [0, 6], [6, 6]])
    >>> X = np.vstack([rng.normal(c, 0.7, (100, 2)) for c in centres])
    >>> y = np.repeat([0, 1, 2, 3], 100)
    >>> y_partial = np.where((y < 2) & (rng.random(400) < 0.5), y, -1)
    >>> model = SemiSupervisedGMM(random_state=0).fit(X, y_partial)
    >>> model.n_novel_classes_, model.classes_.tolist()
    (2, [0, 1, 2, 3])
    """

    def __init__(
        self,
        n_components_per_class=1,
        *,
        unlabelled_label=UNLABELLED,
        n_novel_init=1,
        covariance_type="full",
        split_prob=0.1,
        merge_prob=0.1,
        concentration=1.0,
        prior_covariance="labelled",
        prior_pseudo_count="auto",
        max_rounds=30,
        n_stable_rounds=3,
        min_cluster_size=10,
        tol=1e-4,
        reg_covar=1e-6,
        max_iter=200,
        random_state=None,
        backend=None,
        verbose=0,
    ):
        self.n_components_per_class = n_components_per_class
        self.unlabelled_label = unlabelled_label
        self.n_novel_init = n_novel_init
        self.covariance_type = covariance_type
        self.split_prob = split_prob
        self.merge_prob = merge_prob
        self.concentration = concentration
        self.prior_covariance = prior_covariance
        self.prior_pseudo_count = prior_pseudo_count
        self.max_rounds = max_rounds
        self.n_stable_rounds = n_stable_rounds
        self.min_cluster_size = min_cluster_size
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.random_state = random_state
        self.backend = backend
        self.verbose = verbose

    # ------------------------------------------------------------- checks
    def _check_parameters(self):
        check_param_int(self.verbose, "verbose", 0)
        check_param_int(self.n_components_per_class, "n_components_per_class", 1)
        check_param_int(self.n_novel_init, "n_novel_init", 0)
        check_param_option(
            self.covariance_type, "covariance_type", covariance_model_names()
        )
        check_param_float(self.split_prob, "split_prob", 0.0, 1.0)
        check_param_float(self.merge_prob, "merge_prob", 0.0, 1.0)
        check_param_float(self.concentration, "concentration", 0.0, None, "neither")
        if not (
            isinstance(self.prior_covariance, str)
            and self.prior_covariance == "labelled"
        ):
            check_param_float(
                self.prior_covariance, "prior_covariance", 0.0, None, "neither"
            )
        if not (
            isinstance(self.prior_pseudo_count, str)
            and self.prior_pseudo_count == "auto"
        ):
            check_param_float(self.prior_pseudo_count, "prior_pseudo_count", 0.0)
        check_param_int(self.max_rounds, "max_rounds", 0)
        check_param_int(self.n_stable_rounds, "n_stable_rounds", 1)
        check_param_int(self.min_cluster_size, "min_cluster_size", 2)
        check_param_float(self.tol, "tol", 0.0)
        check_param_float(self.reg_covar, "reg_covar", 0.0)
        check_param_int(self.max_iter, "max_iter", 1)

    def _check_labels(self, y, n_samples):
        y = check_label_vector(self, y, n_samples)
        unlabelled = unlabelled_mask(y, self.unlabelled_label)
        if unlabelled.all():
            raise ValueError(
                "All rows are unlabelled (-1/NaN); SemiSupervisedGMM needs "
                "labelled rows of the known classes. Use GaussianMixture or "
                "GaussianMixtureSelector for unsupervised data."
            )
        labelled = y[~unlabelled]
        check_classification_targets(labelled)
        classes, codes = np.unique(labelled, return_inverse=True)
        counts = np.bincount(codes)
        too_few = classes[counts < self.n_components_per_class]
        if too_few.size:
            raise ValueError(
                f"Known class {too_few[0]!r} has {counts.min()} labelled row(s), fewer "
                f"than n_components_per_class={self.n_components_per_class}."
            )
        class_index = np.full(n_samples, -1)
        class_index[~unlabelled] = codes
        return classes, class_index

    # ------------------------------------------------------------- fit
    def fit(self, X, y):
        """Fit on labelled (class) and unlabelled (-1/NaN/None) rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : SemiSupervisedGMM
        """
        self._check_parameters()
        X_checked = check_samples(X, ensure_min_samples=2)
        X_checked = np.asarray(X_checked, dtype=np.float64)
        classes, class_index = self._check_labels(y, X_checked.shape[0])
        backend = resolve_backend(
            self.backend, X_checked, classes.size * self.n_components_per_class
        )
        rng = check_random_state(self.random_state)
        search = _SplitMergeSearch(self, X_checked, class_index, classes.size, backend)
        state = search.run(rng)

        n_novel = state.n_novel
        self.classes_ = np.array(
            list(classes) + novel_class_labels(list(classes), n_novel),
            dtype=classes.dtype if n_novel == 0 else None,
        )
        self.n_known_classes_ = classes.size
        self.n_novel_classes_ = n_novel
        self.component_classes_ = state.component_classes
        self.n_components_ = state.component_classes.size
        components = state.parameters
        self.weights_ = components.weights
        self.means_ = components.means
        self.covariances_ = components.covariances
        self.precisions_cholesky_ = components.precisions_cholesky
        self.split_merge_history_ = search.history
        self.converged_ = search.converged
        self.lower_bound_ = state.lower_bound
        self.n_iter_ = state.n_iter
        self.backend_ = backend.name
        record_input_features(self, X)
        return self

    # ------------------------------------------------------------- predict
    def _log_joint(self, X):
        check_is_fitted(self)
        X = np.asarray(check_fitted_input(self, X), dtype=np.float64)
        backend = resolve_backend(self.backend, X, self.means_.shape[0])
        components = GaussianComponents.from_fitted(self, self.covariance_type)
        return _log_joint(backend, backend.asarray(X), components)

    @rowwise(n_columns=lambda self: self.classes_.size)
    def predict_proba(self, X):
        """Posterior probability of each class (known and novel).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        resp, _ = masked_posteriors(self._log_joint(X), True)
        proba = np.zeros((resp.shape[0], self.classes_.size))
        np.add.at(proba.T, self.component_classes_, resp.T)
        return proba

    @rowwise(dtype=lambda self: self.classes_.dtype)
    def predict(self, X):
        """Most probable class of each sample (novel classes included)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @rowwise(dtype=np.int64)
    def predict_component(self, X):
        """Most probable mixture component of each sample."""
        return np.argmax(self._log_joint(X), axis=1)

    @rowwise()
    def score_samples(self, X):
        """Log-density ``log p(x)`` of each sample under the whole mixture."""
        return masked_posteriors(self._log_joint(X), True)[1]

    def bic(self, X):
        """Bayesian information criterion of the mixture on `X` (lower is better)."""
        log_likelihood = float(self.score_samples(X).sum())
        n_parameters = GaussianComponents.from_fitted(
            self, self.covariance_type
        ).n_parameters()
        return bic(log_likelihood, n_parameters, len(X))


class _State:
    """Mixture parameters and the class each component belongs to."""

    def __init__(
        self, parameters, component_classes, n_known, lower_bound=-np.inf, n_iter=0
    ):
        self.n_iter = n_iter
        self.parameters = parameters
        self.component_classes = np.asarray(component_classes, dtype=np.int64)
        self.n_known = n_known
        self.lower_bound = lower_bound

    @property
    def n_novel(self):
        return int(np.sum(self.component_classes >= self.n_known))


class _SplitMergeSearch:
    """EM with labelled rows pinned to their class, around split/merge rounds."""

    def __init__(self, estimator, X, class_index, n_known, backend):
        self.params = estimator
        self.X = X
        self.X_device = backend.asarray(X)  # moved once, scored every E-step
        self.class_index = class_index
        self.unlabelled = class_index < 0
        self.n_known = n_known
        self.backend = backend
        self.prior = _prior(
            X, class_index, estimator.prior_covariance, estimator.prior_pseudo_count
        )
        self.history = []
        self.converged = False

    # ---------------------------------------------------------- helpers
    def _allowed(self, component_classes):
        allowed = np.ones((len(self.X), component_classes.size), dtype=bool)
        labelled = ~self.unlabelled
        allowed[labelled] = (
            self.class_index[labelled, None] == component_classes[None, :]
        )
        return allowed

    def _parameters_from_groups(self, groups):
        """Parameters of components given as index arrays of their rows."""
        resp = np.zeros((len(self.X), len(groups)))
        for k, rows in enumerate(groups):
            resp[rows, k] = 1.0
        return _fit_components(
            self.backend,
            self.X_device,
            resp,
            self.params.covariance_type,
            self.params.reg_covar,
        )

    def _initial_state(self, rng):
        groups, component_classes = [], []
        for c in range(self.n_known):
            rows = np.flatnonzero(self.class_index == c)
            groups.extend(
                self._kmeans_groups(rows, self.params.n_components_per_class, rng)
            )
            component_classes.extend([c] * self.params.n_components_per_class)
        unlabelled = np.flatnonzero(self.unlabelled)
        n_novel = min(
            self.params.n_novel_init, unlabelled.size // self.params.min_cluster_size
        )
        if n_novel:
            # Seed novel components on the unlabelled rows the known classes
            # explain worst.
            known = _State(
                self._parameters_from_groups(groups), component_classes, self.n_known
            )
            log_known = self._log_joint(known)[unlabelled].max(axis=1)
            candidates = unlabelled[log_known <= np.median(log_known)]
            if candidates.size >= n_novel * self.params.min_cluster_size:
                groups.extend(self._kmeans_groups(candidates, n_novel, rng))
                component_classes.extend(range(self.n_known, self.n_known + n_novel))
        return _State(
            self._parameters_from_groups(groups), component_classes, self.n_known
        )

    def _kmeans_groups(self, rows, n_groups, rng):
        if n_groups == 1:
            return [rows]
        labels = kmeans_labels(
            self.X[rows], n_groups, rng.randint(np.iinfo(np.int32).max)
        )
        return [rows[labels == g] for g in range(n_groups)]

    def _log_joint(self, state):
        return _log_joint(self.backend, self.X_device, state.parameters)

    def em(self, state):
        """Constrained EM from `state` to convergence."""
        allowed = self._allowed(state.component_classes)

        def step(components):
            log_joint = _log_joint(self.backend, self.X_device, components)
            resp, log_norm = masked_posteriors(log_joint, allowed)
            fitted = _fit_components(
                self.backend, self.X_device, resp, components.covariance,
                self.params.reg_covar,
            )  # fmt: skip
            return fitted, float(log_norm.mean()), None

        run = EMDriver(self.params.max_iter, self.params.tol).run(
            step, state.parameters
        )
        return _State(
            run.state, state.component_classes, self.n_known, run.lower_bound,
            run.n_iter,
        )  # fmt: skip

    # ---------------------------------------------------------- moves
    def _novel_rows(self, state):
        """Unlabelled rows hard-assigned to each novel component."""
        assignment = np.argmax(self._log_joint(state), axis=1)
        novel = np.flatnonzero(state.component_classes >= self.n_known)
        return {k: np.flatnonzero(self.unlabelled & (assignment == k)) for k in novel}

    def _accept(self, log_ratio, probability, rng):
        if log_ratio > 0:
            return True, False
        if probability > 0 and rng.random_sample() < probability:
            return True, True
        return False, False

    def round(self, state, rng):
        """One round of split and merge proposals; returns the new state."""
        params, X = self.params, self.X
        all_rows_of = self._novel_rows(state)
        # Drop novel components that explain almost nothing.
        rows_of = {
            k: r for k, r in all_rows_of.items() if r.size >= params.min_cluster_size
        }
        record = {"n_components_before": int(state.component_classes.size),
                  "splits": [], "merges": []}  # fmt: skip
        moved, new_groups = set(), []
        for k, rows in rows_of.items():
            if rows.size < 2 * params.min_cluster_size:
                continue
            halves = self._kmeans_groups(rows, 2, rng)
            if min(h.size for h in halves) < params.min_cluster_size:
                continue
            log_h = log_split_hastings_ratio(
                X[halves[0]], X[halves[1]], self.prior, params.concentration
            )
            accepted, at_random = self._accept(log_h, params.split_prob, rng)
            record["splits"].append(
                {"component": int(k), "log_hastings": log_h,
                 "accepted": accepted, "at_random": at_random}
            )  # fmt: skip
            if accepted:
                moved.add(k)
                new_groups.extend(halves)
        centroids = {k: X[r].mean(axis=0) for k, r in rows_of.items()}
        proposed = set()
        for k in rows_of:
            if k in moved:
                continue
            partners = [j for j in rows_of if j != k and j not in moved]
            if not partners:
                continue
            j = min(partners, key=lambda j: np.sum((centroids[j] - centroids[k]) ** 2))
            if frozenset((k, j)) in proposed:
                continue
            proposed.add(frozenset((k, j)))
            log_h = -log_split_hastings_ratio(
                X[rows_of[k]], X[rows_of[j]], self.prior, params.concentration
            )
            accepted, at_random = self._accept(log_h, params.merge_prob, rng)
            record["merges"].append(
                {"components": (int(k), int(j)), "log_hastings": log_h,
                 "accepted": accepted, "at_random": at_random}
            )  # fmt: skip
            if accepted:
                moved.update((k, j))
                new_groups.append(np.concatenate([rows_of[k], rows_of[j]]))
        kept_novel = [rows_of[k] for k in rows_of if k not in moved]
        novel_groups = kept_novel + new_groups
        dropped = len(all_rows_of) - len(rows_of)
        record["n_dropped"] = dropped
        if not moved and not dropped:
            record["n_components_after"] = record["n_components_before"]
            self.history.append(record)
            return state
        state = self._rebuild(state, novel_groups)
        record["n_components_after"] = int(state.component_classes.size)
        self.history.append(record)
        return state

    def _rebuild(self, state, novel_groups):
        """Known components as they are; novel ones from their row groups."""
        known = state.component_classes < self.n_known
        kept = state.parameters
        new = self._parameters_from_groups(novel_groups) if novel_groups else None

        def stacked(name, shared=False):
            added = None if new is None else getattr(new, name)
            return _stack(getattr(kept, name), known, added, shared)

        shared = kept.covariance.shared
        means = stacked("means")
        covariances = stacked("covariances", shared)
        precisions_chol = stacked("precisions_cholesky", shared)
        n_total = means.shape[0]
        weights = np.full(n_total, 1.0 / n_total)
        component_classes = np.r_[
            state.component_classes[known],
            np.arange(self.n_known, self.n_known + len(novel_groups)),
        ]
        return _State(
            GaussianComponents(
                weights, means, covariances, precisions_chol, kept.covariance
            ),
            component_classes,
            self.n_known,
        )

    def partition_log_posterior(self, state):
        """DP-NIW log posterior (up to a constant) of the hard partition.

        ``sum_k [log alpha + log Gamma(N_k) + log f(X_k)]`` over non-empty
        components: the quantity whose differences are the split/merge
        Hastings ratios, so rounds can be compared.
        """
        allowed = self._allowed(state.component_classes)
        resp, _ = masked_posteriors(self._log_joint(state), allowed)
        assignment = np.argmax(resp, axis=1)
        total = 0.0
        for k in np.unique(assignment):
            rows = self.X[assignment == k]
            total += (
                np.log(self.params.concentration)
                + gammaln(len(rows))
                + niw_log_marginal_likelihood(rows, self.prior)
            )
        return float(total)

    def run(self, rng):
        """Explore with split/merge rounds; keep the best partition seen."""
        report = progress_reporter(self.params.verbose, "SemiSupervisedGMM")
        state = self.em(self._initial_state(rng))
        best, best_score = state, self.partition_log_posterior(state)
        report(f"start: {state.n_novel} novel class(es), log posterior "
               f"{best_score:.2f}")  # fmt: skip
        sizes = [state.component_classes.size]
        # The bar's total is max_rounds: the rounds stop early once stable.
        rounds = progress(
            range(self.params.max_rounds), verbose=self.params.verbose,
            label="SemiSupervisedGMM: split/merge", unit="round",
        )  # fmt: skip
        for round_number in rounds:
            state = self.round(state, rng)
            state = self.em(state)
            score = self.partition_log_posterior(state)
            self.history[-1]["log_posterior"] = score
            report(
                f"round {round_number + 1}/{self.params.max_rounds}: "
                f"{state.n_novel} novel class(es), log posterior {score:.2f}"
            )
            if score > best_score:
                best, best_score = state, score
            sizes.append(state.component_classes.size)
            if (
                len(sizes) > self.params.n_stable_rounds
                and len(set(sizes[-self.params.n_stable_rounds - 1 :])) == 1
            ):
                self.converged = True
                break
        return best


def _prior(X, class_index, prior_covariance, prior_pseudo_count):
    if isinstance(prior_covariance, str):
        labelled = class_index >= 0
        expected = pooled_within_class_covariance(X[labelled], class_index[labelled])
    else:
        expected = prior_covariance * np.atleast_2d(np.cov(X, rowvar=False))
    if isinstance(prior_pseudo_count, str):
        labelled = class_index[class_index >= 0]
        prior_pseudo_count = float(np.median(np.bincount(labelled)))
    return niw_prior(X.mean(axis=0), expected, nu=X.shape[1] + 2 + prior_pseudo_count)


def _stack(array, known, new, shared):
    """Known components' rows of a parameter, then the new ones."""
    if shared:
        return array if new is None else new  # shared: re-estimated by EM anyway
    return array[known] if new is None else np.concatenate([array[known], new])
