"""Backend selection: the only place that decides which kernels run."""

import functools
import importlib
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from types import ModuleType

import numpy as np
from threadpoolctl import ThreadpoolController

from .._config import _ENV_BACKEND, check_backend_name, get_config
from ..exceptions import BackendUnavailableError

#: Kernels every backend module defines, with the same signatures and results
#: as the NumPy reference (checked by tests/test_backend_conformance.py).
KERNELS = (
    "log_gaussian_prob",
    "logsumexp_rows",
    "weighted_moments",
    "em_step_statistics",
    "missing_em_step_statistics",
    "score_samples",
)


@dataclass(frozen=True)
class Backend:
    """A resolved compute backend.

    Attributes
    ----------
    name : str
        ``"numpy"``, ``"numba"`` or ``"cupy"``.
    xp : module
        Array module of the backend's device (numpy or cupy).
    kernels : module
        Module defining every function named in ``KERNELS``.
    owns_cpu_threads : bool
        The kernels run their own parallel threads on the CPU (Numba).
    serial_blas : bool
        BLAS runs on one thread inside :meth:`compute_context` (NumPy for a
        small problem under ``"auto"``): BLAS splits its sums by thread, so a
        default fit's last bits would otherwise depend on the machine's core
        count (and on what other threads limit), and at these sizes its
        threads do not pay.
    """

    name: str
    xp: ModuleType
    kernels: ModuleType
    owns_cpu_threads: bool = False
    serial_blas: bool = False

    def compute_context(self):
        """Context to wrap a whole fit in.

        A multithreaded BLAS busy-waits between calls against the Numba
        kernels' threads; with the kernels on Numba's OpenMP workers this
        doubled the time of an EM iteration on 2 cores. The M-step's BLAS work
        is tiny, so BLAS gets one thread while Numba kernels own the cores.
        """
        if self.owns_cpu_threads or self.serial_blas:
            return _ONE_BLAS_THREAD.hold()
        return nullcontext()

    def asarray(self, array, dtype=None):
        """Move `array` to the backend's device (no copy when already there),
        rows C-contiguous: BLAS rounds differently on another layout, and the
        results are not to depend on it (the Numba kernels copy too)."""
        array = self.xp.asarray(array, dtype=dtype)
        flags = getattr(array, "flags", None)  # the array API has no layouts
        if array.ndim == 2 and flags is not None and not flags.c_contiguous:
            array = self.xp.ascontiguousarray(array)
        return array

    def to_numpy(self, array):
        """Return `array` as a NumPy array on the host."""
        return array.get() if hasattr(array, "get") else np.asarray(array)


@functools.cache
def _threadpool_controller():
    # Finding the loaded thread pools scans the process's libraries (3 ms);
    # do it once, not per fit.
    return ThreadpoolController()


class _SharedLimit:
    """A threadpoolctl limit shared by every thread that asks for it.

    threadpoolctl's limits are process-wide: two threads entering and
    leaving ``limit()`` in interleaved order would each restore what the
    other set, leaving the pool at one thread for good. Here the first
    thread in applies the limit, the last one out restores the pool.
    """

    def __init__(self, user_api):
        self.user_api = user_api
        self._lock = threading.Lock()
        self._holders = 0
        self._limiter = None

    @contextmanager
    def hold(self):
        with self._lock:
            if self._holders == 0:
                self._limiter = _threadpool_controller().limit(
                    limits=1, user_api=self.user_api
                )
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0:
                    self._limiter.restore_original_limits()
                    self._limiter = None


_ONE_BLAS_THREAD = _SharedLimit("blas")
_ONE_OPENMP_THREAD = _SharedLimit("openmp")


def one_openmp_thread():
    """Context running scikit-learn's OpenMP code (KMeans starts) on one thread.

    Its OpenMP workers busy-wait after each parallel region; beside skmix's
    kernels on a loaded 2-core machine a default OpenSetGMMDetector fit took
    10.7-27 s instead of 3.6 s. KMeans's labels do not depend on its thread
    count, so results are unchanged. Safe to enter from several threads.
    """
    return _ONE_OPENMP_THREAD.hold()


def is_cupy_array(X):
    """True if `X` is a CuPy array (checked without importing CuPy)."""
    return type(X).__module__.split(".")[0] == "cupy"


def _load_numpy():
    from . import _numpy

    return Backend("numpy", np, _numpy)


def _load_numba():
    try:
        kernels = importlib.import_module("skmix._backend._numba")
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend='numba' was requested but Numba cannot be imported ({exc}). "
            "Install numba, or use backend='numpy' or 'auto'."
        ) from exc
    return Backend("numba", np, kernels, owns_cpu_threads=True)


def _load_cupy():
    try:
        import cupy

        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # ImportError, or CUDA driver/runtime errors
        raise BackendUnavailableError(
            f"backend='cupy' was requested but CuPy cannot use a GPU ({exc}). "
            "Install the extra with `pip install skmix[gpu]` on a machine with a "
            "CUDA GPU, or use backend='numba', 'numpy' or 'auto'."
        ) from exc
    if n_devices < 1:
        raise BackendUnavailableError(
            "backend='cupy' was requested but no CUDA device is visible."
        )
    kernels = importlib.import_module("skmix._backend._cupy")
    return Backend("cupy", cupy, kernels)


_LOADERS = {"numpy": _load_numpy, "numba": _load_numba, "cupy": _load_cupy}

#: ``"auto"`` runs a call scoring fewer rows x components than this on NumPy.
#: Numba compiles its kernels on the first call of a process that finds no
#: cache (4 s on a 2-core VM, once per install), which the faster passes only
#: repay on larger problems: an EM iteration at 5000 x 4 x 3 takes 2.3 ms on
#: NumPy and 0.4 ms on Numba (both serial at this size).
AUTO_NUMBA_MIN_WORK = 1 << 15


def _n_rows(X):
    """Rows of `X` without validating it, or None when they cannot be told."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0 and isinstance(shape[0], int):
        return shape[0]
    try:
        return len(X)
    except TypeError:
        return None


def resolve_backend(requested=None, X=None, n_components=None):
    """Choose the backend for an estimator parameter and an input array.

    Parameters
    ----------
    requested : {"auto", "numpy", "numba", "cupy"} or None
        The estimator's ``backend`` parameter; ``None`` defers to
        :func:`skmix.get_config`.
    X : array-like, default=None
        The input. CuPy input makes ``"auto"`` pick CuPy.
    n_components : int, default=None
        Components the call scores `X` against. With it, ``"auto"`` picks
        NumPy for fewer than ``AUTO_NUMBA_MIN_WORK`` rows x components.

    Returns
    -------
    backend : Backend

    Raises
    ------
    BackendUnavailableError
        An explicitly requested backend cannot run here.
    ValueError
        Unknown backend name, or GPU input for a CPU backend.
    """
    if requested is None:
        name = check_backend_name(get_config()["backend"], source=_ENV_BACKEND)
    else:
        name = check_backend_name(requested)
    on_gpu = is_cupy_array(X)
    if name == "auto":
        if on_gpu:
            return _load_cupy()
        n_rows = None if n_components is None else _n_rows(X)
        if n_rows is not None and n_rows * n_components < AUTO_NUMBA_MIN_WORK:
            return replace(_load_numpy(), serial_blas=True)
        try:
            return _load_numba()
        except BackendUnavailableError:
            return _load_numpy()
    if on_gpu and name != "cupy":
        raise ValueError(
            f"X is a CuPy array on the GPU but backend={name!r} runs on the CPU. "
            "Use backend='cupy' or 'auto', or move X to the host with X.get()."
        )
    return _LOADERS[name]()


def available_backends():
    """Names of the backends that can run on this machine, NumPy first."""
    names = []
    for name, loader in _LOADERS.items():
        try:
            loader()
        except BackendUnavailableError:
            continue
        names.append(name)
    return names
