"""Discovery of skmix's public estimators (as sklearn.utils.discovery)."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator


def all_estimators():
    """Every public skmix estimator: scikit-learn estimators named in a public
    module's ``__all__``.

    Returns
    -------
    estimators : list of (name, class) tuples, sorted by name
    """
    import skmix

    found = {}
    for module_info in pkgutil.walk_packages(skmix.__path__, "skmix."):
        if any(part.startswith("_") for part in module_info.name.split(".")):
            continue
        module = importlib.import_module(module_info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
            ):
                found[name] = obj
    return sorted(found.items())
