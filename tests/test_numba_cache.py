"""The Numba kernels still import, and compute, where no cache is writable."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import warnings
    import numba.core.caching as caching
    import numpy as np

    # No locator can create a cache directory (a read-only install run by an
    # account without a writable home). CacheImpl was _CacheImpl in old Numba.
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    impl._locator_classes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from skmix._backend import _numba, _numpy
        from skmix._core import _hierarchical, _mclust_kernels  # compiled too
    print([str(w.message) for w in caught if w.category is RuntimeWarning])
    A = np.random.default_rng(0).standard_normal((300, 4)) * 30
    print(np.abs(_numba.logsumexp_rows(A) - _numpy.logsumexp_rows(A)).max())
    """
)


def test_kernels_import_without_a_writable_cache_directory():
    caching = pytest.importorskip("numba.core.caching")
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    if not hasattr(impl, "_locator_classes"):
        pytest.skip("this Numba selects cache locators differently")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    warnings_line, error_line = result.stdout.strip().splitlines()[-2:]
    assert "cannot be cached" in warnings_line
    assert "NUMBA_CACHE_DIR" in warnings_line
    assert float(error_line) < 1e-10
