"""Vuong-Lo-Mendell-Rubin likelihood-ratio test of ``K - 1`` against ``K``
classes (Mplus TECH11).

Lo, Mendell & Rubin (2001) apply Vuong's (1989, theorem 3.3) result on the
likelihood ratio of two models fitted to the same data: where both describe
the same distribution (here, the ``K``-class model collapsing onto the
``K - 1``-class one), ``LR = 2 (l_K - l_{K-1})`` is asymptotically
``sum_j lambda_j chi2_1`` with independent chi-square(1) variables, the
weights ``lambda_j`` being the eigenvalues of Vuong's

    W = [[-B_K A_K^-1,        -B_{K,K-1} A_{K-1}^-1],
         [ B_{K-1,K} A_K^-1,   B_{K-1} A_{K-1}^-1 ]],

with ``A`` each model's mean Hessian of the per-unit log-likelihood and ``B``
the mean outer products of the per-unit scores, the cross-model blocks
included. The expansion behind it: ``l(theta_hat) - l(theta*) ~ -Z' A^-1 Z /
2`` for each model, with ``Z = n^-1/2 sum_i s_i`` jointly normal of
covariance ``B``, so ``LR ~ Z' Q Z``, ``Q = diag(-A_K^-1, A_{K-1}^-1)``, a
quadratic form whose weights are the eigenvalues of ``Q B`` (similar to
``W``). Those are computed here as the eigenvalues of the symmetric ``R D
R'``, where ``S = Q R`` is the QR decomposition of the (n, p + q) score
matrix of both models and ``D = diag(V_K, -V_{K-1})`` their inverse observed
informations: no product ``S' S`` is formed. The tail probability of the
weighted sum is Imhof's (1961) integral. The adjusted test (LMR's eq. 15, as
Mplus prints it: checked against two Mplus 9 TECH11 outputs, see
``tests/data/lmr``) divides ``LR`` by ``1 + 1 / ((p - q) ln n)``, ``p - q``
the difference in free parameters, ``n`` the number of units, and refers it
to the same weighted chi-square distribution.

What a model family must provide is per-unit scores and the Hessian of the
total log-likelihood in any locally one-to-one free parametrisation (the
eigenvalues do not depend on it at a maximum): analytic ones for the
Gaussian mixtures here (:func:`gaussian_mixture_terms`); for the mixture of
experts, its own per-subject scores (``layout.score_matrix``, the scores of
its sandwich covariance) and central differences of their sum, as its
``covariance_`` does.
"""

import math
import warnings
from typing import NamedTuple

import numpy as np
from scipy import integrate, linalg
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from .._core import get_covariance_model
from ..exceptions import SingularInformationWarning

#: Covariance structures whose scores are implemented: fitted name ->
#: (form of the free precision entries, one precision for all components).
#: The precision ``Lambda`` is linear in its free entries: every entry of the
#: lower triangle ('full'), the diagonal ('diag'), or one multiple of the
#: identity ('spherical').
GAUSSIAN_STRUCTURES = {
    "full": ("full", False),
    "tied": ("full", True),
    "diag": ("diag", False),
    "EEI": ("diag", True),
    "spherical": ("spherical", False),
    "V": ("spherical", False),
    "EII": ("spherical", True),
    "E": ("spherical", True),
}

#: Eigenvalues of an information matrix below this fraction of the largest
#: make it numerically singular (as the experts' standard errors judge it).
_SINGULAR_RATIO = 1e3 * np.finfo(np.float64).eps
#: Weights below this fraction of the largest enter the tail integral by
#: their mean (the zero eigenvalues of the nested directions, up to round-off).
_NEGLIGIBLE_WEIGHT = 1e-7
#: What stands for the inverse information in Vuong's W.
COVARIANCES = ("model", "robust")
#: A fit whose Newton step would gain more log-likelihood than this is not
#: at a maximum (stopped early, or fitted on other data): a warning.
_MAX_NEWTON_GAIN = 0.1
#: Relative step of the central differences of the experts' total score
#: (the step of their ``covariance_``).
_EXPERTS_STEP = 1e-5


class UnsupportedModelError(ValueError):
    """The Lo-Mendell-Rubin test is not implemented for this model."""


class LoMendellRubinResult(NamedTuple):
    """Result of :func:`lo_mendell_rubin_test` (Mplus TECH11's numbers).

    Attributes
    ----------
    statistic : float
        ``LR = 2 (l_K - l_{K-1})``, "2 Times the Loglikelihood Difference".
    df : int
        Difference in free parameters ``p - q``.
    weights : ndarray of shape (p + q,)
        Eigenvalues of Vuong's ``W``, largest first: ``LR`` is asymptotically
        ``sum_j weights[j] chi2_1`` under the null hypothesis. (For nested,
        correctly specified regular models ``p - q`` of them are 1 and the
        others 0: Wilks's chi-square(p - q).)
    p_value : float
        VLMR p-value, ``P(sum_j weights[j] chi2_1 > statistic)``.
    adjusted_statistic : float
        ``statistic / (1 + 1 / (df ln n))`` (Lo, Mendell & Rubin's eq. 15).
    adjusted_p_value : float
        The adjusted LMR p-value: the same tail at ``adjusted_statistic``.
    n_samples : int
        Units (rows, or subjects for the mixture of experts).
    """

    statistic: float
    df: int
    weights: np.ndarray
    p_value: float
    adjusted_statistic: float
    adjusted_p_value: float
    n_samples: int

    @property
    def mean(self):
        """Mean of the weighted chi-square distribution (Mplus's "Mean")."""
        return float(np.sum(self.weights))

    @property
    def std(self):
        """Its standard deviation (Mplus's "Standard Deviation")."""
        return float(math.sqrt(2.0 * np.sum(np.square(self.weights))))


# ------------------------------------------------------------- tail probability
def weighted_chi2_sf(x, weights):
    """``P(sum_j w_j chi2_1 > x)`` for independent chi-square(1) variables.

    Imhof's (1961) inversion of the characteristic function,
    ``1/2 + (1/pi) int_0^inf sin(theta(u)) / (u rho(u)) du`` with
    ``theta(u) = sum_j arctan(w_j u) / 2 - x u / 2`` and ``rho(u) = prod_j (1
    + w_j^2 u^2)^(1/4)``, for weights of either sign. The weights are scaled
    to a largest magnitude of 1; the integral is split at ``u0``, ordinary
    adaptive quadrature below and QUADPACK's Fourier-integral routine (QAWF)
    above, where ``sin(theta) = sin(phi) cos(x u / 2) - cos(phi) sin(x u /
    2)`` leaves the slowly varying ``phi(u) = sum_j arctan(w_j u) / 2``
    (Imhof's truncation of the range is not needed). Absolute accuracy about
    1e-9 against the chi-square and exponential cases, and within Monte
    Carlo error elsewhere (``tests/model_selection/test_lmr.py``); smaller
    p-values come out as that order or 0.

    Parameters
    ----------
    x : float
    weights : array-like of shape (m,)
        Weights of either sign; those below 1e-7 of the largest magnitude
        enter by their mean (their spread is far below the accuracy).

    Returns
    -------
    float
    """
    weights = np.asarray(weights, dtype=np.float64).ravel()
    if not np.isfinite(weights).all() or not math.isfinite(x):
        raise ValueError("weighted_chi2_sf needs finite x and weights.")
    scale = float(np.max(np.abs(weights), initial=0.0))
    if scale == 0.0:
        return float(x < 0)  # the sum is zero
    # Weights below 1e-7 of the largest enter by their mean: the error is
    # far below the integral's (their spread is that small), and the range
    # of scales left stays within what the quadrature resolves.
    small = np.abs(weights) < _NEGLIGIBLE_WEIGHT * scale
    lam = weights[~small] / scale
    q = (x - weights[small].sum()) / scale
    if lam.min() > 0 and q <= 0:
        return 1.0
    if lam.max() < 0 and q >= 0:
        return 0.0

    def phi(u):
        return 0.5 * np.sum(np.arctan(lam * u))

    def amplitude(u):  # 1 / (u rho(u))
        return math.exp(-0.25 * np.sum(np.log1p((lam * u) ** 2))) / u

    def integrand(u):
        if u == 0.0:
            return 0.5 * (lam.sum() - q)
        return math.sin(phi(u) - 0.5 * q * u) * amplitude(u)

    omega = 0.5 * abs(q)
    options = dict(limit=1000, epsabs=1e-11, epsrel=1e-10)
    if omega == 0.0:
        total = integrate.quad(integrand, 0.0, np.inf, **options)[0]
    else:
        # Four periods of x u / 2 before the Fourier-integral part, in
        # pieces a decade long where they are long (a small x against the
        # largest weight), as the amplitude falls by decades there.
        u0 = 8.0 * math.pi / omega
        n_decades = math.ceil(math.log10(max(u0, 1.0)))
        edges = np.r_[0.0, np.geomspace(min(1.0, u0), u0, n_decades + 1)]
        head = sum(
            integrate.quad(integrand, a, b, **options)[0]
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        )
        tail = dict(wvar=omega, limlst=200, limit=1000, maxp1=200, epsabs=1e-11)
        cos_part = integrate.quad(
            lambda u: math.sin(phi(u)) * amplitude(u),
            u0,
            np.inf,
            weight="cos",
            **tail,
        )[0]
        sin_part = integrate.quad(
            lambda u: math.cos(phi(u)) * amplitude(u),
            u0,
            np.inf,
            weight="sin",
            **tail,
        )[0]
        sign = math.copysign(1.0, q)
        total = head + cos_part - sign * sin_part
    return float(min(max(0.5 + total / math.pi, 0.0), 1.0))


# ------------------------------------------------------------------ the weights
def inverse_information(hessian, what="model"):
    """``(-H)^-1`` and True, or its pseudo-inverse and False with a
    :class:`~skmix.exceptions.SingularInformationWarning` where ``-H`` is
    singular or not positive definite (a parameter not identified, a class
    collapsing, or a fit that is not at a maximum)."""
    information = -(hessian + hessian.T) / 2
    values, vectors = np.linalg.eigh(information)
    largest = max(abs(values[-1]), np.finfo(np.float64).tiny)
    if values[0] > _SINGULAR_RATIO * largest:
        return (vectors / values) @ vectors.T, True
    warnings.warn(
        f"The observed information of the {what} is "
        + ("not positive definite" if values[0] < 0 else "singular")
        + f" (smallest eigenvalue {values[0]:.3g}, largest {values[-1]:.3g}); "
        "the Lo-Mendell-Rubin weights use its pseudo-inverse and are "
        "unreliable. A class may be empty or tiny, or the fit not at a "
        "maximum (refit with a smaller tol).",
        SingularInformationWarning,
        stacklevel=6,
    )
    return np.linalg.pinv(information, hermitian=True), False


def _estimate_covariance(scores, hessian, covariance, what):
    """``n`` times the covariance of the estimates that stands for ``-A^-1``:
    the inverse information (Vuong), or the sandwich (Mplus). Warns if the
    fit is not at a maximum of the likelihood of these data."""
    inverse, positive = inverse_information(hessian, what)
    gradient = scores.sum(axis=0)
    gain = 0.5 * gradient @ inverse @ gradient  # of a Newton step
    if positive and gain > _MAX_NEWTON_GAIN:
        warnings.warn(
            f"The {what} is not at a maximum of the likelihood of these data: "
            f"a Newton step would gain {gain:.3g} in log-likelihood. Refit it "
            "with a smaller tol, on these data; the Lo-Mendell-Rubin weights "
            "assume maximum-likelihood estimates.",
            ConvergenceWarning,
            stacklevel=6,
        )
    if covariance == "model":
        return inverse
    return inverse @ (scores.T @ scores) @ inverse


def vuong_weights(
    scores_null,
    hessian_null,
    scores_alternative,
    hessian_alternative,
    covariance="model",
):
    """Eigenvalues of Vuong's ``W`` for two models fitted to the same units.

    Parameters
    ----------
    scores_null, scores_alternative : ndarray of shape (n, q) and (n, p)
        Per-unit scores of each model at its estimate, rows aligned.
    hessian_null, hessian_alternative : ndarray of shape (q, q) and (p, p)
        Hessians of the total log-likelihoods.
    covariance : {'model', 'robust'}, default='model'
        What stands for ``-A^-1``: the inverse observed information (Vuong's
        and Lo, Mendell & Rubin's formula, LatentGOLD's), or the robust
        sandwich ``A^-1 B A^-1``, which is what Mplus TECH11 uses (Vermunt
        2024; it reproduces Mplus's weights, see ``tests/data/lmr``). Both
        agree when the models are correctly specified.

    Returns
    -------
    weights : ndarray of shape (p + q,)
        Largest first. ``2 (l_alt - l_null)`` is asymptotically ``sum_j
        weights[j] chi2_1`` where both models describe the same distribution
        (Vuong 1989, theorem 3.3; Lo, Mendell & Rubin 2001).
    """
    if covariance not in COVARIANCES:
        raise ValueError(
            f"covariance must be one of {', '.join(map(repr, COVARIANCES))}; "
            f"got {covariance!r}."
        )
    if scores_null.shape[0] != scores_alternative.shape[0]:
        raise ValueError("The two models' scores must have the same rows.")
    # Q B with Q = diag(-A_alt^-1, A_null^-1), A = H / n, B = S'S / n, is
    # S'S D with D = diag(V_alt, -V_null), V = -H^-1; its eigenvalues are
    # those of the symmetric R D R' for S = Q R (QR: S'S, whose condition
    # is squared, is never formed; several times faster than an SVD).
    scores = np.hstack([scores_alternative, scores_null])
    root = np.linalg.qr(scores, mode="r")  # (min(n, p + q), p + q)
    D = linalg.block_diag(
        _estimate_covariance(
            scores_alternative, hessian_alternative, covariance, "alternative model"
        ),
        -_estimate_covariance(scores_null, hessian_null, covariance, "null model"),
    )
    weights = np.linalg.eigvalsh(root @ D @ root.T)
    # R has min(n, p + q) rows; a short sample leaves the rest zero.
    weights = np.r_[weights, np.zeros(scores.shape[1] - weights.size)]
    return np.sort(weights)[::-1]


def lmr_adjustment(statistic, df, n_samples):
    """Lo, Mendell & Rubin's (2001, eq. 15) ad hoc adjusted statistic,
    ``LR / (1 + 1 / ((p - q) ln n))``, as Mplus's "LO-MENDELL-RUBIN ADJUSTED
    LRT TEST" reports it."""
    if df < 1 or n_samples < 2:
        raise ValueError("The adjustment needs df >= 1 and n >= 2.")
    return statistic / (1.0 + 1.0 / (df * math.log(n_samples)))


# ------------------------------------------------------- Gaussian mixture terms
class _Precision(NamedTuple):
    """The free entries ``(J[m], L[m])`` of a precision matrix, each
    entering as ``c[m] (e_J e_L' + e_L e_J')`` (``c = 1/2`` on the
    diagonal), and ``G`` mapping them to the parameters (None: one each;
    a column of ones: one multiple of the identity)."""

    J: np.ndarray
    L: np.ndarray
    c: np.ndarray
    G: object

    @classmethod
    def of(cls, form, n_features):
        if form == "full":
            J, L = np.tril_indices(n_features)
        else:
            J = L = np.arange(n_features)
        c = np.where(J == L, 0.5, 1.0)
        G = np.ones((n_features, 1)) if form == "spherical" else None
        return cls(J, L, c, G)

    @property
    def size(self):
        return self.J.size if self.G is None else self.G.shape[1]

    def reduce(self, a):
        return a if self.G is None else a @ self.G

    def scores(self, covariance, e):
        """``d log phi / d theta = tr(E_m (Sigma - e e')) / 2`` per row."""
        J, L = self.J, self.L
        return self.reduce(self.c * (covariance[J, L] - e[:, J] * e[:, L]))

    def curvature(self, covariance):
        """``tr(Sigma E_m Sigma E_n)``: ``2 c_m c_n (S_ja S_bl + S_jb S_al)``
        for entries ``m = (j, l)``, ``n = (a, b)``."""
        J, L = self.J, self.L
        S = covariance
        T = (
            2
            * np.outer(self.c, self.c)
            * (S[np.ix_(J, J)] * S[np.ix_(L, L)] + S[np.ix_(J, L)] * S[np.ix_(L, J)])
        )
        return T if self.G is None else self.G.T @ T @ self.G

    def cross(self, r):
        """``sum_i tau_i d^2 log phi / d mu d theta_m = E_m r``, ``r = sum_i
        tau_i e_i``: (n_features, n_parameters)."""
        M = np.zeros((r.size, self.J.size))
        columns = np.arange(self.J.size)
        np.add.at(M, (self.J, columns), self.c * r[self.L])
        np.add.at(M, (self.L, columns), self.c * r[self.J])
        return self.reduce(M)


def gaussian_mixture_terms(X, weights, means, covariances, form, shared):
    """Per-row log-likelihoods, scores and the Hessian of a Gaussian mixture.

    Free parameters: log-ratios ``alpha_k = log(pi_k / pi_1)`` of components
    2..K, the means, and the free entries of the precisions (lower triangle,
    diagonal or one multiple of the identity, per component or shared),
    in which ``log phi`` is ``log|Lambda| / 2 - e' Lambda e / 2`` plus a
    constant, so the complete-data derivatives are simple: ``Lambda e``,
    ``tr(E_m (Sigma - e e')) / 2``, ``-Lambda``, ``E_m e`` and ``-tr(Sigma
    E_m Sigma E_n) / 2``. The Hessian of the mixture is Louis's (1982):
    ``sum_i [sum_k tau_ik (d^2 log g_ik + s_ik s_ik') - s_i s_i']`` with
    ``g_ik = pi_k phi_k(x_i)``, ``s_ik`` its gradient and ``s_i = sum_k
    tau_ik s_ik`` the row's score.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, d)
    covariances : ndarray of shape (K, d, d)
        Full matrices (shared ones repeated).
    form : {'full', 'diag', 'spherical'}
    shared : bool

    Returns
    -------
    log_likelihood : ndarray of shape (n,)
    scores : ndarray of shape (n, P)
    hessian : ndarray of shape (P, P)
    """
    n, d = X.shape
    K = weights.shape[0]
    precision = _Precision.of(form, d)
    q = precision.size
    n_free = K - 1 + K * d + (1 if shared else K) * q
    first_precision = K - 1 + K * d

    # E-step quantities, from a Cholesky factor of each covariance.
    log_joint = np.empty((n, K))
    residuals, precisions = [], []
    for k in range(K):
        root = linalg.cholesky(covariances[k], lower=True)
        e = X - means[k]
        z = linalg.solve_triangular(root, e.T, lower=True)
        log_joint[:, k] = (
            math.log(weights[k])
            - 0.5 * d * math.log(2 * math.pi)
            - np.log(np.diag(root)).sum()
            - 0.5 * np.sum(z * z, axis=0)
        )
        residuals.append(e)
        precisions.append(linalg.cho_solve((root, True), np.eye(d)))
    log_likelihood = logsumexp(log_joint, axis=1)
    tau = np.exp(log_joint - log_likelihood[:, None])

    pi_free = weights[1:]
    d2_log_weight = -(np.diag(pi_free) - np.outer(pi_free, pi_free))
    scores = np.zeros((n, n_free))
    hessian = np.zeros((n_free, n_free))
    for k in range(K):
        e, Lambda = residuals[k], precisions[k]
        at = first_precision + (0 if shared else k * q)
        columns = np.r_[
            np.arange(K - 1), K - 1 + k * d + np.arange(d), at + np.arange(q)
        ]
        # Complete-data scores of component k: log-ratios, mean, precision.
        own = np.hstack(
            [
                np.broadcast_to(np.eye(K)[k, 1:] - pi_free, (n, K - 1)),
                e @ Lambda,
                precision.scores(covariances[k], e),
            ]
        )
        t = tau[:, k]
        N, r = t.sum(), t @ e
        # sum_i tau_ik d^2 log g_ik, in the (alpha, mu_k, theta_k) block.
        cross = precision.cross(r)
        curvature = linalg.block_diag(
            N * d2_log_weight,
            np.block(
                [
                    [-N * Lambda, cross],
                    [cross.T, -0.5 * N * precision.curvature(covariances[k])],
                ]
            ),
        )
        weighted = own * t[:, None]
        hessian[np.ix_(columns, columns)] += curvature + weighted.T @ own
        scores[:, columns] += weighted
    hessian -= scores.T @ scores
    return log_likelihood, scores, (hessian + hessian.T) / 2


def _check_gaussian(model):
    """The fitted covariance type, if the test supports this model."""
    params = model.get_params(deep=False)
    refused = [
        name
        for name, default in (("noise", False), ("prior", None), ("fixed", None))
        if params.get(name, default) is not default
    ]
    if refused:
        raise UnsupportedModelError(
            "The Lo-Mendell-Rubin test is for maximum-likelihood fits of "
            "Gaussian components only; this model was fitted with "
            f"{' and '.join(refused)}."
        )
    name = getattr(model, "_fitted_covariance_type", None) or model.covariance_type
    name = get_covariance_model(name).name
    if name not in GAUSSIAN_STRUCTURES:
        raise UnsupportedModelError(
            "The Lo-Mendell-Rubin test needs per-row scores, implemented for "
            f"the covariance types {', '.join(GAUSSIAN_STRUCTURES)} "
            "(scikit-learn's four, mclust's EII, EEI, E and V); this model has "
            f"{name!r}. Use bootstrap_lrt for it."
        )
    return name


class _Model(NamedTuple):
    """A fitted model the test supports, and what must match between the
    null and the alternative model."""

    kind: str  # 'gaussian' or 'experts'
    n_components: int
    structure: tuple


def _describe(model, y, fit_params):
    if "sample_weight" in fit_params:
        raise UnsupportedModelError(
            "The Lo-Mendell-Rubin test does not weigh rows; fit without sample_weight."
        )
    if hasattr(model, "score_subjects"):
        check_is_fitted(model)
        if y is None:
            raise ValueError(
                f"{type(model).__name__} is scored on its outcomes: pass y."
            )
        layout = model._layout_
        structure = tuple(
            sorted(
                {(block, term) for _, block, term in layout.names if block != "gating"},
                key=str,
            )
        )
        return _Model(
            "experts", layout.n_classes, (getattr(model, "family_", None), structure)
        )
    if all(hasattr(model, name) for name in ("covariance_type", "score_samples")):
        check_is_fitted(model)
        if y is not None or fit_params:
            raise ValueError(
                f"{type(model).__name__} is fitted on X alone; y and fit "
                "parameters are not used."
            )
        name = _check_gaussian(model)
        n_components, n_features = np.shape(model.means_)
        return _Model("gaussian", n_components, (name, n_features))
    raise UnsupportedModelError(
        "The Lo-Mendell-Rubin test is implemented for Gaussian mixtures "
        "(skmix.mixture.GaussianMixture, scikit-learn's) and for "
        f"skmix.experts.MixtureOfExpertsRegressor; got {type(model).__name__}."
    )


class _Terms(NamedTuple):
    """What the test needs of one fitted model on the data."""

    model: _Model
    log_likelihood: np.ndarray  # per unit
    scores: np.ndarray
    hessian: np.ndarray


def _gaussian_terms(model, X):
    log_likelihood = np.asarray(model.score_samples(X), dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if np.isnan(X).any():
        raise UnsupportedModelError(
            "The Lo-Mendell-Rubin test does not handle missing values (the "
            "scores of the marginal densities are not implemented)."
        )
    name = _check_gaussian(model)
    means = np.asarray(model.means_, dtype=np.float64)
    K, d = means.shape
    covariances = get_covariance_model(name).to_full(
        np.asarray(model.covariances_, dtype=np.float64), K, d
    )
    form, shared = GAUSSIAN_STRUCTURES[name]
    _, scores, hessian = gaussian_mixture_terms(
        X,
        np.asarray(model.weights_, dtype=np.float64),
        means,
        covariances,
        form,
        shared,
    )
    return log_likelihood, scores, hessian


def _experts_terms(model, X, y, fit_params):
    from ..experts._inference import central_jacobian

    layout, inference = model._layout_, model._inference
    data = inference.data
    weights = getattr(data, "subject_weights", None)
    if weights is not None and not np.all(weights == 1):
        raise UnsupportedModelError(
            "The Lo-Mendell-Rubin test does not weigh subjects; fit without "
            "sample_weight."
        )
    log_likelihood = np.asarray(model.score_subjects(X, y, **fit_params), float)
    total = float(log_likelihood.sum())
    if not math.isclose(total, model.log_likelihood_, rel_tol=1e-8, abs_tol=1e-6):
        raise ValueError(
            f"The {layout.n_classes}-class model was not fitted on these data: "
            f"their log-likelihood under it is {total:.10g}, its fit's "
            f"{model.log_likelihood_:.10g}."
        )
    # On the fitting scale, as covariance_ is computed (there every
    # coefficient suits the relative steps).
    params = inference.scaling.to_fitting(model.params_)
    scores = layout.score_matrix(data, params)
    hessian = central_jacobian(
        lambda v: layout.gradient(data, v), layout.pack(params), _EXPERTS_STEP
    )
    return log_likelihood, scores, (hessian + hessian.T) / 2


def model_terms(model, X, y=None, fit_params=None):
    """Per-unit log-likelihoods, scores and Hessian of a fitted mixture."""
    fit_params = dict(fit_params or {})
    described = _describe(model, y, fit_params)
    if described.kind == "experts":
        return _Terms(described, *_experts_terms(model, X, y, fit_params))
    return _Terms(described, *_gaussian_terms(model, X))


def _check_nested(null, alternative):
    """Raise unless ``alternative`` is ``null`` with one more class."""
    if null.kind != alternative.kind or null.structure != alternative.structure:
        raise ValueError(
            "The two models must be the same mixture but for one class (the "
            "null model nested in the alternative); got "
            f"{null.kind} {null.structure[0]!r} with {null.n_components} classes "
            f"and {alternative.kind} {alternative.structure[0]!r} with "
            f"{alternative.n_components}."
            + (
                " Their numbers of features differ."
                if null.kind == alternative.kind == "gaussian"
                and null.structure[1] != alternative.structure[1]
                else ""
            )
        )
    if alternative.n_components != null.n_components + 1:
        raise ValueError(
            "The test is of K - 1 against K classes: the null model has "
            f"{null.n_components} and the alternative {alternative.n_components}."
        )


def lmr_from_terms(null, alternative, covariance="model"):
    """The test from two models' :class:`_Terms`."""
    _check_nested(null.model, alternative.model)
    n = null.scores.shape[0]
    if alternative.scores.shape[0] != n:
        raise ValueError(
            f"The two models were fitted on different units ({n} and "
            f"{alternative.scores.shape[0]})."
        )
    df = alternative.scores.shape[1] - null.scores.shape[1]
    if df < 1:
        raise ValueError(
            "The alternative model must have more free parameters than the "
            f"null model; it has {alternative.scores.shape[1]} against "
            f"{null.scores.shape[1]}."
        )
    statistic = 2.0 * float(np.sum(alternative.log_likelihood - null.log_likelihood))
    weights = vuong_weights(
        null.scores, null.hessian, alternative.scores, alternative.hessian, covariance
    )
    adjusted = lmr_adjustment(statistic, df, n)
    return LoMendellRubinResult(
        statistic=statistic,
        df=int(df),
        weights=weights,
        p_value=weighted_chi2_sf(statistic, weights),
        adjusted_statistic=adjusted,
        adjusted_p_value=weighted_chi2_sf(adjusted, weights),
        n_samples=int(n),
    )


def lo_mendell_rubin_test(
    null_model, alternative_model, X, y=None, *, covariance="model", **fit_params
):
    """Vuong-Lo-Mendell-Rubin and adjusted LMR tests of ``K - 1`` against
    ``K`` classes (Mplus TECH11).

    Lo, Mendell & Rubin (2001), after Vuong (1989): where the ``K - 1``-class
    model suffices, ``LR = 2 (l_K - l_{K-1})`` is asymptotically a weighted
    sum of independent chi-square(1) variables, with weights the eigenvalues
    of a matrix built from both models' per-unit scores (their outer
    products, the cross-model block included) and Hessians; the VLMR p-value
    is that distribution's tail at ``LR`` (Imhof's integral). The adjusted
    test divides ``LR`` by ``1 + 1 / ((p - q) ln n)`` (LMR's eq. 15; ``p -
    q`` the extra free parameters, ``n`` the units) and takes the same tail,
    as Mplus does.

    Small p-values favour ``K`` classes. The test has known problems: the
    ``K``-class model is not identified under the null hypothesis, which
    Vuong's theorem assumes away (Jeffries 2003), and its p-values are not
    uniform under the null (Vermunt 2024); Nylund, Asparouhov & Muthén
    (2007) found the bootstrap LRT (:func:`bootstrap_lrt`) and BIC more
    reliable. tidySEM's ``calc_lrt``/``lr_lmr`` report only the adjusted
    statistic, with ``3 (K - K_0)`` for ``p - q`` (univariate normal
    mixtures) and a chi-square(p - q) tail instead of the weighted sum; this
    function computes the weights, as Mplus and LatentGOLD do (Mplus with
    the robust covariance of the estimates where Vuong's formula has the
    inverse information: ``covariance='robust'``). Under the null hypothesis
    the test is liberal where the likelihood is unbounded (class-specific
    variances) or the data have several features; see
    :doc:`/model_selection` for its size in simulations.

    Parameters
    ----------
    null_model, alternative_model : fitted estimators
        The same mixture with ``K - 1`` and ``K`` classes, fitted by maximum
        likelihood to the same data: :class:`~skmix.mixture.GaussianMixture`
        (covariance types full, tied, diag, spherical, EII, EEI, E and V;
        no noise, prior or fixed parameters; no missing values) or
        :class:`~skmix.experts.MixtureOfExpertsRegressor` (scored per
        subject, on the data it was fitted on).
    X : array-like of shape (n_samples, n_features), or None for experts
        without covariates
    y : array-like, default=None
        The outcomes, for the mixture of experts.
    covariance : {'model', 'robust'}, default='model'
        What stands for the inverse information ``-A^-1`` in Vuong's matrix:
        'model' is Vuong's and Lo, Mendell & Rubin's formula (LatentGOLD's);
        'robust' the sandwich ``A^-1 B A^-1``, which reproduces Mplus
        TECH11's weights, "Mean", "Standard Deviation" and p-values (checked
        on Mplus's example 7.9; Vermunt 2024). The statistics, ``df`` and
        the adjustment do not depend on it.
    **fit_params
        Passed to ``score_subjects`` (e.g. ``time=time``).

    Returns
    -------
    LoMendellRubinResult
        ``statistic``, ``df``, ``weights``, ``p_value``,
        ``adjusted_statistic``, ``adjusted_p_value``, ``n_samples``, and the
        properties ``mean`` and ``std`` of the weighted distribution.

    References
    ----------
    Lo, Y., Mendell, N. R. & Rubin, D. B. (2001). Testing the number of
    components in a normal mixture. Biometrika 88, 767-778.
    Vuong, Q. H. (1989). Likelihood ratio tests for model selection and
    non-nested hypotheses. Econometrica 57, 307-333.
    Imhof, J. P. (1961). Computing the distribution of quadratic forms in
    normal variables. Biometrika 48, 419-426.
    Jeffries, N. O. (2003). A note on "Testing the number of components in a
    normal mixture". Biometrika 90, 991-994.
    Nylund, K. L., Asparouhov, T. & Muthén, B. O. (2007). Deciding on the
    number of classes in latent class analysis and growth mixture modeling.
    Structural Equation Modeling 14, 535-569.
    Vermunt, J. K. (2024). The Vuong-Lo-Mendell-Rubin test for latent class
    and latent profile analysis: a note on the different implementations in
    Mplus and LatentGOLD. Methodology 20, 72-83.

    Examples
    --------
    >>> import numpy as np
    >>> from skmix.mixture import GaussianMixture
    >>> from skmix.model_selection import lo_mendell_rubin_test
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (150, 2)), rng.normal(3, 1, (150, 2))])
    >>> one, two = (GaussianMixture(k, covariance_type="EII", tol=1e-8,
    ...                             random_state=0).fit(X) for k in (1, 2))
    >>> result = lo_mendell_rubin_test(one, two, X)
    >>> result.df, bool(result.p_value < 0.001)
    (3, True)
    """
    if covariance not in COVARIANCES:
        raise ValueError(
            f"covariance must be one of {', '.join(map(repr, COVARIANCES))}; "
            f"got {covariance!r}."
        )
    # The cheap checks before any score.
    _check_nested(
        _describe(null_model, y, fit_params),
        _describe(alternative_model, y, fit_params),
    )
    null = model_terms(null_model, X, y, fit_params)
    alternative = model_terms(alternative_model, X, y, fit_params)
    return lmr_from_terms(null, alternative, covariance)
