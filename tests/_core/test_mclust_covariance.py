"""mclust's covariance structures: each M-step's output lies in its structure
and is optimal against every structure nested in it; every structure runs on
every path (backends, Dask, partial_fit, sampling). Agreement with mclust's
own fits (parameter counts included) is in
``tests/mixture/test_mclust_parity.py``."""

import itertools

import numpy as np
import pytest

from skmix._core import (
    MCLUST_MODEL_NAMES,
    get_covariance_model,
    n_mixture_parameters,
)
from skmix.mixture import GaussianMixture

K, D = 3, 4
ORDER = {"I": 0, "E": 1, "V": 2}


def _random_scatter(seed):
    rng = np.random.default_rng(seed)
    nk = rng.uniform(20, 80, size=K)
    A = rng.standard_normal((K, D, D)) * rng.uniform(0.3, 2.0, size=(K, 1, 1))
    covariances = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(D)
    return nk[:, None, None] * covariances, nk


def _estimate(name, scatter, nk):
    model = get_covariance_model(name)
    moments = scatter if model.full_moments else np.einsum("kqq->kq", scatter)
    return model.to_full(model.estimate(moments, nk, 0.0), K, D)


def _objective(covariances, scatter, nk):
    """Minus twice the expected complete log-likelihood, up to a constant."""
    logdet = np.linalg.slogdet(covariances)[1]
    trace = np.einsum("kij,kji->k", np.linalg.inv(covariances), scatter)
    return float(nk @ logdet + trace.sum())


def _nested(inner, outer):
    """Whether structure `inner`'s covariances are all allowed by `outer`."""
    volume, shape, orientation = (
        ORDER[a] <= ORDER[b] for a, b in zip(inner, outer, strict=True)
    )
    return volume and shape and (orientation or inner[1] == "I")


def test_names_and_aliases():
    for alias, name in [("VVV", "full"), ("EEE", "tied"), ("VVI", "diag"),
                        ("VII", "spherical")]:  # fmt: skip
        assert get_covariance_model(alias) is get_covariance_model(name)
    with pytest.raises(ValueError, match="must be one of .*'EVE'"):
        GaussianMixture(covariance_type="EVX").fit(np.ones((5, 2)))


@pytest.mark.parametrize("name", MCLUST_MODEL_NAMES)
@pytest.mark.parametrize("seed", [0, 1])
def test_estimate_lies_in_its_structure(name, seed):
    scatter, nk = _random_scatter(seed)
    covariances = _estimate(name, scatter, nk)
    eigenvalues = np.linalg.eigvalsh(covariances)
    volumes = np.exp(np.log(eigenvalues).mean(axis=1))
    shapes = eigenvalues / volumes[:, None]
    volume, shape, orientation = name
    if volume == "E":
        np.testing.assert_allclose(volumes, volumes[0], rtol=1e-9)
    if shape == "I":
        np.testing.assert_allclose(shapes, 1.0, rtol=1e-9)
    if shape == "E":
        np.testing.assert_allclose(shapes, shapes[[0] * K], rtol=1e-7)
    if orientation == "I":
        off_diagonal = covariances * (1 - np.eye(D))
        assert not off_diagonal.any()
    if orientation == "E":
        for a, b in itertools.combinations(covariances, 2):
            np.testing.assert_allclose(a @ b, b @ a, atol=1e-8 * np.abs(a @ b).max())


@pytest.mark.parametrize("outer", MCLUST_MODEL_NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimate_beats_every_nested_structure(outer, seed):
    """The M-step maximises the expected likelihood at least as well as the
    optimum of any structure it contains (and no better than VVV's)."""
    scatter, nk = _random_scatter(seed)
    best = _objective(_estimate(outer, scatter, nk), scatter, nk)
    assert best >= _objective(_estimate("VVV", scatter, nk), scatter, nk) - 1e-9
    for inner in MCLUST_MODEL_NAMES:
        if inner != outer and _nested(inner, outer):
            value = _objective(_estimate(inner, scatter, nk), scatter, nk)
            assert best <= value + 1e-8 * abs(value), (inner, outer)


def _blobs():
    rng = np.random.default_rng(0)
    scales = ([1.0, 0.3], [0.5, 2.0], [1.5, 1.0])
    return np.vstack(
        [
            rng.normal(m, s, size=(120, 2))
            for m, s in zip((-5, 0, 5), scales, strict=True)
        ]
    )


@pytest.mark.parametrize("name", MCLUST_MODEL_NAMES)
def test_every_structure_runs_on_every_path(name):
    X = _blobs()
    fits = [
        GaussianMixture(3, covariance_type=name, random_state=0, backend=b).fit(X)
        for b in ("numpy", "numba")
    ]
    np.testing.assert_allclose(fits[0].score(X), fits[1].score(X), rtol=1e-10)
    np.testing.assert_allclose(fits[0].means_, fits[1].means_, rtol=1e-8)
    model = fits[1]
    assert model.covariances_.shape == get_covariance_model(name).shape(3, 2)
    assert model.bic(X) == pytest.approx(
        -2 * model.score(X) * len(X) + n_mixture_parameters(name, 3, 2) * np.log(len(X))
    )
    samples, labels = model.sample(50)
    assert samples.shape == (50, 2) and labels.shape == (50,)
    # partial_fit continues the fit and keeps the structure.
    before = model.score(X)
    model.partial_fit(X)
    assert model.score(X) >= before - 1e-9
    assert model.covariances_.shape == get_covariance_model(name).shape(3, 2)


@pytest.mark.parametrize("name", ["EEV", "VEI"])
def test_dask_fit_equals_in_memory_fit(name):
    da = pytest.importorskip("dask.array")
    X = _blobs()
    in_memory = GaussianMixture(3, covariance_type=name, random_state=0).fit(X)
    distributed = GaussianMixture(3, covariance_type=name, random_state=0).fit(
        da.from_array(X, chunks=100)
    )
    np.testing.assert_allclose(distributed.covariances_, in_memory.covariances_,
                               rtol=1e-6)  # fmt: skip


def test_dimension_rules_are_mclusts():
    X = _blobs()
    one = X[:, :1]
    with pytest.raises(ValueError, match="'VEV' needs at least 2 features"):
        GaussianMixture(2, covariance_type="VEV").fit(one)
    with pytest.raises(ValueError, match="'E' is for one-dimensional data"):
        GaussianMixture(2, covariance_type="E").fit(X)
    equal = GaussianMixture(2, covariance_type="E", random_state=0).fit(one)
    variable = GaussianMixture(2, covariance_type="V", random_state=0).fit(one)
    assert equal.covariances_[0, 0] == equal.covariances_[1, 0]
    assert variable.score(one) >= equal.score(one)
    # scikit-learn's names stay valid on one feature.
    GaussianMixture(2, covariance_type="full").fit(one)


@pytest.mark.parametrize("rank", [4, 3, 1, 0])
def test_nearest_orthogonal_is_the_polar_factor(rank):
    """EVE's and VVE's orientation step: the orthogonal Q maximising
    tr(Q^T M), whose maximum is the sum of M's singular values; at full rank
    the SVD's U V^T, below it any orthogonal maximiser (not unique)."""
    numba = pytest.importorskip("numba")
    from skmix._core._mclust_kernels import _nearest_orthogonal

    # The kernel has no Python wrapper: call it from a jitted function.
    nearest_orthogonal = numba.njit(lambda matrix: _nearest_orthogonal(matrix))
    rng = np.random.default_rng(rank)
    M = rng.standard_normal((D, rank)) @ rng.standard_normal((rank, D))
    Q = nearest_orthogonal(M)
    np.testing.assert_allclose(Q.T @ Q, np.eye(D), atol=1e-12)
    u, singular_values, vt = np.linalg.svd(M)
    assert np.trace(Q.T @ M) == pytest.approx(singular_values.sum(), abs=1e-12)
    if rank == D:
        np.testing.assert_allclose(Q, u @ vt, atol=1e-12)
