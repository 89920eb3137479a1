"""SemiSupervisedGMM: recovering novel classes, split/merge bookkeeping, labels."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from skmix.metrics import gcd_accuracy
from skmix.semi_supervised import SemiSupervisedGMM

from .._helpers import CPU_BACKENDS

CENTRES = np.array([[0, 0], [7, 0], [0, 7], [7, 7], [3.5, 12]])


def _blobs(n_known=2, seed=0, n_per_class=150):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 0.8, (n_per_class, 2)) for c in CENTRES])
    y = np.repeat(np.arange(len(CENTRES)), n_per_class)
    labelled = (y < n_known) & (rng.random(y.size) < 0.5)
    return X, y, np.where(labelled, y, -1), labelled


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_discovers_the_novel_classes(backend, seed):
    X, y, y_partial, labelled = _blobs(seed=seed)
    model = SemiSupervisedGMM(random_state=seed, backend=backend).fit(X, y_partial)
    assert model.n_known_classes_ == 2 and model.n_novel_classes_ == 3
    assert model.classes_.tolist() == [0, 1, 2, 3, 4]
    accuracy = gcd_accuracy(y[~labelled], model.predict(X[~labelled]), y[~labelled] < 2)
    assert accuracy.all > 0.97 and accuracy.old > 0.97
    assert model.backend_ == backend


def test_data_far_from_zero_fit_as_data_near_it():
    """An offset of 1e5 once left no positive-definite covariance (moments
    about zero cancelled); the fit now equals the fit of the centred data."""
    X, y, y_partial, _ = _blobs(seed=0)
    near = SemiSupervisedGMM(random_state=0).fit(X, y_partial)
    far = SemiSupervisedGMM(random_state=0).fit(X - 1e5, y_partial)
    assert far.n_novel_classes_ == near.n_novel_classes_
    np.testing.assert_array_equal(far.predict(X - 1e5), near.predict(X))
    np.testing.assert_allclose(far.means_ + 1e5, near.means_, rtol=1e-8)


def test_too_many_initial_novel_components_are_merged():
    X, _, y_partial, _ = _blobs()
    model = SemiSupervisedGMM(
        n_novel_init=8, split_prob=0.0, merge_prob=0.0, random_state=0
    ).fit(X, y_partial)
    assert model.n_novel_classes_ == 3
    merges = [
        m for r in model.split_merge_history_ for m in r["merges"] if m["accepted"]
    ]
    assert merges


def test_round_bookkeeping():
    X, _, y_partial, _ = _blobs()
    model = SemiSupervisedGMM(n_novel_init=4, random_state=3).fit(X, y_partial)
    for record in model.split_merge_history_:
        accepted_splits = [s["component"] for s in record["splits"] if s["accepted"]]
        accepted_merges = [m["components"] for m in record["merges"] if m["accepted"]]
        involved = accepted_splits + [c for pair in accepted_merges for c in pair]
        # Each component takes part in at most one accepted move per round.
        assert len(involved) == len(set(involved))
        # Each unordered pair is proposed for a merge at most once per round.
        pairs = [frozenset(m["components"]) for m in record["merges"]]
        assert len(pairs) == len(set(pairs))
        # A split adds one component, a merge removes one (both parents go).
        expected = (
            record["n_components_before"]
            + len(accepted_splits)
            - len(accepted_merges)
            - record["n_dropped"]
        )
        assert record["n_components_after"] == expected


def test_deterministic_mode_never_accepts_at_random_and_is_reproducible():
    X, _, y_partial, _ = _blobs()
    fits = [
        SemiSupervisedGMM(split_prob=0.0, merge_prob=0.0, random_state=5).fit(
            X, y_partial
        )
        for _ in range(2)
    ]
    moves = [
        move
        for record in fits[0].split_merge_history_
        for move in record["splits"] + record["merges"]
    ]
    assert not any(move["at_random"] for move in moves)
    np.testing.assert_array_equal(fits[0].means_, fits[1].means_)


def test_sub_components_per_known_class():
    X, _, y_partial, _ = _blobs()
    model = SemiSupervisedGMM(n_components_per_class=2, random_state=0).fit(
        X, y_partial
    )
    assert np.sum(model.component_classes_ == 0) == 2
    assert np.sum(model.component_classes_ == 1) == 2
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), model.classes_.size)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_string_labels_nan_or_none_unlabelled_and_minus_one_as_a_class():
    X, y, _, labelled = _blobs()
    names = np.array(["cat", "dog", "x", "y", "z"], dtype=object)[y]
    y_object = np.where(labelled, names, None)
    model = SemiSupervisedGMM(random_state=0).fit(X, y_object)
    assert model.classes_.tolist() == ["cat", "dog", "novel_0", "novel_1", "novel_2"]
    y_float = np.where(labelled, y, np.nan)
    assert SemiSupervisedGMM(random_state=0).fit(X, y_float).n_novel_classes_ == 3
    # -1 as a real class with another marker.
    y_signed = np.where(labelled, 2 * y - 1, -99)
    model = SemiSupervisedGMM(unlabelled_label=-99, random_state=0).fit(X, y_signed)
    assert model.classes_.tolist()[:2] == [-1, 1]


def test_bic_and_score_samples_match_scipy():
    X, _, y_partial, _ = _blobs()
    model = SemiSupervisedGMM(random_state=0).fit(X, y_partial)
    log_joint = np.column_stack(
        [
            np.log(w) + multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(
                model.weights_, model.means_, model.covariances_, strict=True
            )
        ]
    )
    expected = logsumexp(log_joint, axis=1)
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-9)
    k = model.n_components_
    n_params = k * (2 + 3) + k - 1
    assert model.bic(X) == pytest.approx(
        -2 * expected.sum() + n_params * np.log(len(X))
    )


@pytest.mark.parametrize(
    "y, params, match",
    [
        (np.full(750, -1), {}, "All rows are unlabelled"),
        (np.r_[0, np.full(749, -1)], {"n_components_per_class": 2}, "fewer than"),
        (None, {}, "requires y"),
        (np.zeros(10), {}, "inconsistent numbers of samples"),
        (np.r_[0.5, 1.5, np.full(748, -1)], {}, "Unknown label type"),
    ],
)
def test_bad_labels(y, params, match):
    X, *_ = _blobs()
    with pytest.raises(ValueError, match=match):
        SemiSupervisedGMM(**params).fit(X, y)


def test_failed_fit_leaves_previous_fit_untouched():
    X, _, y_partial, _ = _blobs()
    model = SemiSupervisedGMM(random_state=0).fit(X, y_partial)
    before = model.means_.copy()
    with pytest.raises(ValueError):
        model.fit(X, np.full(len(X), -1))
    np.testing.assert_array_equal(model.means_, before)


def test_verbose_reports_each_split_merge_round(capsys):
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1, (150, 2)) for c in (0, 6, 12)])
    y = np.repeat([0, 1, 2], 150)
    y[100:] = -1
    y[150:200] = 1
    SemiSupervisedGMM(random_state=0, max_rounds=4).fit(X, y)
    assert capsys.readouterr().out == ""
    model = SemiSupervisedGMM(random_state=0, max_rounds=4, verbose=1).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[SemiSupervisedGMM] start: ")
    rounds = [line for line in lines if "round" in line]
    assert len(rounds) == len(model.split_merge_history_) and rounds[0].startswith(
        "[SemiSupervisedGMM] round 1/4: "
    )
