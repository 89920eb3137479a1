"""compare_classes and class_diagnostics (issue 17): the table's criteria
against their formulas and the fitted models' own methods, class choice on
simulated two-class data, diagnostics against a hand computation."""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skmix.mixture import GaussianMixture
from skmix.model_selection import class_diagnostics, compare_classes

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::skmix.exceptions.DegenerateMixtureWarning",
)


def _two_classes(seed, n=300):
    rng = np.random.default_rng(seed)
    return np.vstack(
        [rng.normal(0.0, 1.0, (n // 2, 2)), rng.normal(4.0, 1.0, (n - n // 2, 2))]
    )


def test_table_criteria_match_their_formulas_and_the_models():
    X = _two_classes(0)
    result = compare_classes(
        GaussianMixture(tol=1e-8), X, n_components=range(1, 4), n_starts=4, blrt=False,
        random_state=0,
    )  # fmt: skip
    n = X.shape[0]
    for row in result.table.itertuples():
        model = result.models[row.n_components]
        log_likelihood = model.score(X) * n
        p = model._n_parameters()
        assert row.n_parameters == p == 6 * row.n_components - 1
        np.testing.assert_allclose(row.log_likelihood, log_likelihood, rtol=1e-12)
        np.testing.assert_allclose(row.bic, model.bic(X), rtol=1e-12)
        np.testing.assert_allclose(row.aic, model.aic(X), rtol=1e-12)
        np.testing.assert_allclose(
            row.sabic, -2 * log_likelihood + p * math.log((n + 2) / 24), rtol=1e-12
        )
        tau = model.predict_proba(X)
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(tau > 0, tau * np.log(tau), 0.0)
        expected_entropy = (
            1.0 if row.n_components == 1
            else 1 + plogp.sum() / (n * math.log(row.n_components))
        )  # fmt: skip
        np.testing.assert_allclose(row.entropy, expected_entropy, rtol=1e-10)
        np.testing.assert_allclose(
            row.icl, model.bic(X) - 2 * np.log(tau.max(axis=1)).sum(), rtol=1e-12
        )
        counts = np.bincount(tau.argmax(axis=1), minlength=row.n_components)
        assert row.smallest_count == counts.min()
        assert row.smallest_class == pytest.approx(counts.min() / n)
        starts = result.start_log_likelihoods[row.n_components]
        assert starts[0] == row.log_likelihood and np.all(np.diff(starts) <= 0)
        assert row.n_replicated == np.sum(starts >= starts[0] - 0.01)
    assert result.table["replicated"].iloc[0]  # one class: every start agrees
    assert np.isnan(result.table["blrt_p"]).all()
    # 1 vs 2 rejected, 2 vs 3 not (tests/model_selection/test_lmr.py checks
    # these columns against lo_mendell_rubin_test).
    vlmr = result.table.set_index("n_components")["vlmr_p"]
    assert np.isnan(vlmr[1]) and vlmr[2] < 1e-6 and vlmr[3] > 0.05
    assert result.best("bic") == 2


def test_one_start_cannot_judge_replication():
    result = compare_classes(
        GaussianMixture(), _two_classes(1), n_components=[1, 2], n_starts=1, blrt=False,
        random_state=0,
    )  # fmt: skip
    assert result.table["replicated"].tolist() == [None, None]
    assert "n/a" in result.summary()


def test_bic_picks_two_classes_in_simulated_two_class_data():
    picks = [
        compare_classes(
            GaussianMixture(tol=1e-6), _two_classes(seed), n_components=range(1, 5),
            n_starts=3,
            lmr=False, blrt=False, random_state=seed,
        ).best("bic")
        for seed in range(10)
    ]  # fmt: skip
    assert picks.count(2) >= 9


def test_bootstrap_lrt_column_rejects_one_class_not_two():
    result = compare_classes(
        GaussianMixture(tol=1e-6), _two_classes(2), n_components=range(1, 4),
        n_starts=3,
        n_bootstrap=39, random_state=0,
    )  # fmt: skip
    p = result.table.set_index("n_components")["blrt_p"]
    assert np.isnan(p[1])
    assert p[2] == pytest.approx(1 / 40)  # 1 vs 2: no bootstrap LRTS as large
    assert p[3] > 0.05  # 2 vs 3: not rejected
    assert result.bootstrap.n_components_selected == 2


def test_progress_lines(capsys):
    compare_classes(GaussianMixture(), _two_classes(3), n_components=[1, 2], n_starts=2,
                    lmr=False, blrt=False, verbose=1, random_state=0)  # fmt: skip
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("2 classes: log-likelihood")


def test_plot_draws_each_criterion():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    result = compare_classes(GaussianMixture(), _two_classes(4), n_components=[1, 2, 3],
                             n_starts=2, lmr=False, blrt=False,
                             random_state=0)  # fmt: skip
    ax = result.plot()
    assert [line.get_label() for line in ax.get_lines()] == [
        "AIC",
        "BIC",
        "SABIC",
        "ICL",
    ]
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), result.table["bic"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n_components=[0, 1]), "n_components"),
        (dict(n_components=[1, 40]), "below the number of rows"),
        (dict(n_bootstrap=5), "n_bootstrap"),
        (dict(n_starts=0), "n_starts"),
        (dict(replication_tol=-1.0), "replication_tol"),
        (dict(lmr_covariance="sandwich"), "lmr_covariance"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            compare_classes(GaussianMixture(), _two_classes(5, n=40), **kwargs)


def test_class_diagnostics_by_hand():
    tau = np.array([[0.95, 0.05], [0.75, 0.25], [0.6, 0.4], [0.1, 0.9], [0.2, 0.8]])
    diagnostics = class_diagnostics(tau)
    assert diagnostics.counts.tolist() == [3, 2]
    np.testing.assert_allclose(diagnostics.shares, [0.6, 0.4])
    np.testing.assert_allclose(
        diagnostics.average_posterior.values,
        [[(0.95 + 0.75 + 0.6) / 3, (0.05 + 0.25 + 0.4) / 3], [0.15, 0.85]],
    )
    np.testing.assert_allclose(
        diagnostics.above.values, [[2 / 3, 1 / 3, 1 / 3], [1.0, 0.5, 0.0]]
    )
    plogp = (tau * np.log(tau)).sum()
    np.testing.assert_allclose(diagnostics.entropy, 1 + plogp / (5 * np.log(2)))
    assert "Average posterior probabilities" in diagnostics.summary()


def test_class_diagnostics_of_an_empty_class_and_bad_input():
    diagnostics = class_diagnostics(np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0]]))
    assert diagnostics.counts.tolist() == [2, 0, 0]
    assert np.isnan(diagnostics.average_posterior.values[1:]).all()
    for bad, message in [
        (np.array([[0.5, 0.6]]), "sum to one"),
        (np.array([[np.nan, 1.0]]), "finite"),
        (np.ones(3), "n_classes"),
    ]:
        with pytest.raises(ValueError, match=message):
            class_diagnostics(bad)


def test_mixture_of_experts_table_with_individual_times():
    """lcmm's use: growth mixtures of 1..3 classes, times varying by subject."""
    from skmix.experts import MixtureOfExpertsRegressor

    rng = np.random.default_rng(0)
    n, waves = 200, 5
    labels = rng.integers(0, 2, n)
    time = np.arange(waves) + rng.uniform(-0.3, 0.3, (n, waves))
    intercept = np.where(labels == 0, 10.0, 14.0) + rng.normal(0, 1, n)
    slope = np.where(labels == 0, 1.0, -0.5) + rng.normal(0, 0.3, n)
    y = intercept[:, None] + slope[:, None] * time + rng.normal(0, 0.5, (n, waves))
    experts = MixtureOfExpertsRegressor(
        curve="linear", gating_features=None, expert_features=None
    )
    result = compare_classes(
        experts, None, y, n_components=[1, 2, 3], fit_params={"time": time},
        n_starts=2, blrt=False, random_state=0,
    )  # fmt: skip
    assert result.best("bic") == 2
    for row in result.table.itertuples():
        model = result.models[row.n_components]
        np.testing.assert_allclose(row.log_likelihood, model.log_likelihood_, rtol=1e-8)
        assert row.n_parameters == model.n_parameters_
        np.testing.assert_allclose(row.bic, model.bic_, rtol=1e-8)


def test_missing_values_and_weights():
    X = _two_classes(6)
    X[::9, 1] = np.nan
    result = compare_classes(
        GaussianMixture(missing="fiml"), X, n_components=[1, 2], n_starts=2,
        lmr=False, blrt=False, random_state=0,
    )  # fmt: skip
    assert result.best("bic") == 2
    np.testing.assert_allclose(result.table["bic"][1], result.models[2].bic(X))
    with pytest.raises(ValueError, match="does not weigh rows"):
        compare_classes(GaussianMixture(), _two_classes(6), blrt=False,
                        fit_params={"sample_weight": np.ones(300)})  # fmt: skip


class _FailingStarts(GaussianMixture):
    """A Gaussian mixture whose starts with an odd seed fail (as a start
    that empties a class does), for more than one class."""

    def fit(self, X, y=None):
        if self.n_components > 1 and self.random_state % 2:
            raise ValueError("this start emptied a class")
        return super().fit(X, y)


def test_failed_starts_are_left_out():
    X = _two_classes(7)
    result = compare_classes(
        _FailingStarts(), X, n_components=[1, 2], n_starts=6, lmr=False,
        blrt=False, random_state=0,
    )  # fmt: skip
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=(2, 6))
    n_even = int(np.sum(seeds[1] % 2 == 0))
    assert 0 < n_even < 6
    assert len(result.start_log_likelihoods[2]) == n_even
    assert len(result.start_log_likelihoods[1]) == 6
    assert result.best("bic") == 2
    with pytest.raises(ValueError, match="emptied a class"):
        compare_classes(
            _FailingStarts(), X, n_components=[1, 2], n_starts=1, lmr=False,
            blrt=False, random_state=1,
        )  # fmt: skip
