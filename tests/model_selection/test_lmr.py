"""The Vuong-Lo-Mendell-Rubin test (issue 17): the weighted chi-square tail
against exact distributions and Monte Carlo, the Gaussian scores and Hessian
against finite differences of an independent density, the whole test against
Mplus 9's TECH11 and an independent R computation on Mplus's example 7.9
(tests/data/lmr), the mixture of experts against the equivalent Gaussian
mixture, behaviour under the null hypothesis, and bad input."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from sklearn.exceptions import NotFittedError

from skmix.mixture import GaussianMixture
from skmix.model_selection import (
    LoMendellRubinResult,
    compare_classes,
    lo_mendell_rubin_test,
)
from skmix.model_selection._lmr import (
    GAUSSIAN_STRUCTURES,
    _Precision,
    gaussian_mixture_terms,
    lmr_adjustment,
    model_terms,
    vuong_weights,
    weighted_chi2_sf,
)

DATA = Path(__file__).parents[1] / "data" / "lmr"

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::skmix.exceptions.DegenerateMixtureWarning",
)


def _load(name):
    with open(DATA / name) as f:
        return json.load(f)


# ------------------------------------------------------------- tail routine
@pytest.mark.parametrize("m", [1, 2, 5, 30])
def test_equal_weights_give_the_chi_square(m):
    for x in [1e-6, 0.3, 1.0, m, 3.0 * m + 10]:
        assert weighted_chi2_sf(x, np.ones(m)) == pytest.approx(
            stats.chi2.sf(x, m), abs=1e-9
        )
        # A common scale of the weights scales x.
        assert weighted_chi2_sf(7.5 * x, np.full(m, 7.5)) == pytest.approx(
            stats.chi2.sf(x, m), abs=1e-9
        )


def test_closed_forms_and_signs():
    for x in [0.1, 1.0, 8.0, 40.0]:
        # c (chi2_1 + chi2_1) is exponential with mean 2c.
        assert weighted_chi2_sf(x, [3.0, 3.0]) == pytest.approx(
            np.exp(-x / 6), abs=1e-9
        )
        # The difference of two chi2_1 is symmetric about 0.
        assert weighted_chi2_sf(x, [1.0, -1.0]) == pytest.approx(
            1 - weighted_chi2_sf(-x, [1.0, -1.0]), abs=1e-9
        )
        # Negative weights: P(-Q > x) = P(Q < -x).
        assert weighted_chi2_sf(-x, [-2.0, -0.5]) == pytest.approx(
            1 - weighted_chi2_sf(x, [2.0, 0.5]), abs=1e-9
        )
    assert weighted_chi2_sf(0.0, [1.0, -1.0]) == pytest.approx(0.5, abs=1e-9)
    assert weighted_chi2_sf(-1.0, [1.0, 2.0]) == 1.0
    assert weighted_chi2_sf(1.0, [-1.0, -2.0]) == 0.0
    assert weighted_chi2_sf(-1.0, [0.0, 0.0]) == 1.0
    assert weighted_chi2_sf(1.0, []) == 0.0
    # Negligible weights enter by their mean.
    assert weighted_chi2_sf(2.0, [1.0, 1e-12]) == pytest.approx(
        stats.chi2.sf(2.0, 1), abs=1e-9
    )
    with pytest.raises(ValueError, match="finite"):
        weighted_chi2_sf(1.0, [1.0, np.nan])


@pytest.mark.parametrize(
    "weights",
    [
        [5.0, 1.0, 0.2],
        [3.0, -0.5, 0.1],
        [16.9, 2.0, 1.0, 0.5, -3.0],
        [1e4, 1.0],  # disparate scales: small x against the largest weight
        "ex7.9",  # weights of a real test (2 vs 3 classes, robust)
    ],
)
def test_tail_against_monte_carlo(weights):
    if weights == "ex7.9":
        weights = _load("reference.json")["tests"]["2_vs_3_robust"]["weights"]
    weights = np.asarray(weights)
    rng = np.random.default_rng(0)
    n_draws = 400_000
    draws = np.zeros(n_draws)
    for w in weights:
        draws += w * rng.chisquare(1, n_draws)
    for x in np.quantile(draws, [0.02, 0.3, 0.7, 0.95, 0.995]):
        expected = np.mean(draws > x)
        se = np.sqrt(expected * (1 - expected) / n_draws)
        assert abs(weighted_chi2_sf(x, weights) - expected) < 4.5 * se + 1e-6


# ----------------------------------------------- Gaussian scores and Hessian
def _unpack(vector, K, d, form, shared):
    """weights, means and covariances from the free parameters of
    gaussian_mixture_terms (written independently of it)."""
    alpha = np.r_[0.0, vector[: K - 1]]
    weights = np.exp(alpha - logsumexp(alpha))
    means = vector[K - 1 : K - 1 + K * d].reshape(K, d)
    rest = vector[K - 1 + K * d :].reshape(1 if shared else K, -1)
    covariances = []
    for k in range(K):
        theta = rest[0 if shared else k]
        if form == "spherical":
            precision = theta[0] * np.eye(d)
        elif form == "diag":
            precision = np.diag(theta)
        else:
            precision = np.zeros((d, d))
            rows, cols = np.tril_indices(d)
            precision[rows, cols] = precision[cols, rows] = theta
        covariances.append(np.linalg.inv(precision))
    return weights, means, np.array(covariances)


def _pack(weights, means, covariances, form, shared):
    parts = [np.log(weights[1:] / weights[0]), means.ravel()]
    for k in range(1 if shared else len(weights)):
        precision = np.linalg.inv(covariances[k])
        if form == "spherical":
            parts.append(precision[:1, 0])
        elif form == "diag":
            parts.append(np.diag(precision))
        else:
            parts.append(precision[np.tril_indices(len(precision))])
    return np.concatenate(parts)


def _row_log_likelihood(X, weights, means, covariances):
    return logsumexp(
        [
            np.log(w) + stats.multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(weights, means, covariances, strict=True)
        ],
        axis=0,
    )


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical",
                                             "EII", "EEI", "E", "V"])  # fmt: skip
def test_gaussian_scores_and_hessian_against_finite_differences(covariance_type):
    rng = np.random.default_rng(1)
    d = 1 if covariance_type in ("E", "V") else 3
    X = np.vstack([rng.normal(0, 1, (60, d)), rng.normal(2, 1.5, (50, d))])
    if d > 1:
        X[:, 1] += 0.5 * X[:, 0]
    model = GaussianMixture(3, covariance_type=covariance_type, tol=1e-6,
                            random_state=0).fit(X)  # fmt: skip
    terms = model_terms(model, X)
    assert terms.scores.shape == (110, model._n_parameters())
    np.testing.assert_allclose(terms.log_likelihood, model.score_samples(X))

    name = model._fitted_covariance_type
    form, shared = GAUSSIAN_STRUCTURES[name]
    K = 3
    from skmix._core import get_covariance_model

    covariances = get_covariance_model(name).to_full(model.covariances_, K, d)
    vector = _pack(model.weights_, model.means_, covariances, form, shared)
    # At a point that is not the estimate, so that no term vanishes.
    vector = vector + rng.normal(0, 0.05, vector.size)
    point = _unpack(vector, K, d, form, shared)
    log_likelihood, scores, hessian = gaussian_mixture_terms(X, *point, form, shared)
    np.testing.assert_allclose(log_likelihood, _row_log_likelihood(X, *point))

    numeric_scores = np.empty_like(scores)
    numeric_hessian = np.empty_like(hessian)
    for j in range(vector.size):
        step = 1e-6 * max(1.0, abs(vector[j]))
        plus, minus = vector.copy(), vector.copy()
        plus[j] += step
        minus[j] -= step
        up, down = (_unpack(v, K, d, form, shared) for v in (plus, minus))
        numeric_scores[:, j] = (
            _row_log_likelihood(X, *up) - _row_log_likelihood(X, *down)
        ) / (2 * step)
        numeric_hessian[:, j] = (
            gaussian_mixture_terms(X, *up, form, shared)[1].sum(axis=0)
            - gaussian_mixture_terms(X, *down, form, shared)[1].sum(axis=0)
        ) / (2 * step)
    np.testing.assert_allclose(scores, numeric_scores, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hessian, numeric_hessian, rtol=1e-5, atol=1e-4)


def test_precision_entries_of_each_form():
    full = _Precision.of("full", 3)
    assert full.size == 6 and full.J.tolist() == [0, 1, 1, 2, 2, 2]
    assert _Precision.of("diag", 3).size == 3
    assert _Precision.of("spherical", 3).size == 1


# --------------------------------------------------- the whole test: Mplus
def _example_7_9_fits():
    """One to three EEI classes on Mplus's example 7.9, EM started from
    Mplus's printed estimates and run to a tight tolerance."""
    X = np.loadtxt(DATA / "ex7.9.dat")[:, :4]
    mplus = _load("mplus_tech11.json")["tests"]
    fits = {1: GaussianMixture(1, covariance_type="EEI", reg_covar=0).fit(X)}
    for k in (2, 3):
        start = mplus[f"{k - 1}_vs_{k}"]["alternative"]
        weights = np.asarray(start["weights"])
        fits[k] = GaussianMixture(
            k, covariance_type="EEI", reg_covar=0, tol=1e-13, max_iter=10_000,
            weights_init=weights / weights.sum(), means_init=start["means"],
            precisions_init=np.tile(1 / np.asarray(start["variances"]), (k, 1)),
        ).fit(X)  # fmt: skip
    return X, fits


@pytest.fixture(scope="module")
def example_7_9():
    return _example_7_9_fits()


def test_mplus_tech11_on_example_7_9(example_7_9):
    """Mplus's TECH11 uses the robust covariance for -A^-1: covariance
    ='robust' reproduces its weights' Mean and Standard Deviation and its
    p-values to the printed precision; the statistic and the adjustment are
    those of every variant."""
    X, fits = example_7_9
    mplus = _load("mplus_tech11.json")["tests"]
    for k in (2, 3):
        printed = mplus[f"{k - 1}_vs_{k}"]
        null, alternative = fits[k - 1], fits[k]
        assert null.score(X) * 500 == pytest.approx(
            printed["log_likelihood_null"], abs=6e-4
        )
        assert alternative.score(X) * 500 == pytest.approx(
            printed["log_likelihood_alternative"], abs=6e-4
        )
        result = lo_mendell_rubin_test(null, alternative, X, covariance="robust")
        assert isinstance(result, LoMendellRubinResult)
        assert result.df == printed["df"] and result.n_samples == 500
        assert result.statistic == pytest.approx(printed["statistic"], abs=6e-4)
        assert result.adjusted_statistic == pytest.approx(
            printed["adjusted_statistic"], abs=6e-4
        )
        assert result.mean == pytest.approx(printed["mean"], abs=2e-3)
        assert result.std == pytest.approx(printed["std"], abs=2e-3)
        assert result.p_value == pytest.approx(printed["p_value"], abs=2e-4)
        assert result.adjusted_p_value == pytest.approx(
            printed["adjusted_p_value"], abs=2e-4
        )
        assert result.weights.size == (
            alternative._n_parameters() + null._n_parameters()
        )


def test_independent_r_computation_on_example_7_9(example_7_9):
    """R (mclust fits, numDeriv derivatives in another parametrisation,
    Vuong's non-symmetric W, Monte Carlo tails): the same weights, and tail
    probabilities within Monte Carlo error."""
    X, fits = example_7_9
    reference = _load("reference.json")
    np.testing.assert_allclose(
        [fits[k].score(X) * 500 for k in (1, 2, 3)], reference["log_likelihood"],
        rtol=0, atol=1e-5,
    )  # fmt: skip
    for name, expected in reference["tests"].items():
        k = expected["n_components_alternative"]
        result = lo_mendell_rubin_test(
            fits[k - 1], fits[k], X, covariance=expected["covariance"]
        )
        assert result.statistic == pytest.approx(expected["statistic"], abs=1e-5)
        weights = np.asarray(expected["weights"])
        assert result.weights.shape == weights.shape
        # The 3-class fit has a flat direction: its weights move with the
        # last digits of the estimate (R's is 4e-9 below in log-likelihood).
        tolerance = 1e-4 if k == 2 else 4e-3
        np.testing.assert_allclose(result.weights, weights, rtol=0,
                                   atol=tolerance * np.abs(weights).max(),
                                   err_msg=name)  # fmt: skip
        n = expected["n_draws"]
        for p, p_mc in zip((result.p_value, result.adjusted_p_value),
                           expected["p_value_mc"], strict=True):  # fmt: skip
            assert abs(p - p_mc) < 4.5 * np.sqrt(p_mc * (1 - p_mc) / n) + 1e-4


def test_adjustment_is_lmr_equation_15():
    assert lmr_adjustment(747.063, 5, 500) == pytest.approx(723.771, abs=1e-3)
    assert lmr_adjustment(8.065, 5, 500) == pytest.approx(7.814, abs=1e-3)
    with pytest.raises(ValueError, match="df >= 1"):
        lmr_adjustment(1.0, 0, 500)


def test_correctly_specified_nested_weights_are_ones_and_zeros():
    """Vuong's theorem for nested, correctly specified models: p - q unit
    weights and 2 q zeros, so the test is the chi-square(p - q). Here with
    scores s_g = s_f J and Hessians -J' B J, B = -A_f."""
    rng = np.random.default_rng(0)
    n, p, q = 4000, 5, 2
    scores_f = rng.standard_normal((n, p)) @ np.diag([1.0, 2.0, 0.5, 1.5, 1.0])
    J = rng.standard_normal((p, q))
    hessian_f = -scores_f.T @ scores_f
    weights = vuong_weights(scores_f @ J, J.T @ hessian_f @ J, scores_f, hessian_f)
    np.testing.assert_allclose(weights, np.r_[np.ones(p - q), np.zeros(2 * q)],
                               atol=1e-10)  # fmt: skip


# --------------------------------------------------- the mixture of experts
def test_mixture_of_experts_agrees_with_the_gaussian_mixture():
    """Experts without covariates on a scalar y are a univariate mixture with
    class-specific variances (mclust's V): another parametrisation
    (variances, not precisions) and other scores (the experts' own, their
    Hessian by central differences) give the same weights."""
    from skmix.experts import MixtureOfExpertsRegressor

    rng = np.random.default_rng(0)
    y = np.r_[rng.normal(0, 1, 120), rng.normal(3, 0.7, 80)]
    experts, gaussians = [], []
    for k in (1, 2):
        experts.append(MixtureOfExpertsRegressor(
            n_components=k, gating_features=None, expert_features=None,
            tol=1e-12, max_iter=5000, n_init=2, random_state=0,
        ).fit(None, y))  # fmt: skip
        gaussians.append(GaussianMixture(
            k, covariance_type="V", reg_covar=0, tol=1e-14, max_iter=20_000,
            n_init=3, random_state=0,
        ).fit(y[:, None]))  # fmt: skip
    ours = lo_mendell_rubin_test(*experts, None, y)
    reference = lo_mendell_rubin_test(*gaussians, y[:, None])
    assert ours.statistic == pytest.approx(reference.statistic, abs=1e-6)
    assert ours.df == reference.df == 3
    np.testing.assert_allclose(ours.weights, reference.weights, atol=1e-4)
    assert ours.p_value == pytest.approx(reference.p_value, rel=1e-3)
    assert ours.p_value < 1e-4


def _growth_data(seed=0, n=200):
    """test_enumeration's growth mixture: two classes of linear trajectories,
    times varying by subject."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    time = np.arange(5) + rng.uniform(-0.3, 0.3, (n, 5))
    intercept = np.where(labels == 0, 10.0, 14.0) + rng.normal(0, 1, n)
    slope = np.where(labels == 0, 1.0, -0.5) + rng.normal(0, 0.3, n)
    y = intercept[:, None] + slope[:, None] * time + rng.normal(0, 0.5, (n, 5))
    return y, time


def test_growth_mixture_in_compare_classes():
    from skmix.experts import MixtureOfExpertsRegressor

    y, time = _growth_data()
    experts = MixtureOfExpertsRegressor(
        curve="linear", gating_features=None, expert_features=None, tol=1e-10
    )
    result = compare_classes(
        experts, None, y, n_components=[1, 2, 3], fit_params={"time": time},
        n_starts=2, blrt=False, random_state=0,
    )  # fmt: skip
    table = result.table.set_index("n_components")
    assert np.isnan(table.loc[1, "vlmr_p"]) and np.isnan(table.loc[1, "lmr_p"])
    assert table.loc[2, "vlmr_p"] < 1e-3 and table.loc[2, "lmr_p"] < 1e-3
    direct = lo_mendell_rubin_test(
        result.models[2], result.models[3], None, y, time=time
    )
    assert table.loc[3, "vlmr_p"] == pytest.approx(direct.p_value)
    assert result.lmr[3].statistic == pytest.approx(direct.statistic)
    assert direct.df == result.models[3].n_parameters_ - result.models[2].n_parameters_
    assert table.loc[3, "lmr_p"] >= table.loc[3, "vlmr_p"]
    # Scored on other data than the fit's: refused.
    with pytest.raises(ValueError, match="not fitted on these data"):
        lo_mendell_rubin_test(result.models[1], result.models[2], None, y + 1.0,
                              time=time)  # fmt: skip
    with pytest.raises(ValueError, match="pass y"):
        lo_mendell_rubin_test(result.models[1], result.models[2], None)


# ------------------------------------------------------- under the null
def test_not_systematically_tiny_under_the_null():
    """Data from one class: the test of 1 against 2 classes should not
    reject often (the full study, 100 replications, is in the docs)."""
    p_values = []
    for seed in range(12):
        X = np.random.default_rng(seed).normal(size=(150, 2))
        fits = [GaussianMixture(k, covariance_type="EII", tol=1e-10, n_init=3,
                                random_state=seed).fit(X) for k in (1, 2)]  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p_values.append(lo_mendell_rubin_test(*fits, X).p_value)
    p_values = np.array(p_values)
    assert np.mean(p_values < 0.05) <= 0.25
    assert np.median(p_values) > 0.1


# ------------------------------------------------------------ compare_classes
def _two_classes(seed, n=200):
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(0, 1, (n // 2, 2)), rng.normal(4, 1, (n - n // 2, 2))])


def test_compare_classes_columns_are_the_tests():
    X = _two_classes(0)
    result = compare_classes(
        GaussianMixture(covariance_type="diag", tol=1e-10), X, n_components=[1, 2, 3],
        n_starts=3, blrt=False, random_state=0, lmr_covariance="robust",
    )  # fmt: skip
    table = result.table.set_index("n_components")
    assert list(result.table.columns[-3:]) == ["vlmr_p", "lmr_p", "blrt_p"]
    assert np.isnan(table.loc[1, "vlmr_p"]) and sorted(result.lmr) == [2, 3]
    assert table.loc[2, "vlmr_p"] < 1e-6 and table.loc[3, "vlmr_p"] > 0.05
    for k in (2, 3):
        direct = lo_mendell_rubin_test(
            result.models[k - 1], result.models[k], X, covariance="robust"
        )
        assert table.loc[k, "vlmr_p"] == pytest.approx(direct.p_value, abs=1e-12)
        assert table.loc[k, "lmr_p"] == pytest.approx(direct.adjusted_p_value,
                                                     abs=1e-12)  # fmt: skip
    # A gap in the grid: no test of 1 against 3 classes.
    gapped = compare_classes(GaussianMixture(), X, n_components=[1, 3], n_starts=1,
                             blrt=False, random_state=0)  # fmt: skip
    assert gapped.table["vlmr_p"].isna().all() and gapped.lmr == {}
    off = compare_classes(GaussianMixture(), X, n_components=[1, 2], n_starts=1,
                          blrt=False, lmr=False, random_state=0)  # fmt: skip
    assert off.table["vlmr_p"].isna().all() and off.table["lmr_p"].isna().all()
    with pytest.raises(ValueError, match="lmr_covariance"):
        compare_classes(GaussianMixture(), X, blrt=False, lmr_covariance="sandwich")


def test_compare_classes_warns_for_an_unsupported_structure():
    with pytest.warns(UserWarning, match="No Lo-Mendell-Rubin p-values.*VEI"):
        result = compare_classes(
            GaussianMixture(covariance_type="VEI"), _two_classes(1),
            n_components=[1, 2], n_starts=1, blrt=False, random_state=0,
        )  # fmt: skip
    assert result.table["vlmr_p"].isna().all() and result.lmr == {}


# ---------------------------------------------------------------- bad input
@pytest.fixture(scope="module")
def fitted():
    X = _two_classes(2, n=120)
    models = {
        (k, ct): GaussianMixture(k, covariance_type=ct, random_state=0).fit(X)
        for k in (1, 2, 3)
        for ct in ("full", "diag")
    }
    return X, models


def test_bad_input(fitted):
    X, m = fitted
    with pytest.raises(ValueError, match="K - 1 against K.*1 and the alternative 3"):
        lo_mendell_rubin_test(m[1, "full"], m[3, "full"], X)
    with pytest.raises(ValueError, match="K - 1 against K.*2 and the alternative 1"):
        lo_mendell_rubin_test(m[2, "full"], m[1, "full"], X)
    with pytest.raises(ValueError, match="same mixture but for one class"):
        lo_mendell_rubin_test(m[1, "diag"], m[2, "full"], X)
    with pytest.raises(NotFittedError):
        lo_mendell_rubin_test(GaussianMixture(1), m[2, "full"], X)
    # Fitted on a different number of features.
    wide = GaussianMixture(1).fit(np.c_[X, X[:, :1]])
    with pytest.raises(ValueError, match="numbers of features differ"):
        lo_mendell_rubin_test(wide, m[2, "full"], X)
    with pytest.raises(ValueError, match="features"):
        lo_mendell_rubin_test(m[1, "full"], m[2, "full"], X[:, :1])
    with pytest.raises(ValueError, match="X alone"):
        lo_mendell_rubin_test(m[1, "full"], m[2, "full"], X, X[:, 0])
    with pytest.raises(ValueError, match="covariance must be"):
        lo_mendell_rubin_test(m[1, "full"], m[2, "full"], X, covariance="sandwich")
    with pytest.raises(ValueError, match="does not weigh"):
        lo_mendell_rubin_test(m[1, "full"], m[2, "full"], X,
                              sample_weight=np.ones(len(X)))  # fmt: skip
    with pytest.raises(ValueError, match="VEI"):
        lo_mendell_rubin_test(
            GaussianMixture(1, covariance_type="VEI").fit(X),
            GaussianMixture(2, covariance_type="VEI").fit(X), X,
        )  # fmt: skip
    with pytest.raises(ValueError, match="noise"):
        lo_mendell_rubin_test(
            GaussianMixture(1, noise=True).fit(X),
            GaussianMixture(2, noise=True).fit(X), X,
        )  # fmt: skip
    with pytest.raises(ValueError, match="implemented for Gaussian mixtures"):
        lo_mendell_rubin_test(object(), m[2, "full"], X)
    missing = X.copy()
    missing[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        lo_mendell_rubin_test(
            GaussianMixture(1, missing="fiml").fit(missing),
            GaussianMixture(2, missing="fiml", random_state=0).fit(missing), missing,
        )  # fmt: skip


def test_a_fit_off_its_maximum_warns(fitted):
    X, m = fitted
    other = _two_classes(3, n=120)
    with pytest.warns(Warning, match="not at a maximum|not positive definite"):
        lo_mendell_rubin_test(m[1, "full"], m[2, "full"], other)


def test_scikit_learn_gaussian_mixture():
    from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

    X = _two_classes(4)
    ours = [GaussianMixture(k, tol=1e-10, random_state=0).fit(X) for k in (1, 2)]
    theirs = [SklearnGaussianMixture(k, tol=1e-10, random_state=0).fit(X)
              for k in (1, 2)]  # fmt: skip
    a, b = lo_mendell_rubin_test(*ours, X), lo_mendell_rubin_test(*theirs, X)
    assert a.statistic == pytest.approx(b.statistic, rel=1e-6)
    np.testing.assert_allclose(a.weights, b.weights, atol=1e-5)


def test_glm_experts_are_scored_per_subject():
    """flexmix's NPreg: Poisson experts, rows grouped in 100 subjects."""
    import pandas as pd

    from skmix.experts import MixtureOfExpertsRegressor

    data = pd.read_csv(Path(__file__).parents[1] / "data" / "flexmix" / "npreg.csv")
    X, y, groups = data[["x"]].to_numpy(), data["yp"].to_numpy(), data["id1"]
    models = [
        MixtureOfExpertsRegressor(
            n_components=k, family="poisson", gating_features=None, tol=1e-10,
            n_init=2, random_state=0,
        ).fit(X, y, groups=groups)
        for k in (1, 2)
    ]  # fmt: skip
    result = lo_mendell_rubin_test(*models, X, y, groups=groups)
    assert result.n_samples == 100 and result.df == 3
    assert result.statistic == pytest.approx(
        2 * (models[1].log_likelihood_ - models[0].log_likelihood_)
    )
    assert result.p_value < 1e-6
