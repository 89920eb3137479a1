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


def test_auto_prefers_numba_on_cpu():
    pytest.importorskip("numba")
    assert GaussianMixture(2, random_state=0).fit(X).backend_ == "numba"


def test_unknown_backend_parameter_is_a_clear_error():
    with pytest.raises(ValueError, match="backend='gpu' is not a valid backend"):
        GaussianMixture(2, backend="gpu").fit(X)


def _without_numba(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # makes `import numba` fail
    monkeypatch.delitem(sys.modules, "skmix._backend._numba", raising=False)


def test_auto_falls_back_to_numpy_without_numba(monkeypatch):
    _without_numba(monkeypatch)
    gm = GaussianMixture(2, random_state=0).fit(X)
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
