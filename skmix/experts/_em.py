"""EM for mixtures of experts, accelerated by SQUAREM.

SQUAREM (Varadhan & Roland, Scand. J. Statist. 2008) extrapolates two EM
steps along the squared-iteration direction and keeps the result only when
it is admissible and does not lower the likelihood, so the iteration stays
monotone while taking several times fewer steps than plain EM on the slow
(growth-factor variance, knot) directions.
"""

import numpy as np

from ._likelihood import ExpertParams, e_step, m_step_experts, m_step_gating


class EMFailure(Exception):
    """A start collapsed a class or met a singular covariance."""


def _flatten(params):
    return np.concatenate([np.ravel(a) for a in params])


def _unflatten(vector, like):
    arrays, at = [], 0
    for a in like:
        arrays.append(vector[at : at + a.size].reshape(a.shape))
        at += a.size
    return ExpertParams(*arrays)


def _em_map(curve, data, params, random_effects, bounds, min_share, min_theta):
    """One EM step; returns (new params, log-likelihood at ``params``).

    A class that empties below ``min_share`` subjects or whose residual
    variance collapses (an exact fit of a few subjects, a spurious maximiser
    of an unbounded likelihood) fails the start.
    """
    try:
        terms, resp, log_norm = e_step(curve, data, params)
    except np.linalg.LinAlgError as exc:
        raise EMFailure from exc
    if resp.sum(axis=0).min() < min_share:
        raise EMFailure
    try:
        experts = m_step_experts(
            curve, data, params, terms, resp, random_effects, bounds
        )
        beta = m_step_gating(data.Z, resp, params.beta)
    except np.linalg.LinAlgError as exc:
        raise EMFailure from exc
    if experts[3].min() < min_theta:
        if len(experts[3]) > 1:
            raise EMFailure  # a spurious class fitting a few subjects exactly
        experts[3][:] = min_theta  # one class fitting exactly: keep it finite
    return ExpertParams(*experts, beta), float(log_norm.sum())


def _admissible(params, bounds):
    if not np.all(params.theta > 0):
        return False
    if np.any(np.linalg.eigvalsh(params.psi) < 0):
        return False
    for j, (low, high) in enumerate(bounds):
        if np.any(params.phi[:, j] < low) or np.any(params.phi[:, j] > high):
            return False
    return True


def run_em(curve, data, params, random_effects, bounds, max_iter, tol):
    """EM with SQUAREM from ``params``.

    Returns
    -------
    params, log_likelihood, n_iter, converged
        ``params`` is None when the start failed (a class emptied below
        ``n_expert + 1`` subjects, or a covariance became singular).
    """
    min_share = max(data.X_expert.shape[1] + 1, 2)
    min_theta = 1e-8 * max(np.var(data.Y[data.mask]), np.finfo(float).tiny)

    def step(p):
        return _em_map(curve, data, p, random_effects, bounds, min_share, min_theta)

    try:
        previous = -np.inf
        n_iter = 0
        while n_iter < max_iter:
            p1, ll0 = step(params)
            p2, ll1 = step(p1)
            n_iter += 2
            x0, x1, x2 = _flatten(params), _flatten(p1), _flatten(p2)
            r, v = x1 - x0, x2 - 2 * x1 + x0
            norm_v = np.linalg.norm(v)
            alpha = -np.linalg.norm(r) / norm_v if norm_v > 0 else -1.0
            candidate = p2
            extrapolated = None
            while alpha < -1:
                extrapolated = _unflatten(x0 - 2 * alpha * r + alpha**2 * v, params)
                if _admissible(extrapolated, bounds):
                    break
                # Back-track towards the plain EM step (alpha = -1).
                alpha = (alpha - 1) / 2 if alpha < -1.01 else -1.0
                extrapolated = None
            if extrapolated is not None:
                try:
                    p3, ll3 = step(extrapolated)
                    n_iter += 1
                    if ll3 >= ll1:
                        candidate = p3
                except EMFailure:
                    pass
            params = candidate
            if abs(ll1 - previous) <= tol * abs(ll1) or abs(ll1 - ll0) <= tol * abs(
                ll1
            ):
                break
            previous = ll1
        _, _, log_norm = e_step(curve, data, params)
        ll = float(log_norm.sum())
        converged = n_iter < max_iter
        return params, ll, n_iter, converged
    except (EMFailure, np.linalg.LinAlgError):
        return None, -np.inf, n_iter, False
