"""Global configuration: which compute backend estimators use by default."""

import os
import threading
from contextlib import contextmanager

VALID_BACKENDS = ("auto", "numpy", "numba", "cupy")
_ENV_BACKEND = "SKMIX_BACKEND"

_global_config = {"backend": os.environ.get(_ENV_BACKEND, "auto")}
_thread_local = threading.local()


def _get_threadlocal_config():
    # Each thread starts from the process-wide defaults, as in scikit-learn, so a
    # config_context in one thread never leaks into another.
    if not hasattr(_thread_local, "config"):
        _thread_local.config = _global_config.copy()
    return _thread_local.config


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
    return _get_threadlocal_config().copy()


def set_config(backend=None):
    """Set the global skmix configuration.

    Parameters
    ----------
    backend : {"auto", "numpy", "numba", "cupy"}, default=None
        Compute backend used by estimators whose ``backend`` parameter is
        ``None``. ``"auto"`` picks CuPy for CuPy input, otherwise Numba when it
        can be imported, otherwise NumPy. ``None`` leaves the setting unchanged.
        The initial value comes from the ``SKMIX_BACKEND`` environment variable
        (default ``"auto"``). Global settings do not travel to joblib worker
        processes; the estimator parameter ``backend`` does.
    """
    config = _get_threadlocal_config()
    if backend is not None:
        config["backend"] = check_backend_name(backend)


@contextmanager
def config_context(*, backend=None):
    """Temporarily change the skmix configuration inside a ``with`` block.

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
    old = get_config()
    set_config(backend=backend)
    try:
        yield
    finally:
        _get_threadlocal_config().update(old)
