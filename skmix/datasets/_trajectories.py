"""Trajectory simulators and the shipped ECLS-K data."""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

# Liu & Perera (2023), simulation design of the mixture of experts for
# bilinear-spline trajectories: original-scale growth factors
# (intercept, slope before the knot, slope after it).
PAPER_CLASS_MEANS = np.array([[100.0, -5.0, -2.6], [100.0, -5.0, -3.4]])
PAPER_KNOTS = np.array([3.5, 5.5])
PAPER_FACTOR_COVARIANCE = np.array([[25.0, 1.5, 1.5], [1.5, 1.0, 0.3], [1.5, 0.3, 1.0]])
_CLASS2_EXPERTS = np.array([[1.2515, 1.8773], [0.2503, 0.3755], [0.2503, 0.3755]])
# (class, growth factor, expert covariate); class 1 = class 2 / sqrt(2).
PAPER_EXPERT_COEFFICIENTS = np.stack([_CLASS2_EXPERTS / np.sqrt(2), _CLASS2_EXPERTS])
# Log-odds of class 2 against class 1: intercept, gc1, gc2.
PAPER_GATING = np.array([0.0, np.log(1.5), np.log(1.7)])


def make_trajectory_mixture(
    n_subjects=500,
    *,
    n_waves=10,
    jitter=0.25,
    class_means=PAPER_CLASS_MEANS,
    knots=PAPER_KNOTS,
    factor_covariance=PAPER_FACTOR_COVARIANCE,
    expert_coefficients=PAPER_EXPERT_COEFFICIENTS,
    gating=PAPER_GATING,
    residual_variance=1.0,
    covariate_correlation=0.3,
    random_state=None,
):
    """Bilinear-spline trajectories from a two-level mixture of experts.

    The defaults reproduce the simulation of Liu & Perera (2023): two
    classes, waves at ``t = 0..9`` jittered by ``U(-0.25, 0.25)``, class
    means (100, -5, -2.6) with knot 3.5 and (100, -5, -3.4) with knot 5.5,
    growth-factor variances 25, 1, 1 and covariances 1.5, 1.5, 0.3, residual
    variance 1, two expert covariates ``ex1, ex2 ~ N(0, 1)`` with correlation
    0.3 and two gating covariates ``gc1, gc2`` likewise, class 2's log-odds
    ``log 1.5 gc1 + log 1.7 gc2``.

    Within class ``k``: ``eta_i = class_means[k] + expert_coefficients[k] @
    (ex1, ex2) + zeta_i``, ``zeta_i ~ N(0, factor_covariance)`` and
    ``y_ij = eta0 + eta1 min(t_ij, g_k) + eta2 max(t_ij - g_k, 0) + eps_ij``.

    Parameters
    ----------
    n_subjects : int, default=500
    n_waves : int, default=10
    jitter : float, default=0.25
        Half-width of the uniform jitter of each measurement time.
    class_means : array-like of shape (n_classes, 3)
        Original-scale growth factors (intercept, slope1, slope2) at zero
        covariates.
    knots : array-like of shape (n_classes,)
    factor_covariance : array-like of shape (3, 3)
    expert_coefficients : array-like of shape (n_classes, 3, 2)
    gating : array-like of shape (3,) or (n_classes, 3)
        Log-odds against class 1 (intercept, gc1, gc2); one row for two
        classes.
    residual_variance : float, default=1.0
    covariate_correlation : float, default=0.3
    random_state : int, RandomState instance or None

    Returns
    -------
    data : Bunch
        ``X`` (DataFrame with columns gc1, gc2, ex1, ex2), ``y`` (n_subjects,
        n_waves), ``time`` (n_subjects, n_waves), ``labels`` (true class,
        0-based), and the generating parameters.
    """
    rng = check_random_state(random_state)
    class_means = np.asarray(class_means, dtype=float)
    knots = np.asarray(knots, dtype=float)
    n_classes = len(class_means)
    gating = np.atleast_2d(np.asarray(gating, dtype=float))
    log_odds_rows = np.vstack([np.zeros(3), gating])
    covariate_cov = np.array(
        [[1.0, covariate_correlation], [covariate_correlation, 1.0]]
    )
    gating_x = rng.multivariate_normal(np.zeros(2), covariate_cov, n_subjects)
    expert_x = rng.multivariate_normal(np.zeros(2), covariate_cov, n_subjects)
    log_odds = np.column_stack([np.ones(n_subjects), gating_x]) @ log_odds_rows.T
    proba = np.exp(log_odds - log_odds.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    labels = (rng.uniform(size=(n_subjects, 1)) > proba.cumsum(axis=1)).sum(axis=1)
    labels = np.minimum(labels, n_classes - 1)
    factors = (
        class_means[labels]
        + np.einsum("nqp,np->nq", np.asarray(expert_coefficients)[labels], expert_x)
        + rng.multivariate_normal(np.zeros(3), factor_covariance, n_subjects)
    )
    time = np.arange(n_waves) + rng.uniform(-jitter, jitter, (n_subjects, n_waves))
    knot = knots[labels][:, None]
    y = (
        factors[:, :1]
        + factors[:, 1:2] * np.minimum(time, knot)
        + factors[:, 2:3] * np.maximum(time - knot, 0.0)
        + rng.normal(0.0, np.sqrt(residual_variance), (n_subjects, n_waves))
    )
    X = pd.DataFrame(
        np.column_stack([gating_x, expert_x]), columns=["gc1", "gc2", "ex1", "ex2"]
    )
    return Bunch(
        X=X, y=y, time=time, labels=labels, class_means=class_means, knots=knots,
        factor_covariance=np.asarray(factor_covariance),
        expert_coefficients=np.asarray(expert_coefficients),
        gating=log_odds_rows[1:], residual_variance=residual_variance,
    )  # fmt: skip


def load_ecls_k():
    """ECLS-K:2011 reading, mathematics and science scores of 500 children.

    Nine waves (R1-R9, M1-M9; science S2-S9), ages in months at each wave
    (T1-T9) and baseline covariates; as shipped in the R package nlpsem
    (``RMS_dat``, Liu & Perera). Provenance and reference fits:
    ``skmix/datasets/data/README.md``.

    Returns
    -------
    data : pandas.DataFrame of shape (500, 49)
    """
    path = (
        resources.files("skmix.datasets") / "data" / "ecls_k_math_reading_science.csv"
    )
    with resources.as_file(path) as file:
        return pd.read_csv(file)
