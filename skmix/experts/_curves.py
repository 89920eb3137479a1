"""Growth curves: the design (loading) matrices of trajectory experts.

A curve maps measurement times ``t`` and its nonlinear parameters ``phi`` (a
knot, a rate) to loadings ``Lambda(t; phi)`` of shape (..., n_waves,
n_factors); a subject's expected trajectory is ``Lambda @ eta`` for growth
factors ``eta``. Adding a curve is one small class with this interface.
"""

import numpy as np

__all__ = [
    "BilinearSpline",
    "Exponential",
    "GrowthCurve",
    "Intercept",
    "JennsBayley",
    "Linear",
    "Quadratic",
]


class GrowthCurve:
    """Interface of a growth curve.

    Attributes
    ----------
    factor_names : tuple of str
        Names of the growth factors (columns of the loadings).
    nonlinear_names : tuple of str
        Names of the class-specific nonlinear parameters (may be empty).
    """

    factor_names = ()
    nonlinear_names = ()
    original_names = None

    @property
    def n_factors(self):
        return len(self.factor_names)

    @property
    def n_nonlinear(self):
        return len(self.nonlinear_names)

    def loadings(self, t, phi):
        """Loadings of shape ``t.shape + (n_factors,)``."""
        raise NotImplementedError

    def initial_nonlinear(self, t):
        """Starting values of the nonlinear parameters for times ``t``."""
        return np.empty(0)

    def nonlinear_bounds(self, t):
        """(low, high) bounds of each nonlinear parameter for times ``t``."""
        return []

    def original_scale(self, phi):
        """Linear map ``A`` from the fitted growth factors to the reported ones.

        Returns ``None`` when the fitted factors are already on the original
        scale; otherwise ``A`` with ``eta_original = A @ eta``, the original
        factors named by ``original_names``.
        """
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"


class Intercept(GrowthCurve):
    """A constant: a scalar outcome, or a flat trajectory."""

    factor_names = ("intercept",)

    def loadings(self, t, phi):
        return np.ones(np.shape(t) + (1,))


class Linear(GrowthCurve):
    """``eta0 + eta1 t``."""

    factor_names = ("intercept", "slope")

    def loadings(self, t, phi):
        t = np.asarray(t, dtype=float)
        return np.stack([np.ones_like(t), t], axis=-1)


class Quadratic(GrowthCurve):
    """``eta0 + eta1 t + eta2 t^2``."""

    factor_names = ("intercept", "linear", "quadratic")

    def loadings(self, t, phi):
        t = np.asarray(t, dtype=float)
        return np.stack([np.ones_like(t), t, t * t], axis=-1)


class Exponential(GrowthCurve):
    """Negative exponential: ``eta0 + eta1 (1 - exp(-b t))``, rate ``b > 0``.

    ``eta1`` is the change from the start to the asymptote (Grimm, Ram &
    Estabrook, *Growth Modeling*, 2016, ch. 11).
    """

    factor_names = ("intercept", "total_change")
    nonlinear_names = ("rate",)

    def loadings(self, t, phi):
        t = np.asarray(t, dtype=float)
        return np.stack([np.ones_like(t), -np.expm1(-phi[0] * t)], axis=-1)

    def initial_nonlinear(self, t):
        return np.array([2.0 / np.nanmax(t)])

    def nonlinear_bounds(self, t):
        span = np.nanmax(t) - np.nanmin(t)
        return [(1e-3 / span, 50.0 / span)]


class JennsBayley(GrowthCurve):
    """Jenss-Bayley: ``eta0 + eta1 t + eta2 (exp(c t) - 1)``, ``c < 0``.

    ``eta1`` is the slope of the linear asymptote and ``eta2`` the vertical
    distance between the asymptote's intercept and the initial status (as in
    the R package nlpsem).
    """

    factor_names = ("intercept", "asymptote_slope", "deceleration")
    nonlinear_names = ("rate",)

    def loadings(self, t, phi):
        t = np.asarray(t, dtype=float)
        return np.stack([np.ones_like(t), t, np.expm1(phi[0] * t)], axis=-1)

    def initial_nonlinear(self, t):
        return np.array([-2.0 / np.nanmax(t)])

    def nonlinear_bounds(self, t):
        span = np.nanmax(t) - np.nanmin(t)
        return [(-50.0 / span, -1e-3 / span)]


class BilinearSpline(GrowthCurve):
    """Linear-linear piecewise growth with a class-specific knot ``gamma``.

    Fitted in the reparameterisation of Liu & Perera (2023)::

        y = eta0' + eta1' (t - gamma) + eta2' |t - gamma|

    where ``eta0'`` is the level at the knot, ``eta1'`` the mean of the two
    slopes and ``eta2'`` half their difference. ``|u|`` is smoothed to
    ``sqrt(u^2 + smoothing^2)`` so the likelihood is differentiable in the
    knot. :meth:`original_scale` maps back to the intercept at ``t = 0`` and
    the slopes before and after the knot; their standard errors come from the
    delta method.

    Parameters
    ----------
    smoothing : float, default=1e-3
        Smoothing of ``|t - gamma|``, in time units.
    """

    factor_names = ("level_at_knot", "mean_slope", "half_slope_difference")
    nonlinear_names = ("knot",)
    original_names = ("intercept", "slope1", "slope2")

    def __init__(self, smoothing=1e-3):
        self.smoothing = smoothing

    def loadings(self, t, phi):
        u = np.asarray(t, dtype=float) - phi[0]
        return np.stack(
            [np.ones_like(u), u, np.sqrt(u * u + self.smoothing**2)], axis=-1
        )

    def initial_nonlinear(self, t):
        return np.array([np.nanmedian(t)])

    def nonlinear_bounds(self, t):
        low, high = np.nanmin(t), np.nanmax(t)
        margin = 0.02 * (high - low)
        return [(low + margin, high - margin)]

    def original_scale(self, phi):
        gamma = phi[0]
        return np.array([[1.0, -gamma, gamma], [0.0, 1.0, -1.0], [0.0, 1.0, 1.0]])

    def __repr__(self):
        return f"BilinearSpline(smoothing={self.smoothing!r})"


CURVES = {
    "intercept": Intercept,
    "linear": Linear,
    "quadratic": Quadratic,
    "exponential": Exponential,
    "jenss_bayley": JennsBayley,
    "bilinear_spline": BilinearSpline,
}


def resolve_curve(curve):
    """A :class:`GrowthCurve` from a name or an instance."""
    if isinstance(curve, GrowthCurve):
        return curve
    if isinstance(curve, str) and curve in CURVES:
        return CURVES[curve]()
    raise ValueError(
        f"curve must be one of {sorted(CURVES)} or a GrowthCurve instance; "
        f"got {curve!r}."
    )
