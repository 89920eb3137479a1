"""The device code path under a strict array namespace, on the CPU.

The CuPy backend runs the array-generic reference kernels and the core's
scoring on the GPU. CI has no GPU, so the same code runs here on
``array_api_strict`` arrays, which reject anything outside the Python array
API standard (NumPy-only methods, implicit conversions): an idiom that would
break on CuPy fails here first.
"""

import numpy as np
import pytest

from skmix._backend import KERNELS, Backend
from skmix._backend import _numpy as reference
from skmix._core import GaussianComponents, m_step
from skmix._math import responsibility_statistics

from ._helpers import to_host
from .test_backend_conformance import FORMS, KERNEL_CASES

xp = pytest.importorskip("array_api_strict")

STRICT = Backend("array_api_strict", xp, reference)


def _strict(value):
    return xp.asarray(value) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("form", FORMS)
def test_reference_kernels_use_only_the_standard(kernel, dtype, form):
    args = KERNEL_CASES[kernel](dtype, form)
    outputs = getattr(reference, kernel)(*(_strict(a) for a in args))
    expected = getattr(reference, kernel)(*args)
    if not isinstance(expected, tuple):
        outputs, expected = (outputs,), (expected,)
    for output, value in zip(outputs, expected, strict=True):
        if not isinstance(value, float):
            assert isinstance(output, type(xp.asarray(0.0))), "left the namespace"
        np.testing.assert_allclose(to_host(STRICT, output), value, rtol=1e-6)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_core_scoring_uses_only_the_standard(covariance_type):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)) * 2
    resp = rng.dirichlet(np.ones(3), size=200)
    model_stats = responsibility_statistics(
        STRICT,
        xp.asarray(X),
        resp,
        np.zeros((3, 3)),
        covariance_type in ("full", "tied"),
    )
    components = m_step(model_stats, covariance_type, 1e-6)
    assert isinstance(components, GaussianComponents)
    scorer = components.scorer()
    X_strict = xp.asarray(X)
    numpy_backend = Backend("numpy", np, reference)
    pairs = [
        (scorer.log_joint(STRICT, X_strict), scorer.log_joint(numpy_backend, X)),
        (
            scorer.score_samples(STRICT, X_strict),
            scorer.score_samples(numpy_backend, X),
        ),
        (
            scorer.posteriors(STRICT, X_strict)[0],
            scorer.posteriors(numpy_backend, X)[0],
        ),
    ]
    for strict, expected in pairs:
        np.testing.assert_allclose(to_host(STRICT, strict), expected, rtol=1e-10)
    statistics = scorer.e_step_statistics(STRICT, X_strict, components.means)
    expected = scorer.e_step_statistics(numpy_backend, X, components.means)
    for name in ("nk", "sum_x", "sum_xx"):
        np.testing.assert_allclose(
            getattr(statistics, name), getattr(expected, name), rtol=1e-10
        )
