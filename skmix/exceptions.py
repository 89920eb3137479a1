"""Exceptions raised by skmix."""


class BackendUnavailableError(RuntimeError):
    """An explicitly requested compute backend cannot run on this machine.

    Raised, for instance, for ``backend="cupy"`` when CuPy is not installed or no
    CUDA device is visible. Only ``backend="auto"`` falls back silently.
    """
