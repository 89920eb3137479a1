"""Row sources: the one place that knows where rows live.

Rows may be an in-memory NumPy or CuPy array, a ``numpy.memmap`` larger than
memory, or a Dask array spread over a cluster. A :class:`RowSource` runs the
two things estimators do with rows — a row-wise computation (prediction,
scoring) and the E-step statistics of a Gaussian stack — in the way that
kind of rows needs: whole, chunk by chunk, or lazily block by block on the
workers. :func:`rowwise` gives any fitted estimator's row-wise method that
behaviour, so laziness and bounded memory are not re-implemented per
estimator.
"""

import functools
import operator
import warnings
from abc import ABC, abstractmethod

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from .._backend import resolve_backend
from ..utils import check_sample_weight, check_samples
from ._missing import MissingPatterns, MissingScorer, has_missing

#: Rows per chunk when a memory map is scored chunk by chunk.
DEFAULT_CHUNK_SIZE = 65536
#: Rows drawn across blocks for k-means/k-means++ starts on a Dask array.
INIT_SAMPLE_SIZE = 50_000


def is_dask_array(X):
    """Whether `X` is a ``dask.array.Array`` (without importing Dask)."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def is_memmap(X):
    """Whether `X` is a ``numpy.memmap`` (scored chunk by chunk)."""
    return isinstance(X, np.memmap)


def check_dask_samples(X, *, ensure_min_samples=1, allow_nan=False):
    """Validate a Dask array lazily where possible.

    Rows stay chunked; features are gathered into one chunk per block (a
    block's E-step needs whole rows). Finiteness is checked in one pass
    (with `allow_nan`, NaN is a missing value, but not a whole row of them).

    Returns
    -------
    X : dask.array.Array of float32 or float64
    """
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D array for X, got a {X.ndim}D array instead. Reshape "
            "your data using array.reshape(-1, 1) if it has a single feature."
        )
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported: X has dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if any(np.isnan(size) for size in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    if X.shape[0] < ensure_min_samples:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
            f"minimum of {ensure_min_samples} is required."
        )
    if allow_nan:
        import dask

        infinite, empty = dask.compute(da.isinf(X).any(), da.isnan(X).all(axis=1).any())
        if infinite:
            raise ValueError("Input X contains infinity.")
        if empty:
            raise ValueError(
                "X has rows whose every value is missing (NaN); drop them "
                "before fitting or scoring."
            )
    elif not bool(da.isfinite(X).all().compute()):
        raise ValueError("Input X contains NaN or infinity.")
    return X


def training_rows(X, backend, *, ensure_min_samples=1, sample_weight=None,
                  missing=False):  # fmt: skip
    """Validated training rows: a Dask array stays distributed, anything else
    is checked and placed on the backend's device once.

    Rows of zero `sample_weight` are dropped (a weight of zero is the row's
    absence); `missing` accepts NaN as missing values.
    """
    if is_dask_array(X):
        X, sample_weight = _dask_weighted(X, sample_weight)
        X = check_dask_samples(
            X, ensure_min_samples=ensure_min_samples, allow_nan=missing
        )
        return DaskRows(X, sample_weight, missing)
    X = check_samples(X, ensure_min_samples=ensure_min_samples, allow_nan=missing)
    check_magnitude(X)
    kept, n_given = None, X.shape[0]
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, X.shape[0])
        if not sample_weight.all():
            kept = np.flatnonzero(sample_weight)
            X, sample_weight = X[kept], sample_weight[kept]
        if X.shape[0] < ensure_min_samples:
            raise ValueError(
                f"Found {X.shape[0]} row(s) of non-zero sample_weight while a "
                f"minimum of {ensure_min_samples} is required."
            )
        # float64 whatever X's dtype: float32 would round large weights.
        sample_weight = backend.asarray(sample_weight)
    rows = InMemoryRows(backend.asarray(X), sample_weight, kept, n_given)
    if missing and has_missing(rows.X):
        check_observed_features(rows.X)
        rows.patterns = MissingPatterns.from_rows(rows.X, backend.xp, sample_weight)
    return rows


def _dask_weighted(X, sample_weight):
    """A Dask array's rows of non-zero weight, and their weights as a Dask
    array chunked like the rows (lazy, but checked now)."""
    if sample_weight is None:
        return X, None
    import dask
    import dask.array as da

    weight = da.asarray(sample_weight)
    if weight.ndim != 1 or weight.shape[0] != X.shape[0]:
        raise ValueError(
            f"sample_weight must have one value per row of X ({X.shape[0]}); got "
            f"shape {weight.shape}."
        )
    weight = weight.astype(np.float64).rechunk((X.chunks[0],))
    low, positive, finite = dask.compute(
        weight.min(), (weight > 0).any(), da.isfinite(weight).all()
    )
    if not finite:
        raise ValueError("Input sample_weight contains NaN or infinity.")
    if low < 0:
        raise ValueError("sample_weight must be non-negative; got negative weights.")
    if not positive:
        raise ValueError(
            "Sample weights must contain at least one non-zero number (all "
            "weights are zero)."
        )
    if low == 0:
        keep = weight > 0
        X, weight = X[keep], weight[keep]
        X = X.compute_chunk_sizes()
        weight = weight.compute_chunk_sizes().rechunk((X.chunks[0],))
    return X, weight


def check_observed_features(X):
    """Raise for a feature observed in fewer than two rows: its mean and
    variance are not identified from the data."""
    observed = (X == X).sum(axis=0)
    observed = np.asarray(observed.get() if hasattr(observed, "get") else observed)
    if observed.min() < 2:
        feature = int(np.argmin(observed))
        raise ValueError(
            f"Feature {feature} is observed in {int(observed[feature])} row(s) "
            "(of non-zero weight); every feature needs at least 2 observed "
            "values. Drop it, or the rows that are all missing on it."
        )


def magnitude_limit(dtype, n_features):
    """Largest ``|x|`` whose squared distances to anything as large stay
    finite in `dtype`: ``sqrt(max / (4 d))`` (1e154 / sqrt(d) in float64)."""
    return float(np.sqrt(np.finfo(dtype).max / (4 * max(n_features, 1))))


def check_magnitude(X):
    """Reject rows too large for the Gaussian kernels (a clear error instead
    of infinite log-densities)."""
    if X.size == 0 or not np.issubdtype(X.dtype, np.floating):
        return
    limit = magnitude_limit(X.dtype, X.shape[1])
    # nanmax: a missing value (NaN) must not hide a huge one.
    largest = float(np.nanmax(abs(X)))
    if largest > limit:
        raise ValueError(
            f"X has values of magnitude up to {largest:.3g}; squared distances "
            f"would overflow {X.dtype.name} (supported: |x| < {limit:.3g} for "
            f"{X.shape[1]} features). Rescale the data."
        )


def as_rows(X, chunk_size=None):
    """The :class:`RowSource` for `X`.

    Parameters
    ----------
    X : array-like, numpy.memmap, cupy.ndarray or dask.array.Array
    chunk_size : int, default=None
        Rows per chunk for a memory map (:data:`DEFAULT_CHUNK_SIZE` if None).
    """
    if is_dask_array(X):
        return DaskRows(X)
    if is_memmap(X):
        return ChunkedRows(X, chunk_size or DEFAULT_CHUNK_SIZE)
    return InMemoryRows(X)


class RowSource(ABC):
    """Rows of one kind, and how row-wise work runs over them.

    Training rows (:func:`training_rows`) are in memory or on Dask: a memory
    map is fitted as one array, which the kernels stream through and the
    operating system pages; chunking serves scoring, whose outputs would
    otherwise hold (n_samples, n_components) intermediates.
    """

    def __init__(self, X):
        self.X = X

    @property
    def shape(self):
        return self.X.shape

    @abstractmethod
    def map(self, function, *, n_features, n_columns=None, dtype=np.float64,
            n_outputs=1):  # fmt: skip
        """``function`` applied to the rows.

        It returns one value per row (``n_columns=None``) or ``n_columns``
        values per row; or, with ``n_outputs > 1``, a tuple of that many
        such arrays (of the same ``n_columns`` and `dtype`).
        """

    # Training sources also have ``sample_weight`` (None, or one frequency
    # weight per row) and define:
    # e_step_statistics(backend, scorer, shift): the summed (weighted)
    #     GaussianStatistics of every row;
    # sample(n_rows, random_state): at most n_rows rows in memory, drawn
    #     uniformly (for starts), and their weights;
    # weighted_moments(): the rows' weighted mean and variance per feature,
    #     over the values present.


class InMemoryRows(RowSource):
    """A NumPy or CuPy array: one call over all rows, on the array's device.

    Attributes
    ----------
    sample_weight : array of shape (n_rows,) or None
        On the rows' device.
    kept : ndarray of int or None
        Which rows of the caller's X these are (None: all), when rows of
        zero weight were dropped.
    n_given : int
        Rows of the caller's X.
    patterns : MissingPatterns or None
        The rows grouped by missingness pattern, if any value is missing.
    """

    def __init__(self, X, sample_weight=None, kept=None, n_given=None):
        super().__init__(X)
        self.sample_weight = sample_weight
        self.kept = kept
        self.n_given = X.shape[0] if n_given is None else n_given
        self.patterns = None

    def map(self, function, *, n_features, n_columns=None, dtype=np.float64,
            n_outputs=1):  # fmt: skip
        return function(self.X)

    def e_step_statistics(self, backend, scorer, shift):
        if self.patterns is not None:
            return MissingScorer(scorer).e_step_statistics(
                backend, self.patterns, shift
            )
        return scorer.e_step_statistics(backend, self.X, shift, self.sample_weight)

    def sample(self, n_rows, random_state):
        return self.X, self.sample_weight

    def weighted_moments(self):
        return _weighted_feature_moments(self.X, self.sample_weight)


def _weighted_feature_moments(X, weight):
    """Per-feature (weighted) mean and population variance over the values
    present, for NumPy, CuPy or Dask rows (lazy for Dask)."""
    present = ~np.isnan(X)
    values = np.where(present, X, 0.0)
    weights = present * (1.0 if weight is None else weight[:, None])
    total = weights.sum(axis=0)
    mean = (weights * values).sum(axis=0) / total
    variance = (weights * (values - mean) ** 2).sum(axis=0) / total
    return mean, variance


class ChunkedRows(RowSource):
    """A memory map: chunks of ``chunk_size`` rows, one at a time.

    Only one chunk (and its results) is in memory at once, besides the output.
    """

    def __init__(self, X, chunk_size):
        super().__init__(X)
        self.chunk_size = chunk_size

    def chunks(self):
        for start in range(0, self.X.shape[0], self.chunk_size):
            yield np.asarray(self.X[start : start + self.chunk_size])

    def map(self, function, *, n_features, n_columns=None, dtype=np.float64,
            n_outputs=1):  # fmt: skip
        if self.X.shape[0] == 0:
            return function(np.asarray(self.X))
        parts = [function(chunk) for chunk in self.chunks()]
        if n_outputs == 1:
            return np.concatenate(parts)
        return tuple(np.concatenate(output) for output in zip(*parts, strict=True))


class DaskRows(RowSource):
    """A Dask array: block-wise tasks on the workers, lazy results.

    Attributes
    ----------
    sample_weight : dask.array.Array or None
        Chunked like the rows.
    missing : bool
        Blocks may hold NaN as missing values.
    """

    kept = None

    @property
    def n_given(self):
        return self.X.shape[0]

    def __init__(self, X, sample_weight=None, missing=False):
        super().__init__(X)
        self.sample_weight = sample_weight
        self.missing = missing

    def weighted_moments(self):
        return _weighted_feature_moments(self.X, self.sample_weight)

    def map(self, function, *, n_features, n_columns=None, dtype=np.float64,
            n_outputs=1):  # fmt: skip
        X = self.X
        if X.ndim != 2 or X.shape[1] != n_features:
            raise ValueError(
                f"X has shape {X.shape}, but the model is expecting {n_features} "
                "features as input."
            )
        if len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})

        def on_block(block):
            return function(np.asarray(block))

        if n_outputs == 1:
            if n_columns is None:
                return X.map_blocks(on_block, drop_axis=1, dtype=dtype)
            return X.map_blocks(
                on_block, dtype=dtype, chunks=(X.chunks[0], (n_columns,))
            )
        return self._map_outputs(X, on_block, n_columns, dtype, n_outputs)

    @staticmethod
    def _map_outputs(X, on_block, n_columns, dtype, n_outputs):
        """Several lazy outputs from one task per block."""
        import dask.array as da
        from dask import delayed

        outputs = [[] for _ in range(n_outputs)]
        for block, n_rows in zip(X.to_delayed().ravel(), X.chunks[0], strict=True):
            result = delayed(on_block)(block)
            shape = (n_rows,) if n_columns is None else (n_rows, n_columns)
            for i in range(n_outputs):
                outputs[i].append(da.from_delayed(result[i], shape=shape, dtype=dtype))
        return tuple(da.concatenate(parts) for parts in outputs)

    def e_step_statistics(self, backend, scorer, shift):
        """Each block's statistics where it lives, summed in a tree; the
        client receives one ``GaussianStatistics``."""
        from dask import delayed

        # One graph key for the parameters, shared by every block's task.
        parameters = delayed(
            (scorer, np.asarray(shift, dtype=self.X.dtype), self.missing), pure=True
        )
        blocks = self.X.to_delayed().ravel()
        weights = [None] * len(blocks)
        if self.sample_weight is not None:
            weights = self.sample_weight.to_delayed().ravel()
        parts = [
            delayed(_block_e_step)(block, weight, backend.name, parameters)
            for block, weight in zip(blocks, weights, strict=True)
        ]
        return tree_sum(parts).compute()

    def sample(self, n_rows, random_state):
        """Rows drawn across all blocks (every row, and no draw, if few),
        and their weights."""
        import dask

        X, weight = self.X, self.sample_weight
        if n_rows < X.shape[0]:
            rows = np.sort(random_state.choice(X.shape[0], size=n_rows, replace=False))
            X = X[rows]
            weight = None if weight is None else weight[rows]
        X, weight = dask.compute(X, weight)
        return np.asarray(X), None if weight is None else np.asarray(weight)


def _block_e_step(block, weight, backend_name, parameters):
    scorer, shift, missing = parameters
    backend = resolve_backend(backend_name)
    block = backend.asarray(np.ascontiguousarray(block))
    if weight is not None:
        weight = backend.asarray(weight, dtype=block.dtype)
    with backend.compute_context():
        if missing and has_missing(block):
            patterns = MissingPatterns.from_rows(block, backend.xp, weight)
            return MissingScorer(scorer).e_step_statistics(backend, patterns, shift)
        return scorer.e_step_statistics(backend, block, shift, weight)


def tree_sum(parts):
    """Pairwise (tree) reduction of delayed objects with ``+``."""
    from dask import delayed

    while len(parts) > 1:
        pairs = [
            delayed(operator.add)(parts[i], parts[i + 1])
            for i in range(0, len(parts) - 1, 2)
        ]
        parts = pairs + ([parts[-1]] if len(parts) % 2 else [])
    return parts[0]


# scikit-learn's warning for nameless rows scored by a model fitted on a
# DataFrame; it is given once per call, not once per chunk.
_NO_FEATURE_NAMES = "X does not have valid feature names"


def _check_feature_names_once(estimator, X):
    """Feature count and names of chunked or lazy input, checked once.

    A one-row stand-in of X's width gets scikit-learn's own checks (and its
    warning for nameless input) without reading or computing any row.
    """
    if X.ndim == 2:
        validate_data(estimator, np.zeros((1, X.shape[1])), reset=False)


def rowwise(n_columns=None, dtype=np.float64, n_outputs=1):
    """Decorator: a fitted estimator's row-wise method for every kind of rows.

    On a Dask array the method runs lazily on each block (the result is a
    Dask array); on a memory map it runs chunk by chunk (``chunk_size`` of
    the estimator if it has one); other input goes straight to the method.

    Parameters
    ----------
    n_columns : int, callable or None
        Values per row (None: one), or ``estimator -> int``.
    dtype : dtype or callable
        Result dtype, or ``estimator -> dtype`` (declared to Dask).
    n_outputs : int or callable, default=1
        Arrays the method returns, or ``(estimator, *args, **kwargs) -> int``
        (e.g. 2 for ``predict(X, return_std=True)``).
    """

    def resolve(value, estimator):
        # A dtype such as np.float64 is callable too: only functions are hooks.
        if callable(value) and not isinstance(value, type):
            return value(estimator)
        return value

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, X, *args, **kwargs):
            if not (is_dask_array(X) or is_memmap(X)):
                return method(self, X, *args, **kwargs)
            check_is_fitted(self)
            _check_feature_names_once(self, X)
            rows = as_rows(X, getattr(self, "chunk_size", None))
            outputs = n_outputs
            if callable(n_outputs):
                outputs = n_outputs(self, *args, **kwargs)

            def on_block(block):
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=_NO_FEATURE_NAMES)
                    return method(self, block, *args, **kwargs)

            return rows.map(
                on_block,
                n_features=self.n_features_in_,
                n_columns=resolve(n_columns, self),
                dtype=resolve(dtype, self),
                n_outputs=outputs,
            )

        return wrapper

    return decorate
