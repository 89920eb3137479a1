"""Profile-likelihood confidence intervals of a mixture of experts.

The profile-likelihood interval of parameter ``b`` at level ``1 - alpha`` is
the set of values the likelihood-ratio test does not reject::

    {b : 2 (log L_max - lp(b)) <= chi2_1(1 - alpha)},
    lp(b) = max over the other parameters of log L(b, others).

Each bound is a root of the signed root deviance ``r(b) = sign(b - b_hat)
sqrt(2 (log L_max - lp(b)))`` at ``+-sqrt(chi2_1(1 - alpha))``: bracketed by
steps outward from the estimate (doubling from the Wald half-width), then
found by Brent's method. Each ``lp(b)`` is a quasi-Newton (BFGS) maximisation
over the other parameters with the layout's analytic score, started from the
profile points already found (interpolated between two, extrapolated along
the trace beyond them, or moved along the estimates' regression on ``b``:
the tangent of the profile trace at the estimate, the direction Venzon &
Moolgavkar 1988 step along), with the others' conditional covariance at the
estimate as its first inverse Hessian.

The maximisations run in coordinates where every value is in the parameter
space (:class:`Coordinates`): positive parameters on the log scale, curve
parameters on the logit scale of the estimator's bounds (a knot within the
observed times), random-effect covariance matrices by the log-Cholesky
parametrisation (Pinheiro & Bates 1996), ordered so that a fixed variance or
covariance is a function of one entry of the Cholesky factor. So a profile
point, and a bound, is never impossible, and a maximum on the boundary of
the parameter space (a covariance matrix becoming singular as a variance is
profiled towards zero) is approached rather than stepped over. The
log-likelihood itself is ``-inf`` outside the parameter space (a variance
or dispersion not positive, a covariance matrix not positive semi-definite,
a curve parameter outside its bounds), for the starting points.

Everything runs on the fitting scale (covariates divided by powers of two,
:class:`~skmix.experts._inference.CovariateScaling`), where the likelihood
is the same and the covariance of the estimates is well scaled; bounds are
mapped back to X's scale by the same factors as the estimates.

References
----------
Venzon, D. J. & Moolgavkar, S. H. (1988). A method for computing
profile-likelihood-based confidence intervals. *Applied Statistics* 37,
87-94.

Pinheiro, J. C. & Bates, D. M. (1996). Unconstrained parametrizations for
variance-covariance matrices. *Statistics and Computing* 6, 289-296.

Nocedal, J. & Wright, S. J. (2006). *Numerical Optimization*, 2nd ed.
Springer: BFGS (section 6.1) with a backtracking Armijo line search
(section 3.1).
"""

import math
import warnings
from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq
from sklearn.exceptions import ConvergenceWarning

from ._glm import GLMParams
from ._glm import e_step as glm_e_step
from ._inference import interval_scales, scale_factors
from ._likelihood import RANDOM_EFFECT_STRUCTURES, e_step

#: Doublings of the first step (the Wald half-width) before a bound is
#: called unbounded: about 1000 Wald half-widths from the estimate.
MAX_DOUBLINGS = 10
#: Halvings toward a domain limit (a variance's zero, a knot's bound) before
#: the interval is taken to reach it.
MAX_HALVINGS = 20
#: Halvings of a step whose maximisation failed before the bound is given up.
MAX_RETRIES = 4
EPS = np.finfo(np.float64).eps


class FittedLikelihood(NamedTuple):
    """A fitted model's log-likelihood as a function of the packed vector
    (on the fitting scale), with what the profile needs around it.

    Attributes
    ----------
    loglik : callable
        ``vector -> float``; ``-inf`` outside the parameter space.
    gradient : callable
        ``vector -> ndarray``, the analytic total score.
    estimate : ndarray of shape (n_params,)
    maximum : float
        The fitted log-likelihood.
    covariance : ndarray of shape (n_params, n_params)
        Inverse observed information at the estimate.
    low, high : ndarray of shape (n_params,)
        Each parameter's range (``-inf``/``inf`` when unbounded).
    factors : ndarray of shape (n_params,)
        X's scale is ``factors * vector``.
    psi_groups : list of (positions, rows, cols)
        Each random-effect covariance matrix with covariances (structures
        'full' and 'tied'): the positions of its free entries in the
        vector and their (row, column) in the matrix.
    """

    loglik: object
    gradient: object
    estimate: np.ndarray
    maximum: float
    covariance: np.ndarray
    low: np.ndarray
    high: np.ndarray
    factors: np.ndarray
    psi_groups: list = []


class Maximum(NamedTuple):
    x: np.ndarray
    value: float
    converged: bool


class ProfileFailure(Exception):
    """A profile point could not be maximised."""


def parameter_limits(names, curve, bounds):
    """Range ``(low, high)`` of each parameter, from its name.

    Positive parameters (those :func:`interval_scales` puts on the log
    scale: residual variances, dispersions, random-effect variances) get
    ``(0, inf)``; curve parameters the estimator's bounds (``bounds[j]`` for
    ``curve.nonlinear_names[j]``: within the observed times for a knot);
    the rest ``(-inf, inf)``.
    """
    low, high = np.full(len(names), -np.inf), np.full(len(names), np.inf)
    low[interval_scales(names) == "log"] = 0.0
    curve_names = list(curve.nonlinear_names) if curve is not None else []
    for i, (_, block, term) in enumerate(names):
        if block == "curve" and term in curve_names:
            low[i], high[i] = bounds[curve_names.index(term)]
    return low, high


def admissible(params, structure=None, bounds=()):
    """Whether finite `params` lie in the parameter space: dispersions
    and residual variances positive, random-effect covariances positive
    (semi-)definite, curve parameters strictly within `bounds`."""
    if isinstance(params, GLMParams):
        # Families without a dispersion keep NaN there.
        dispersion = params.dispersion[np.isfinite(params.dispersion)]
        return bool(np.all(dispersion > 0))
    if not np.all(np.asarray(params.theta) > 0):
        return False
    for j, (low, high) in enumerate(bounds):
        if not np.all((params.phi[:, j] > low) & (params.phi[:, j] < high)):
            return False
    if structure is not None and not structure.fixed_at_zero:
        # Positive semi-definite to rounding, as the likelihood takes it
        # (the profile's coordinates keep it positive definite; a matrix
        # nearly singular there may round to a zero eigenvalue).
        values = np.linalg.eigvalsh(params.psi)
        scale = np.abs(values).max(axis=-1)
        return bool(np.all(values[..., 0] >= -values.shape[-1] * EPS * scale))
    return True


def _design_of(model):
    """(params on the fitting scale, curve, random-effect structure, curve
    bounds) of a fitted model; curve and structure None for GLM experts."""
    inference = model._inference
    params = inference.scaling.to_fitting(model.params_)
    if isinstance(params, GLMParams):
        return params, None, None, ()
    data = inference.data
    return (
        params, model.curve_, RANDOM_EFFECT_STRUCTURES[model.random_effects_],
        model.curve_.nonlinear_bounds(data.T[data.mask]),
    )  # fmt: skip


def parameter_space(model):
    """``(low, high)`` of each of a fitted model's parameters
    (:func:`parameter_limits`)."""
    _, curve, _, bounds = _design_of(model)
    return parameter_limits(model._layout_.names, curve, bounds)


def fitted_likelihood(model):
    """The :class:`FittedLikelihood` of a fitted
    :class:`~skmix.experts.MixtureOfExpertsRegressor`, from the training
    design it keeps for its standard errors."""
    layout = model._layout_
    inference = model._inference
    data, scaling = inference.data, inference.scaling
    params, curve, structure, bounds = _design_of(model)
    glm = curve is None
    if glm:
        from ._families import get_family

        family = get_family(model.family_)

    def loglik(vector):
        if not np.all(np.isfinite(vector)):
            return -np.inf
        candidate = layout.unpack(vector)
        if not admissible(candidate, structure, bounds):
            return -np.inf
        # Far from the estimate densities under- or overflow: -inf, not a
        # warning.
        with np.errstate(all="ignore"):
            try:
                if glm:
                    value = (
                        data.subject_weights @ glm_e_step(family, data, candidate)[2]
                    )
                else:
                    value = e_step(curve, data, candidate)[2].sum()
            except np.linalg.LinAlgError:
                return -np.inf
        return float(value) if np.isfinite(value) else -np.inf

    def gradient(vector):
        with np.errstate(all="ignore"):
            return layout.gradient(data, vector)

    factors = scale_factors(layout, scaling)
    covariance = model.covariance_ / np.outer(factors, factors)
    low, high = parameter_limits(layout.names, curve, bounds)
    return FittedLikelihood(
        loglik, gradient, layout.pack(params), float(model.log_likelihood_),
        covariance, low, high, factors, covariance_groups(layout),
    )  # fmt: skip


def covariance_groups(layout):
    """The ``psi_groups`` of :class:`FittedLikelihood`: per class (once when
    tied) the positions, rows and columns of a covariance matrix's free
    entries, for the structures with covariances."""
    psi_index = getattr(layout, "psi_index", None)
    if psi_index is None or np.all(psi_index[0] == psi_index[1]):
        return []  # GLM experts, no or diagonal random effects
    groups = {}
    for position, (c, block, _) in enumerate(layout.names):
        if block == "covariance":
            groups.setdefault(c, []).append(position)
    return [(np.array(p), *psi_index) for p in groups.values()]


def _positive_definite_or_diagonal(matrix):
    """`matrix` if positive definite, else its absolute diagonal (a singular
    information leaves only a scale to start from)."""
    matrix = (matrix + matrix.T) / 2
    if matrix.size and np.linalg.eigvalsh(matrix)[0] > 0:
        return matrix
    diagonal = np.abs(np.diag(matrix))
    positive = diagonal[diagonal > 0]
    fill = positive.min() if positive.size else 1.0
    return np.diag(np.where(diagonal > 0, diagonal, fill))


def maximise(fun, grad, x0, inverse_hessian, max_iter=200, rtol=1e-12):
    """Maximise `fun` from `x0` by BFGS with a backtracking Armijo search.

    A point where `fun` is ``-inf`` (outside the parameter space) is never
    accepted: the step is halved. Converged when the Newton decrement ``g'
    H g`` (twice the gain the quadratic model promises) is below ``rtol
    max(1, |f|)``, or, the search failing to improve on rounding, below a
    thousand times that.

    Parameters
    ----------
    fun, grad : callable
    x0 : ndarray
        Where ``fun`` is finite.
    inverse_hessian : ndarray
        A positive-definite first approximation of ``-(d2 fun)^-1``.

    Returns
    -------
    Maximum
    """
    x = np.array(x0, dtype=np.float64)
    f = fun(x)
    if not np.isfinite(f):
        return Maximum(x, f, False)
    if x.size == 0:
        return Maximum(x, f, True)
    g = grad(x)
    H0 = inverse_hessian
    H = H0.copy()
    for _ in range(max_iter):
        direction = H @ g
        decrement = g @ direction
        if not decrement > 0:  # the update lost positive definiteness
            H = H0.copy()
            direction = H @ g
            decrement = g @ direction
        tol = rtol * max(1.0, abs(f))
        if decrement <= tol:
            return Maximum(x, f, True)
        step = 1.0
        while True:
            trial = x + step * direction
            f_trial = fun(trial)
            if f_trial >= f + 1e-4 * step * decrement:
                break
            step /= 2
            if step < 1e-12:
                # No ascent left but rounding's: converged only if close.
                return Maximum(x, f, decrement <= 1e3 * tol)
        g_trial = grad(trial)
        s, y = trial - x, g - g_trial  # y: change of the gradient of -fun
        sy = s @ y
        if sy > 1e-12 * math.sqrt((s @ s) * (y @ y)):
            Hy = H @ y
            H = (
                H
                + ((sy + y @ Hy) / sy**2) * np.outer(s, s)
                - (np.outer(Hy, s) + np.outer(s, Hy)) / sy
            )
        x, f, g = trial, f_trial, g_trial
    return Maximum(x, f, False)


class Coordinates:
    """Unconstrained coordinates of the parameters other than `j` when
    ``vector[j]`` is fixed, so the profile maximisations run over the whole
    real space and a maximum on the boundary of the parameter space (a
    covariance matrix becoming singular) is approached, not hit.

    Positive parameters are on the log scale, bounded ones on the logit
    scale of their range, and each covariance matrix ``Psi`` is ``L L'``
    with ``L`` lower triangular, its diagonal on the log scale (the
    log-Cholesky parametrisation of Pinheiro & Bates 1996), the factors
    ordered so that a fixed entry of ``Psi`` is a function of ``L`` alone:
    a fixed variance ``Psi_aa = v`` comes first, ``L_11 = sqrt(v)``; a
    fixed covariance ``Psi_ab = c`` first and second, ``L_21 = c / L_11``.
    Coordinates sit at the positions of the natural parameters they
    replace (a covariance matrix's in its block, in any order).

    Parameters
    ----------
    likelihood : FittedLikelihood
    j : int
    """

    def __init__(self, likelihood, j):
        n = len(likelihood.estimate)
        self.j = j
        self.others = np.delete(np.arange(n), j)
        # Position in the vector -> position among the others.
        slot = np.full(n, -1)
        slot[self.others] = np.arange(n - 1)
        low, high = likelihood.low[self.others], likelihood.high[self.others]
        in_group = np.zeros(n, dtype=bool)
        self.groups = []
        for positions, rows, cols in likelihood.psi_groups:
            in_group[positions] = True
            self.groups.append(_CholeskyBlock(positions, rows, cols, j, slot))
        free = ~in_group[self.others]
        self.log = free & np.isfinite(low) & ~np.isfinite(high)
        self.logit = free & np.isfinite(low) & np.isfinite(high)
        self.low, self.high = low, high

    def to_natural(self, u, b):
        """The others' natural values at coordinates `u` (any dtype: the
        blocks' Jacobians are complex steps)."""
        v = u.copy()
        low, high = self.low, self.high
        v[self.log] = low[self.log] + np.exp(u[self.log])
        width = (high - low)[self.logit]
        v[self.logit] = low[self.logit] + width / (1 + np.exp(-u[self.logit]))
        for block in self.groups:
            v[block.slots] = block.to_natural(u[block.slots], b)
        return v

    def from_natural(self, v, b):
        """Coordinates of admissible natural values `v` (None if not)."""
        u = v.copy()
        low, high = self.low, self.high
        with np.errstate(divide="ignore", invalid="ignore"):
            u[self.log] = np.log(v[self.log] - low[self.log])
            share = (v[self.logit] - low[self.logit]) / (high - low)[self.logit]
            u[self.logit] = np.log(share / (1 - share))
        for block in self.groups:
            coordinates = block.from_natural(v[block.slots], b)
            if coordinates is None:
                return None
            u[block.slots] = coordinates
        return u if np.all(np.isfinite(u)) else None

    def jacobian(self, u, b):
        """``d natural / d u``, square, block diagonal."""
        diagonal = np.ones(len(u))
        diagonal[self.log] = np.exp(u[self.log])
        e = np.exp(-u[self.logit])
        diagonal[self.logit] = (self.high - self.low)[self.logit] * e / (1 + e) ** 2
        J = np.diag(diagonal)
        for block in self.groups:
            J[np.ix_(block.slots, block.slots)] = block.jacobian(u[block.slots], b)
        return J


class _CholeskyBlock:
    """One covariance matrix of :class:`Coordinates` (its free entries at
    the vector's `positions`, entry ``i`` at ``(rows[i], cols[i])``)."""

    def __init__(self, positions, rows, cols, j, slot):
        q = int(max(rows.max(), cols.max())) + 1
        self.q = q
        fixed = np.flatnonzero(positions == j)
        self.fixed = int(fixed[0]) if fixed.size else None
        kept = np.arange(len(positions)) != (-1 if self.fixed is None else self.fixed)
        self.rows, self.cols = rows[kept], cols[kept]
        self.slots = slot[positions[kept]]
        order = list(range(q))
        self.fixed_variance = False
        if self.fixed is not None:
            a, c = int(rows[self.fixed]), int(cols[self.fixed])
            self.fixed_pair = (a, c)
            self.fixed_variance = a == c
            first = [a] if a == c else [a, c]
            order = first + [i for i in order if i not in first]
        self.order = np.array(order)
        # Coordinates: L's lower triangle in the permuted order, less the
        # entry the fixed one determines.
        tri = [(r, c) for r in range(q) for c in range(r + 1)]
        if self.fixed is not None:
            tri.remove((0, 0) if self.fixed_variance else (1, 0))
        self.tri_rows, self.tri_cols = (np.array(t) for t in zip(*tri, strict=True))
        self.diagonal = self.tri_rows == self.tri_cols

    def to_natural(self, coordinates, b):
        L = np.zeros((self.q, self.q), dtype=np.result_type(coordinates, float))
        L[self.tri_rows, self.tri_cols] = np.where(
            self.diagonal, np.exp(coordinates), coordinates
        )
        if self.fixed is not None:
            if self.fixed_variance:  # Psi_aa = L_11^2
                L[0, 0] = math.sqrt(b)
            else:  # Psi_ab = L_21 L_11
                L[1, 0] = b / L[0, 0]
        permuted = L @ L.T
        psi = np.empty_like(permuted)
        psi[np.ix_(self.order, self.order)] = permuted
        return psi[self.rows, self.cols]

    def from_natural(self, entries, b):
        psi = np.zeros((self.q, self.q))
        psi[self.rows, self.cols] = psi[self.cols, self.rows] = entries
        if self.fixed is not None:
            a, c = self.fixed_pair
            psi[a, c] = psi[c, a] = b
        try:
            L = np.linalg.cholesky(psi[np.ix_(self.order, self.order)])
        except np.linalg.LinAlgError:
            return None
        values = L[self.tri_rows, self.tri_cols]
        with np.errstate(divide="ignore"):
            return np.where(
                self.diagonal, np.log(np.where(self.diagonal, values, 1.0)), values
            )

    def jacobian(self, coordinates, b, step=1e-30):
        """By complex steps: exact to rounding (the map is analytic)."""
        columns = []
        for i in range(len(coordinates)):
            shifted = coordinates.astype(complex)
            shifted[i] += 1j * step
            columns.append(self.to_natural(shifted, b).imag / step)
        return np.column_stack(columns)


class Profile:
    """The profile log-likelihood of parameter `j`, remembering the
    maximisers found so far (each new point starts from the nearest).

    Parameters
    ----------
    likelihood : FittedLikelihood
    j : int
    estimate : ndarray
        The maximum of the likelihood (``likelihood.estimate``, polished).
    maximum : float
        The log-likelihood there.
    """

    def __init__(self, likelihood, j, estimate, maximum):
        self.likelihood = likelihood
        self.j = j
        self.maximum = maximum
        self.centre = float(estimate[j])
        self.others = np.delete(np.arange(len(estimate)), j)
        C = likelihood.covariance
        o = self.others
        c_jj = C[j, j]
        if c_jj > 0 and np.isfinite(c_jj):
            # The regression of the other estimates on b_j, and their
            # covariance given it (the inverse of their own information).
            self.slope = C[o, j] / c_jj
            conditional = C[np.ix_(o, o)] - np.outer(C[o, j], C[j, o]) / c_jj
        else:
            self.slope = np.zeros(len(o))
            conditional = C[np.ix_(o, o)]
        self.inverse_hessian = _positive_definite_or_diagonal(conditional)
        self.coordinates = Coordinates(likelihood, j)
        # Profile points: b -> the others' maximising coordinates.
        self.points = {}
        centre = self.coordinates.from_natural(estimate[o], self.centre)
        if centre is not None:
            self.points[self.centre] = centre
        self.above = 0.0  # the largest excess of lp over the maximum seen

    def _full(self, b, u):
        vector = np.empty(len(u) + 1, dtype=u.dtype)
        vector[self.j] = b
        vector[self.others] = self.coordinates.to_natural(u, b)
        return vector

    def _starts(self, b):
        """Starting coordinates for the others at `b`, best first: between
        two profile points their interpolation; beyond them, the secant
        through the two nearest on that side, the tangent at the nearest
        (the estimates' regression on ``b_j``, if admissible), the nearest
        itself. Every coordinate vector is admissible at every ``b``."""
        points = np.array(sorted(self.points))
        above = points[points > b]
        below = points[points < b]
        if len(above) and len(below):
            b0, b1 = below[-1], above[0]
            w = (b - b0) / (b1 - b0)
            return [(1 - w) * self.points[b0] + w * self.points[b1]]
        side = below[::-1] if len(below) else above
        b0 = side[0]
        nearest = self.points[b0]
        starts = []
        if len(side) > 1:
            t = (b - b0) / (b0 - side[1])
            starts.append(nearest + t * (nearest - self.points[side[1]]))
        with np.errstate(all="ignore"):
            natural = self.coordinates.to_natural(nearest, b0)
            tangent = self.coordinates.from_natural(natural + self.slope * (b - b0), b)
        if tangent is not None:
            starts.append(tangent)
        return [*starts, nearest]

    def value(self, b):
        """``lp(b)``; raises :class:`ProfileFailure` when no admissible start
        is found or the maximisation does not converge."""
        b = float(b)
        likelihood, coordinates = self.likelihood, self.coordinates
        if not self.points:
            raise ProfileFailure("the estimate is on the boundary")

        def fun(u):
            with np.errstate(all="ignore"):
                return likelihood.loglik(self._full(b, u))

        def grad(u):
            with np.errstate(all="ignore"):
                g = likelihood.gradient(self._full(b, u))[self.others]
                return coordinates.jacobian(u, b).T @ g

        if b in self.points:
            return fun(self.points[b])
        for u0 in self._starts(b):
            if np.isfinite(fun(u0)):
                break
        else:
            raise ProfileFailure(f"no admissible parameters with the value {b:.6g}")
        # The others' conditional covariance, in the coordinates.
        J = coordinates.jacobian(u0, b)
        try:
            inverse = np.linalg.solve(J, self.inverse_hessian)
            H0 = np.linalg.solve(J, inverse.T)
        except np.linalg.LinAlgError:
            H0 = np.eye(len(u0))
        result = maximise(fun, grad, u0, _positive_definite_or_diagonal(H0))
        if not result.converged:
            raise ProfileFailure(f"the maximisation at {b:.6g} did not converge")
        self.points[b] = result.x
        self.above = max(self.above, result.value - self.maximum)
        return result.value

    def root_deviance(self, b):
        """``sign(b - b_hat) sqrt(2 (log L_max - lp(b)))``."""
        deviance = max(2 * (self.maximum - self.value(b)), 0.0)
        return math.copysign(math.sqrt(deviance), b - self.centre)


class Bound(NamedTuple):
    value: float
    status: str  # 'found', 'domain' (the parameter's limit), 'flat', 'failed'
    message: str = ""


def profile_bound(profile, direction, cutoff, step, limit):
    """One bound of the profile interval: the first root of
    ``r(b) = direction * sqrt(cutoff)`` going `direction` (+1 or -1) from
    the estimate.

    The trial points double their distance from the estimate starting at
    `step`; one beyond `limit` (the parameter's range) is replaced by the
    point halfway to it. A point whose maximisation fails is retried
    halfway back. The root, once bracketed, is found by Brent's method.

    Returns
    -------
    Bound
        'domain' with `limit` as value when the deviance stays below the
        cut-off up to the limit; 'flat' (NaN) when it does after
        :data:`MAX_DOUBLINGS` doublings; 'failed' (NaN) when a maximisation
        did not converge.
    """
    target = math.sqrt(cutoff)
    inside = profile.centre
    doublings = halvings = 0
    while True:
        trial = profile.centre + direction * step * 2.0**doublings
        if direction * (trial - limit) >= 0:  # at or beyond the limit
            trial = (inside + limit) / 2
            halvings += 1
        else:
            doublings += 1
        for _ in range(MAX_RETRIES + 1):
            try:
                r = profile.root_deviance(trial)
                break
            except ProfileFailure as failure:
                reason = str(failure)
                trial = (inside + trial) / 2
        else:
            return Bound(math.nan, "failed", reason)
        if direction * r >= target:
            break
        inside = trial
        if halvings >= MAX_HALVINGS:
            return Bound(float(limit), "domain")
        if doublings > MAX_DOUBLINGS:
            return Bound(math.nan, "flat")
    scale = abs(trial - profile.centre)
    try:
        root = brentq(
            lambda b: profile.root_deviance(b) - direction * target,
            inside, trial, xtol=1e-10 * scale, rtol=4 * np.finfo(float).eps,
        )  # fmt: skip
    except ProfileFailure as failure:
        return Bound(math.nan, "failed", str(failure))
    return Bound(float(root), "found")


def polished_maximum(likelihood):
    """The estimate refined by the maximiser (EM stops on a relative change
    of the log-likelihood, not at the maximum itself), the larger of the two
    log-likelihoods, and whether the maximiser converged (False when the
    estimate is not at an interior maximum)."""
    start = likelihood.estimate
    result = maximise(
        likelihood.loglik, likelihood.gradient, start,
        _positive_definite_or_diagonal(likelihood.covariance),
    )  # fmt: skip
    if result.converged and result.value > likelihood.maximum:
        return result.x, result.value, True
    value = max(likelihood.maximum, likelihood.loglik(start))
    return start, value, result.converged


def profile_intervals(likelihood, indices, cutoff, names=None):
    """Profile-likelihood bounds of the parameters `indices`, on X's scale.

    Parameters
    ----------
    likelihood : FittedLikelihood
    indices : sequence of int
    cutoff : float
        ``chi2_1(level)``.
    names : list, optional
        The parameters' labels, for the warnings.

    Returns
    -------
    lower, upper : ndarray of shape (len(indices),)
        NaN where a bound could not be found, and both bounds of a
        parameter whose profile rose above the fitted maximum by more than
        a hundredth of the cut-off (one ConvergenceWarning lists them).
    """
    estimate, maximum, interior = polished_maximum(likelihood)
    if not interior:
        warnings.warn(
            "The estimate is not at an interior maximum of the likelihood (its "
            "score does not vanish: a parameter at the boundary of the parameter "
            "space, or an unbounded likelihood); profile bounds may not be "
            "found.",
            ConvergenceWarning,
            stacklevel=3,
        )
    se = np.sqrt(np.maximum(np.diag(likelihood.covariance), 0.0))
    bounds = np.full((len(indices), 2), np.nan)
    flat, failed, above = [], [], []
    for row, j in enumerate(indices):
        profile = Profile(likelihood, j, estimate, maximum)
        step = math.sqrt(cutoff) * se[j]
        if not (np.isfinite(step) and step > 0):
            step = 0.1 * max(abs(profile.centre), 1e-3)
        label = names[j] if names is not None else j
        for column, (direction, limit) in enumerate(
            ((-1, likelihood.low[j]), (1, likelihood.high[j]))
        ):
            bound = profile_bound(profile, direction, cutoff, step, limit)
            bounds[row, column] = bound.value
            side = "lower" if direction < 0 else "upper"
            if bound.status == "flat":
                flat.append(f"{side} of {label}")
            elif bound.status == "failed":
                failed.append(f"{side} of {label} ({bound.message})")
        if profile.above > max(1e-6, 1e-9 * abs(maximum)):
            above.append(f"{label} (by {profile.above:.3g})")
            # A maximum this far off moves the bounds: none rather than wrong.
            if 2 * profile.above > 0.01 * cutoff:
                bounds[row] = np.nan
    messages = []
    if flat:
        messages.append(
            f"the likelihood stays within the cut-off over {2**MAX_DOUBLINGS} "
            f"Wald half-widths (poorly identified): {'; '.join(flat)}"
        )
    if failed:
        messages.append(f"no bound found: {'; '.join(failed)}")
    if above:
        messages.append(
            "the profile rose above the fitted log-likelihood (the fit is not at "
            f"a maximum; try more starts): {'; '.join(above)}"
        )
    if messages:
        warnings.warn(
            "Profile-likelihood bounds are NaN where " + ". ".join(messages) + ".",
            ConvergenceWarning,
            stacklevel=3,
        )
    factors = likelihood.factors[list(indices)]
    return bounds[:, 0] * factors, bounds[:, 1] * factors
