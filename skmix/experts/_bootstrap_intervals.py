"""Parametric-bootstrap confidence intervals of a mixture of experts.

Each replicate draws outcomes from the fitted model at the observed
covariates (and times, offsets, trials and groups), one class per subject
(the estimator's own draws, :meth:`MixtureOfExpertsRegressor.sample`), and
refits the model to them by EM started from the fitted parameters (the
warm refit of :func:`~skmix.model_selection.bootstrap_lrt`,
:class:`~skmix.model_selection._bootstrap._ExpertsAdapter`). The bootstrap
is so conditional on the covariates, as Mplus' and flexmix's are.

A warm start keeps the class labels; the replicate's classes are still
matched to the fitted ones, by the assignment maximising the agreement of
their posteriors on the drawn data (Hungarian algorithm), and relabelled
(the gate re-referenced) where that is not the identity.

Intervals (Efron & Tibshirani 1993, section 13.3; Davison & Hinkley 1997,
section 5.2): 'percentile', the ``alpha/2`` and ``1 - alpha/2`` quantiles
of the replicates (the ``(B + 1) alpha/2``-th and ``(B + 1) (1 - alpha/2)``-th
of B, interpolated), each in the parameter space since every refit is; and
'basic', ``2 t - q_(1 - alpha/2)`` and ``2 t - q_(alpha/2)``, taken on a
scale on which each parameter is unbounded (log for variances, logit within
a curve parameter's bounds) and mapped back, so it stays in the parameter
space too.

References
----------
Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
Chapman & Hall.

Davison, A. C. & Hinkley, D. V. (1997). *Bootstrap Methods and their
Application*. Cambridge University Press.
"""

import warnings
from typing import NamedTuple

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import expit, logit
from sklearn.utils import check_random_state
from sklearn.utils.parallel import delayed

from .._core._progress import progress, run_tasks

#: Fewer replicates do not estimate tail quantiles (the 2.5% of 50 draws is
#: about the second smallest).
MIN_BOOTSTRAP = 50
BOOTSTRAP_KINDS = ("percentile", "basic")
_SEED_BOUND = np.iinfo(np.int32).max


class BootstrapReplicates(NamedTuple):
    """The refitted parameters of a parametric bootstrap.

    Attributes
    ----------
    estimates : ndarray of shape (n_converged, n_params)
        Packed parameters (X's scale) of the refits that converged.
    n_bootstrap : int
        Replicates drawn.
    n_failed : int
        Refits that failed (EM emptied a class, or a non-finite estimate).
    n_not_converged : int
        Refits that stopped at the iteration limit (left out of
        ``estimates``).
    n_relabelled : int
        Converged refits whose classes were relabelled to match the fit.
    """

    estimates: np.ndarray
    n_bootstrap: int
    n_failed: int
    n_not_converged: int
    n_relabelled: int


def check_bootstrap_model(model):
    """Refuse fits the bootstrap cannot redraw: frequency weights would
    need one draw per copy of a subject."""
    weights = getattr(model._inference.data, "subject_weights", None)
    if weights is not None and not np.all(weights == 1):
        raise ValueError(
            "method='bootstrap' draws one outcome per row; a model fitted with "
            "sample_weight (frequency weights) would need one per copy. Refit "
            "with the rows repeated, or use method='profile'."
        )


def _posteriors(model, data, y, params):
    """Posterior class probabilities of `params` given the outcomes `y` at
    the training design `data` (fitting scale)."""
    from ._glm import GLMParams
    from ._glm import e_step as glm_e_step
    from ._likelihood import e_step

    if isinstance(params, GLMParams):
        from ._families import get_family

        return glm_e_step(get_family(model.family_), data._replace(y=y), params)[1]
    Y = np.where(data.mask, np.reshape(y, data.Y.shape), 0.0)
    return e_step(model.curve_, data._replace(Y=Y), params)[1]


def matching_order(reference, candidate):
    """``order`` with new class ``k`` = candidate class ``order[k]``, the
    assignment maximising ``sum_i sum_k reference[i, k] candidate[i,
    order[k]]`` (the expected number of subjects both put in one class)."""
    agreement = reference.T @ candidate
    _, order = linear_sum_assignment(agreement, maximize=True)
    return order


def _relabelled(model, params, order):
    """`params` relabelled by `order`, or None where the classes cannot be
    (they fix different coefficients at zero)."""
    from ._glm import GLMParams
    from ._glm import permute as glm_permute
    from ._moe import _permute

    if isinstance(params, GLMParams):
        zero = getattr(model._layout_.coefficient_map, "zero", None)
        if zero is not None and not np.array_equal(zero[order], zero):
            return None
        return glm_permute(params, order)
    return _permute(params, order)


def bootstrap_replicate(model, seed):
    """One replicate: draw, refit warm, match the classes.

    Returns
    -------
    status : {'converged', 'not_converged', 'failed'}
    vector : ndarray of shape (n_params,) or None
        The refit's packed parameters on X's scale.
    relabelled : bool
    """
    from ..model_selection._bootstrap import _ExpertsAdapter, _Regression

    inference = model._inference
    design, scaling = inference.data, inference.scaling
    fitted = scaling.to_fitting(model.params_)
    rng = np.random.RandomState(seed)
    # What a refit warns of (a class emptied, an overflow far from the fit)
    # is in its status; the same filter in every worker keeps n_jobs
    # irrelevant.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y, _ = model._draw(design, fitted, rng)
        try:
            fit = _ExpertsAdapter(model).refit_from(model, _Regression(None, y, {}))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return "failed", None, False
        params, relabelled = fit.params, False
        if len(fitted.beta) > 1:
            order = matching_order(
                _posteriors(model, design, y, fitted),
                _posteriors(model, design, y, params),
            )
            if not np.array_equal(order, np.arange(len(order))):
                permuted = _relabelled(model, params, order)
                if permuted is not None:
                    params, relabelled = permuted, True
    vector = model._layout_.pack(scaling.to_original(params))
    if not np.all(np.isfinite(vector)):
        return "failed", None, False
    return ("converged" if fit.converged_ else "not_converged"), vector, relabelled


def bootstrap_replicates(model, n_bootstrap, random_state=None, n_jobs=None):
    """:class:`BootstrapReplicates` of `n_bootstrap` replicates.

    Every replicate's seed is drawn from `random_state` before any runs, so
    the result does not depend on `n_jobs`.
    """
    check_bootstrap_model(model)
    rng = check_random_state(random_state)
    seeds = rng.randint(_SEED_BOUND, size=n_bootstrap)
    tasks = [delayed(bootstrap_replicate)(model, seed) for seed in seeds]
    replicates = list(
        progress(
            run_tasks(tasks, n_jobs), total=n_bootstrap,
            verbose=getattr(model, "verbose", 0), label="bootstrap intervals",
            unit="replicate",
        )
    )  # fmt: skip
    converged = [r for r in replicates if r[0] == "converged"]
    estimates = (
        np.stack([r[1] for r in converged])
        if converged
        else np.empty((0, len(model._layout_)))
    )
    return BootstrapReplicates(
        estimates, n_bootstrap,
        sum(r[0] == "failed" for r in replicates),
        sum(r[0] == "not_converged" for r in replicates),
        sum(r[2] for r in converged),
    )  # fmt: skip


def to_unbounded(values, low, high):
    """Each column of `values` on a scale where its range ``(low, high)``
    is the real line: identity, log of the distance to a finite limit, or
    logit within two."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    both = np.isfinite(low) & np.isfinite(high)
    lower = np.isfinite(low) & ~both
    upper = np.isfinite(high) & ~both
    with np.errstate(divide="ignore", invalid="ignore"):
        out[..., lower] = np.log(values[..., lower] - low[lower])
        out[..., upper] = np.log(high[upper] - values[..., upper])
        out[..., both] = logit((values[..., both] - low[both]) / (high - low)[both])
    return out


def from_unbounded(values, low, high):
    """The inverse of :func:`to_unbounded`."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    both = np.isfinite(low) & np.isfinite(high)
    lower = np.isfinite(low) & ~both
    upper = np.isfinite(high) & ~both
    with np.errstate(over="ignore"):
        out[..., lower] = low[lower] + np.exp(values[..., lower])
        out[..., upper] = high[upper] - np.exp(values[..., upper])
    out[..., both] = low[both] + (high - low)[both] * expit(values[..., both])
    return out


def replicate_quantiles(replicates, tails):
    """The ``(B + 1) p``-th order statistics of `B` replicates, per column.

    Davison & Hinkley's (1997, section 5.2) quantile of a bootstrap sample,
    linearly interpolated between order statistics (NumPy's 'weibull'
    method). The r-th of B draws sits at ``r / (B + 1)`` of its distribution
    on average, so these bounds leave ``p`` outside each; NumPy's default,
    the ``(B - 1) p + 1``-th, sits inside it and made a 95% percentile
    interval from 100 draws cover 0.931 of the time when the bootstrap
    distribution is exact (0.940 from 200).
    """
    return np.quantile(replicates, tails, axis=0, method="weibull")


def bootstrap_bounds(estimates, replicates, level, kind, low=None, high=None):
    """Percentile or basic bounds at `level` from the replicates.

    Parameters
    ----------
    estimates : ndarray of shape (n_params,)
    replicates : ndarray of shape (n_replicates, n_params)
    level : float
    kind : {'percentile', 'basic'}
    low, high : ndarray of shape (n_params,), optional
        The parameters' ranges (the scale of the basic bounds; 'basic'
        only).

    Returns
    -------
    lower, upper : ndarray of shape (n_params,)
        NaN without replicates.
    """
    n_params = len(estimates)
    if not len(replicates):
        return np.full(n_params, np.nan), np.full(n_params, np.nan)
    tails = [(1 - level) / 2, (1 + level) / 2]
    if kind == "percentile":
        lower, upper = replicate_quantiles(replicates, tails)
        return lower, upper
    centre = to_unbounded(estimates, low, high)
    q_low, q_high = replicate_quantiles(to_unbounded(replicates, low, high), tails)
    return (
        from_unbounded(2 * centre - q_high, low, high),
        from_unbounded(2 * centre - q_low, low, high),
    )
