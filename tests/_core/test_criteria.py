"""Information criteria against statsmodels and scikit-learn."""

import math

import numpy as np
import pytest
from scipy.stats import entropy
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from statsmodels.tools import eval_measures

from skmix._core import (
    aic,
    aicc,
    bic,
    classification_entropy,
    icl,
    map_classification_penalty,
    relative_entropy,
    sabic,
)


@pytest.mark.parametrize(
    ("log_likelihood", "p", "n"), [(-1234.5, 7, 300), (10.0, 3, 12)]
)
def test_criteria_match_statsmodels(log_likelihood, p, n):
    assert aic(log_likelihood, p) == pytest.approx(
        eval_measures.aic(log_likelihood, n, p), rel=1e-14
    )
    assert bic(log_likelihood, p, n) == pytest.approx(
        eval_measures.bic(log_likelihood, n, p), rel=1e-14
    )
    assert aicc(log_likelihood, p, n) == pytest.approx(
        eval_measures.aicc(log_likelihood, n, p), rel=1e-14
    )
    # Sclove's n* = (n + 2) / 24 in place of n.
    assert sabic(log_likelihood, p, n) == pytest.approx(
        -2 * log_likelihood + p * math.log((n + 2) / 24), rel=1e-14
    )


def test_aicc_is_infinite_without_residual_degrees_of_freedom():
    assert aicc(-10.0, 9, 10) == math.inf


def test_bic_and_aic_match_scikit_learn():
    X = np.random.default_rng(0).standard_normal((200, 3))
    model = SklearnGaussianMixture(2, random_state=0).fit(X)
    log_likelihood = model.score(X) * len(X)
    p = 2 * 6 + 2 * 3 + 1  # two full 3-D covariances, means, one free weight
    assert bic(log_likelihood, p, len(X)) == pytest.approx(model.bic(X), rel=1e-12)
    assert aic(log_likelihood, p) == pytest.approx(model.aic(X), rel=1e-12)


def test_entropies():
    resp = np.array([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])
    expected = sum(entropy(row) for row in resp)  # natural-log Shannon entropy
    assert classification_entropy(resp) == pytest.approx(expected, rel=1e-12)
    assert relative_entropy(resp) == pytest.approx(
        1 - expected / (3 * math.log(2)), rel=1e-12
    )
    assert relative_entropy(np.ones((4, 1))) == 1.0
    assert relative_entropy(np.eye(3)) == 1.0
    penalty = -2 * (math.log(1.0) + math.log(0.5) + math.log(0.9))
    assert map_classification_penalty(resp) == pytest.approx(penalty, rel=1e-12)
    assert icl(-100.0, 5, 3, resp) == pytest.approx(
        bic(-100.0, 5, 3) + penalty, rel=1e-12
    )
