"""Input and parameter validation shared by skmix estimators.

Only public scikit-learn API is used, so that every supported scikit-learn
release behaves the same.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_array, check_scalar, column_or_1d
from sklearn.utils.validation import validate_data

from .._backend import is_cupy_array

FLOAT_DTYPES = (np.float64, np.float32)


def check_samples(X, *, ensure_min_samples=1, input_name="X", allow_nan=False):
    """Validate a 2-D array of finite floats without touching any estimator.

    NumPy-compatible input goes through :func:`sklearn.utils.check_array`;
    CuPy arrays are checked on the device (never copied to the host).

    Parameters
    ----------
    X : array-like or cupy.ndarray of shape (n_samples, n_features)
    ensure_min_samples : int, default=1
    input_name : str, default="X"
    allow_nan : bool, default=False
        Accept NaN as a missing value (infinity stays an error), but no row
        whose every value is missing.

    Returns
    -------
    X : ndarray or cupy.ndarray of dtype float32 or float64
    """
    if not is_cupy_array(X):
        check_feature_names(X)
        X = check_array(
            X,
            dtype=list(FLOAT_DTYPES),
            ensure_min_samples=ensure_min_samples,
            input_name=input_name,
            ensure_all_finite="allow-nan" if allow_nan else True,
        )
        if allow_nan:
            check_no_empty_rows(X, input_name)
        return X
    import cupy

    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array for {input_name}, got a {X.ndim}D array instead. "
            "Reshape your data using array.reshape(-1, 1) if it has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
        )
    if X.dtype not in FLOAT_DTYPES:
        X = X.astype(cupy.float64)
    if X.shape[0] < ensure_min_samples:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
            f"minimum of {ensure_min_samples} is required."
        )
    if allow_nan:
        if bool(cupy.isinf(X).any()):
            raise ValueError(f"Input {input_name} contains infinity.")
        check_no_empty_rows(X, input_name)
    elif not bool(cupy.isfinite(X).all()):
        raise ValueError(f"Input {input_name} contains NaN or infinity.")
    return X


def check_no_empty_rows(X, input_name="X"):
    """Raise for rows whose every value is missing (NaN): they carry no
    information a likelihood could use."""
    if X.shape[1] == 0 or X.shape[0] == 0:
        return
    empty = X != X  # NaN, on X's device
    empty = empty.all(axis=1)
    if bool(empty.any()):
        rows = np.flatnonzero(empty.get() if hasattr(empty, "get") else empty)
        raise ValueError(
            f"{input_name} has {rows.size} row(s) whose every value is missing "
            f"(NaN), e.g. row {rows[0]}; drop them before fitting or scoring."
        )


def check_sample_weight(sample_weight, n_samples):
    """Non-negative finite frequency weights, one per row, not all zero.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64
    """
    sample_weight = check_array(
        sample_weight, dtype=np.float64, ensure_2d=False, input_name="sample_weight"
    )
    if sample_weight.ndim != 1:
        raise ValueError(
            "sample_weight must be 1-dimensional, one weight per row; got shape "
            f"{sample_weight.shape}."
        )
    if sample_weight.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sample_weight.shape[0]} values but X has "
            f"{n_samples} rows."
        )
    if np.any(sample_weight < 0):
        raise ValueError("sample_weight must be non-negative; got negative weights.")
    if not np.any(sample_weight > 0):
        raise ValueError(
            "Sample weights must contain at least one non-zero number (all "
            "weights are zero)."
        )
    return sample_weight


class _FeatureNameProbe(BaseEstimator):
    """Receives scikit-learn's feature-name bookkeeping in place of a model."""


def check_feature_names(X):
    """Raise scikit-learn's error for unusable column names (e.g. mixed str
    and int) now, before a fit changes any state, rather than in
    :func:`record_input_features` at its end."""
    if hasattr(X, "columns"):
        validate_data(_FeatureNameProbe(), X, reset=True, skip_check_array=True)


def check_fitted_input(estimator, X, allow_nan=False):
    """Validate `X` for a fitted estimator: dtype, finiteness (NaN allowed as
    missing if `allow_nan`, except in a whole row), feature count."""
    if not is_cupy_array(X):
        X = validate_data(
            estimator, X, reset=False, dtype=list(FLOAT_DTYPES),
            ensure_all_finite="allow-nan" if allow_nan else True,
        )  # fmt: skip
        if allow_nan:
            check_no_empty_rows(X)
        return X
    X = check_samples(X, allow_nan=allow_nan)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    return X


def record_input_features(estimator, X):
    """Set ``n_features_in_`` (and ``feature_names_in_``) from the raw input.

    Called at the very end of ``fit``, once everything that could fail has run,
    so a failed fit leaves an earlier fit's attributes as they were.
    """
    validate_data(estimator, X, reset=True, skip_check_array=True)


def check_param_int(value, name, min_value):
    """An integer parameter ``>= min_value`` (bools rejected)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got a bool ({value}).")
    return check_scalar(value, name, Integral, min_val=min_value)


def check_param_float(
    value, name, min_value, max_value=None, include_boundaries="both"
):
    """A real parameter between `min_value` and `max_value`.

    `include_boundaries` is "both", "left", "right" or "neither", as in
    :func:`sklearn.utils.check_scalar`.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a float, got a bool ({value}).")
    if isinstance(value, Real) and math.isnan(value):
        # NaN fails every comparison, so the range checks below would pass it.
        raise ValueError(f"{name} must be a number, got NaN.")
    return float(
        check_scalar(
            value,
            name,
            Real,
            min_val=min_value,
            max_val=max_value,
            include_boundaries=include_boundaries,
        )
    )


def check_param_option(value, name, options):
    """A string parameter among `options`."""
    if value not in options:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}."
        )
    return value


def check_real_array(value, name):
    """`value` as a float64 ndarray, refusing complex input.

    ``np.asarray(value, dtype=float)`` only warns and drops the imaginary
    part; this raises scikit-learn's "Complex data not supported" instead.
    Shape and finiteness are left to the caller.
    """
    array = np.asarray(value)
    if array.dtype.kind == "c" or (
        array.dtype == object
        and any(isinstance(item, complex | np.complexfloating) for item in array.flat)
    ):
        raise ValueError(
            f"Complex data not supported: {name} has complex values; pass its "
            "real part (np.real) or modulus (np.abs) explicitly."
        )
    return array.astype(np.float64, copy=False)


def check_param_array(value, name, shape):
    """A finite float array parameter of a given shape (copied, float64)."""
    if type(value) is np.ndarray and value.dtype.kind == "f" and value.size:
        # The common case, without check_array's input probing (0.3 ms a
        # call, several per fit of a model grid); any other input, or a
        # non-finite value, gets check_array's handling and messages.
        array = value.astype(np.float64)
        if np.isfinite(array).all():
            return _checked_shape(array, name, shape)
    array = check_array(
        value,
        dtype=np.float64,
        ensure_2d=False,
        allow_nd=True,
        input_name=name,
        copy=True,
    )
    return _checked_shape(array, name, shape)


def _checked_shape(array, name, shape):
    if array.shape != shape:
        raise ValueError(
            f"The parameter '{name}' should have the shape of {shape}, "
            f"but got {array.shape}."
        )
    return array


def check_target_given(estimator, y):
    """Raise scikit-learn's error for a supervised fit called without y."""
    if y is None:
        raise ValueError(
            f"This {type(estimator).__name__} estimator requires y to be passed, "
            "but the target y is None."
        )


def check_label_vector(estimator, y, n_samples):
    """A 1-D label vector with one label per row of X."""
    check_target_given(estimator, y)
    y = column_or_1d(y, warn=True)
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_samples} and "
            f"{y.shape[0]}."
        )
    return y


def check_n_components_grid(values):
    """Sorted distinct numbers of components from an int or a sequence.

    Raises
    ------
    ValueError
        Empty, or not integers >= 1 (bools are refused).
    """
    try:
        grid = tuple(values)
    except TypeError:
        grid = (values,)
    if not grid or not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in grid
    ):
        raise ValueError(
            "n_components must be an integer >= 1 or a non-empty sequence of "
            f"them; got {values!r}."
        )
    return sorted({int(v) for v in grid})
