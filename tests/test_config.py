"""The backend switch: config, environment variable, estimator parameter."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from sklearn.base import clone

import skmix
from skmix._backend import resolve_backend
from skmix._backend._resolve import AUTO_NUMBA_MIN_WORK
from skmix.exceptions import BackendUnavailableError
from skmix.mixture import GaussianMixture

X = np.random.default_rng(0).standard_normal((60, 2))


def test_config_context_sets_and_restores():
    assert skmix.get_config()["backend"] == "auto"
    with skmix.config_context(backend="numpy"):
        assert skmix.get_config()["backend"] == "numpy"
        assert resolve_backend(None).name == "numpy"
    assert skmix.get_config()["backend"] == "auto"


def test_set_config_rejects_unknown_backend():
    with pytest.raises(ValueError, match="'torch' is not a valid backend"):
        skmix.set_config(backend="torch")
    assert skmix.get_config()["backend"] == "auto"


def test_config_is_thread_local():
    seen = {}
    with skmix.config_context(backend="numpy"):
        thread = threading.Thread(
            target=lambda: seen.update(backend=skmix.get_config()["backend"])
        )
        thread.start()
        thread.join()
    assert seen["backend"] == "auto"


def test_estimator_parameter_overrides_global_config():
    pytest.importorskip("numba")
    with skmix.config_context(backend="numba"):
        gm = GaussianMixture(2, backend="numpy", random_state=0).fit(X)
        assert gm.backend_ == "numpy"
        assert GaussianMixture(2, random_state=0).fit(X).backend_ == "numba"
    assert clone(gm).backend == "numpy"


def test_auto_runs_small_problems_on_numpy():
    """Below AUTO_NUMBA_MIN_WORK rows x components "auto" skips Numba, whose
    first compilation would cost more than the fit; fit and partial_fit
    follow the rule, and so does resolve_backend for any array-like."""
    pytest.importorskip("numba")
    n_components = 4
    n_rows = AUTO_NUMBA_MIN_WORK // n_components  # exactly the threshold
    rows = np.random.default_rng(1).standard_normal((n_rows, 2))
    small, large = rows[:-1], rows
    fitted = GaussianMixture(n_components, max_iter=5, random_state=0)
    fitted.fit(small)
    assert fitted.backend_ == "numpy"
    assert fitted.fit(large).backend_ == "numba"
    assert (
        GaussianMixture(n_components, random_state=0).partial_fit(small).backend_
        == "numpy"
    )
    assert resolve_backend("auto", small, n_components).name == "numpy"
    assert resolve_backend("auto", large, n_components).name == "numba"
    assert resolve_backend("auto", small.tolist(), n_components).name == "numpy"
    # Without a component count "auto" is Numba, as before the rule.
    assert resolve_backend("auto", small).name == "numba"
    # An explicit or configured backend is never overridden.
    assert resolve_backend("numba", small, n_components).name == "numba"
    with skmix.config_context(backend="numba"):
        assert GaussianMixture(2, random_state=0).fit(X[:20]).backend_ == "numba"


def test_selector_chooses_one_backend_for_its_grid():
    """Each candidate alone is below the threshold, the grid is not (as
    mclust's default grid on iris): it runs on Numba as a whole."""
    pytest.importorskip("numba")
    from skmix.mixture import GaussianMixtureSelector

    rows = np.random.default_rng(2).standard_normal((400, 2))
    assert 400 * 9 < AUTO_NUMBA_MIN_WORK <= 400 * 2 * 45
    selector = GaussianMixtureSelector(
        n_components=range(1, 10), covariance_types=["VVV", "EII"]
    ).fit(rows)
    assert selector.backend_ == "numba"
    small = GaussianMixtureSelector(n_components=[1, 2], covariance_types=["VVV"])
    assert small.fit(rows).backend_ == "numpy"


def test_unknown_backend_parameter_is_a_clear_error():
    with pytest.raises(ValueError, match="backend='gpu' is not a valid backend"):
        GaussianMixture(2, backend="gpu").fit(X)


def _without_numba(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # makes `import numba` fail
    monkeypatch.delitem(sys.modules, "skmix._backend._numba", raising=False)


def test_auto_falls_back_to_numpy_without_numba(monkeypatch):
    _without_numba(monkeypatch)
    # Large enough that "auto" would otherwise pick Numba.
    rows = np.random.default_rng(3).standard_normal((AUTO_NUMBA_MIN_WORK, 2))
    gm = GaussianMixture(2, max_iter=5, random_state=0).fit(rows)
    assert gm.backend_ == "numpy"


def test_explicit_numba_without_numba_raises(monkeypatch):
    _without_numba(monkeypatch)
    with pytest.raises(BackendUnavailableError, match="Numba cannot be imported"):
        GaussianMixture(2, backend="numba").fit(X)


def test_explicit_cupy_without_gpu_raises(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    with pytest.raises(BackendUnavailableError, match="skmix\\[gpu\\]"):
        GaussianMixture(2, backend="cupy").fit(X)


def test_environment_variable_sets_default_and_is_validated():
    code = "import skmix; print(skmix.get_config()['backend'])"
    env = {**os.environ, "SKMIX_BACKEND": "numpy"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.stdout.strip() == "numpy"

    code = (
        "import numpy as np; from skmix.mixture import GaussianMixture; "
        "GaussianMixture().fit(np.ones((5, 2)) + np.arange(5)[:, None])"
    )
    env["SKMIX_BACKEND"] = "fortran"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "SKMIX_BACKEND='fortran' is not a valid backend" in out.stderr


def test_small_selector_grid_holds_blas_at_one_thread(monkeypatch):
    """A grid too small for Numba leaves each candidate to "auto": NumPy with
    BLAS on one thread, as a lone small GaussianMixture."""
    from skmix._backend import _resolve
    from skmix.mixture import GaussianMixtureSelector

    held = []
    hold = _resolve._ONE_BLAS_THREAD.hold

    def counting_hold():
        held.append(True)
        return hold()

    monkeypatch.setattr(_resolve._ONE_BLAS_THREAD, "hold", counting_hold)
    rows = np.random.default_rng(4).standard_normal((100, 2))
    selector = GaussianMixtureSelector(n_components=[1, 2], covariance_types=["VVV"])
    assert selector.fit(rows).backend_ == "numpy"
    assert len(held) >= 2  # each candidate's fit
