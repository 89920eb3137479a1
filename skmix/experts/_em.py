"""The EM step of mixtures of experts, run by the core driver with SQUAREM.

SQUAREM (:class:`skmix._core.Squarem`) takes several times fewer steps than
plain EM on the slow (growth-factor variance, knot) directions.
"""

import numpy as np
from threadpoolctl import threadpool_limits

from .._core import EMDriver, Squarem
from ._likelihood import (
    SHARED_RESIDUALS,
    ExpertParams,
    e_step,
    m_step_experts,
    m_step_gating,
)


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


def _em_map(curve, data, params, random_effects, bounds, min_share, min_theta,
            residual_variance="class"):  # fmt: skip
    """One EM step; returns (new params, log-likelihood at ``params``).

    A class that empties below ``min_share`` subjects or whose residual
    variance collapses (an exact fit of a few subjects, a spurious maximiser
    of an unbounded likelihood) fails the start. Variances shared by the
    classes cannot collapse onto one class: they are kept finite instead.
    """
    try:
        terms, resp, log_norm = e_step(curve, data, params)
    except np.linalg.LinAlgError as exc:
        raise EMFailure from exc
    if resp.sum(axis=0).min() < min_share:
        raise EMFailure
    try:
        experts = m_step_experts(
            curve, data, params, terms, resp, random_effects, bounds,
            residual_variance,
        )  # fmt: skip
        beta = m_step_gating(data.Z, resp, params.beta)
    except np.linalg.LinAlgError as exc:
        raise EMFailure from exc
    if experts[3].min() < min_theta:
        if len(experts[3]) > 1 and residual_variance not in SHARED_RESIDUALS:
            raise EMFailure  # a spurious class fitting a few subjects exactly
        # One class (or shared variances) fitting exactly: keep it finite.
        np.maximum(experts[3], min_theta, out=experts[3])
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


def run_em(curve, data, params, random_effects, bounds, max_iter, tol,
           residual_variance="class"):  # fmt: skip
    """EM with SQUAREM from ``params``, to a relative change below `tol`.

    ``residual_variance``: the constraint on the residual variances
    (:data:`~skmix.experts._likelihood.RESIDUAL_VARIANCES`).

    Returns
    -------
    params, log_likelihood, n_iter, converged
        ``params`` is None when the start failed (a class emptied below
        ``n_expert + 1`` subjects, or a covariance became singular).
    """
    min_share = max(data.X_expert.shape[1] + 1, 2)
    min_theta = 1e-8 * max(np.var(data.Y[data.mask]), np.finfo(float).tiny)

    def step(p):
        new, log_likelihood = _em_map(
            curve, data, p, random_effects, bounds, min_share, min_theta,
            residual_variance,
        )  # fmt: skip
        return new, log_likelihood, None

    squarem = Squarem(
        _flatten, _unflatten, lambda p: _admissible(p, bounds), failure=EMFailure
    )
    driver = EMDriver(max_iter, tol, relative=True, squarem=squarem)
    # The EM's matrix products are small (q x q, n x p with p a handful):
    # BLAS threads gain nothing there, and once woken they spin and take
    # the cores from the compiled passes' threads (a third of a 1e5-subject
    # fit on two cores).
    with threadpool_limits(limits=1, user_api="blas"):
        try:
            run = driver.run(step, params)
            _, _, log_norm = e_step(curve, data, run.state)
        except (EMFailure, np.linalg.LinAlgError):
            return None, -np.inf, 0, False
    return run.state, float(log_norm.sum()), run.n_iter, run.converged
