"""Checks every skmix estimator must pass, discovered rather than listed.

scikit-learn's estimator checks run on every estimator x backend; the
project's own contract is checked by capability: backend agreement,
array kinds (memmap chunks, lazy Dask results), failure atomicity,
parameter validation and partial_fit. Adjustments an estimator needs are in
the tables below, each with its reason.
"""

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import skmix
from skmix import VALID_BACKENDS
from skmix._backend import available_backends
from skmix.utils.discovery import all_estimators

ESTIMATORS = dict(all_estimators())

#: Constructor arguments for the checks, with why.
CHECK_PARAMS = {
    # A small grid keeps sklearn's many fits quick.
    "GaussianMixtureSelector": dict(
        n_components=(1, 2), covariance_types=("full", "diag")
    ),
    "OpenSetGMMDetector": dict(n_components=(1, 2)),
    # Fixed settings skip the validation-split search (OpenSetGMMDetector's
    # checks run it), which keeps the many small fits quick.
    "GaussianMixtureNoveltyDetector": dict(
        n_components=(1, 2), covariance_type="full", reg_covar=1e-3
    ),
    # sklearn's checks use {-1, 1} as class labels, which the default
    # unlabelled marker (-1) would read as unlabelled rows.
    "SemiSupervisedGMM": dict(unlabelled_label=None),
    # One class: sklearn's checks fit 10-row data sets with up to 10
    # covariates, too few subjects for two gated classes (a clear error,
    # tested in tests/experts).
    "MixtureOfExpertsRegressor": dict(n_components=1),
}
_OPEN_SET_NOT_A_CLASSIFIER = (
    "decision_function is the novelty margin (negative for novel rows), as "
    "in scikit-learn's novelty detectors, not a class score; predict "
    "returns the novelty label for novel rows. The estimator is "
    "classifier-typed so that model selection stratifies its folds; class "
    "predictions are tested in tests/novelty/test_open_set.py."
)
#: scikit-learn checks an estimator is expected to fail, with why.
EXPECTED_FAILED_CHECKS = {
    "GaussianMixtureSelector": {
        "check_sample_weight_equivalence_on_dense_data": (
            "The hierarchical start ignores the weights (as GaussianMixture's "
            "and mclust's do) and, like every start, numbers the components by "
            "row order, which the check shuffles: the weighted and repeated "
            "fits reach other optima or permuted components. Equivalence from "
            "agreeing starts is tested in tests/mixture/test_selection.py."
        ),
    },
    "MixtureOfExpertsRegressor": {
        "check_sample_weight_equivalence_on_dense_data": (
            "The check's data have 30 covariates (each in the gate and the "
            "experts) and fewer rows than the 32 one class needs, so both fits "
            "refuse them (a clear error). Weighted against repeated rows is "
            "tested in tests/experts/test_glm_experts.py."
        ),
    },
    "OpenSetGMMDetector": {
        **{
            check: _OPEN_SET_NOT_A_CLASSIFIER
            for check in (
                "check_classifiers_classes",
                # scikit-learn < 1.7 runs it on a binary problem: the novelty
                # margin does not rank rows as the class posterior does.
                "check_decision_proba_consistency",
                "check_classifiers_train",
                "check_classifiers_train(readonly_memmap=True)",
                "check_classifiers_train(readonly_memmap=True,X_dtype=float32)",
            )
        },
        "check_sample_weight_equivalence_on_dense_data": (
            "The calibration and validation splits draw whole rows (each with "
            "its weight), not copies of rows, so a row of weight 3 and three "
            "repeated rows are split differently; and a class with a single "
            "row of non-zero weight cannot be fitted (GaussianMixture needs "
            "two rows), while its repeated copies can. Equivalence without "
            "splits is tested in tests/novelty/test_open_set.py."
        ),
    },
}
#: Estimators that run on NumPy only, with why.
NUMPY_ONLY = {
    # Many small per-subject matrices, which batched LAPACK already handles.
    "MixtureOfExpertsRegressor",
}
#: Estimators whose rows carry row-aligned extras (y, time) in predict-like
#: methods, so they take in-memory arrays only (doc/design.rst, row sources).
IN_MEMORY_ONLY = {"MixtureOfExpertsRegressor"}

PREDICT_METHODS = (
    "score_samples",
    "predict",
    "predict_proba",
    "predict_component",
    "decision_function",
    "is_novel",
    "conformal_p_values",
    "predict_class_proba",
)


def _backends(name):
    return ["numpy"] if name in NUMPY_ONLY else available_backends()


def _make(name, **params):
    return ESTIMATORS[name](**{**CHECK_PARAMS.get(name, {}), **params})


def _check_instances():
    for name in ESTIMATORS:
        for backend in _backends(name):
            yield _make(name, backend=backend, random_state=0)


def test_discovery_finds_every_estimator():
    assert set(ESTIMATORS) >= {
        "GaussianMixture",
        "GaussianMixtureRegressor",
        "GaussianMixtureSelector",
        "MixtureOfExpertsRegressor",
        "OpenSetGMMDetector",
        "SemiSupervisedGMM",
    }


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    list(_check_instances()), expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# --------------------------------------------------------------------- data
def _fit_data(estimator, n_samples=300):
    """Three well separated blobs, with the target the estimator needs."""
    rng = np.random.default_rng(0)
    centres = np.array([[-5.0, 0.0, 2.0], [0.0, 5.0, -2.0], [5.0, 0.0, 0.0]])
    labels = np.arange(n_samples) % 3
    X = centres[labels] + rng.standard_normal((n_samples, 3))
    tags = estimator.__sklearn_tags__()
    if not tags.target_tags.required:
        return X, None
    if tags.estimator_type == "regressor":
        return X[:, :2], X[:, :2] @ [1.5, -0.5] + 0.1 * rng.standard_normal(n_samples)
    if hasattr(estimator, "unlabelled_label"):  # partially labelled
        y = labels.astype(float)
        y[rng.random(n_samples) < 0.4] = np.nan
        return X, y
    return X, labels


def _fit(estimator):
    X, y = _fit_data(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y), X


def _outputs(estimator, X):
    return {
        method: getattr(estimator, method)(X)
        for method in PREDICT_METHODS
        if hasattr(estimator, method)
    }


def _assert_same(actual, expected, exact=False):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    if exact or expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------ backends
@pytest.mark.parametrize(
    "name", [n for n in ESTIMATORS if "numba" in _backends(n)] or ["(none)"]
)
def test_backends_agree(name):
    """The Numba kernels give the NumPy reference's fits and predictions."""
    if "numba" not in available_backends():
        pytest.skip("numba is not importable here")
    reference, X = _fit(_make(name, backend="numpy", random_state=0))
    fast, _ = _fit(_make(name, backend="numba", random_state=0))
    assert fast.backend_ == "numba"
    expected = _outputs(reference, X)
    for method, output in _outputs(fast, X).items():
        _assert_same(output, expected[method])


@pytest.mark.parametrize("global_backend", VALID_BACKENDS)
@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_global_backend_default_fit(name, global_backend):
    """A valid global backend is a default, not a trap: an estimator left at
    backend=None fits and predicts on it (NumPy-only estimators on NumPy),
    whatever `skmix.config_context` / `set_config` / SKMIX_BACKEND says."""
    numpy_only = name in NUMPY_ONLY
    usable = ("auto", *available_backends())
    if not numpy_only and global_backend not in usable:
        pytest.skip(f"{global_backend} is not usable here (an explicit request)")
    with skmix.config_context(backend=global_backend):
        estimator, X = _fit(_make(name, random_state=0))
        _outputs(estimator, X)
    if numpy_only:
        assert estimator.backend_ == "numpy"
    elif global_backend != "auto":
        assert estimator.backend_ == global_backend


# --------------------------------------------------------------- array kinds
@pytest.mark.parametrize("name", [n for n in ESTIMATORS if n not in IN_MEMORY_ONLY])
def test_array_kinds(name, tmp_path):
    """Memory maps are scored chunk by chunk to the same results; Dask input
    gives lazy Dask results that compute to the same values."""
    estimator, X = _fit(_make(name, random_state=0, backend="numpy"))
    expected = _outputs(estimator, X)
    memmap = np.memmap(tmp_path / "X.dat", np.float64, "w+", shape=X.shape)
    memmap[:] = X
    for method, output in _outputs(estimator, memmap).items():
        _assert_same(output, expected[method], exact=True)

    da = pytest.importorskip("dask.array")
    lazy = _outputs(estimator, da.from_array(X, chunks=(70, X.shape[1])))
    for method, output in lazy.items():
        assert isinstance(output, da.Array), f"{name}.{method} computed eagerly"
        _assert_same(output.compute(), expected[method])


@pytest.mark.parametrize("name", [n for n in ESTIMATORS if n not in IN_MEMORY_ONLY])
def test_chunked_scoring_warns_about_feature_names_once(name, tmp_path, monkeypatch):
    """A model fitted on a DataFrame warns once per call about a nameless
    memory map, not once per chunk."""
    monkeypatch.setattr("skmix._core._rows.DEFAULT_CHUNK_SIZE", 50)
    estimator = _make(name, random_state=0)
    if "chunk_size" in estimator.get_params():
        estimator.set_params(chunk_size=50)
    X, y = _fit_data(estimator)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(frame, y)
    memmap = np.memmap(tmp_path / "X.dat", np.float64, "w+", shape=X.shape)
    memmap[:] = X
    for method in PREDICT_METHODS:
        if not hasattr(estimator, method):
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(estimator, method)(memmap)
        messages = [str(w.message) for w in caught]
        assert sum("valid feature names" in m for m in messages) == 1, messages


# ------------------------------------------------------------ failed calls
def _fitted_state(estimator):
    params = estimator.get_params(deep=False)
    return joblib.hash({k: v for k, v in vars(estimator).items() if k not in params})


def _float_parameters(estimator):
    return [
        key
        for key, value in estimator.get_params(deep=False).items()
        if isinstance(value, float) and not isinstance(value, bool)
    ]


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_failed_fit_leaves_model_unchanged(name):
    estimator, X = _fit(_make(name, random_state=0))
    _, y = _fit_data(estimator)
    before = _fitted_state(estimator)
    with_nan = X.copy()
    with_nan[3, 1] = np.nan
    mixed_names = pd.DataFrame(X, columns=["a", 1, "c"][: X.shape[1]])
    bad_calls = [("fit", with_nan), ("fit", mixed_names)]
    if hasattr(estimator, "partial_fit"):
        bad_calls += [
            ("partial_fit", with_nan),
            ("partial_fit", np.hstack([X, X])),
            ("partial_fit", mixed_names),
        ]
    for method, bad_X in bad_calls:
        with pytest.raises((ValueError, TypeError)):
            getattr(estimator, method)(bad_X, y)
        assert _fitted_state(estimator) == before, f"{method} on bad input changed it"
    if hasattr(estimator, "partial_fit") and hasattr(estimator, "weights_init"):
        fresh = _make(name, random_state=0)  # a first partial_fit must not half-fit
        for bad_X in (with_nan, mixed_names):
            with pytest.raises((ValueError, TypeError)):
                fresh.partial_fit(bad_X, y)
            assert _fitted_state(fresh) == joblib.hash({}), "left half-fitted"
    for key in _float_parameters(estimator):
        good = estimator.get_params()[key]
        estimator.set_params(**{key: np.nan})
        with pytest.raises(ValueError, match=key):
            estimator.fit(X, y)
        estimator.set_params(**{key: good})
        assert _fitted_state(estimator) == before, f"fit with {key}=nan changed it"


@pytest.mark.parametrize(
    "name", [n for n in ESTIMATORS if hasattr(ESTIMATORS[n], "partial_fit")]
)
def test_partial_fit_checks_feature_names(name):
    """A batch whose columns are renamed or reordered is refused, not folded in."""
    estimator = _make(name, random_state=0)
    X, y = _fit_data(estimator)
    columns = [f"f{i}" for i in range(X.shape[1])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(pd.DataFrame(X, columns=columns), y)
    before = _fitted_state(estimator)
    for batch in (
        pd.DataFrame(X[:, ::-1], columns=columns[::-1]),
        pd.DataFrame(X, columns=[c.upper() for c in columns]),
    ):
        with pytest.raises(ValueError, match="feature names"):
            estimator.partial_fit(batch, y)
        assert _fitted_state(estimator) == before


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_nan_float_parameters_are_rejected(name):
    """NaN passes every range comparison, so it must be caught explicitly."""
    estimator = _make(name, random_state=0)
    X, y = _fit_data(estimator)
    keys = _float_parameters(estimator)
    assert keys, "every estimator here has a float parameter"
    for key in keys:
        with pytest.raises(ValueError, match=key):
            _make(name, random_state=0, **{key: float("nan")}).fit(X, y)


# --------------------------------------------------------------- partial_fit
@pytest.mark.parametrize(
    "name", [n for n in ESTIMATORS if hasattr(ESTIMATORS[n], "partial_fit")]
)
def test_partial_fit_from_scratch_is_one_em_iteration(name):
    """A first partial_fit draws the same start as fit and takes one EM step;
    a Dask batch gives the same model as the in-memory batch."""
    estimator = _make(name, random_state=0)
    X, y = _fit_data(estimator)
    if not hasattr(estimator, "weights_init"):
        pytest.skip(f"{name}.partial_fit updates a fitted model only")
    streamed = _make(name, random_state=0).partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one_step = _make(name, random_state=0, max_iter=1).fit(X, y)
    da = pytest.importorskip("dask.array")
    dask_batch = _make(name, random_state=0).partial_fit(
        da.from_array(X, chunks=(70, X.shape[1])), y
    )
    for attribute in ("weights_", "means_", "covariances_"):
        expected = getattr(one_step, attribute)
        np.testing.assert_allclose(getattr(streamed, attribute), expected, rtol=1e-10)
        np.testing.assert_allclose(getattr(dask_batch, attribute), expected, rtol=1e-8)
