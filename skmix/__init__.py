"""skmix: scikit-learn-compatible mixture models on NumPy, Numba and CuPy."""

from ._config import VALID_BACKENDS, config_context, get_config, set_config

__version__ = "0.1.0.dev0"

__all__ = [
    "VALID_BACKENDS",
    "__version__",
    "config_context",
    "get_config",
    "set_config",
]
