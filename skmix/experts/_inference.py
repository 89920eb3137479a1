"""Parameter vectors, per-subject scores and covariance of the estimates.

Standard errors come from the observed information ``-H``, the Hessian of the
log-likelihood at the estimate, found by central differences of the analytic
total score; robust (sandwich, Huber-White) errors use
``H^-1 (sum_i s_i s_i') H^-1`` with per-subject scores ``s_i``.
"""

import warnings

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from .._core._progress import progress
from ..exceptions import SingularInformationWarning
from ._curves import GrowthCurve
from ._likelihood import (
    PER_WAVE_RESIDUALS,
    RANDOM_EFFECT_STRUCTURES,
    SHARED_RESIDUALS,
    ExpertParams,
    class_scores,
    e_step,
    gating_log_proba,
)


class ParameterLayout:
    """Order and names of the free parameters as one flat vector.

    Per class ``k``: factor means, expert coefficients, random-effect
    (co)variances (lower triangle; diagonal for 'diag'; once for all classes
    when 'tied'), residual variance (one, or one per wave), curve
    parameters. Then what all classes share (class "all"): tied
    covariances, then shared residual variances ('shared': one; 'occasion':
    one per wave). Then the gating coefficients of classes 2..K (class 1 is
    the reference). ``random_effects`` is a name or a structure of
    ``RANDOM_EFFECT_STRUCTURES``; ``residual_variance`` one of
    ``RESIDUAL_VARIANCES``, with ``wave_labels`` naming the waves of the
    per-wave options (as ``residual_variance[t=0]``: wave labels ``t=0``).
    """

    def __init__(self, curve, n_classes, n_expert, n_gating, random_effects,
                 expert_names, gating_names, residual_variance="class",
                 wave_labels=None):  # fmt: skip
        self.curve = curve
        self.n_classes = n_classes
        self.n_factors = curve.n_factors
        self.n_expert = n_expert
        self.n_gating = n_gating
        if isinstance(random_effects, str):
            random_effects = RANDOM_EFFECT_STRUCTURES[random_effects]
        self.random_effects = random_effects
        self.expert_names = list(expert_names)
        self.gating_names = list(gating_names)
        q = self.n_factors
        self.psi_index = random_effects.free_index(q)
        # Shared (tied) covariances come once, after the classes.
        self.per_class_psi = not random_effects.shared
        self.residual_variance = residual_variance
        self.wave_labels = wave_labels
        self.per_wave_theta = residual_variance in PER_WAVE_RESIDUALS
        self.per_class_theta = residual_variance not in SHARED_RESIDUALS
        if self.per_wave_theta:
            if wave_labels is None:
                raise ValueError(f"residual_variance={residual_variance!r} "
                                 "needs the wave labels.")  # fmt: skip
            self.theta_names = [f"residual_variance[{w}]" for w in wave_labels]
        else:
            self.theta_names = ["residual_variance"]
        self._names = self._build_names(expert_names, gating_names)

    @property
    def n_psi(self):
        return len(self.psi_index[0])

    def _psi_names(self):
        names = self.curve.factor_names
        return [
            f"var({names[a]})" if a == b else f"cov({names[b]},{names[a]})"
            for a, b in zip(*self.psi_index, strict=True)
        ]

    def _build_names(self, expert_names, gating_names):
        """(class, block, term) of every free parameter, in vector order."""
        rows = []
        factors = self.curve.factor_names
        # A mixture of regressions names its slopes as statsmodels and
        # flexmix do ('x'); growth factors need the factor ('slope~x').
        single = tuple(factors) == ("intercept",)
        for k in range(self.n_classes):
            c = k + 1
            rows += [(c, "mean", f) for f in factors]
            rows += [
                (c, "expert", x if single else f"{f}~{x}")
                for f in factors
                for x in expert_names
            ]
            if self.per_class_psi:
                rows += [(c, "covariance", n) for n in self._psi_names()]
            if self.per_class_theta:
                rows += [(c, "residual", n) for n in self.theta_names]
            rows += [(c, "curve", n) for n in self.curve.nonlinear_names]
        if not self.per_class_psi:
            rows += [("all", "covariance", n) for n in self._psi_names()]
        if not self.per_class_theta:
            rows += [("all", "residual", n) for n in self.theta_names]
        for k in range(1, self.n_classes):
            rows += [(k + 1, "gating", g) for g in ("intercept", *gating_names)]
        return rows

    @property
    def names(self):
        return list(self._names)

    def __len__(self):
        return len(self._names)

    def pack(self, params):
        parts = []
        for k in range(self.n_classes):
            parts += [params.alpha[k], params.B[k].ravel()]
            if self.per_class_psi:
                parts.append(params.psi[k][self.psi_index])
            if self.per_class_theta:
                parts.append(np.ravel(params.theta[k : k + 1]))
            parts.append(params.phi[k])
        if not self.per_class_psi:
            parts.append(params.psi[0][self.psi_index])
        if not self.per_class_theta:
            parts.append(np.ravel(params.theta[0:1]))
        parts.append(params.beta[1:].ravel())
        return np.concatenate(parts)

    def unpack(self, vector):
        q, p, K = self.n_factors, self.n_expert, self.n_classes
        n_nl = self.curve.n_nonlinear
        alpha, B = np.empty((K, q)), np.empty((K, q, p))
        n_theta = len(self.theta_names)
        theta = np.empty((K, n_theta) if self.per_wave_theta else K)
        psi, phi = np.zeros((K, q, q)), np.empty((K, n_nl))
        at = 0

        def take(size):
            nonlocal at
            at += size
            return vector[at - size : at]

        rows, cols = self.psi_index
        for k in range(K):
            alpha[k] = take(q)
            B[k] = take(q * p).reshape(q, p)
            if self.per_class_psi:
                psi[k][rows, cols] = psi[k][cols, rows] = take(self.n_psi)
            if self.per_class_theta:
                theta[k] = take(n_theta) if self.per_wave_theta else take(1)[0]
            phi[k] = take(n_nl)
        if not self.per_class_psi:
            psi[:, rows, cols] = psi[:, cols, rows] = take(self.n_psi)
        if not self.per_class_theta:
            theta[:] = take(n_theta) if self.per_wave_theta else take(1)[0]
        beta = np.zeros((K, self.n_gating))
        beta[1:] = take((K - 1) * self.n_gating).reshape(K - 1, self.n_gating)
        return ExpertParams(alpha, B, psi, theta, phi, beta)

    def score_matrix(self, data, params):
        """Per-subject scores ``d log L_i / d vector``, shape (n, n_params)."""
        terms, resp, _ = e_step(self.curve, data, params)
        n = len(data.Y)
        rows, cols = self.psi_index
        # A symmetric matrix entry off the diagonal appears twice.
        psi_factor = np.where(rows == cols, 1.0, 2.0)
        blocks, tied, shared_theta = [], 0.0, 0.0
        theta_key = "theta_by_wave" if self.per_wave_theta else "theta"
        for k in range(self.n_classes):
            s = class_scores(self.curve, data, params, k, terms[k],
                             self.random_effects)  # fmt: skip
            w = resp[:, k : k + 1]
            blocks += [
                w * s["alpha"],
                w * s["B"].reshape(n, self.n_factors * self.n_expert),
            ]
            psi_scores = s["psi"][:, rows, cols] * psi_factor
            if self.per_class_psi:
                blocks.append(w * psi_scores)
            else:
                tied = tied + w * psi_scores
            theta_scores = w * s[theta_key].reshape(n, -1)
            if self.per_class_theta:
                blocks.append(theta_scores)
            else:
                shared_theta = shared_theta + theta_scores
            blocks.append(w * s["phi"])
        if not self.per_class_psi:
            blocks.append(tied)
        if not self.per_class_theta:
            blocks.append(shared_theta)
        proba = np.exp(gating_log_proba(data.Z, params.beta))
        for k in range(1, self.n_classes):
            blocks.append((resp[:, k] - proba[:, k])[:, None] * data.Z)
        return np.column_stack(blocks)

    def gradient(self, data, vector):
        return self.score_matrix(data, self.unpack(vector)).sum(axis=0)

    def covariances(self, data, params, verbose=0):
        """Model-based and robust covariances (:func:`estimate_covariances`)."""
        return estimate_covariances(self, data, params, verbose)

    def hessian(self, data, vector, relative_step=1e-5, verbose=0):
        """Central differences of the analytic total score."""
        H = central_jacobian(
            lambda v: self.gradient(data, v), vector, relative_step, verbose
        )
        return (H + H.T) / 2


def central_jacobian(function, vector, relative_step, verbose=0):
    """Jacobian of ``function`` at ``vector`` by central differences, with a
    step of ``relative_step * max(1, |x_j|)`` in each coordinate.

    The differences are divided by the step actually taken (``x + h`` and
    ``x - h`` are rounded), so a linear map (a relabelling of the classes)
    comes out exact rather than to ``eps / relative_step``. ``verbose``
    draws a bar over the coordinates (tqdm).
    """
    columns = []
    coordinates = progress(
        range(vector.size), verbose=verbose, label="standard errors",
        unit="parameter",
    )  # fmt: skip
    for j in coordinates:
        h = relative_step * max(1.0, abs(vector[j]))
        plus, minus = vector.copy(), vector.copy()
        plus[j] += h
        minus[j] -= h
        columns.append(
            (np.asarray(function(plus), float) - np.asarray(function(minus)))
            / (plus[j] - minus[j])
        )
    return np.column_stack(columns)


def original_scale_layout(layout):
    """Layout of the parameters on the curve's original scale.

    Original-scale covariances are full (a linear map of a diagonal or tied
    matrix is neither).
    """
    renamed = GrowthCurve()
    renamed.factor_names = layout.curve.original_names
    renamed.nonlinear_names = layout.curve.nonlinear_names
    return ParameterLayout(
        renamed, layout.n_classes, layout.n_expert, layout.n_gating,
        layout.random_effects if layout.random_effects.fixed_at_zero
        else RANDOM_EFFECT_STRUCTURES["full"],
        layout.expert_names, layout.gating_names, layout.residual_variance,
        layout.wave_labels,
    )  # fmt: skip


def to_original_scale(layout, original_layout, vector):
    """Map a fitted parameter vector to the original-scale layout."""
    params = layout.unpack(vector)
    A = np.stack([layout.curve.original_scale(phi) for phi in params.phi])
    return original_layout.pack(
        params._replace(
            alpha=np.einsum("kqr,kr->kq", A, params.alpha),
            B=A @ params.B,
            psi=A @ params.psi @ A.transpose(0, 2, 1),
        )
    )


class CovariateScaling:
    """The map between covariates on X's scale and on the fitting scale.

    The fit sees column ``j`` of X divided by ``scales[j]`` (a power of two,
    see :func:`~skmix.experts._design.column_scales`). An expert or gating
    coefficient of that column on the fitting scale is ``scales[j]`` times
    the coefficient on X's scale; every other parameter is shared.
    """

    def __init__(self, expert_scales, gating_scales):
        self.expert_scales = np.asarray(expert_scales, dtype=np.float64)
        # The gate's intercept is not scaled.
        self.gating_scales = np.r_[1.0, np.asarray(gating_scales, dtype=np.float64)]

    def to_original(self, params):
        """Parameters fitted on the fitting scale, on X's scale."""
        return params._replace(
            B=params.B / self.expert_scales, beta=params.beta / self.gating_scales
        )

    def to_fitting(self, params):
        return params._replace(
            B=params.B * self.expert_scales, beta=params.beta * self.gating_scales
        )

    def covariance_to_original(self, layout, covariance):
        return covariance_to_original(layout, self, covariance)


def scale_factors(layout, scaling):
    """``d`` with ``layout.pack(scaling.to_original(p)) = d * layout.pack(p)``:
    a coefficient's column scale, 1 for every other parameter (`scaling` a
    :class:`CovariateScaling` or the GLM experts' equivalent)."""
    like = layout.unpack(np.zeros(len(layout)))
    ones = type(like)(*(np.ones_like(a) for a in like))
    return layout.pack(scaling.to_original(ones))


def covariance_to_original(layout, scaling, covariance):
    """The covariance of the packed estimates on X's scale."""
    d = scale_factors(layout, scaling)
    return covariance * d[:, None] * d[None, :]


def estimate_covariances(layout, data, params, verbose=0):
    """Model-based and robust covariance matrices of the free parameters."""
    vector = layout.pack(params)
    information = -layout.hessian(data, vector, verbose=verbose)
    scores = layout.score_matrix(data, params)
    covariance = _inverse_information(information, layout.names)
    robust = covariance @ (scores.T @ scores) @ covariance
    return covariance, robust


#: Eigenvalues of the information below this fraction of the largest make
#: it numerically singular (about 1e-11 in float64 units of the scaled fit).
_SINGULAR_RATIO = 1e3 * np.finfo(np.float64).eps


def _inverse_information(information, names):
    """The inverse of the observed information, or, when it is singular or
    not positive definite, its pseudo-inverse with a warning naming the
    weakest parameter direction."""
    symmetric = (information + information.T) / 2
    values, vectors = np.linalg.eigh(symmetric)
    largest = max(abs(values[-1]), np.finfo(np.float64).tiny)
    if values[0] > _SINGULAR_RATIO * largest:
        return np.linalg.inv(symmetric)
    weakest = names[int(np.argmax(np.abs(vectors[:, 0])))]
    warnings.warn(
        "The observed information matrix is "
        + ("not positive definite" if values[0] < 0 else "singular")
        + f" (smallest eigenvalue {values[0]:.3g}, largest {values[-1]:.3g}; "
        f"weakest direction mostly {'/'.join(map(str, weakest))}): standard "
        "errors come from a pseudo-inverse and are unreliable. A class may "
        "have too few subjects, a parameter may not be identified, or the "
        "fit is not at a maximum; try fewer classes or more starts.",
        SingularInformationWarning,
        stacklevel=4,
    )
    return np.linalg.pinv(symmetric)


#: Confidence-interval methods: Wald intervals on each parameter's natural
#: scale (:func:`interval_scales`), and plain symmetric Wald intervals.
INTERVAL_METHODS = ("transformed", "wald")
#: The methods of :meth:`MixtureResults.conf_int`: the Wald ones, profile
#: likelihood (:mod:`._profile`) and parametric bootstrap
#: (:mod:`._bootstrap_intervals`), which need the training design.
RESULTS_INTERVAL_METHODS = (*INTERVAL_METHODS, "profile", "bootstrap")


def interval_scales(names, knot_range=None):
    """The scale of each parameter's Wald interval, from its name.

    Parameters
    ----------
    names : list of (class, block, term)
    knot_range : (float, float) or None
        The observed time range ``(t_min, t_max)`` the knots lie in, or None
        when it is unknown.

    Returns
    -------
    scales : ndarray of str
        'log' for parameters positive by definition: residual variances and
        dispersions (blocks 'residual' and 'dispersion': Gaussian variances,
        negative-binomial theta, gamma shape) and random-effect variances
        (``var(...)`` terms of block 'covariance'); 'logit' for spline knots
        (block 'curve', terms 'knot...') when ``knot_range`` is known;
        'linear' for the rest (coefficients, covariances, other curve
        parameters, knots of an unknown range).
    """

    def scale(block, term):
        if block in ("residual", "dispersion") or (
            block == "covariance" and term.startswith("var(")
        ):
            return "log"
        if block == "curve" and term.startswith("knot") and knot_range is not None:
            return "logit"
        return "linear"

    return np.array([scale(block, str(term)) for _, block, term in names])


def observed_time_range(time):
    """``(t_min, t_max)`` of the common measurement times, or None."""
    if time is None:
        return None
    return float(np.min(time)), float(np.max(time))


def confidence_bounds(estimates, se, level, scales, knot_range=None):
    """Lower and upper Wald bounds at ``level``, each on its parameter's scale.

    'linear': ``est +- z se``. 'log': ``exp(log est +- z se / est)`` (the
    delta method's SE of ``log est``), always positive. 'logit' on
    ``(a, b) = knot_range``: the Wald interval of ``logit u``, ``u = (est -
    a) / (b - a)``, with SE ``se (b - a) / ((est - a) (b - est))``, mapped
    back, so within ``(a, b)``. An estimate outside a scale's domain keeps
    the symmetric interval.
    """
    estimates = np.asarray(estimates, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    z = norm.ppf(0.5 + level / 2)
    lower, upper = estimates - z * se, estimates + z * se
    log = (scales == "log") & (estimates > 0)
    est = estimates[log]
    half = z * se[log] / est
    # A huge relative SE gives an infinite upper bound, not a warning.
    with np.errstate(over="ignore"):
        lower[log] = np.exp(np.log(est) - half)
        upper[log] = np.exp(np.log(est) + half)
    if knot_range is not None:
        a, b = knot_range
        logit = (scales == "logit") & (estimates > a) & (estimates < b)
        est = estimates[logit]
        centre = np.log((est - a) / (b - est))
        half = z * se[logit] * (b - a) / ((est - a) * (b - est))
        lower[logit] = a + (b - a) * expit(centre - half)
        upper[logit] = a + (b - a) * expit(centre + half)
    return lower, upper


def confidence_intervals(names, estimates, se, level, method="transformed",
                         knot_range=None):  # fmt: skip
    """Bounds by ``method`` (one of ``INTERVAL_METHODS``): on the scales of
    :func:`interval_scales` ('transformed'), or all symmetric ('wald')."""
    scales = (
        interval_scales(names, knot_range)
        if method == "transformed"
        else np.full(len(names), "linear")
    )
    return confidence_bounds(estimates, se, level, scales, knot_range)


def parameter_table(names, estimates, covariance, level=0.95,
                    method="transformed", knot_range=None):  # fmt: skip
    """Tidy table: class, block, term, estimate, SE, z, p and a Wald CI.

    ``method='transformed'`` puts each interval on its parameter's scale
    (:func:`interval_scales`, :func:`confidence_bounds`); 'wald' keeps every
    interval symmetric. The SEs, z and p are the same for both.
    """
    variance = np.diag(covariance)
    se = np.sqrt(np.where(variance > 0, variance, np.nan))
    z = estimates / se
    lower, upper = confidence_intervals(names, estimates, se, level, method,
                                        knot_range)  # fmt: skip
    table = pd.DataFrame(names, columns=["class", "block", "term"])
    table["estimate"] = estimates
    table["std_error"] = se
    table["z"] = z
    table["p_value"] = 2 * norm.sf(np.abs(z))
    table["ci_lower"] = lower
    table["ci_upper"] = upper
    return table


def delta_method(function, vector, covariance, step=1e-6):
    """Values of ``function(vector)`` and their delta-method covariance."""
    jacobian = central_jacobian(function, vector, step)
    return np.asarray(function(vector), dtype=float), jacobian @ covariance @ jacobian.T


def expected_trajectories(curve, params, time, experts):
    """Each class's expected trajectory ``Lambda(t; phi_k) (alpha_k + B_k
    x)`` at expert covariates `experts`, shape (n_classes, n_points)."""
    return np.stack([
        curve.loadings(time, params.phi[k]) @ (params.alpha[k] + params.B[k] @ experts)
        for k in range(len(params.alpha))
    ])  # fmt: skip


def trajectory_bands(curve, layout, vector, covariance, time, experts, level):
    """Pointwise Wald bands of the classes' expected trajectories.

    The delta method through every parameter a trajectory depends on (the
    growth factors' means and covariate effects, and the knots, on which it
    depends non-linearly). Returns ``(trajectories, lower, upper)``, each of
    shape (n_classes, n_points).
    """

    def flat(vector):
        return expected_trajectories(
            curve, layout.unpack(vector), time, experts
        ).ravel()

    values, cov = delta_method(flat, vector, covariance)
    half = norm.ppf(0.5 + level / 2) * np.sqrt(np.clip(np.diag(cov), 0.0, None))
    shape = (layout.n_classes, len(time))
    return tuple(a.reshape(shape) for a in (values, values - half, values + half))
