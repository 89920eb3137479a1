"""Likelihood, EM updates and scores of a mixture of trajectory experts.

Model (Liu & Perera, Psychological Methods 2023). Subject ``i`` belongs to
latent class ``k`` with multinomial-logit probability
``pi_ik = softmax(Z_i beta)_k`` (class 0 is the reference, ``beta_0 = 0``).
Within class ``k`` its growth factors are ``eta_i = alpha_k + B_k x_i + zeta_i``
with ``zeta_i ~ N(0, Psi_k)``, and its outcomes are
``y_i = Lambda(t_i; phi_k) eta_i + eps_i`` with ``eps_i ~ N(0, theta_k I)``.
Marginally ``y_i | k ~ N(Lambda m_ik, Lambda Psi_k Lambda' + theta_k I)``.
The residual variances may instead be shared by the classes, or differ by
wave (``theta_k`` a vector, ``diag(theta_k)``; :data:`RESIDUAL_VARIANCES`).

Missing waves (full-information likelihood): a missing entry gets a zero
loading row, a zero residual and unit variance, so it adds nothing to the
Mahalanobis term or the log-determinant; the ``log 2 pi`` constant counts
observed entries only.
"""

from typing import NamedTuple

import numpy as np
from scipy.optimize import minimize_scalar

from .._core import ZeroCovariance, get_covariance_model
from ._kernels import (
    MAX_FACTORS,
    class_moments,
    class_posterior,
    expected_residual_squares_by_wave,
    factor_regression,
    gate_terms,
)

LOG_2PI = np.log(2 * np.pi)
#: Covariance structures of the random growth factors, by their names.
RANDOM_EFFECT_STRUCTURES = {
    **{name: get_covariance_model(name) for name in ("full", "diag", "tied")},
    "none": ZeroCovariance(),
}
RANDOM_EFFECTS = tuple(RANDOM_EFFECT_STRUCTURES)
#: Constraints on the residual variances: one per class (``theta`` of shape
#: (K,)), one for every class and wave (shape (K,), all equal), one per wave
#: shared by the classes (shape (K, J), rows equal), one per class and wave
#: (shape (K, J)).
RESIDUAL_VARIANCES = ("class", "shared", "occasion", "class_occasion")
#: The options with a variance per wave (``theta`` of shape (K, J)).
PER_WAVE_RESIDUALS = ("occasion", "class_occasion")
#: The options whose variances are common to all classes.
SHARED_RESIDUALS = ("shared", "occasion")


class TrajectoryData(NamedTuple):
    """Validated arrays; missing outcomes are zero with ``mask`` False."""

    Y: np.ndarray  # (n, J)
    mask: np.ndarray  # (n, J) bool, True where observed
    T: np.ndarray  # (n, J) times (any finite value where missing)
    X_expert: np.ndarray  # (n, p_e)
    Z: np.ndarray  # (n, 1 + p_g) gating design with an intercept column


class ExpertParams(NamedTuple):
    """Parameters of a K-class mixture of trajectory experts."""

    alpha: np.ndarray  # (K, q) factor means at x = 0
    B: np.ndarray  # (K, q, p_e) expert coefficients
    psi: np.ndarray  # (K, q, q) random-effect covariances (zeros for 'none')
    theta: np.ndarray  # (K,) or (K, J) residual variances
    phi: np.ndarray  # (K, n_nonlinear) curve parameters
    beta: np.ndarray  # (K, 1 + p_g) gating coefficients, beta[0] = 0


class ClassTerms(NamedTuple):
    """Per-subject quantities of one class, reused by the E- and M-steps."""

    factor_means: np.ndarray  # (n, q), prior means alpha + B x
    log_density: np.ndarray  # (n,)
    posterior_mean: np.ndarray  # (n, q), E[eta | y] in this class
    posterior_cov: np.ndarray  # (n, q, q), Cov[eta | y] in this class


class DenseClassTerms(NamedTuple):
    """Per-subject quantities of one class with the full (n, J, J)
    precisions (:func:`dense_class_terms`, the reference)."""

    loadings: np.ndarray  # (n, J, q), zero rows where missing
    factor_means: np.ndarray  # (n, q)
    residuals: np.ndarray  # (n, J), zero where missing
    precisions: np.ndarray  # (n, J, J)
    weighted_residuals: np.ndarray  # (n, J), Sigma^-1 (y - mu)
    log_density: np.ndarray  # (n,)


def masked_loadings(curve, data, phi):
    return curve.loadings(data.T, phi) * data.mask[..., None]


def _covariance_root(psi):
    """``C`` with ``C C' = psi``, or None if ``psi`` is not positive
    semi-definite.

    From the eigendecomposition, so a singular ``psi`` (no random effects,
    a collapsed variance) has one too; eigenvalues negative by rounding only
    (within ``q eps`` of the largest) count as zero.
    """
    values, vectors = np.linalg.eigh(psi)
    if not np.all(np.isfinite(values)):
        return None
    scale = max(abs(values).max(), np.finfo(float).tiny)
    if values.min() < -len(values) * np.finfo(float).eps * scale:
        return None
    return vectors * np.sqrt(np.maximum(values, 0.0))


def class_terms(curve, data, params, k):
    """Marginal log-density of every subject's outcomes in class ``k``, and
    the posterior moments of its growth factors there.

    One compiled pass over the subjects
    (:func:`~skmix.experts._kernels.class_moments`: Woodbury's identity on
    the q x q matrix ``I + C' Lambda' D^-1 Lambda C`` with ``Psi = C C'``,
    never the n_waves-square covariance). Curves with more than
    :data:`~skmix.experts._kernels.MAX_FACTORS` factors, and a ``Psi`` that
    is not positive semi-definite (outside the EM's parameter space; finite
    differences may step there), take the dense reference
    :func:`dense_class_terms`.
    """
    return _class_terms(curve, data, params, k, _with_intercept(data.X_expert))


def _with_intercept(X):
    return np.column_stack([np.ones(len(X)), X])


def _class_terms(curve, data, params, k, design):
    """:func:`class_terms` with the design ``[1, x]`` given (``alpha + B x``
    as one product: adding ``alpha`` to each row of an (n, q) array is
    slower than the product)."""
    factor_means = design @ np.vstack([params.alpha[k], params.B[k].T])
    root = _covariance_root(params.psi[k])
    if root is None or curve.n_factors > MAX_FACTORS:
        dense = dense_class_terms(curve, data, params, k)
        mean, cov = _dense_posterior(dense, params.psi[k])
        return ClassTerms(factor_means, dense.log_density, mean, cov)
    log_density, mean, cov = class_moments(
        curve, data, params.phi[k], factor_means, params.theta[k], root
    )
    return ClassTerms(factor_means, log_density, mean, cov)


def dense_class_terms(curve, data, params, k):
    """:func:`class_terms` through the (n, J, J) precisions: the reference
    the compiled pass is tested against, and the fallback for any ``Psi``
    and number of factors.

    With ``D`` the diagonal residual variances, ``Sigma = D + Lambda Psi
    Lambda'`` is inverted by Woodbury's identity through the small matrix
    ``I + Lambda' D^-1 Lambda Psi`` (n_factors squared, and valid for a
    singular ``Psi``).
    """
    loadings = masked_loadings(curve, data, params.phi[k])
    factor_means = params.alpha[k] + data.X_expert @ params.B[k].T
    residuals = data.Y - _apply(loadings, factor_means)
    inv_diag = np.where(data.mask, 1.0 / params.theta[k], 1.0)
    scaled = loadings * inv_diag[..., None]  # D^-1 Lambda
    n_factors = loadings.shape[2]
    small = np.eye(n_factors) + scaled.transpose(0, 2, 1) @ loadings @ params.psi[k]
    sign, log_det_small = np.linalg.slogdet(small)
    if np.any(sign <= 0):
        raise np.linalg.LinAlgError("Covariance is not positive definite.")
    correction = params.psi[k] @ np.linalg.solve(small, scaled.transpose(0, 2, 1))
    precisions = -scaled @ correction
    diagonal = np.arange(loadings.shape[1])
    precisions[:, diagonal, diagonal] += inv_diag
    log_det = log_det_small - np.log(inv_diag).sum(axis=1)
    weighted = _apply(precisions, residuals)
    mahalanobis = (weighted * residuals).sum(axis=1)
    n_observed = data.mask.sum(axis=1)
    log_density = -0.5 * (n_observed * LOG_2PI + log_det + mahalanobis)
    return DenseClassTerms(
        loadings, factor_means, residuals, precisions, weighted, log_density
    )


def _apply(matrices, vectors):
    """Batched matrix-vector products, (n, a, b) x (n, b) -> (n, a)."""
    return (matrices @ vectors[..., None])[..., 0]


def _logsumexp_rows(A):
    """``log sum_k exp(A[:, k])`` of every row, column by column: the columns
    are few, and NumPy's reductions along a short row are slow. (The same
    additions in the same order as ``np.exp(A - top).sum(axis=1)`` for fewer
    than eight columns.)"""
    columns = A.T
    top = columns[0].copy()
    for column in columns[1:]:
        np.maximum(top, column, out=top)
    total = np.exp(columns[0] - top)
    for column in columns[1:]:
        total += np.exp(column - top)
    return np.log(total) + top


def gating_log_proba(Z, beta):
    """Log class probabilities of the multinomial-logit gate, shape (n, K)."""
    eta = Z @ beta.T
    return eta - _logsumexp_rows(eta)[:, None]


def e_step(curve, data, params):
    """Class terms, posterior class probabilities and the log-likelihood."""
    design = _with_intercept(data.X_expert)
    terms = [
        _class_terms(curve, data, params, k, design) for k in range(len(params.theta))
    ]
    resp, log_norm = class_posterior(
        data.Z, params.beta, np.column_stack([t.log_density for t in terms])
    )
    return terms, resp, log_norm


def posterior_factors(terms, psi=None):
    """Mean (n, q) and covariance (n, q, q) of the growth factors given y
    in one class (``psi`` is not needed: :func:`class_terms` has them)."""
    return terms.posterior_mean, terms.posterior_cov


def _dense_posterior(terms, psi):
    """Posterior factor moments from :class:`DenseClassTerms`."""
    gain = psi @ terms.loadings.transpose(0, 2, 1) @ terms.precisions  # (n, q, J)
    mean = terms.factor_means + _apply(gain, terms.residuals)
    cov = psi - gain @ terms.loadings @ psi
    return mean, cov


def _weighted_least_squares(design, targets, weights):
    gram = (design * weights[:, None]).T @ design
    return np.linalg.solve(gram, (design * weights[:, None]).T @ targets)


def _dense_expected_residual_squares(curve, data, phi, factor_mean, factor_cov):
    """E[(y - Lambda eta)^2] of every observed entry, shape (n, n_waves), for
    curves with more factors than the compiled pass takes.

    Per wave ``(y - l'm)^2 + l'Vl = y^2 - 2 y l'm + l'(V + mm')l``, summed
    over factor pairs on (n, n_waves) arrays.
    """
    loadings = masked_loadings(curve, data, phi)
    second_moment = factor_cov + factor_mean[:, :, None] * factor_mean[:, None, :]
    per_wave = data.Y * data.Y
    for a in range(loadings.shape[2]):
        column = loadings[:, :, a]
        per_wave = per_wave - 2 * data.Y * column * factor_mean[:, a, None]
        per_wave = per_wave + column * column * second_moment[:, a, a, None]
        for b in range(a):
            per_wave = (
                per_wave
                + 2 * column * loadings[:, :, b] * (second_moment[:, a, b, None])
            )
    return per_wave


def _expected_residual_ss_by_wave(curve, data, phis, factor_mean, factor_cov,
                                  weights):  # fmt: skip
    """The class-weighted expected residual sum of squares of each wave,
    ``sum_i w_i E[(y_ij - Lambda_ij(phi) eta_i)^2]`` over observed entries,
    at each curve parameter vector of ``phis``: shape (len(phis), n_waves).

    One compiled pass (:func:`~skmix.experts._kernels.\
expected_residual_squares_by_wave`) with the loadings evaluated inline: the
    knot search of every M-step calls this several times per class.
    """
    if curve.n_factors > MAX_FACTORS:
        return np.stack([
            weights @ _dense_expected_residual_squares(
                curve, data, phi, factor_mean, factor_cov
            )
            for phi in phis
        ])  # fmt: skip
    return expected_residual_squares_by_wave(
        curve, data, phis, factor_mean, factor_cov, weights
    )


class _ProfileObjective:
    """The M-step's objective in the curve parameters of one class: the
    expected residual sum of squares, over the waves or weighted by their
    precisions, remembering the values it has computed (the M-step asks
    again at the accepted ``phi``).

    :meth:`many` evaluates several ``phi`` in one pass over the data.
    """

    def __init__(self, curve, data, factor_mean, factor_cov, weights,
                 precision=None):  # fmt: skip
        self._arguments = (curve, data, factor_mean, factor_cov, weights)
        self._precision = precision
        self._computed = {}

    def wave_sums(self, phis):
        """Expected residual sums of squares by wave, one row per phi."""
        keys = [np.asarray(phi, dtype=np.float64).tobytes() for phi in phis]
        missing = {key: phi for key, phi in zip(keys, phis, strict=True)
                   if key not in self._computed}  # fmt: skip
        if missing:
            curve, data, *moments = self._arguments
            sums = _expected_residual_ss_by_wave(curve, data, list(missing.values()),
                                                 *moments)  # fmt: skip
            self._computed.update(zip(missing, sums, strict=True))
        return [self._computed[key] for key in keys]

    def many(self, phis):
        return [
            float(sums.sum() if self._precision is None else self._precision @ sums)
            for sums in self.wave_sums(phis)
        ]

    def __call__(self, phi):
        return self.many([phi])[0]


def _update_nonlinear(phi, bounds, objective):
    """Decrease ``objective(phi)`` coordinate-wise (a generalised M-step).

    A safeguarded Newton step with finite-difference derivatives, which is
    all EM needs (any decrease keeps it monotone); a bounded Brent search
    where the objective is not locally convex. Returns the new ``phi`` and
    the objective there. ``objective.many(phis)``, where it exists, returns
    the objective at several points at once.
    """
    phi = phi.copy()
    for j, (low, high) in enumerate(bounds):

        def at(value, j=j):
            trial = phi.copy()
            trial[j] = value
            return trial

        def along(value):
            return objective(at(value))

        h = 1e-4 * (high - low)
        x = min(max(phi[j], low + h), high - h)
        # The first values are known in advance: one pass where the
        # objective can evaluate several at once.
        points = [x, x + h, x - h] + ([] if x == phi[j] else [phi[j]])
        if hasattr(objective, "many"):
            values = objective.many([at(value) for value in points])
        else:
            values = [along(value) for value in points]
        centre, plus, minus = values[:3]
        current = centre if x == phi[j] else values[3]
        curvature = (plus - 2 * centre + minus) / h**2
        if curvature > 0:
            step = -(plus - minus) / (2 * h) / curvature
            step = np.clip(step, -0.1 * (high - low), 0.1 * (high - low))
            for _ in range(8):
                trial = min(max(x + step, low), high)
                value = along(trial)
                if value < current:
                    phi[j], current = trial, value
                    break
                step /= 2
            else:
                curvature = 0.0
        if curvature <= 0:
            found = minimize_scalar(
                along, bounds=(low, high), method="bounded",
                options={"xatol": 1e-6 * (high - low)},
            )  # fmt: skip
            if found.fun < current:
                phi[j], current = found.x, found.fun
    return phi, current


def m_step_experts(curve, data, params, terms, resp, random_effects, bounds,
                   residual_variance="class"):  # fmt: skip
    """Expert parameters maximising the expected complete-data likelihood.

    With random effects the complete data include the growth factors: their
    posterior moments give closed-form means, coefficients and covariances,
    and the curve parameters minimise the expected residual sum of squares
    (profiling out the residual variance). Without random effects the experts
    are weighted least squares of the outcomes on ``Lambda kron [1, x]``.

    ``residual_variance`` (:data:`RESIDUAL_VARIANCES`) constrains the
    residual variances. With variances that differ by wave, the curve
    parameters and the regression experts minimise the residual sum of
    squares weighted by the current per-wave precisions, and the variances
    then follow at the new experts (an ECM step, Meng & Rubin 1993: each
    conditional maximisation raises the expected complete-data likelihood,
    so EM stays monotone).
    """
    n_classes, n_factors = params.alpha.shape
    if random_effects.fixed_at_zero:
        design = np.column_stack([np.ones(len(data.Y)), data.X_expert])
        n_observed = data.mask.sum(axis=1)
    per_wave = residual_variance in PER_WAVE_RESIDUALS
    alpha, B = np.empty_like(params.alpha), np.empty_like(params.B)
    psi, phi = np.empty_like(params.psi), params.phi.copy()
    theta = np.empty_like(params.theta) if per_wave else np.empty(n_classes)
    rss_by_wave = np.empty((n_classes, data.Y.shape[1]))
    for k in range(n_classes):
        weights = resp[:, k]
        # Per-wave precisions weight the residuals (None: constant across
        # waves, which plain least squares handles exactly).
        precision = 1.0 / params.theta[k] if per_wave else None
        if random_effects.fixed_at_zero:

            def profile(phi_k, weights=weights, precision=precision):
                return _regression_experts(
                    curve, data, phi_k, design, weights, precision
                )[1]

            if bounds:
                phi[k], _ = _update_nonlinear(phi[k], bounds, profile)
            fitted = _regression_experts(
                curve, data, phi[k], design, weights, precision,
                by_wave=residual_variance != "class",
            )  # fmt: skip
            coef, rss = fitted[:2]
            if residual_variance != "class":
                rss_by_wave[k] = fitted[2]
            psi[k] = 0.0
            observed = weights @ n_observed
        else:
            mean, cov = posterior_factors(terms[k])
            # Least squares of the factor means on [1, x]; Psi from the
            # centred means and the posterior covariances.
            current = np.vstack([params.alpha[k], params.B[k].T])
            coef, scatter, total, observed = factor_regression(
                data.X_expert, weights, mean, cov, data.mask, current
            )
            psi[k] = scatter / total
            profile = _ProfileObjective(curve, data, mean, cov, weights, precision)
            if bounds:
                phi[k], rss = _update_nonlinear(phi[k], bounds, profile)
            else:
                rss = profile(phi[k])
            if residual_variance != "class":
                rss_by_wave[k] = profile.wave_sums([phi[k]])[0]
        alpha[k], B[k] = coef[0], coef[1:].T
        if residual_variance == "class":
            theta[k] = rss / observed
    if residual_variance != "class":
        theta[:] = _residual_variances(residual_variance, rss_by_wave,
                                       resp.T @ data.mask)  # fmt: skip
    psi = random_effects.constrain(psi, resp.sum(axis=0))
    return alpha, B, psi, theta, phi


def _residual_variances(residual_variance, rss_by_wave, counts_by_wave):
    """Constrained residual variances from per-class, per-wave expected
    residual sums of squares and weighted observed counts, (K, J) each."""
    if residual_variance == "shared":
        return rss_by_wave.sum() / counts_by_wave.sum()
    if residual_variance == "occasion":
        return rss_by_wave.sum(axis=0) / counts_by_wave.sum(axis=0)
    return rss_by_wave / counts_by_wave  # class_occasion


def _regression_experts(curve, data, phi, design, weights, precision=None,
                        by_wave=False):  # fmt: skip
    """Weighted least squares of outcomes on loadings x [1, x]; (coef, RSS).

    ``precision`` (n_waves,): per-wave precision weights of the rows; the
    RSS is then weighted by them too. ``by_wave``: also return the residual
    sum of squares of each wave, weighted by ``weights`` only.
    """
    loadings = masked_loadings(curve, data, phi)
    n, n_waves, n_factors = loadings.shape
    rows = (loadings[:, :, :, None] * design[:, None, None, :]).reshape(n * n_waves, -1)
    row_weights = weights[:, None] * data.mask
    if precision is not None:
        row_weights = row_weights * precision
    row_weights = row_weights.ravel()
    flat = _weighted_least_squares(rows, data.Y.ravel(), row_weights)
    squares = (data.Y.ravel() - rows @ flat) ** 2
    rss = float(row_weights @ squares)
    coef = flat.reshape(n_factors, design.shape[1]).T
    if not by_wave:
        return coef, rss
    return coef, rss, weights @ (squares.reshape(n, n_waves) * data.mask)


def m_step_gating(Z, resp, beta, max_iter=25, tol=1e-10):
    """Multinomial logit on soft class labels by damped Newton steps.

    The objective and its derivatives are compiled passes over the subjects
    (:mod:`skmix.experts._kernels`); :func:`gating_information` is the same
    information in NumPy.
    """
    n_classes = resp.shape[1]
    if n_classes == 1:
        return np.zeros_like(beta)
    if Z.shape[1] == 1:
        log_share = np.log(np.maximum(resp.mean(axis=0), np.finfo(float).tiny))
        return (log_share - log_share[0])[:, None]
    beta = beta.copy()
    total = resp @ np.ones(n_classes)  # faster than a sum along short rows
    ridge = 1e-10 * np.eye((n_classes - 1) * Z.shape[1])

    def objective(b):
        """The objective, and the gradient and information of its negative
        (computed with it in one pass, used when the trial is accepted)."""
        value, gradient, information = gate_terms(Z, b, resp, total)
        return -value, gradient, information + ridge

    value, gradient, information = objective(beta)
    for _ in range(max_iter):
        step = np.linalg.solve(information, gradient)
        for _ in range(30):
            trial = beta.copy()
            trial[1:] += step.reshape(n_classes - 1, -1)
            trial_value, *trial_derivatives = objective(trial)
            if trial_value <= value:
                break
            step = step / 2
        else:
            break
        decrease = value - trial_value
        beta, value, (gradient, information) = trial, trial_value, trial_derivatives
        if decrease <= tol * max(1.0, abs(value)):
            break
    return beta


def gating_information(Z, proba, weights):
    """Fisher information of the non-reference gating coefficients.

    ``proba``: (n, K-1) probabilities of the non-reference classes.
    """
    n_free = proba.shape[1]
    blocks = np.empty((n_free, Z.shape[1], n_free, Z.shape[1]))
    for a in range(n_free):
        for b in range(a + 1):  # symmetric: the upper blocks mirror these
            w = weights * proba[:, a] * ((a == b) - proba[:, b])
            blocks[a, :, b, :] = (Z * w[:, None]).T @ Z
            if b < a:
                blocks[b, :, a, :] = blocks[a, :, b, :].T
    size = n_free * Z.shape[1]
    return blocks.reshape(size, size) + 1e-10 * np.eye(size)


def class_scores(curve, data, params, k, terms, random_effects, step=1e-6):
    """Per-subject gradients of ``log f_k(y_i)`` for class ``k``'s parameters.

    ``terms``: the class's :class:`ClassTerms`.

    Returns a dict of arrays: ``alpha`` (n, q), ``B`` (n, q, p_e), ``psi``
    (n, q, q) (the symmetric-matrix gradient, ``d l = tr(G dPsi)``),
    ``theta`` (n,) (of a variance common to the waves), ``theta_by_wave``
    (n, n_waves) (of one wave's variance), ``phi`` (n, n_nonlinear). Uses
    the standard result
    ``d log N(y; mu, S) = u' d mu + tr(G dS)`` with ``u = S^-1 (y - mu)`` and
    ``G = (u u' - S^-1) / 2``.

    ``S^-1`` is never formed: with ``D^-1`` the residual precisions (zero
    where missing), ``Gr = Lambda' D^-1 Lambda`` and ``P = (I + Psi Gr)^-1
    Psi`` the posterior factor covariance (``terms``), Woodbury gives ``S^-1 =
    D^-1 - D^-1 Lambda P Lambda' D^-1``, so ``u = D^-1 (r - Lambda P
    Lambda' D^-1 r)``, ``diag(S^-1)_j = d_j - d_j^2 l_j' P l_j`` and
    ``Lambda' S^-1 X = (I - Gr P) Lambda' D^-1 X``: (n, J, q) and (n, q, q)
    arrays only.
    """
    # Batched small matrix products (np.matmul) throughout: several times
    # faster than the equivalent einsums.
    loadings = masked_loadings(curve, data, params.phi[k])
    n, _, q = loadings.shape
    inv_d = np.where(data.mask, 1.0 / params.theta[k], 0.0)
    residuals = data.Y - _apply(loadings, terms.factor_means)
    cov = terms.posterior_cov
    scaled_t = (loadings * inv_d[..., None]).transpose(0, 2, 1)  # Lambda' D^-1
    gram = scaled_t @ loadings
    b = _apply(scaled_t, residuals)
    u = inv_d * (residuals - _apply(loadings, _apply(cov, b)))
    d_means = _apply(loadings.transpose(0, 2, 1), u)  # Lambda' u
    reduce = np.eye(q) - gram @ cov  # Lambda' S^-1 X = reduce @ Lambda' D^-1 X
    spread = ((loadings @ cov) * loadings).sum(axis=2)
    diag_precision = inv_d - inv_d * inv_d * spread
    random = not random_effects.fixed_at_zero
    scores = {
        "alpha": d_means,
        "B": d_means[:, :, None] * data.X_expert[:, None, :],
        # Missing entries belong to no parameter.
        "theta_by_wave": 0.5 * (u * u - diag_precision) * data.mask,
        "psi": (
            0.5 * (d_means[:, :, None] * d_means[:, None, :] - reduce @ gram)
            if random
            else np.zeros((n,) + params.psi.shape[1:])
        ),
    }
    phi = params.phi[k]
    d_phi = np.empty((n, len(phi)))
    for j in range(len(phi)):
        h = step * max(1.0, abs(phi[j]))
        plus, minus = phi.copy(), phi.copy()
        plus[j] += h
        minus[j] -= h
        d_loadings = (
            masked_loadings(curve, data, plus) - masked_loadings(curve, data, minus)
        ) / (2 * h)
        # d mu = dL m; d Sigma = dL Psi L' + L Psi dL', so tr(G d Sigma) =
        # 2 tr(L' G dL Psi), L' G dL = (L'u u'dL - L' S^-1 dL) / 2.
        d_u = _apply(d_loadings.transpose(0, 2, 1), u)
        d_phi[:, j] = (d_u * terms.factor_means).sum(axis=1)
        if random:
            l_inv_dl = reduce @ (scaled_t @ d_loadings)
            l_g_dl = 0.5 * (d_means[:, :, None] * d_u[:, None, :] - l_inv_dl)
            d_phi[:, j] += 2 * (l_g_dl * params.psi[k].T).sum(axis=(1, 2))
    scores["phi"] = d_phi
    scores["theta"] = scores["theta_by_wave"].sum(axis=1)
    return scores
