"""Validation and other helpers shared by skmix estimators."""

from ._validation import (
    check_fitted_input,
    check_param_array,
    check_param_float,
    check_param_int,
    check_param_option,
    check_samples,
    record_input_features,
)

__all__ = [
    "check_fitted_input",
    "check_param_array",
    "check_param_float",
    "check_param_int",
    "check_param_option",
    "check_samples",
    "record_input_features",
]
