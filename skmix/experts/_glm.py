"""Mixtures of generalised linear experts with a multinomial-logit gate.

Model (flexmix's ``FLXMRglm`` with a ``FLXPmultinom`` concomitant model).
Subject ``g`` (a group of rows, or one row) belongs to class ``k`` with
probability ``pi_gk = softmax(Z_g beta)_k``; within class ``k`` its rows are
independent with ``y_i ~ family(eta_ik)``, ``eta_ik = x_i' b_k + offset_i``.
The subject's likelihood is ``sum_k pi_gk prod_{i in g} f_k(y_i)``, and a
frequency weight ``w_g`` counts it ``w_g`` times.

EM: the E-step gives the posterior ``tau_gk``; the M-step fits every class's
GLM by Fisher scoring with row weights ``w_g tau_gk`` (classes are fitted
jointly when coefficients are shared across them), then each dispersion
and the gate. Pure functions: nothing here reads or writes an estimator.
"""

from typing import NamedTuple

import numpy as np
from scipy import sparse

from .._core import EMDriver
from ._inference import (
    _inverse_information,
    central_jacobian,
    covariance_to_original,
)
from ._likelihood import _logsumexp_rows, gating_log_proba, m_step_gating
from ._starts import StartRunner, emem_finalists, runs_to_convergence, start_kinds


class GLMData(NamedTuple):
    """Validated arrays of a mixture of GLM experts.

    ``X`` has the intercept column first; rows of one subject share its
    gating row ``Z[g]`` and weight ``subject_weights[g]``; ``membership`` is
    the (n_subjects, n_rows) 0/1 matrix of the groups (None: a subject is a
    row).
    """

    y: np.ndarray  # (n,)
    X: np.ndarray  # (n, 1 + p)
    offset: np.ndarray  # (n,)
    trials: np.ndarray  # (n,)
    subject: np.ndarray  # (n,) subject index of each row
    Z: np.ndarray  # (G, 1 + p_g)
    subject_weights: np.ndarray  # (G,)
    membership: object  # scipy.sparse (G, n) or None


class GLMParams(NamedTuple):
    """Parameters of a K-class mixture of GLM experts."""

    coef: np.ndarray  # (K, 1 + p), intercept first
    dispersion: np.ndarray  # (K,), NaN for families without one
    beta: np.ndarray  # (K, 1 + p_g), beta[0] = 0


class EMFailure(Exception):
    """A start emptied a class or collapsed a dispersion."""


def membership_matrix(subject, n_subjects):
    """The sparse 0/1 matrix summing rows into their subjects."""
    n = len(subject)
    return sparse.csr_matrix(
        (np.ones(n), (subject, np.arange(n))), shape=(n_subjects, n)
    )


def subject_sums(data, values):
    """Sum row values (n, ...) into subjects (G, ...)."""
    if data.membership is None:
        return values
    return np.asarray(data.membership @ values)


def linear_predictors(data, coef):
    """``eta`` of every row in every class, shape (n, K)."""
    return data.X @ coef.T + data.offset[:, None]


def row_log_densities(family, data, params, eta=None):
    eta = linear_predictors(data, params.coef) if eta is None else eta
    return np.column_stack([
        family.log_density(data.y, eta[:, k], params.dispersion[k], data.trials)
        for k in range(eta.shape[1])
    ])  # fmt: skip


def e_step(family, data, params):
    """Linear predictors, posteriors (G, K) and each subject's log-likelihood."""
    eta = linear_predictors(data, params.coef)
    log_joint = gating_log_proba(data.Z, params.beta) + subject_sums(
        data, row_log_densities(family, data, params, eta)
    )
    log_norm = _logsumexp_rows(log_joint)
    return eta, np.exp(log_joint - log_norm[:, None]), log_norm


class CoefficientMap:
    """Where each class's coefficient lives in the free coefficient vector.

    ``index[k, j]`` is the position of class ``k``'s coefficient of column
    ``j``, or -1 where it is fixed at zero; a shared column has one position
    for all classes (flexmix's ``FLXMRglmfix(fixed = ~ x)``). Class-specific
    coefficients come class by class, then the shared ones.

    Parameters
    ----------
    n_classes, n_columns : int
    shared : array-like of bool of shape (n_columns,)
    zero : array-like of bool of shape (n_classes, n_columns), optional
        Coefficients fixed at zero (flexmix's ``nested`` models: a class
        without some covariates).
    """

    def __init__(self, n_classes, n_columns, shared, zero=None):
        shared = np.zeros(n_columns, dtype=bool) | np.asarray(shared, dtype=bool)
        zero = np.zeros((n_classes, n_columns), dtype=bool) | (
            False if zero is None else np.asarray(zero, dtype=bool)
        )
        index = np.full((n_classes, n_columns), -1)
        at = 0
        for k in range(n_classes):
            free = np.flatnonzero(~shared & ~zero[k])
            index[k, free] = at + np.arange(len(free))
            at += len(free)
        index[:, shared] = at + np.arange(shared.sum())
        self.index = index
        self.shared = shared
        self.zero = zero & ~shared
        self.size = at + int(shared.sum())
        # Every class has its own coefficient of every column (the common
        # case): the vector is the classes' coefficients end to end.
        self._plain = not (shared.any() or self.zero.any())

    @property
    def constrained(self):
        """Whether some coefficients are fixed at zero (classes then differ,
        so they are not relabelled by size)."""
        return bool(self.zero.any())

    def pack(self, coef):
        if self._plain:
            return np.array(coef, dtype=float).ravel()
        vector = np.empty(self.size)
        free = self.index >= 0
        vector[self.index[free]] = coef[free]  # shared entries are equal
        return vector

    def unpack(self, vector):
        if self._plain:
            return np.array(vector, dtype=float).reshape(self.index.shape)
        return np.where(self.index >= 0, vector[np.maximum(self.index, 0)], 0.0)

    def collect(self, per_class):
        """Sum per-class gradients (K, ..., n_columns) into the free vector."""
        if self._plain:
            return np.concatenate(list(per_class), axis=-1)
        total = np.zeros(per_class.shape[1:-1] + (self.size,))
        for k in range(self.index.shape[0]):
            free = self.index[k] >= 0
            np.add.at(total, (..., self.index[k][free]), per_class[k][..., free])
        return total

    def information(self, grams):
        """Add per-class (n_columns, n_columns) information matrices into
        the free vector's (block diagonal without shared coefficients)."""
        total = np.zeros((self.size, self.size))
        for k, gram in enumerate(grams):
            if self._plain:
                at = slice(k * len(gram), (k + 1) * len(gram))
                total[at, at] = gram
                continue
            free = self.index[k] >= 0
            where = self.index[k][free]
            total[np.ix_(where, where)] += gram[np.ix_(free, free)]
        return total

    def names(self, terms):
        """(class, term) of every free coefficient, in vector order."""
        names = [None] * self.size
        for k in range(self.index.shape[0]):
            for j, position in enumerate(self.index[k]):
                if position >= 0:
                    names[position] = ("all" if self.shared[j] else k + 1, terms[j])
        return names


def expected_log_likelihood(family, data, coef, dispersion, row_weights):
    eta = linear_predictors(data, coef)
    return float(sum(
        row_weights[:, k] @ family.log_density(data.y, eta[:, k], dispersion[k],
                                               data.trials)
        for k in range(coef.shape[0])
    ))  # fmt: skip


def m_step_coefficients(family, data, params, row_weights, coefficient_map,
                        max_iter=50, tol=1e-12):  # fmt: skip
    """Coefficients maximising the expected complete-data log-likelihood.

    Fisher scoring (IRLS) on all classes at once, so shared coefficients
    get one joint update; each step is halved until the objective does not
    decrease, which keeps EM monotone.
    """
    K = params.coef.shape[0]
    vector = coefficient_map.pack(params.coef)
    dispersion = params.dispersion

    def objective(v):
        return expected_log_likelihood(
            family, data, coefficient_map.unpack(v), dispersion, row_weights
        )

    value = objective(vector)
    for _ in range(max_iter):
        eta = linear_predictors(data, coefficient_map.unpack(vector))
        size = coefficient_map.size
        gradients, grams = [], []
        for k in range(K):
            score = family.eta_score(data.y, eta[:, k], dispersion[k], data.trials)
            weight = family.fisher_weight(eta[:, k], dispersion[k], data.trials)
            gradients.append(data.X.T @ (row_weights[:, k] * score))
            grams.append((data.X * (row_weights[:, k] * weight)[:, None]).T @ data.X)
        blocks = coefficient_map.information(grams)
        gradient = coefficient_map.collect(np.stack(gradients))
        scale = max(np.abs(np.diag(blocks)).max(), np.finfo(float).tiny)
        step = np.linalg.solve(blocks + 1e-12 * scale * np.eye(size), gradient)
        for _ in range(40):
            trial_value = objective(vector + step)
            if trial_value >= value:
                break
            step = step / 2
        else:
            break
        vector, gain, value = vector + step, trial_value - value, trial_value
        if gain <= tol * max(1.0, abs(value)):
            break
    return coefficient_map.unpack(vector)


def dispersion_floor(family, data):
    """Dispersions below this are a class fitting its rows exactly."""
    spread = np.var(data.y) if family.name == "gaussian" else 1.0
    return 1e-8 * max(spread, np.finfo(float).tiny)


def m_step(family, data, params, resp, coefficient_map):
    """One M-step: coefficients, then dispersions at them, then the gate.

    A dispersion below :func:`dispersion_floor` fails a start of several
    classes (a spurious class fitting a few subjects exactly, a maximiser
    of an unbounded likelihood); a single class keeps the floor.
    """
    weighted = resp * data.subject_weights[:, None]
    row_weights = weighted[data.subject]
    coef = m_step_coefficients(family, data, params, row_weights, coefficient_map)
    dispersion = params.dispersion.copy()
    if family.has_dispersion:
        eta = linear_predictors(data, coef)
        for k in range(len(dispersion)):
            dispersion[k] = family.update_dispersion(
                data.y, eta[:, k], row_weights[:, k], dispersion[k], data.trials
            )
        floor = dispersion_floor(family, data)
        if np.any(dispersion < floor):
            if len(dispersion) > 1:
                raise EMFailure
            dispersion[:] = floor
    beta = m_step_gating(data.Z, weighted, params.beta)
    return GLMParams(coef, dispersion, beta)


def em_step(family, data, params, coefficient_map, min_share):
    """One EM step: (new params, log-likelihood at ``params``)."""
    try:
        _, resp, log_norm = e_step(family, data, params)
        if (resp * data.subject_weights[:, None]).sum(axis=0).min() < min_share:
            raise EMFailure
        new = m_step(family, data, params, resp, coefficient_map)
    except np.linalg.LinAlgError as exc:
        raise EMFailure from exc
    log_likelihood = float(data.subject_weights @ log_norm)
    if not np.isfinite(log_likelihood):
        raise EMFailure
    return new, log_likelihood


def params_from_resp(family, data, resp, coefficient_map):
    """First parameters from a (soft) partition of the subjects: each class
    starts at the intercept-only fit of its rows, then one M-step."""
    K = resp.shape[1]
    weights = data.subject_weights[:, None] * resp
    row_weights = weights[data.subject]
    coef = np.zeros((K, data.X.shape[1]))
    dispersion = np.full(K, np.nan)
    for k in range(K):
        w = row_weights[:, k]
        coef[k, 0] = family.initial_intercept(data.y, w, data.trials, data.offset)
        if family.has_dispersion:
            dispersion[k] = max(
                family.initial_dispersion(data.y, w), dispersion_floor(family, data)
            )
    coef[:, coefficient_map.shared] = coef[:1, coefficient_map.shared]
    shares = np.maximum(weights.sum(axis=0) / weights.sum(), 1e-3)
    beta = np.zeros((K, data.Z.shape[1]))
    beta[:, 0] = np.log(shares) - np.log(shares[0])
    return m_step(family, data, GLMParams(coef, dispersion, beta), resp,
                  coefficient_map)  # fmt: skip


def permute(params, order):
    """Classes relabelled (new ``j`` = old ``order[j]``), gate re-referenced."""
    beta = params.beta[order] - params.beta[order[0]]
    return GLMParams(params.coef[order], params.dispersion[order], beta)


class GLMLayout:
    """The free parameters as one vector, their names, scores and Hessian.

    Per class: its class-specific coefficients and its dispersion; then the
    shared coefficients (class 'all'); then the gating coefficients of
    classes 2..K (class 1 is the reference).
    """

    def __init__(self, family, n_classes, coefficient_map, expert_names,
                 gating_names):  # fmt: skip
        self.family = family
        self.n_classes = n_classes
        self.coefficient_map = coefficient_map
        self.n_gating = len(gating_names) + 1
        rows = [
            (c, "expert", term)
            for c, term in coefficient_map.names(["intercept", *expert_names])
        ]
        if family.has_dispersion:
            rows += [(k + 1, "dispersion", family.dispersion_name)
                     for k in range(n_classes)]  # fmt: skip
        for k in range(1, n_classes):
            rows += [(k + 1, "gating", g) for g in ("intercept", *gating_names)]
        self.names = rows

    def __len__(self):
        return len(self.names)

    def pack(self, params):
        parts = [self.coefficient_map.pack(params.coef)]
        if self.family.has_dispersion:
            parts.append(params.dispersion)
        parts.append(params.beta[1:].ravel())
        return np.concatenate(parts)

    def unpack(self, vector):
        K, at = self.n_classes, self.coefficient_map.size
        coef = self.coefficient_map.unpack(vector[:at])
        dispersion = np.full(K, np.nan)
        if self.family.has_dispersion:
            dispersion = vector[at : at + K].copy()
            at += K
        beta = np.zeros((K, self.n_gating))
        beta[1:] = vector[at:].reshape(K - 1, self.n_gating)
        return GLMParams(coef, dispersion, beta)

    def score_matrix(self, data, params):
        """Per-subject scores ``d log L_g / d vector``, shape (G, n_params):
        the posterior-weighted complete-data scores (Louis's identity)."""
        family = self.family
        eta, resp, _ = e_step(family, data, params)
        coef_scores, dispersion_scores = [], []
        for k in range(self.n_classes):
            score = family.eta_score(data.y, eta[:, k], params.dispersion[k],
                                     data.trials)  # fmt: skip
            coef_scores.append(
                resp[:, k : k + 1] * subject_sums(data, score[:, None] * data.X)
            )
            if family.has_dispersion:
                dispersion_scores.append(resp[:, k] * subject_sums(
                    data, family.dispersion_score(
                        data.y, eta[:, k], params.dispersion[k], data.trials)
                ))  # fmt: skip
        blocks = [self.coefficient_map.collect(np.stack(coef_scores))]
        if dispersion_scores:
            blocks.append(np.column_stack(dispersion_scores))
        proba = np.exp(gating_log_proba(data.Z, params.beta))
        blocks += [(resp[:, k] - proba[:, k])[:, None] * data.Z
                   for k in range(1, self.n_classes)]  # fmt: skip
        return np.column_stack(blocks)

    def gradient(self, data, vector):
        return data.subject_weights @ self.score_matrix(data, self.unpack(vector))

    def covariances(self, data, params, relative_step=1e-5, verbose=0):
        """Inverse observed information (central differences of the
        analytic score) and the sandwich covariance."""
        vector = self.pack(params)
        hessian = central_jacobian(
            lambda v: self.gradient(data, v), vector, relative_step, verbose
        )
        information = -(hessian + hessian.T) / 2
        scores = self.score_matrix(data, params)
        covariance = _inverse_information(information, self.names)
        meat = (scores * data.subject_weights[:, None]).T @ scores
        return covariance, covariance @ meat @ covariance


def run_em(family, data, params, coefficient_map, max_iter, tol):
    """EM from ``params`` to a relative change of the log-likelihood below
    ``tol``: (params, log-likelihood, n_iter, converged); params is None
    when the start failed."""
    min_share = data.X.shape[1] + 1 - int(coefficient_map.shared.sum())

    def step(p):
        new, log_likelihood = em_step(family, data, p, coefficient_map, min_share)
        return new, log_likelihood, None

    driver = EMDriver(max_iter, tol, relative=True)
    try:
        run = driver.run(step, params)
        _, _, log_norm = e_step(family, data, run.state)
    except (EMFailure, np.linalg.LinAlgError):
        return None, -np.inf, 0, False
    log_likelihood = float(data.subject_weights @ log_norm)
    if not np.isfinite(log_likelihood):
        return None, -np.inf, 0, False
    return run.state, log_likelihood, run.n_iter, run.converged


def transformed_outcome(family, data):
    """Outcomes on (roughly) the linear predictor's scale, for k-means starts."""
    if family.name == "binomial":
        share = (data.y + 0.5) / (data.trials + 1.0)
        return np.log(share / (1 - share))
    if family.name == "gaussian":
        return data.y - data.offset
    return np.log(data.y + 0.5) - data.offset


def initial_resp(family, data, n_components, init_params, rng):
    """A hard partition of the subjects: k-means of their mean transformed
    outcome and covariates ('kmeans'), or random ('random', 'emEM')."""
    from .._core import kmeans_labels

    G = len(data.Z)
    if init_params == "kmeans":
        features = np.column_stack([transformed_outcome(family, data), data.X[:, 1:]])
        counts = subject_sums(data, np.ones(len(data.y)))
        features = subject_sums(data, features) / counts[:, None]
        scale = features.std(axis=0)
        features = (features - features.mean(axis=0)) / np.where(scale > 0, scale, 1)
        labels = kmeans_labels(features, n_components, rng, data.subject_weights)
    else:
        labels = rng.permutation(np.arange(G) % n_components)
    return np.eye(n_components)[labels]


def run_starts(family, data, coefficient_map, n_components, *, init_params,
               n_init, short_run_iter, n_final, max_iter, tol, rng,
               runner=None):  # fmt: skip
    """(params, log-likelihood, n_iter, converged) of each start run to
    convergence: every start for 'kmeans' and 'random'; for 'emEM' the best
    ``n_final`` of ``n_init`` short runs (Biernacki, Celeux & Govaert 2003)
    from k-means and random partitions in turn. ``runner``
    (:class:`StartRunner`) runs the starts, in parallel with its ``n_jobs``,
    and reports on each."""
    runner = runner or StartRunner()
    seeds = rng.randint(np.iinfo(np.int32).max, size=n_init)
    emEM = init_params == "emEM"
    kinds = start_kinds(init_params, n_init, alternate=True)
    short_run_iter = short_run_iter if emEM else 0
    results = runner.map(
        _glm_start,
        [(family, data, coefficient_map, n_components, kind, seed, short_run_iter, tol)
         for kind, seed in zip(kinds, seeds, strict=True)],
        "short runs" if emEM else "starts",
    )  # fmt: skip
    starts, start_kinds_kept = [], []
    for index, (kind, start) in enumerate(zip(kinds, results, strict=True)):
        if start is None:  # the start's partition gave no parameters
            continue
        if emEM:
            runner.report(
                f"short run {index + 1}/{n_init} ({kind}): log-likelihood "
                f"{start[0]:.4f}" if start[1] is not None else
                f"short run {index + 1}/{n_init} ({kind}): failed"
            )  # fmt: skip
            if start[1] is None:
                continue
        starts.append(start)
        start_kinds_kept.append(kind)
    if emEM:
        starts = emem_finalists(starts, start_kinds_kept, n_final)
    return runs_to_convergence(
        starts, _glm_run, (family, data, coefficient_map, max_iter, tol), runner
    )


def _glm_start(family, data, coefficient_map, n_components, kind, seed,
               short_run_iter, tol):  # fmt: skip
    """One start from the partition `kind` drawn with `seed`: (short-run
    log-likelihood, params), params None when the short run failed, the
    log-likelihood NaN without one (``short_run_iter=0``); None when the
    partition gives no parameters."""
    resp = initial_resp(family, data, n_components, kind, np.random.RandomState(seed))
    try:
        params = params_from_resp(family, data, resp, coefficient_map)
    except (np.linalg.LinAlgError, EMFailure):
        return None
    if not short_run_iter:
        return np.nan, params
    params, log_likelihood, _, _ = run_em(
        family, data, params, coefficient_map, short_run_iter, tol
    )
    return log_likelihood, params


def _glm_run(family, data, coefficient_map, max_iter, tol, params):
    """:func:`run_em` with the start last (:func:`runs_to_convergence`)."""
    return run_em(family, data, params, coefficient_map, max_iter, tol)


class GLMScaling:
    """The map between coefficients on X's scale and on the fitting scale
    (X's columns divided by powers of two; see :class:`CovariateScaling`)."""

    def __init__(self, expert_scales, gating_scales):
        self.expert_scales = np.r_[1.0, np.asarray(expert_scales, dtype=np.float64)]
        self.gating_scales = np.r_[1.0, np.asarray(gating_scales, dtype=np.float64)]

    def to_original(self, params):
        return params._replace(
            coef=params.coef / self.expert_scales, beta=params.beta / self.gating_scales
        )

    def to_fitting(self, params):
        return params._replace(
            coef=params.coef * self.expert_scales, beta=params.beta * self.gating_scales
        )

    def covariance_to_original(self, layout, covariance):
        return covariance_to_original(layout, self, covariance)


class GLMFit(NamedTuple):
    """The outcome of :func:`fit_glm_experts` (on the fitting scale)."""

    params: GLMParams
    resp: np.ndarray  # (G, K) posteriors
    log_likelihood: float
    start_log_likelihoods: np.ndarray
    n_iter: int
    converged: bool


def fit_glm_experts(family, data, coefficient_map, n_components, rng, **starts):
    """Fit from several starts (``starts``: :func:`run_starts`'s settings);
    classes ordered by decreasing (weighted) share, the gate re-referenced
    (unless coefficients fixed at zero make the classes differ).

    Raises
    ------
    ValueError
        When every start emptied a class.
    """
    runs = run_starts(family, data, coefficient_map, n_components, rng=rng,
                      **starts)  # fmt: skip
    if not runs:
        raise ValueError(
            "Every start emptied a class (too few subjects per class for "
            f"n_components={n_components}); reduce n_components or the number "
            "of covariates."
        )
    params, _, n_iter, converged = max(runs, key=lambda run: run[1])
    _, resp, log_norm = e_step(family, data, params)
    if not coefficient_map.constrained:
        shares = data.subject_weights @ resp
        params = permute(params, np.argsort(-shares, kind="stable"))
        _, resp, log_norm = e_step(family, data, params)
    return GLMFit(
        params, resp, float(data.subject_weights @ log_norm),
        np.sort([run[1] for run in runs])[::-1], n_iter, converged,
    )  # fmt: skip
