"""CuPy backend on a real GPU.

Skipped only when this machine has no NVIDIA GPU. With a GPU present, a missing
or broken CuPy makes these tests fail: the GPU path must never silently fall
back to the CPU.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.mixture import GaussianMixture


def _machine_has_nvidia_gpu():
    if os.path.exists("/proc/driver/nvidia/version"):
        return True
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    result = subprocess.run([smi, "-L"], capture_output=True, text=True)
    return result.returncode == 0 and "GPU" in result.stdout


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _machine_has_nvidia_gpu(), reason="no NVIDIA GPU here"),
]


@pytest.fixture(scope="module")
def cupy():
    try:
        import cupy
    except ImportError as exc:  # a GPU is present: this is a failure, not a skip
        pytest.fail(f"a GPU is present but CuPy cannot be imported: {exc}")
    return cupy


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_cupy_fit_matches_sklearn_and_stays_on_device(cupy, covariance_type):
    X, _ = make_blobs(n_samples=5000, n_features=4, centers=3, random_state=0)
    expected = SklearnGaussianMixture(
        3, covariance_type=covariance_type, random_state=0
    ).fit(X)
    fitted = GaussianMixture(
        3, covariance_type=covariance_type, random_state=0, backend="cupy"
    )
    labels = fitted.fit_predict(cupy.asarray(X))
    assert fitted.backend_ == "cupy"
    assert isinstance(labels, cupy.ndarray)
    assert isinstance(fitted.score_samples(cupy.asarray(X)), cupy.ndarray)
    assert fitted.lower_bound_ == pytest.approx(expected.lower_bound_, rel=1e-6)
    np.testing.assert_array_equal(labels.get(), expected.predict(X))


def test_auto_picks_cupy_for_gpu_input_and_numpy_input_returns_numpy(cupy):
    X, _ = make_blobs(n_samples=2000, n_features=3, centers=2, random_state=1)
    assert GaussianMixture(2, random_state=0).fit(cupy.asarray(X)).backend_ == "cupy"
    fitted = GaussianMixture(2, random_state=0, backend="cupy").fit(X)
    assert fitted.backend_ == "cupy"
    # Parameters are always NumPy; outputs follow the input's array type.
    assert isinstance(fitted.means_, np.ndarray)
    assert isinstance(fitted.predict(X), np.ndarray)
    assert isinstance(fitted.predict(cupy.asarray(X)), cupy.ndarray)


def test_cupy_kernels_match_numpy_reference(cupy):
    from skmix._backend import _cupy, _numpy

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 5))
    means = rng.standard_normal((4, 5))
    factors = np.triu(rng.standard_normal((4, 5, 5))) + 3 * np.eye(5)
    log_weights = np.log(np.full(4, 0.25))
    expected = _numpy.em_step_statistics(X, log_weights, means, factors, means)
    actual = _cupy.em_step_statistics(
        *(cupy.asarray(a) for a in (X, log_weights, means, factors, means))
    )
    assert actual[0] == pytest.approx(expected[0], rel=1e-12)
    for a, e in zip(actual[1:], expected[1:], strict=True):
        np.testing.assert_allclose(a.get(), e, rtol=1e-10)


def test_cupy_weighted_and_missing_value_fits_match_numpy(cupy):
    """sample_weight and missing='fiml' on the GPU: the NumPy reference's fit,
    with the rows kept on the device."""
    X, _ = make_blobs(n_samples=3000, n_features=4, centers=3, random_state=1)
    rng = np.random.default_rng(0)
    weights = rng.integers(0, 4, X.shape[0]).astype(np.float64)
    X_missing = X.copy()
    X_missing[rng.random(X.shape) < 0.15] = np.nan
    X_missing[np.isnan(X_missing).all(axis=1), 0] = 0.0
    for data, params, fit_params in [
        (X, {}, {"sample_weight": weights}),
        (X_missing, {"missing": "fiml"}, {}),
    ]:
        reference = GaussianMixture(3, random_state=0, backend="numpy", **params)
        reference.fit(data, **fit_params)
        on_gpu = GaussianMixture(3, random_state=0, backend="cupy", **params)
        on_gpu.fit(cupy.asarray(data), **fit_params)
        assert on_gpu.backend_ == "cupy"
        np.testing.assert_allclose(on_gpu.means_, reference.means_, rtol=1e-8)
        scores = on_gpu.score_samples(cupy.asarray(data))
        assert isinstance(scores, cupy.ndarray)
        np.testing.assert_allclose(
            scores.get(), reference.score_samples(data), rtol=1e-8
        )
