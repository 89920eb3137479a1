"""Stacks of Gaussian components: the one way rows are scored against them.

:class:`GaussianComponents` holds a mixture's parameters (host float64) with
its :class:`~skmix._core.CovarianceModel`; :func:`m_step` makes one from
sufficient statistics. :class:`ComponentScorer` is the kernels' view of any
stack of components — a mixture's, or several mixtures stacked into one
kernel call (:func:`stack_scorers`) with an ``owner`` per component — and
scores rows on a backend: log joint densities, ``score_samples``,
posteriors (optionally restricted to allowed components), per-owner log
densities and the fused E-step statistics.
"""

from dataclasses import dataclass, replace

import numpy as np

from .._backend._numpy import logsumexp_rows
from .._math import e_step_statistics, responsibility_statistics
from ._covariance import get_covariance_model
from ._missing import MissingScorer, has_missing
from ._prior import map_estimate

#: Added to the component counts before dividing, as scikit-learn does.
_COUNT_FLOOR = 10 * np.finfo(np.float64).eps

#: Precision factor of the pseudo-component that carries a uniform noise
#: density through the Gaussian kernels (see :meth:`UniformNoise.pseudo_component`).
_NOISE_FACTOR = 1e-15


@dataclass(frozen=True)
class UniformNoise:
    """A uniform background component (mclust's noise): density
    ``weight / volume`` everywhere.

    Attributes
    ----------
    weight : float
    log_volume : float
        Log of the hypervolume the density is uniform over.
    region : NoiseRegion
        The data's box (:func:`~skmix._core._noise.hypervolume_region`):
        its centre keeps the pseudo-component's quadratic term negligible
        (see :meth:`pseudo_component`), and noise is drawn over it.
    """

    weight: float
    log_volume: float
    region: object

    @property
    def centre(self):
        return self.region.centre

    def pseudo_component(self, kernel_form):
        """(log weight, mean, precision factor) of a Gaussian pseudo-component
        whose kernel log-density is ``log(weight) - log_volume``.

        A Gaussian with precision factor ``eps I`` has log-density
        ``-d/2 log(2 pi) + d log(eps) - eps^2 |x - c|^2 / 2``; with ``eps =
        1e-15`` the last term is below rounding for any |x - c| under 1e7,
        and the log weight cancels the rest. So every backend kernel, Dask
        and the fused E-step score the noise with no code of their own.
        """
        d = self.centre.shape[0]
        log_weight = (
            np.log(self.weight) - self.log_volume
            + 0.5 * d * np.log(2 * np.pi) - d * np.log(_NOISE_FACTOR)
        )  # fmt: skip
        if kernel_form == "full":
            factor = _NOISE_FACTOR * np.eye(d)
        else:
            factor = np.full(d, _NOISE_FACTOR)
        return log_weight, self.centre, factor


@dataclass(frozen=True)
class GaussianComponents:
    """Weights, means and structured covariances of a stack of components.

    Attributes
    ----------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covariances : ndarray
        Shaped by ``covariance.shape``.
    precisions_cholesky : ndarray
        Upper factors ``U`` with ``U U^T = inv(covariance)``, same shape.
    covariance : CovarianceModel
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    covariance: object
    noise: UniformNoise = None

    @classmethod
    def from_covariances(cls, weights, means, covariances, covariance_type):
        """Components whose precision factors are computed from `covariances`."""
        model = get_covariance_model(covariance_type)
        return cls(
            weights, means, covariances, model.precision_cholesky(covariances), model
        )

    @classmethod
    def from_precisions(cls, weights, means, precisions, covariance_type):
        """Components given by precisions (e.g. ``precisions_init``)."""
        model = get_covariance_model(covariance_type)
        precisions_chol = model.precision_cholesky_from_precisions(precisions)
        covariances = model.covariances_from_precision_cholesky(precisions_chol)
        return cls(weights, means, covariances, precisions_chol, model)

    @classmethod
    def from_fitted(cls, estimator, covariance_type):
        """The components of a fitted estimator with scikit-learn's
        attributes (``weights_``, ``means_``, ``covariances_``,
        ``precisions_cholesky_``), in float64."""
        return cls(
            *(
                np.asarray(getattr(estimator, name), dtype=np.float64)
                for name in (
                    "weights_", "means_", "covariances_", "precisions_cholesky_"
                )
            ),
            get_covariance_model(covariance_type),
        )  # fmt: skip

    @property
    def n_components(self):
        return self.means.shape[0]

    def n_parameters(self):
        """Free parameters: weights (less one), means and covariances, and
        for a noise component its weight and hypervolume (as mclust counts)."""
        n_noise = 0 if self.noise is None else 2
        return n_mixture_parameters(self.covariance, *self.means.shape) + n_noise

    def full_covariances(self):
        """Covariances as an (n_components, n_features, n_features) stack."""
        return self.covariance.to_full(self.covariances, *self.means.shape)

    def sample(self, n_samples, rng):
        """Rows and their components (-1 for noise), ``n_samples`` in all,
        seeded by `rng`."""
        if self.noise is None:
            counts = rng.multinomial(n_samples, self.weights)
        else:
            counts = rng.multinomial(n_samples, [*self.weights, self.noise.weight])
            counts, n_noise = counts[:-1], counts[-1]
        X = self.covariance.sample(rng, self.means, self.covariances, counts)
        labels = np.repeat(np.arange(self.n_components, dtype=np.int64), counts)
        if self.noise is not None:
            X = np.vstack([X, self.noise.region.sample(n_noise, rng)])
            labels = np.concatenate([labels, np.full(n_noise, -1, dtype=np.int64)])
        return X, labels

    def scorer(self, log_prior=0.0):
        """The kernels' view of these components (weights times
        ``exp(log_prior)``); a noise component comes last."""
        with np.errstate(divide="ignore"):  # a zero weight is a valid -inf
            log_weights = log_prior + np.log(self.weights)
        means = np.asarray(self.means, dtype=np.float64)
        precisions = self.covariance.kernel_precisions(
            np.asarray(self.precisions_cholesky, dtype=np.float64),
            *self.means.shape,
        )
        if self.noise is not None:
            log_weight, centre, factor = self.noise.pseudo_component(
                self.covariance.kernel_form
            )
            log_weights = np.append(log_weights, log_prior + log_weight)
            means = np.vstack([means, centre])
            precisions = np.concatenate([precisions, factor[None]])
        return ComponentScorer(log_weights, means, np.ascontiguousarray(precisions))

    def shift(self):
        """Where the E-step takes moments about: the means (and the noise
        centre)."""
        if self.noise is None:
            return self.means
        return np.vstack([self.means, self.noise.centre])


def n_mixture_parameters(covariance_type, n_components, n_features):
    """Free parameters of a Gaussian mixture with a given covariance structure."""
    model = get_covariance_model(covariance_type)
    return int(
        model.n_parameters(n_components, n_features)
        + n_features * n_components
        + n_components
        - 1
    )


#: The parameter groups ``FixedParameters`` can hold.
FIXABLE_PARAMETERS = ("weights", "means", "covariances")


@dataclass(frozen=True)
class FixedParameters:
    """Parameters held at given values while EM estimates the others.

    Attributes
    ----------
    weights : ndarray of shape (n_components,) or None
    means : ndarray of shape (n_components, n_features) or None
    covariances : GaussianComponents or None
        Components whose ``covariances`` and ``precisions_cholesky`` are kept
        (exactly: no round trip through an inverse).
    """

    weights: np.ndarray = None
    means: np.ndarray = None
    covariances: GaussianComponents = None

    def n_parameters(self, covariance_type, n_components, n_features):
        """Free parameters the fixed groups remove from the mixture's count."""
        count = 0
        if self.weights is not None:
            count += n_components - 1
        if self.means is not None:
            count += n_components * n_features
        if self.covariances is not None:
            model = get_covariance_model(covariance_type)
            count += model.n_parameters(n_components, n_features)
        return int(count)


def counts_means_scatter(stats, fixed_means=None):
    """The M-step's counts (``10 * eps`` added), means and scatter ``sum_i
    r_ik (x_i - mu_k)(x_i - mu_k)^T`` (or its diagonal) from moments about a
    shift; about `fixed_means` (the constrained maximum) if given."""
    if fixed_means is not None:
        stats = stats.recenter(fixed_means)
    nk = stats.nk + _COUNT_FLOOR
    offset = stats.sum_x / nk[:, None]  # mean - shift
    means = stats.shift + offset
    if fixed_means is not None:
        means, offset = fixed_means, np.zeros_like(offset)
    if stats.sum_xx.ndim == 3:
        cross = offset[:, :, None] * offset[:, None, :]
        return nk, means, stats.sum_xx - nk[:, None, None] * cross
    return nk, means, stats.sum_xx - nk[:, None] * offset**2


def m_step(stats, covariance_type, reg_covar, previous=None, prior=None, fixed=None):
    """Maximum-likelihood (or, with a `prior`, MAP) components from
    sufficient statistics.

    Mirrors scikit-learn: ``10 * eps`` added to the counts, `reg_covar` on the
    covariance diagonals.

    Parameters
    ----------
    stats : GaussianStatistics
    covariance_type : str or CovarianceModel
    reg_covar : float
    previous : GaussianComponents or None, default=None
        The components being updated (a warm start for iterative structures).
        If they have a noise component, the statistics' last column is its
        and gives its new weight.
    prior : ConjugatePrior or None, default=None
        mclust's conjugate prior: means and covariances at the posterior
        mode (:func:`~skmix._core._prior.map_estimate`); weights stay the
        counts' shares, as in mclust.
    fixed : FixedParameters or None, default=None
        Parameters kept at given values. Fixed means make the covariances
        the scatter about them (the constrained maximum).

    Returns
    -------
    GaussianComponents
    """
    model = get_covariance_model(covariance_type)
    noise = None if previous is None else previous.noise
    if noise is not None:
        total = stats.nk.sum() + _COUNT_FLOOR * stats.nk.size
        noise = replace(noise, weight=(stats.nk[-1] + _COUNT_FLOOR) / total)
        stats = stats.components(slice(0, -1))
    fixed = fixed or FixedParameters()
    nk, means, scatter = counts_means_scatter(stats, fixed.means)
    last = None if previous is None else previous.covariances
    if fixed.covariances is not None:
        covariances = fixed.covariances.covariances
    elif prior is None:
        covariances = model.estimate(scatter, nk, reg_covar, last)
    else:
        means, covariances = map_estimate(
            model, means, scatter, nk, reg_covar, prior, last
        )
    weights = nk / nk.sum() if fixed.weights is None else fixed.weights
    if noise is not None:
        weights = weights * (1.0 - noise.weight)
    if fixed.covariances is not None:
        components = replace(fixed.covariances, weights=weights, means=means)
    else:
        components = GaussianComponents.from_covariances(
            weights, means, covariances, model
        )
    return replace(components, noise=noise)


def components_from_responsibilities(
    backend, X, resp, covariance_type, reg_covar, shift, prior=None, sample_weight=None
):
    """Maximum-likelihood (or MAP, with a `prior`) components for given
    responsibilities (starts, labelled rows), with moments taken about
    `shift` (n_components, n_features), rows weighted by `sample_weight`."""
    model = get_covariance_model(covariance_type)
    statistics = responsibility_statistics(
        backend, X, resp, shift, model.full_moments, sample_weight
    )
    return m_step(statistics, model, reg_covar, prior=prior)


@dataclass(frozen=True)
class ComponentScorer:
    """A stack of components in the kernels' form, scored on any backend.

    Attributes
    ----------
    log_weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    precisions : ndarray of shape (n_components, n_features, n_features) or \
            (n_components, n_features)
        Precision factors in the kernels' full or diagonal form.
    owner : ndarray of shape (n_components,) or None
        Group (e.g. class) of each component, for :meth:`group_log_density`.
    """

    log_weights: np.ndarray
    means: np.ndarray
    precisions: np.ndarray
    owner: np.ndarray = None

    def _on_device(self, backend, dtype):
        return tuple(
            backend.asarray(p, dtype=dtype)
            for p in (self.log_weights, self.means, self.precisions)
        )

    def log_joint(self, backend, X, missing=False):
        """``log w_k + log N(x | k)`` on X's device, shape (n_samples, K).

        With `missing`, NaN in `X` are missing values: a row's densities
        are the marginals of its observed coordinates."""
        if missing and has_missing(X):
            return MissingScorer(self).log_joint(backend, X)
        log_weights, means, precisions = self._on_device(backend, X.dtype)
        return backend.kernels.log_gaussian_prob(X, means, precisions) + log_weights

    def score_samples(self, backend, X, missing=False):
        """``log sum_k w_k N(x | k)`` of each row, on X's device."""
        if missing and has_missing(X):
            return backend.kernels.logsumexp_rows(self.log_joint(backend, X, True))
        return backend.kernels.score_samples(X, *self._on_device(backend, X.dtype))

    def posteriors(self, backend, X, missing=False):
        """Component posteriors and ``log p(x)`` of each row, on X's device."""
        log_joint = self.log_joint(backend, X, missing)
        log_norm = backend.kernels.logsumexp_rows(log_joint)
        with np.errstate(under="ignore", invalid="ignore"):
            resp = backend.xp.exp(log_joint - log_norm[:, None])
            # Renormalised: at log-densities far from zero (a feature constant
            # in training that moves) the subtraction keeps too few digits
            # for the rows to sum to one.
            return resp / backend.xp.sum(resp, axis=1, keepdims=True), log_norm

    def group_log_density(self, backend, X):
        """``log sum_{k in c} w_k N(x | k)`` per owner ``c``, on the host."""
        log_joint = backend.to_numpy(self.log_joint(backend, X))
        return group_logsumexp(log_joint, self.owner)

    def e_step_statistics(self, backend, X, shift, sample_weight=None):
        """The fused E-step's :class:`~skmix._math.GaussianStatistics` of `X`,
        with moments about `shift` (normally the current means), each row
        counted ``sample_weight`` times if given (on X's device)."""
        return e_step_statistics(
            backend, X, self.log_weights, self.means, self.precisions, shift,
            sample_weight,
        )  # fmt: skip


def stack_scorers(scorers):
    """One scorer for several stacks; ``owner`` is each component's stack index.

    Stacks with diagonal factors become diagonal matrices when another stack
    is full, so that one kernel call scores every component.
    """
    precisions = [s.precisions for s in scorers]
    if len({p.ndim for p in precisions}) > 1:
        precisions = [p if p.ndim == 3 else p[:, :, None] * np.eye(p.shape[1])
                      for p in precisions]  # fmt: skip
    return ComponentScorer(
        np.concatenate([s.log_weights for s in scorers]),
        np.concatenate([s.means for s in scorers]),
        np.ascontiguousarray(np.concatenate(precisions)),
        np.concatenate([np.full(s.means.shape[0], i) for i, s in enumerate(scorers)]),
    )


def masked_posteriors(log_joint, allowed):
    """Posteriors over the allowed components of each row, and ``log p``.

    Rows restricted to some components (e.g. labelled rows to their class's)
    put zero posterior on the others. Host arrays.

    Parameters
    ----------
    log_joint : ndarray of shape (n_samples, n_components)
    allowed : ndarray of bool, broadcastable to `log_joint`

    Returns
    -------
    resp : ndarray of shape (n_samples, n_components)
    log_norm : ndarray of shape (n_samples,)
    """
    restricted = np.where(allowed, log_joint, -np.inf)
    peak = restricted.max(axis=1, keepdims=True)
    with np.errstate(under="ignore"):
        scaled = np.exp(restricted - peak)
    total = scaled.sum(axis=1, keepdims=True)
    return scaled / total, (peak + np.log(total))[:, 0]


def group_logsumexp(log_joint, owner):
    """``logsumexp`` over each group's columns, shape (n_samples, n_groups)."""
    n_groups = owner.max() + 1
    out = np.empty((log_joint.shape[0], n_groups))
    for group in range(n_groups):
        columns = np.flatnonzero(owner == group)
        if columns.size == 1:  # one component: nothing to sum
            out[:, group] = log_joint[:, columns[0]]
        else:  # SciPy's logsumexp costs 3x the scoring kernel here
            out[:, group] = logsumexp_rows(log_joint[:, columns])
    return out
