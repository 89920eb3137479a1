import numpy as np

from skmix.datasets import load_ecls_k, make_trajectory_mixture


def test_simulator_follows_the_paper_design():
    data = make_trajectory_mixture(20000, random_state=0)
    assert data.y.shape == data.time.shape == (20000, 10)
    assert list(data.X.columns) == ["gc1", "gc2", "ex1", "ex2"]
    assert np.abs(data.time - np.arange(10)).max() <= 0.25
    np.testing.assert_allclose(np.corrcoef(data.X.T)[[0, 2], [1, 3]], 0.3, atol=0.02)
    for k in range(2):
        rows = data.labels == k
        knot = data.knots[k]
        intercept, slope1, slope2 = data.class_means[k]
        t = np.arange(10.0)
        curve = (
            intercept + slope1 * np.minimum(t, knot) + slope2 * np.maximum(t - knot, 0)
        )
        # Covariates have mean zero, so class means follow the class curve
        # (Monte Carlo error of a class mean: about 0.1 at the last waves).
        np.testing.assert_allclose(data.y[rows].mean(axis=0), curve, atol=0.4)
    # P(class 2) = E[logistic(log 1.5 gc1 + log 1.7 gc2)] = 1/2 by symmetry.
    assert abs(data.labels.mean() - 0.5) < 0.01


def test_ecls_k_is_shipped():
    data = load_ecls_k()
    assert data.shape == (500, 49)
    assert not data.isna().any().any()
    ages = data[[f"T{i}" for i in range(1, 10)]].to_numpy()
    assert np.all(np.diff(ages, axis=1) > 0)
