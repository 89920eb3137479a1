"""GMM score thresholds against the reference procedures written with
scikit-learn (Consistent-Teacher's gmm_policy, ViDoRAG's dynamic top-K)."""

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.mixture import (
    GaussianMixture,
    GMMScoreThreshold,
    gmm_score_threshold,
    gmm_top_k,
    threshold_from_mixture,
)


def _consistent_teacher_gmm_policy(scores, given_gt_thr=0.5, policy="high"):
    # Consistent-Teacher's reference (mmdet ConsistentTeacher.gmm_policy).
    if len(scores) < 4:
        return given_gt_thr
    scores = scores[:, np.newaxis]
    gmm = SklearnGaussianMixture(
        2,
        weights_init=[0.5, 0.5],
        means_init=[[np.min(scores)], [np.max(scores)]],
        precisions_init=[[[1.0]], [[1.0]]],
    ).fit(scores)
    assignment = gmm.predict(scores)
    density = gmm.score_samples(scores)
    if not (assignment == 1).any():
        return given_gt_thr
    if policy == "middle":
        return float(scores[assignment == 1].min())
    density[assignment == 0] = -np.inf
    index = np.argmax(density, axis=0)
    positive = (assignment == 1) & (scores >= scores[index]).squeeze()
    return float(scores[positive].min())


def _bimodal_scores(seed, n_scores=100):
    rng = np.random.default_rng(seed)
    n_high = rng.integers(5, n_scores // 2)
    low = rng.beta(2, 8, n_scores - n_high)
    high = rng.beta(9, 2, n_high)
    return rng.permutation(np.r_[low, high])


@pytest.mark.parametrize("policy", ["high", "middle"])
@pytest.mark.parametrize("seed", range(8))
def test_matches_consistent_teacher_reference(policy, seed):
    scores = _bimodal_scores(seed)
    assert gmm_score_threshold(scores, policy=policy) == pytest.approx(
        _consistent_teacher_gmm_policy(scores, policy=policy), abs=1e-12
    )


def test_converged_high_threshold_sits_at_the_positive_mode():
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(0.2, 0.05, 60), rng.normal(0.8, 0.05, 40)]
    assert gmm_score_threshold(scores, tol=1e-8) == pytest.approx(0.8, abs=0.02)
    middle = gmm_score_threshold(scores, policy="middle", tol=1e-8)
    assert middle == pytest.approx(scores[60:].min())


@pytest.mark.parametrize("policy", ["high", "middle"])
def test_positive_component_is_the_one_with_the_larger_mean(policy):
    scores = _bimodal_scores(3)[:, None]
    common = dict(weights_init=[0.5, 0.5], tol=1e-8, backend="numpy")
    ordered = GaussianMixture(
        2, means_init=[[scores.min()], [scores.max()]], **common
    ).fit(scores)
    swapped = GaussianMixture(
        2, means_init=[[scores.max()], [scores.min()]], **common
    ).fit(scores)
    assert swapped.means_[0, 0] > swapped.means_[1, 0]
    assert threshold_from_mixture(
        scores[:, 0], swapped, policy
    ) == threshold_from_mixture(scores[:, 0], ordered, policy)


def test_too_few_or_constant_scores_give_the_default():
    assert gmm_score_threshold([0.9, 0.1, 0.8], default=0.3) == 0.3
    assert gmm_score_threshold(np.full(10, 0.7), default=0.3) == 0.3


def test_per_class_buffers_keep_the_most_recent_scores():
    thresholder = GMMScoreThreshold(3, buffer_size=50, tol=1e-8)
    old = _bimodal_scores(0, 60)
    thresholder.update(old, np.zeros(60, dtype=int))
    new = _bimodal_scores(1, 30)
    thresholder.update(new, np.zeros(30, dtype=int))
    np.testing.assert_array_equal(thresholder.buffer(0), np.r_[old[-20:], new])
    assert thresholder.thresholds_[0] == gmm_score_threshold(
        np.r_[old[-20:], new], tol=1e-8
    )
    # Untouched classes keep the default; a class with 3 scores too.
    thresholder.update([0.1, 0.9, 0.8], [2, 2, 2])
    np.testing.assert_array_equal(thresholder.thresholds_[1:], [0.5, 0.5])
    assert thresholder.n_updates_ == 3
    np.testing.assert_array_equal(
        thresholder.select([0.99, 0.01, 0.49, 0.51], [0, 0, 1, 1]),
        [True, False, False, True],
    )


@pytest.mark.parametrize(
    "kwargs, scores, labels, match",
    [
        ({}, [[0.1, 0.2]], [0], "1-D"),
        ({}, [0.1, np.nan], [0, 0], "NaN"),
        ({}, [0.1, 0.2], [0, 3], r"integers in \[0, 2\]"),
        ({}, [0.1, 0.2], [0.0, 1.0], "integers"),
        ({}, [0.1, 0.2], [0], "shape"),
    ],
)
def test_threshold_bad_input(kwargs, scores, labels, match):
    thresholder = GMMScoreThreshold(3, **kwargs)
    with pytest.raises(ValueError, match=match):
        thresholder.update(scores, labels)
    np.testing.assert_array_equal(thresholder.thresholds_, 0.5)


def test_threshold_bad_parameters():
    with pytest.raises(ValueError, match="policy"):
        GMMScoreThreshold(2, policy="low")
    with pytest.raises(ValueError, match="buffer_size"):
        GMMScoreThreshold(2, buffer_size=1)


def _vidorag_top_k(scores, top_n=20, min_k=5, max_k=10):
    # ViDoRAG's dynamic top-K, written with scikit-learn.
    order = np.argsort(-scores, kind="stable")[:top_n]
    top = scores[order][:, None]
    labels = SklearnGaussianMixture(2, random_state=0).fit(top).predict(top)
    keep = int(np.sum(labels == labels[0]))
    return order[: min(max(keep, min_k), max_k)]


@pytest.mark.parametrize("seed", range(8))
def test_top_k_matches_reference(seed):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(0.8, 0.05, rng.integers(1, 15)), rng.normal(0.4, 0.1, 40)]
    np.testing.assert_array_equal(gmm_top_k(scores), _vidorag_top_k(scores))


@pytest.mark.parametrize("n_relevant, expected_k", [(7, 7), (2, 5), (15, 10)])
def test_top_k_clamps_the_relevant_group(n_relevant, expected_k):
    scores = np.r_[np.linspace(0.4, 0.1, 30), np.linspace(0.95, 0.85, n_relevant)]
    kept = gmm_top_k(scores)
    assert kept.size == expected_k
    np.testing.assert_array_equal(kept, np.argsort(-scores, kind="stable")[:expected_k])


def test_top_k_small_candidate_sets():
    np.testing.assert_array_equal(gmm_top_k([0.1, 0.5, 0.3]), [1, 2, 0])
    np.testing.assert_array_equal(gmm_top_k(np.full(8, 0.5)), np.arange(5))
    with pytest.raises(ValueError, match="max_k"):
        gmm_top_k([0.1, 0.2], min_k=5, max_k=3)


def test_unknown_policy_raises_everywhere():
    # Issue 19: threshold_from_mixture read every policy but 'middle' as 'high'.
    scores = _bimodal_scores(0)
    mixture = GaussianMixture(2, backend="numpy", random_state=0).fit(scores[:, None])
    with pytest.raises(ValueError, match="policy must be one of 'high', 'middle'"):
        threshold_from_mixture(scores, mixture, "typo")
    with pytest.raises(ValueError, match="policy must be one of"):
        threshold_from_mixture(scores, mixture, "High")
    with pytest.raises(ValueError, match="policy must be one of"):
        gmm_score_threshold(scores, policy="typo")
    thresholder = GMMScoreThreshold(1)
    thresholder.policy = "typo"  # set after construction: still checked
    with pytest.raises(ValueError, match="policy must be one of"):
        thresholder.update(scores, np.zeros(scores.size, dtype=int))


def test_buffer_rejects_labels_outside_the_classes():
    thresholder = GMMScoreThreshold(2).update([0.1, 0.9], [0, 1])
    np.testing.assert_array_equal(thresholder.buffer(1), [0.9])
    with pytest.raises(ValueError, match="label"):
        thresholder.buffer(-1)  # would have been class 1's buffer
    with pytest.raises(ValueError, match=r"label must be in \[0, 1\]"):
        thresholder.buffer(2)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: gmm_score_threshold(s),
        lambda s: gmm_top_k(s),
        lambda s: GMMScoreThreshold(1).update(s, np.zeros(s.size, dtype=int)),
        lambda s: GMMScoreThreshold(1).select(s, np.zeros(s.size, dtype=int)),
        lambda s: threshold_from_mixture(
            s, GaussianMixture(2, random_state=0).fit(s.real[:, None]), "high"
        ),
        lambda s: gmm_score_threshold(list(s.astype(object))),
    ],
)
def test_complex_scores_raise_instead_of_dropping_the_imaginary_part(call):
    scores = _bimodal_scores(1).astype(complex)
    scores[0] += 0.5j
    with pytest.raises(ValueError, match="Complex data not supported"):
        call(scores)
