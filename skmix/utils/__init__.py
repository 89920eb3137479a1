"""Validation and other helpers shared by skmix estimators."""

from ._plotting import axes_or_new
from ._validation import (
    check_feature_names,
    check_fitted_input,
    check_label_vector,
    check_n_components_grid,
    check_param_array,
    check_param_float,
    check_param_int,
    check_param_option,
    check_real_array,
    check_sample_weight,
    check_samples,
    check_target_given,
    record_input_features,
)

__all__ = [
    "axes_or_new",
    "check_feature_names",
    "check_fitted_input",
    "check_label_vector",
    "check_param_array",
    "check_param_float",
    "check_n_components_grid",
    "check_param_int",
    "check_param_option",
    "check_real_array",
    "check_sample_weight",
    "check_samples",
    "check_target_given",
    "record_input_features",
]
