"""Global configuration: which compute backend estimators use by default."""

import os
import threading
from contextlib import contextmanager

VALID_BACKENDS = ("auto", "numpy", "numba", "cupy")
_ENV_BACKEND = "SKMIX_BACKEND"

_global_config = {"backend": os.environ.get(_ENV_BACKEND, "auto")}
_global_lock = threading.Lock()
_thread_local = threading.local()


def _thread_overrides():
    # config_context's settings, per thread: a block in one thread never
    # leaks into another, while set_config changes every thread's default.
    if not hasattr(_thread_local, "overrides"):
        _thread_local.overrides = {}
    return _thread_local.overrides


def check_backend_name(backend, source="backend"):
    """Raise a ValueError naming the valid choices if `backend` is not one."""
    if backend not in VALID_BACKENDS:
        raise ValueError(
            f"{source}={backend!r} is not a valid backend; "
            f"choose one of {', '.join(map(repr, VALID_BACKENDS))}."
        )
    return backend


def get_config():
    """Return a copy of the current skmix configuration.

    Returns
    -------
    config : dict
        Keys are parameter names that can be passed to :func:`set_config`.

    Examples
    --------
    >>> import skmix
    >>> skmix.get_config()["backend"] in skmix.VALID_BACKENDS
    True
    """
    with _global_lock:
        config = _global_config.copy()
    config.update(_thread_overrides())
    return config


def set_config(backend=None):
    """Set the global skmix configuration, for every thread.

    Parameters
    ----------
    backend : {"auto", "numpy", "numba", "cupy"}, default=None
        Compute backend used by estimators whose ``backend`` parameter is
        ``None``. ``"auto"`` picks CuPy for CuPy input, otherwise Numba when it
        can be imported, otherwise NumPy; Gaussian mixtures of fewer than
        32,768 rows x components run on NumPy, where Numba's one-time
        compilation would cost more than the fit. ``None`` leaves the setting
        unchanged.
        The initial value comes from the ``SKMIX_BACKEND`` environment variable
        (default ``"auto"``). The setting holds in every thread (a thread
        inside :func:`config_context` keeps that block's value until it
        leaves it); it does not travel to joblib worker processes, the
        estimator parameter ``backend`` does.
    """
    if backend is not None:
        check_backend_name(backend)
        with _global_lock:
            _global_config["backend"] = backend


@contextmanager
def config_context(*, backend=None):
    """Temporarily change the skmix configuration inside a ``with`` block,
    in the calling thread only.

    Parameters
    ----------
    backend : {"auto", "numpy", "numba", "cupy"}, default=None
        See :func:`set_config`.

    Examples
    --------
    >>> import skmix
    >>> with skmix.config_context(backend="numpy"):
    ...     skmix.get_config()["backend"]
    'numpy'
    """
    overrides = _thread_overrides()
    saved = overrides.copy()
    if backend is not None:
        overrides["backend"] = check_backend_name(backend)
    try:
        yield
    finally:
        overrides.clear()
        overrides.update(saved)
