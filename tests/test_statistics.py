"""The additive sufficient-statistics protocol behind fit, partial_fit and Dask."""

import numpy as np
import pytest

from skmix._backend import resolve_backend
from skmix._core import m_step
from skmix._math import e_step_statistics

from ._helpers import random_precision_factors


def _statistics(backend_name, X, form, shift):
    rng = np.random.default_rng(0)
    means = rng.standard_normal((3, X.shape[1]))
    factors = random_precision_factors(rng, 3, X.shape[1], form)
    log_weights = np.log([0.2, 0.3, 0.5])
    backend = resolve_backend(backend_name)
    return e_step_statistics(
        backend, backend.asarray(X), log_weights, means, factors, shift
    )


@pytest.mark.parametrize("form", ["full", "diag"])
def test_statistics_of_chunks_add_up_to_those_of_the_whole(form, cpu_backend):
    X = np.random.default_rng(1).standard_normal((5000, 4)) * 3 + 1
    shift = np.random.default_rng(2).standard_normal((3, 4))
    whole = _statistics(cpu_backend, X, form, shift)
    # Chunks taken about *different* shifts: `+` recentres them exactly.
    parts = [
        _statistics(cpu_backend, chunk, form, shift + i)
        for i, chunk in enumerate(np.array_split(X, 7))
    ]
    total = sum(parts[1:], parts[0])
    assert total.n_samples == whole.n_samples
    assert total.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
    total = total.recenter(shift)
    for name in ("nk", "sum_x", "sum_xx"):
        np.testing.assert_allclose(
            getattr(total, name), getattr(whole, name), rtol=1e-10, atol=1e-8
        )
    fitted = [m_step(stats, form, 1e-6) for stats in (total, whole)]
    for name in ("weights", "means", "covariances", "precisions_cholesky"):
        np.testing.assert_allclose(
            getattr(fitted[0], name), getattr(fitted[1], name), rtol=1e-10
        )


def test_adding_statistics_of_different_kinds_is_an_error():
    X = np.random.default_rng(1).standard_normal((50, 2))
    full = _statistics("numpy", X, "full", np.zeros((3, 2)))
    diag = _statistics("numpy", X, "diag", np.zeros((3, 2)))
    with pytest.raises(ValueError, match="different shapes"):
        full + diag
