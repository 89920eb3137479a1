"""Expert families: the outcome distribution of one class of a mixture of
regressions (a generalised linear model with the posterior as weights).

Each family is one class holding the maths of its distribution as a
function of the linear predictor ``eta`` (offset included): the
log-density, the score ``d log f / d eta``, the Fisher weight and working
response of IRLS, the dispersion's score and update, the response-scale
mean and sampling. Adding a family is adding one class to
:data:`EXPERT_FAMILIES`.

Dispersions are reported on their usual scales: the Gaussian residual
variance, the negative binomial's size ``theta`` (``Var = mu + mu^2 /
theta``, as MASS's ``glm.nb`` and flexmix's ``FLXMRnegbin``) and the gamma
shape ``nu`` (``Var = mu^2 / nu``).
"""

import numpy as np
from scipy.special import digamma, expit, gammaln, log_expit, polygamma

LOG_2PI = np.log(2 * np.pi)
#: The linear predictor of log links is clipped here so that exp() stays
#: finite on a wild Newton trial (the step is then halved).
_MAX_LOG_MEAN = 700.0


class ExpertFamily:
    """The outcome distribution of a class, as a function of ``eta``.

    Attributes
    ----------
    name : str
    dispersion_name : str or None
        The term name of the dispersion parameter (None: the family has
        none, e.g. Poisson and binomial).
    integer_outcomes : bool
        Outcomes must be non-negative integers (counts).
    """

    name = ""
    dispersion_name = None
    integer_outcomes = False

    @property
    def has_dispersion(self):
        return self.dispersion_name is not None

    def validate(self, y, trials):
        """Raise a ValueError naming what ``y`` (or ``trials``) breaks."""
        if self.integer_outcomes:
            if np.any(y < 0):
                raise ValueError(
                    f"family={self.name!r} needs non-negative counts; y has "
                    f"{int(np.sum(y < 0))} negative value(s)."
                )
            if np.any(y != np.round(y)):
                raise ValueError(
                    f"family={self.name!r} needs integer counts; y has "
                    f"{int(np.sum(y != np.round(y)))} non-integer value(s)."
                )

    def mean(self, eta, trials):
        """Expected outcome on the response scale."""
        raise NotImplementedError

    def log_density(self, y, eta, dispersion, trials):
        raise NotImplementedError

    def eta_score(self, y, eta, dispersion, trials):
        """``d log f(y) / d eta``."""
        raise NotImplementedError

    def fisher_weight(self, eta, dispersion, trials):
        """Expected ``-d^2 log f / d eta^2``: the IRLS weight."""
        raise NotImplementedError

    def dispersion_score(self, y, eta, dispersion, trials):
        """``d log f(y) / d dispersion`` (families with a dispersion)."""
        raise NotImplementedError

    def update_dispersion(self, y, eta, weights, dispersion, trials):
        """The dispersion maximising ``sum_i weights_i log f(y_i)`` at fixed
        ``eta`` (families with a dispersion)."""
        raise NotImplementedError

    def initial_dispersion(self, y, weights):
        return np.nan

    def initial_intercept(self, y, weights, trials, offset):
        """An intercept matching the weighted mean outcome (a start)."""
        raise NotImplementedError

    def sample(self, rng, eta, dispersion, trials):
        raise NotImplementedError


class Gaussian(ExpertFamily):
    """Normal outcomes, identity link; the dispersion is the variance."""

    name = "gaussian"
    dispersion_name = "residual_variance"

    def mean(self, eta, trials):
        return eta

    def log_density(self, y, eta, dispersion, trials):
        return -0.5 * (LOG_2PI + np.log(dispersion) + (y - eta) ** 2 / dispersion)

    def eta_score(self, y, eta, dispersion, trials):
        return (y - eta) / dispersion

    def fisher_weight(self, eta, dispersion, trials):
        return np.full_like(eta, 1.0 / dispersion)

    def dispersion_score(self, y, eta, dispersion, trials):
        return 0.5 * ((y - eta) ** 2 / dispersion - 1.0) / dispersion

    def update_dispersion(self, y, eta, weights, dispersion, trials):
        return float(weights @ (y - eta) ** 2 / weights.sum())

    def initial_dispersion(self, y, weights):
        centred = y - weights @ y / weights.sum()
        return float(weights @ centred**2 / weights.sum())

    def initial_intercept(self, y, weights, trials, offset):
        return float(weights @ (y - offset) / weights.sum())

    def sample(self, rng, eta, dispersion, trials):
        return eta + np.sqrt(dispersion) * rng.standard_normal(eta.shape)


class _LogLink(ExpertFamily):
    integer_outcomes = True

    def mean(self, eta, trials):
        return np.exp(np.minimum(eta, _MAX_LOG_MEAN))

    def initial_intercept(self, y, weights, trials, offset):
        total = max(float(weights @ y), 0.5 * weights.sum() / max(len(y), 1))
        return float(np.log(total / (weights @ np.exp(offset))))


class Poisson(_LogLink):
    """Counts, log link."""

    name = "poisson"

    def log_density(self, y, eta, dispersion, trials):
        return y * eta - self.mean(eta, trials) - gammaln(y + 1)

    def eta_score(self, y, eta, dispersion, trials):
        return y - self.mean(eta, trials)

    def fisher_weight(self, eta, dispersion, trials):
        return self.mean(eta, trials)

    def sample(self, rng, eta, dispersion, trials):
        return rng.poisson(self.mean(eta, trials)).astype(float)


class NegativeBinomial(_LogLink):
    """Over-dispersed counts (NB2), log link, class-specific size ``theta``.

    ``log f = lgamma(y + theta) - lgamma(theta) - lgamma(y + 1)
    + theta log(theta / (theta + mu)) + y log(mu / (theta + mu))``.
    """

    name = "negative_binomial"
    dispersion_name = "theta"
    #: Bounds of theta: beyond 1e8 the counts are Poisson to float precision.
    theta_bounds = (1e-8, 1e8)

    def log_density(self, y, eta, theta, trials):
        mu = self.mean(eta, trials)
        log_total = np.logaddexp(np.log(theta), np.minimum(eta, _MAX_LOG_MEAN))
        return (
            gammaln(y + theta) - gammaln(theta) - gammaln(y + 1)
            + theta * (np.log(theta) - log_total) + y * (np.log(mu) - log_total)
        )  # fmt: skip

    def eta_score(self, y, eta, theta, trials):
        mu = self.mean(eta, trials)
        return (y - mu) * theta / (theta + mu)

    def fisher_weight(self, eta, theta, trials):
        mu = self.mean(eta, trials)
        return mu * theta / (theta + mu)

    def dispersion_score(self, y, eta, theta, trials):
        mu = self.mean(eta, trials)
        return (
            digamma(y + theta) - digamma(theta) + np.log(theta / (theta + mu))
            + (mu - y) / (theta + mu)
        )  # fmt: skip

    def update_dispersion(self, y, eta, weights, theta, trials):
        """Newton steps on ``log theta`` (MASS's ``theta.ml``), halved until
        the weighted log-likelihood does not decrease.

        The terms in ``y + theta`` (log-gamma and its derivatives, the slow
        part) are summed over the distinct counts, which are few.
        """
        counts, index = np.unique(y, return_inverse=True)
        count_weights = np.bincount(index.ravel(), weights, len(counts))
        total = weights.sum()
        mu = self.mean(eta, trials)

        def derivatives(value, order):
            """The log-likelihood's theta-dependent part and, for order 1 and
            2, its derivatives in theta."""
            shifted = value + mu
            if order == 0:
                return (
                    count_weights @ gammaln(counts + value) - total * gammaln(value)
                    + total * value * np.log(value)
                    - weights @ ((value + y) * np.log(shifted))
                )  # fmt: skip
            ratio = (value + y) / shifted
            gradient = (
                count_weights @ digamma(counts + value) - total * digamma(value)
                + total * (np.log(value) + 1) - weights @ (np.log(shifted) + ratio)
            )  # fmt: skip
            curvature = (
                count_weights @ polygamma(1, counts + value)
                - total * polygamma(1, value) + total / value
                - weights @ ((2 - ratio) / shifted)
            )  # fmt: skip
            return gradient, curvature

        low, high = self.theta_bounds
        log_theta = np.log(np.clip(theta, low, high))
        current = derivatives(np.exp(log_theta), 0)
        for _ in range(50):
            value = np.exp(log_theta)
            gradient, curvature = derivatives(value, 1)
            # In log theta: g' = theta l', g'' = theta l' + theta^2 l''.
            gradient, curvature = (
                value * gradient,
                value * gradient + value**2 * curvature,
            )
            step = -gradient / curvature if curvature < 0 else np.sign(gradient)
            step = float(np.clip(step, -3.0, 3.0))
            for _ in range(30):
                trial = float(np.clip(log_theta + step, np.log(low), np.log(high)))
                trial_value = derivatives(np.exp(trial), 0)
                if trial_value >= current:
                    break
                step /= 2
            else:
                break
            change = abs(trial - log_theta)
            log_theta, current = trial, trial_value
            if change < 1e-10:
                break
        return float(np.exp(log_theta))

    def initial_dispersion(self, y, weights):
        mean = weights @ y / weights.sum()
        variance = weights @ (y - mean) ** 2 / weights.sum()
        excess = variance - mean
        return float(mean**2 / excess) if excess > 1e-8 * mean**2 else 1e3

    def sample(self, rng, eta, theta, trials):
        mu = self.mean(eta, trials)
        return rng.poisson(rng.gamma(theta, mu / theta)).astype(float)


class Binomial(ExpertFamily):
    """Successes out of ``trials`` (1 by default), logit link."""

    name = "binomial"
    integer_outcomes = True

    def validate(self, y, trials):
        super().validate(y, trials)
        if np.any(trials < 1) or np.any(trials != np.round(trials)):
            raise ValueError("trials must be positive integers.")
        if np.any(y > trials):
            raise ValueError(
                f"family='binomial': {int(np.sum(y > trials))} row(s) have more "
                "successes than trials (y > trials); y must count successes."
            )

    def mean(self, eta, trials):
        return trials * expit(eta)

    def log_density(self, y, eta, dispersion, trials):
        return (
            gammaln(trials + 1) - gammaln(y + 1) - gammaln(trials - y + 1)
            + y * log_expit(eta) + (trials - y) * log_expit(-eta)
        )  # fmt: skip

    def eta_score(self, y, eta, dispersion, trials):
        return y - trials * expit(eta)

    def fisher_weight(self, eta, dispersion, trials):
        p = expit(eta)
        return trials * p * (1 - p)

    def initial_intercept(self, y, weights, trials, offset):
        share = (weights @ y + 0.5) / (weights @ trials + 1.0)
        return float(np.log(share / (1 - share)) - weights @ offset / weights.sum())

    def sample(self, rng, eta, dispersion, trials):
        return rng.binomial(trials.astype(np.int64), expit(eta)).astype(float)


class Gamma(ExpertFamily):
    """Positive continuous outcomes, log link, class-specific shape ``nu``.

    ``log f = nu log(nu y / mu) - nu y / mu - log y - lgamma(nu)``.
    """

    name = "gamma"
    dispersion_name = "shape"
    shape_bounds = (1e-8, 1e10)

    def validate(self, y, trials):
        if np.any(y <= 0):
            raise ValueError(
                f"family='gamma' needs positive outcomes; y has "
                f"{int(np.sum(y <= 0))} value(s) <= 0."
            )

    def mean(self, eta, trials):
        return np.exp(np.minimum(eta, _MAX_LOG_MEAN))

    def log_density(self, y, eta, shape, trials):
        ratio = y * np.exp(-np.maximum(eta, -_MAX_LOG_MEAN))
        return shape * (np.log(shape * ratio) - ratio) - np.log(y) - gammaln(shape)

    def eta_score(self, y, eta, shape, trials):
        return shape * (y * np.exp(-np.maximum(eta, -_MAX_LOG_MEAN)) - 1.0)

    def fisher_weight(self, eta, shape, trials):
        return np.full_like(eta, shape)

    def dispersion_score(self, y, eta, shape, trials):
        ratio = y * np.exp(-np.maximum(eta, -_MAX_LOG_MEAN))
        return np.log(shape * ratio) + 1.0 - ratio - digamma(shape)

    def update_dispersion(self, y, eta, weights, shape, trials):
        """The ML shape: the root of ``log nu - digamma(nu) = c`` with
        ``c = sum w (r - 1 - log r) / sum w``, ``r = y / mu`` (Newton on
        ``log nu``, which converges from any start: the left side is
        decreasing and convex in ``log nu``)."""
        ratio = y * np.exp(-np.maximum(eta, -_MAX_LOG_MEAN))
        c = float(weights @ (ratio - 1.0 - np.log(ratio)) / weights.sum())
        low, high = self.shape_bounds
        if c <= 1.0 / (2 * high):
            return high
        log_shape = np.log(0.5 / c)  # the large-shape approximation
        for _ in range(100):
            shape = np.exp(log_shape)
            value = np.log(shape) - digamma(shape) - c
            slope = shape * (1.0 / shape - polygamma(1, shape))
            step = -value / slope
            log_shape = float(np.clip(log_shape + step, np.log(low), np.log(high)))
            if abs(step) < 1e-12:
                break
        return float(np.exp(log_shape))

    def initial_dispersion(self, y, weights):
        mean = weights @ y / weights.sum()
        variance = weights @ (y - mean) ** 2 / weights.sum()
        return float(mean**2 / variance) if variance > 0 else 1.0

    def initial_intercept(self, y, weights, trials, offset):
        return float(np.log(weights @ y / (weights @ np.exp(offset))))

    def sample(self, rng, eta, shape, trials):
        return rng.gamma(shape, self.mean(eta, trials) / shape)


#: Expert families by name.
EXPERT_FAMILIES = {
    family.name: family
    for family in (Gaussian(), Poisson(), Binomial(), NegativeBinomial(), Gamma())
}


def get_family(family):
    """The family named ``family`` (or ``family`` itself if it is one)."""
    if isinstance(family, ExpertFamily):
        return family
    if isinstance(family, str) and family in EXPERT_FAMILIES:
        return EXPERT_FAMILIES[family]
    raise ValueError(
        f"Unknown family {family!r}; choose one of {sorted(EXPERT_FAMILIES)} or "
        "pass an ExpertFamily."
    )
