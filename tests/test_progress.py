"""Progress of long fits: silent by default, text lines without tqdm, a bar
with it; and n_jobs leaving the results as they are."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skmix._core import _progress
from skmix._core._em import EMDriver
from skmix.datasets import make_trajectory_mixture
from skmix.experts import MixtureOfExpertsRegressor
from skmix.mixture import GaussianMixture, GaussianMixtureSelector
from skmix.model_selection import bootstrap_lrt, compare_classes
from skmix.novelty import OpenSetGMMDetector
from skmix.semi_supervised import SemiSupervisedGMM

NPREG = Path(__file__).parent / "data" / "flexmix" / "npreg.csv"


@pytest.fixture
def without_tqdm(monkeypatch):
    """tqdm's import fails, as where the 'progress' extra is not installed."""
    _progress._tqdm.cache_clear()
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    yield
    _progress._tqdm.cache_clear()


@pytest.fixture
def with_tqdm():
    pytest.importorskip("tqdm")
    _progress._tqdm.cache_clear()
    yield
    _progress._tqdm.cache_clear()


def _blobs(n=60, seed=0):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.normal(-3, 1, (n, 2)), rng.normal(3, 1, (n, 2))])


def _npreg():
    frame = pd.read_csv(NPREG)
    return frame[["x"]], frame["yp"]


def _long_work(verbose):
    """A short run of each long fit, at `verbose`."""
    X = _blobs()
    GaussianMixtureSelector([1, 2], ["VVV"], verbose=verbose).fit(X)
    compare_classes(GaussianMixture(), X, n_components=[1, 2], n_starts=2,
                    lmr=False, blrt=False, random_state=0, verbose=verbose)  # fmt: skip
    bootstrap_lrt(GaussianMixture(), X, [1], 2, random_state=0, verbose=verbose)
    model = MixtureOfExpertsRegressor(
        2, family="poisson", gating_features=None, n_init=2, n_final=2,
        random_state=0, verbose=verbose,
    ).fit(*_npreg())  # fmt: skip
    assert model.covariance_.shape == (5, 5)  # the SEs, computed on first use
    y = np.r_[np.zeros(60, int), -np.ones(60, int)]
    SemiSupervisedGMM(random_state=0, max_rounds=2, verbose=verbose).fit(X, y)
    GaussianMixture(2, n_init=2, random_state=0, verbose=verbose).fit(X)
    OpenSetGMMDetector(random_state=0, verbose=verbose).fit(X, y + 1)


def test_progress_helper_is_a_plain_loop_when_silent(capsys):
    bar = _progress.progress(range(3), label="fits")
    assert list(bar) == [0, 1, 2]
    bar.write("not printed")
    assert capsys.readouterr() == ("", "")


def test_silent_by_default(capsys):
    _long_work(verbose=0)
    assert capsys.readouterr() == ("", "")


def test_text_lines_without_tqdm(without_tqdm, capsys):
    assert _progress._tqdm() is None
    _long_work(verbose=1)
    captured = capsys.readouterr()
    assert captured.err == ""  # no bar
    out = captured.out
    assert "[1/2] VVV, 1 components: BIC" in out
    assert "2 classes: log-likelihood" in out
    assert "bootstrap_lrt: 1 vs 2 components" in out
    assert "[MixtureOfExpertsRegressor] run 2/2 to convergence" in out
    assert "[MixtureOfExpertsRegressor] standard errors of 5 parameters" in out
    assert "[SemiSupervisedGMM] round 1/2" in out
    assert "Initialization 1" in out
    assert "[OpenSetGMMDetector] class 0 (1/2)" in out


def test_a_bar_with_tqdm_and_the_lines_above_it(with_tqdm, capsys):
    _long_work(verbose=1)
    captured = capsys.readouterr()
    # The lines are those printed without tqdm ...
    assert "[1/2] VVV, 1 components: BIC" in captured.out
    assert "[MixtureOfExpertsRegressor] standard errors of 5" in captured.out
    # ... and the bars are on stderr.
    for label in (
        "GaussianMixtureSelector",
        "compare_classes",
        "bootstrap_lrt 1 vs 2",
        "MixtureOfExpertsRegressor: short runs",
        "MixtureOfExpertsRegressor: runs to convergence",
        "standard errors",
        "SemiSupervisedGMM: split/merge",
        "EM starts",
        "OpenSetGMMDetector: classes",
    ):
        assert label in captured.err, label
    assert "fit/s" in captured.err or "s/fit" in captured.err


def test_em_starts_bar_keeps_scikit_learn_lines(with_tqdm, capsys):
    """A bar over the starts only when their number is given; stdout holds
    scikit-learn's lines unchanged either way."""
    driver = EMDriver(max_iter=100, tol=1e-3, verbose=1, verbose_interval=10)

    def step(state):
        return state + 1, -(0.5**state), None

    driver.best_of(iter([0, 0]), step)
    plain = capsys.readouterr()
    driver.best_of(iter([0, 0]), step, total=2)
    barred = capsys.readouterr()
    assert plain.err == "" and "EM starts" in barred.err
    assert plain.out == barred.out
    assert plain.out.splitlines()[:2] == ["Initialization 0", "  Iteration 10"]
    assert "Initialization converged." in plain.out.splitlines()


def test_compare_classes_n_jobs_gives_the_same_table():
    X = _blobs(40)
    settings = dict(n_components=[1, 2, 3], n_starts=3, lmr=False, blrt=False,
                    random_state=0)  # fmt: skip
    one = compare_classes(GaussianMixture(), X, n_jobs=1, **settings)
    two = compare_classes(GaussianMixture(), X, n_jobs=2, **settings)
    pd.testing.assert_frame_equal(one.table, two.table)
    for k in (1, 2, 3):
        # The same starts and fits; a worker process's kernels may round
        # the last bit differently (CI saw 1 ulp).
        np.testing.assert_allclose(
            one.start_log_likelihoods[k], two.start_log_likelihoods[k], rtol=1e-13
        )


@pytest.mark.parametrize("init_params", ["emEM", "kmeans"])
def test_experts_n_jobs_gives_the_same_glm_fit(init_params):
    settings = dict(family="poisson", gating_features=None, n_init=4,
                    init_params=init_params, random_state=0)  # fmt: skip
    one = MixtureOfExpertsRegressor(2, n_jobs=1, **settings).fit(*_npreg())
    two = MixtureOfExpertsRegressor(2, n_jobs=2, **settings).fit(*_npreg())
    np.testing.assert_array_equal(
        one.start_log_likelihoods_, two.start_log_likelihoods_
    )
    for a, b in zip(one.params_, two.params_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert one.n_iter_ == two.n_iter_


def test_experts_n_jobs_gives_the_same_growth_fit():
    data = make_trajectory_mixture(120, n_waves=5, random_state=1)
    settings = dict(curve="linear", gating_features=None, expert_features=[],
                    n_init=3, n_final=2, random_state=0)  # fmt: skip
    one = MixtureOfExpertsRegressor(2, n_jobs=1, **settings)
    two = MixtureOfExpertsRegressor(2, n_jobs=2, **settings)
    one.fit(data.X, data.y, time=data.time)
    two.fit(data.X, data.y, time=data.time)
    np.testing.assert_array_equal(
        one.start_log_likelihoods_, two.start_log_likelihoods_
    )
    np.testing.assert_array_equal(one.posterior_, two.posterior_)
