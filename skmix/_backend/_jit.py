"""Numba compilation with the on-disk cache where one is writable."""

import warnings

from numba import njit


def cached_njit(**options):
    """``njit(cache=True, nogil=True, **options)``, or the same without the
    on-disk cache where no directory is writable.

    Numba caches next to the module (``__pycache__``), else, for a read-only
    install, in the user-wide cache directory (``$XDG_CACHE_HOME/numba`` or
    ``~/.cache/numba``); ``NUMBA_CACHE_DIR`` overrides both. When none is
    writable (a read-only install run by an account without a home),
    ``cache=True`` raises at decoration, which would break the import.
    """

    def decorate(func):
        try:
            return njit(cache=True, nogil=True, **options)(func)
        except RuntimeError as exc:  # Numba found no writable cache directory
            warnings.warn(
                f"skmix's Numba kernels cannot be cached ({exc}), so every "
                "process compiles them again (seconds); set NUMBA_CACHE_DIR to "
                "a writable directory.",
                RuntimeWarning,
                stacklevel=2,
            )
            return njit(nogil=True, **options)(func)

    return decorate
