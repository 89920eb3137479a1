"""Validated designs of a mixture of experts: outcomes, times and covariates.

Pure functions: nothing here reads or writes an estimator, so a fit computes
its whole design before it stores anything, and a failed fit leaves a
fitted model untouched.
"""

from numbers import Integral
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.utils import check_array, column_or_1d

from ..utils import check_real_array
from ._likelihood import TrajectoryData


class TrainingDesign(NamedTuple):
    """What a fit learns from its input besides the parameters.

    Attributes
    ----------
    data : TrajectoryData
    scalar : bool
        1-D outcomes (regression) rather than trajectories.
    feature_names : ndarray of object or None
        Column names of a DataFrame X.
    covariate_means : ndarray of shape (n_features,)
    gating_columns, expert_columns : ndarray of int
        Columns of X entering the gate and the experts.
    column_scales : ndarray of shape (n_features,)
        Powers of two dividing X's columns in ``data`` (see
        :func:`column_scales`): the fit runs on that scale.
    encoder : CovariateEncoder or None
        The dummy coding of categorical columns (None: none). Names,
        columns, means and scales above are those of the encoded matrix.
    """

    data: TrajectoryData
    scalar: bool
    feature_names: np.ndarray
    covariate_means: np.ndarray
    gating_columns: np.ndarray
    expert_columns: np.ndarray
    column_scales: np.ndarray
    encoder: object


def column_scales(X):
    """A power of two per column bringing its largest magnitude into [1/2, 1).

    The fit runs on ``X / scales`` so that nothing depends on the units of
    a covariate: rank judgements, least squares and Newton steps,
    finite-difference steps of the standard errors and the fixed ridges all
    see columns of one magnitude. Powers of two make the division and the
    way back (coefficients divided by the same scales) exact. All-zero
    columns keep the scale 1.
    """
    largest = np.abs(X).max(axis=0, initial=0.0)
    _, exponent = np.frexp(largest)
    # 2**1023 is the largest finite power of two; zero columns give 2**0.
    return np.ldexp(1.0, np.minimum(exponent, 1023))


def has_full_column_rank(matrix):
    """Whether the columns of `matrix` are linearly independent, judged on
    unit-norm columns so that a column's units cannot make it look like a
    multiple of the others (NumPy's default tolerance is relative to the
    largest singular value). A zero column is dependent."""
    norms = np.linalg.norm(matrix, axis=0)
    if np.any(norms == 0):
        return False
    return np.linalg.matrix_rank(matrix / norms) == matrix.shape[1]


def select_columns(selection, name, n_features, feature_names):
    """Indices of the columns a feature selection picks (None: none; 'all')."""
    if selection is None:
        return np.empty(0, dtype=int)
    if isinstance(selection, str) and selection == "all":
        return np.arange(n_features)
    indices = []
    for column in list(selection):
        if isinstance(column, str):
            if feature_names is None or column not in feature_names:
                raise ValueError(
                    f"{name}: unknown column {column!r}; names need X as a "
                    "DataFrame with that column."
                )
            indices.append(int(np.flatnonzero(feature_names == column)[0]))
        elif isinstance(column, Integral) and -n_features <= column < n_features:
            indices.append(int(column) % n_features)
        else:
            raise ValueError(
                f"{name}: column {column!r} is not an index below "
                f"{n_features} or a column name."
            )
    return np.asarray(indices, dtype=int)


def validate_outcomes(y, time, n_subjects, default_time):
    """Zero-filled outcomes, observed mask and times, each (n, J).

    Parameters
    ----------
    y : array-like of shape (n_subjects,) or (n_subjects, n_waves)
    time : array-like of shape (n_waves,) or (n_subjects, n_waves) or None
    n_subjects : int or None
        Rows of X, when there is an X.
    default_time : ndarray, "arange" or None
        Times used when `time` is None: the fitted common times, ``0, 1, ...``
        (when fitting), or None (the model was fitted on varying times).

    Returns
    -------
    Y, mask, T : ndarray of shape (n_subjects, n_waves)
    scalar : bool
    """
    y = check_real_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)  # a column vector, not one wave
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D; got {y.ndim} dimensions.")
    scalar = y.ndim == 1
    if scalar:
        y = y[:, None]
    if n_subjects is not None and y.shape[0] != n_subjects:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n_subjects} and "
            f"{y.shape[0]}."
        )
    if np.isinf(y).any():
        raise ValueError("Input y contains infinity.")
    mask = ~np.isnan(y)
    if scalar and not mask.all():
        raise ValueError("Input y contains NaN (only trajectories may miss waves).")
    empty = np.flatnonzero(~mask.any(axis=1))
    if len(empty):
        raise ValueError(
            f"{len(empty)} subject(s) have no observed outcome (all NaN), e.g. "
            f"row {empty[0]}; drop them."
        )
    if scalar:
        if time is not None:
            raise ValueError("time is only used with 2-D (trajectory) y.")
        T = np.zeros_like(y)
    else:
        T = validate_time(time, y.shape, mask, default_time)
    return np.where(mask, y, 0.0), mask, T, scalar


#: How `time` reaches fit and score inside scikit-learn's model selection.
TIME_ROUTING_HINT = (
    "Inside GridSearchCV or cross_validate, enable metadata routing "
    "(sklearn.set_config(enable_metadata_routing=True)), request time for "
    "fit (estimator.set_fit_request(time=True)) and score with "
    "skmix.metrics.log_likelihood_scorer, which requests it; then pass "
    "time=... to the search's fit."
)


def validate_time(time, shape, mask, default_time):
    """Times of every subject's waves, zero where unobserved."""
    if time is None:
        if default_time is None:
            raise ValueError(
                "time is required: the model was fitted on individually varying "
                f"times. {TIME_ROUTING_HINT}"
            )
        if isinstance(default_time, str):  # "arange"
            default_time = np.arange(shape[1], dtype=float)
        time = default_time
    time = check_real_array(time, "time")
    if time.shape == (shape[1],):
        time = np.broadcast_to(time, shape)
    if time.shape != shape:
        raise ValueError(
            f"time must have shape (n_waves,) = ({shape[1]},) or "
            f"(n_subjects, n_waves) = {shape}; got {time.shape}."
        )
    if not np.isfinite(time[mask]).all():
        raise ValueError("time is NaN or infinite at an observed wave.")
    return np.where(mask, time, 0.0)


def gating_design(X, gating_columns):
    """The gate's design matrix: an intercept and the gating columns."""
    return np.column_stack([np.ones(len(X)), X[:, gating_columns]])


def _is_categorical(column):
    dtype = column.dtype
    return (
        isinstance(dtype, pd.CategoricalDtype)
        or dtype.kind in "OSUb"
        or (isinstance(dtype, pd.StringDtype))
    )


class CovariateEncoder:
    """R's treatment coding of a DataFrame's categorical columns.

    A categorical column (pandas ``category``, ``object``, ``string`` or
    ``bool``) becomes one 0/1 column per level but the first (the baseline),
    named column + level as R names them (``TreatmentYes``). Levels are a
    ``category``'s own order, else sorted (R's ``factor`` default). Numeric
    columns pass through.

    Parameters
    ----------
    X : DataFrame
        The training covariates.
    """

    def __init__(self, X):
        self.columns = list(X.columns)
        self.levels = {}
        for name in self.columns:
            column = X[name]
            if not _is_categorical(column):
                continue
            if column.isna().any():
                raise ValueError(
                    f"Categorical column {name!r} contains missing values."
                )
            if isinstance(column.dtype, pd.CategoricalDtype):
                levels = list(column.cat.categories)
            else:
                levels = sorted(column.unique().tolist())
            self.levels[name] = levels
        self.names, self.expansion = [], []
        for name in self.columns:
            start = len(self.names)
            if name in self.levels:
                self.names += [f"{name}{level}" for level in self.levels[name][1:]]
            else:
                self.names.append(str(name))
            self.expansion.append(np.arange(start, len(self.names)))

    def transform(self, X):
        """The encoded float matrix of a DataFrame with the training columns."""
        blocks = []
        for name in self.columns:
            column = X[name]
            if name not in self.levels:
                blocks.append(
                    check_array(
                        column.to_numpy()[:, None],
                        dtype=np.float64,
                        input_name=f"X[{name!r}]",
                    )  # fmt: skip
                )
                continue
            levels = self.levels[name]
            values = column.to_numpy()
            unknown = ~pd.Series(values).isin(levels).to_numpy()
            if unknown.any():
                raise ValueError(
                    f"Column {name!r} has level {values[unknown][0]!r}, unseen in "
                    f"fit (levels {levels})."
                )
            blocks.append(
                np.column_stack([values == level for level in levels[1:]]).astype(
                    np.float64
                ) if len(levels) > 1 else np.empty((len(values), 0))
            )  # fmt: skip
        return np.column_stack(blocks) if blocks else np.empty((len(X), 0))

    def expand(self, columns):
        """Encoded columns of original columns (all of a categorical's)."""
        if len(columns) == 0:
            return np.empty(0, dtype=int)
        return np.concatenate([self.expansion[c] for c in columns]).astype(int)


class Covariates(NamedTuple):
    """A fit's covariates: the float matrix (categoricals dummy-coded), its
    column names (None for an array X), the gate's and experts' columns of
    that matrix, and the encoder (None when nothing is categorical)."""

    matrix: np.ndarray
    names: np.ndarray
    gating_columns: np.ndarray
    expert_columns: np.ndarray
    encoder: object


def training_covariates(X, y, gating_features, expert_features):
    """Validate and encode a fit's covariates; select the gate's and the
    experts' columns (a categorical column selects all its dummies)."""
    if X is None:
        if gating_features is not None or expert_features is not None:
            raise ValueError(
                "X is None but gating_features/expert_features select "
                "columns; pass X, or set both to None."
            )
        empty = np.empty(0, dtype=int)
        n_rows = len(np.asarray(y))
        return Covariates(np.empty((n_rows, 0)), None, empty, empty, None)
    names = getattr(X, "columns", None)
    names = np.asarray(names, dtype=object) if names is not None else None
    encoder = None
    if names is not None and any(_is_categorical(X[c]) for c in X.columns):
        encoder = CovariateEncoder(X)
        matrix = encoder.transform(X)
        if len(matrix) < 2:
            raise ValueError(f"Found array with {len(matrix)} sample(s); need 2.")
    else:
        matrix = check_array(X, dtype=np.float64, input_name="X", ensure_min_samples=2)
    n_features = len(names) if names is not None else matrix.shape[1]
    columns = [
        select_columns(selection, label, n_features, names)
        for selection, label in (
            (gating_features, "gating_features"), (expert_features, "expert_features")
        )
    ]  # fmt: skip
    if encoder is not None:
        columns = [encoder.expand(c) for c in columns]
        names = np.asarray(encoder.names, dtype=object)
    return Covariates(matrix, names, *columns, encoder)


def training_design(X, y, time, gating_features, expert_features):
    """The validated design of a fit.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_subjects, n_features) or None
    y : array-like of shape (n_subjects,) or (n_subjects, n_waves)
    time : array-like or None
    gating_features, expert_features : selections of X's columns

    Returns
    -------
    TrainingDesign
        Its ``data`` hold the covariates on the fitting scale, X's columns
        divided by ``column_scales``.
    """
    covariates = training_covariates(X, y, gating_features, expert_features)
    X, names = covariates.matrix, covariates.names
    gating_columns, expert_columns = (
        covariates.gating_columns,
        covariates.expert_columns,
    )
    Y, mask, T, scalar = validate_outcomes(y, time, len(X), "arange")
    scales = column_scales(X)
    scaled = X / scales
    data = TrajectoryData(
        Y, mask, T, scaled[:, expert_columns], gating_design(scaled, gating_columns)
    )
    return TrainingDesign(
        data, scalar, names, X.mean(axis=0), gating_columns, expert_columns, scales,
        covariates.encoder,
    )  # fmt: skip


class GLMDesign(NamedTuple):
    """The validated design of a fit with GLM experts.

    Attributes
    ----------
    data : GLMData
        Covariates on the fitting scale (X's columns divided by
        ``column_scales``); rows of zero weight dropped.
    feature_names, covariate_means, gating_columns, expert_columns,
    column_scales :
        As in :class:`TrainingDesign`.
    subjects : ndarray
        The distinct ``groups`` labels (subject ``g`` is ``subjects[g]``),
        or None when every row is a subject.
    """

    data: object
    feature_names: np.ndarray
    covariate_means: np.ndarray
    gating_columns: np.ndarray
    expert_columns: np.ndarray
    column_scales: np.ndarray
    subjects: np.ndarray
    encoder: object


def check_row_vector(values, name, n_rows, default):
    """A finite float vector with one value per row (``default`` if None)."""
    if values is None:
        return np.full(n_rows, default, dtype=np.float64)
    values = check_real_array(values, name)
    if values.ndim != 1 or len(values) != n_rows:
        raise ValueError(
            f"{name} must have one value per row of X: shape ({n_rows},); got "
            f"{values.shape}."
        )
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return values


def subject_index(groups, n_rows):
    """Subject labels and each row's subject index (None: a row each)."""
    if groups is None:
        return None, np.arange(n_rows)
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n_rows:
        raise ValueError(
            f"groups must have one subject id per row: shape ({n_rows},); got "
            f"{groups.shape}."
        )
    if groups.dtype.kind == "f" and np.isnan(groups).any():
        raise ValueError("groups contains NaN; every row needs a subject id.")
    subjects, index = np.unique(groups, return_inverse=True)
    return subjects, index.ravel()


def per_subject(values, subject, n_subjects, name, what):
    """The one value each subject's rows share; an error naming the first
    subject whose rows disagree."""
    first = np.full(n_subjects, -1)
    first[subject[::-1]] = np.arange(len(subject))[::-1]
    shared = values[first]
    disagree = np.flatnonzero(np.any(
        np.reshape(values != shared[subject], (len(subject), -1)), axis=1
    ))  # fmt: skip
    if len(disagree):
        raise ValueError(
            f"The rows of a subject (groups) must share their {name}: row "
            f"{disagree[0]} differs from row {first[subject[disagree[0]]]} of the "
            f"same subject. {what}"
        )
    return shared


def glm_rows(X, y, *, family, expert_columns, gating_columns, offset=None,
             trials=None, groups=None, sample_weight=None):  # fmt: skip
    """Validated rows of GLM experts from a float X (fitting or original
    scale): rows of zero weight dropped, and ``groups`` making the rows of
    one subject share a class, its gating covariates and its weight.

    Returns
    -------
    data : GLMData
    subjects : ndarray or None
        The distinct ``groups`` labels (subject ``g`` is ``subjects[g]``).
    """
    from ..utils import check_sample_weight
    from ._glm import GLMData, membership_matrix

    n = len(X)
    y = check_real_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim != 1:
        raise ValueError(
            f"family={family.name!r} experts take one outcome per row (1-D y); "
            f"got y of shape {y.shape}. Trajectories (2-D y) are Gaussian "
            "growth models: use family='gaussian' without groups, offset or "
            "sample_weight, or pass the waves as rows with groups=subject ids."
        )
    if len(y) != n:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: {n} and {len(y)}."
        )
    if not np.isfinite(y).all():
        raise ValueError("Input y contains NaN or infinity.")
    if trials is not None and family.name != "binomial":
        raise ValueError(
            f"trials is only used by family='binomial', not {family.name!r}."
        )
    offset = check_row_vector(offset, "offset", n, 0.0)
    trials = check_row_vector(trials, "trials", n, 1.0)
    family.validate(y, trials)
    weight = (
        np.ones(n) if sample_weight is None else check_sample_weight(sample_weight, n)
    )
    subjects, subject = subject_index(groups, n)
    kept = weight > 0
    if not kept.all():
        X, y, offset, trials, weight = (a[kept] for a in (X, y, offset, trials, weight))
        subject = subject[kept]
        if subjects is None:
            subject = np.arange(len(y))
        else:
            present, subject = np.unique(subject, return_inverse=True)
            subjects, subject = subjects[present], subject.ravel()
    n_subjects = len(subjects) if subjects is not None else len(y)
    Z = gating_design(X, gating_columns)
    what = "The gate (and a frequency weight) is per subject."
    if subjects is not None:
        Z = per_subject(Z, subject, n_subjects, "gating covariates", what)
        subject_weights = per_subject(
            weight, subject, n_subjects, "sample_weight", what
        )
        membership = membership_matrix(subject, n_subjects)
    else:
        subject_weights, membership = weight, None
    data = GLMData(
        y, np.column_stack([np.ones(len(y)), X[:, expert_columns]]), offset,
        trials, subject, Z, subject_weights, membership,
    )  # fmt: skip
    return data, subjects


def glm_training_design(X, y, *, family, gating_features, expert_features,
                        **rows):  # fmt: skip
    """The validated design of a fit with GLM experts (1-D ``y``); ``rows``
    are :func:`glm_rows`'s offset, trials, groups and sample_weight.

    Returns
    -------
    GLMDesign
    """
    covariates = training_covariates(X, y, gating_features, expert_features)
    X, names = covariates.matrix, covariates.names
    gating_columns, expert_columns = (
        covariates.gating_columns,
        covariates.expert_columns,
    )
    scales = column_scales(X)
    data, subjects = glm_rows(
        X / scales, y, family=family, expert_columns=expert_columns,
        gating_columns=gating_columns, **rows,
    )  # fmt: skip
    if len(data.y) < 2:
        raise ValueError(f"Need at least 2 rows of positive weight; got {len(data.y)}.")
    weight = rows.get("sample_weight")
    # No covariates (X=None): no means (np.average divides by the width).
    means = np.zeros(0) if X.shape[1] == 0 else np.average(
        X, axis=0, weights=None if weight is None else np.asarray(
            weight, dtype=np.float64
        ),
    )  # fmt: skip
    return GLMDesign(
        data, names, means, gating_columns, expert_columns, scales, subjects,
        covariates.encoder,
    )  # fmt: skip
