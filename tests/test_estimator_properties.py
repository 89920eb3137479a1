"""Property-based checks of every estimator over generated data (hypothesis).

tests/test_properties.py fuzzes GaussianMixture alone, over every covariance
structure; here every discovered estimator gets generated data sets within
the documented numeric range (offsets up to 1e5, scales 1e-2 to 1e2, one to
three clusters), with the target it needs, and must keep its contract:
posteriors that sum to one, finite scores, NumPy and Numba agreeing, a seed
that repeats, fit_predict equal to fit then predict, identical results for
Fortran, read-only and memory-mapped layouts, and a failed call that leaves
the model as it was. Examples are few per estimator, so the suite stays
within CI's budget.
"""

import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skmix._backend import available_backends

from .test_common import ESTIMATORS, NUMPY_ONLY, PREDICT_METHODS, _make

# derandomize: the same examples on every run, so CI is reproducible.
BOUNDED = settings(
    max_examples=4, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip
NAMES = sorted(ESTIMATORS)


@st.composite
def data_sets(draw):
    """(X, labels, seed) with well-separated clusters, offset and scaled."""
    n_features = draw(st.integers(2, 4))
    n_clusters = draw(st.integers(1, 3))
    rows = draw(st.integers(90, 160))
    seed = draw(st.integers(0, 2**31 - 1))
    offset = draw(st.sampled_from([0.0, 1e3, -1e5]))
    scale = draw(st.sampled_from([1e-2, 1.0, 1e2]))
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, n_features)) * 10
    labels = np.arange(rows) % n_clusters
    X = centres[labels] + rng.uniform(0.5, 1.5) * rng.standard_normal(
        (rows, n_features)
    )
    return offset + scale * X, labels, seed


def _with_target(estimator, X, labels, seed):
    """The estimator's training data: X and the target its tags ask for."""
    rng = np.random.default_rng(seed + 1)
    tags = estimator.__sklearn_tags__()
    if not tags.target_tags.required:
        return X, None
    if tags.estimator_type == "regressor":
        X = X[:, :2]
        centred = (X - X.mean(axis=0)) / X.std(axis=0)
        return X, centred @ [1.5, -0.5] + 0.1 * rng.standard_normal(X.shape[0])
    if hasattr(estimator, "unlabelled_label"):  # partially labelled
        y = labels.astype(float)
        y[rng.random(y.size) < 0.3] = np.nan
        return X, y
    return X, labels


def _fit(name, X, y, **params):
    estimator = _make(name, random_state=0, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, degenerate candidates
        return estimator.fit(X, y)


def _outputs(estimator, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            method: np.asarray(getattr(estimator, method)(X))
            for method in PREDICT_METHODS
            if hasattr(estimator, method)
        }


def _state(estimator):
    params = estimator.get_params(deep=False)
    return joblib.hash({k: v for k, v in vars(estimator).items() if k not in params})


@pytest.mark.parametrize("name", NAMES)
@BOUNDED
@given(data=data_sets())
def test_outputs_are_well_formed_and_repeat(name, data):
    X, labels, seed = data
    X, y = _with_target(ESTIMATORS[name](), X, labels, seed)
    model = _fit(name, X, y)
    outputs = _outputs(model, X)
    if "predict_proba" in outputs:
        proba = outputs["predict_proba"]
        assert np.all(proba >= 0)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
    for method in ("score_samples", "predict"):
        if method in outputs and outputs[method].dtype.kind == "f":
            assert np.isfinite(outputs[method]).all(), method
    if "decision_function" in outputs:
        # Finite unless no threshold exists: a calibration set too small for
        # alpha flags nothing (offset_ = -inf, decision +inf), as documented.
        decision = outputs["decision_function"]
        assert not np.isnan(decision).any()
        assert np.isfinite(decision).all() or model.offset_ == -np.inf
    again = _outputs(_fit(name, X, y), X)
    for method, output in outputs.items():
        np.testing.assert_array_equal(again[method], output, err_msg=method)


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES if n not in NUMPY_ONLY and "numba" in available_backends()],
)
@BOUNDED
@given(data=data_sets())
def test_numpy_and_numba_agree(name, data):
    X, labels, seed = data
    X, y = _with_target(ESTIMATORS[name](), X, labels, seed)
    reference = _outputs(_fit(name, X, y, backend="numpy"), X)
    fast = _outputs(_fit(name, X, y, backend="numba"), X)
    for method, output in fast.items():
        expected = reference[method]
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(output, expected, rtol=1e-6, atol=1e-8)
        else:
            np.testing.assert_array_equal(output, expected, err_msg=method)


@pytest.mark.parametrize(
    "name", [n for n in NAMES if hasattr(ESTIMATORS[n], "fit_predict")]
)
@BOUNDED
@given(data=data_sets())
def test_fit_predict_is_fit_then_predict(name, data):
    X, labels, seed = data
    X, y = _with_target(ESTIMATORS[name](), X, labels, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _make(name, random_state=0)
        np.testing.assert_array_equal(model.fit_predict(X, y), model.predict(X))


@pytest.mark.parametrize("name", NAMES)
@BOUNDED
@given(data=data_sets())
def test_memory_layouts_give_identical_results(tmp_path_factory, name, data):
    X, labels, seed = data
    X, y = _with_target(ESTIMATORS[name](), X, labels, seed)
    model = _fit(name, X, y)
    expected = _outputs(model, X)
    read_only = X.copy()
    read_only.flags.writeable = False
    memmap = np.memmap(
        tmp_path_factory.mktemp("layout") / "X.dat", np.float64, "w+", shape=X.shape
    )
    memmap[:] = X
    layouts = [np.asfortranarray(X), read_only]
    if name != "MixtureOfExpertsRegressor":  # in-memory arrays only
        layouts.append(memmap)
    for layout in layouts:
        for method, output in _outputs(model, layout).items():
            np.testing.assert_array_equal(output, expected[method], err_msg=method)
    # A refit on another layout may round differently inside BLAS.
    refitted = _outputs(_fit(name, np.asfortranarray(X), y), X)
    for method, output in refitted.items():
        if output.dtype.kind == "f":
            np.testing.assert_allclose(output, expected[method], rtol=1e-9, atol=1e-12)
        else:
            np.testing.assert_array_equal(output, expected[method], err_msg=method)


@pytest.mark.parametrize("name", NAMES)
@BOUNDED
@given(
    data=data_sets(),
    defect=st.sampled_from(["nan", "inf", "features", "names", "huge"]),
    where=st.integers(0, 10**6),
)
def test_a_failed_call_leaves_the_model_as_it_was(name, data, defect, where):
    X, labels, seed = data
    X, y = _with_target(ESTIMATORS[name](), X, labels, seed)
    model = _fit(name, X, y)
    before, outputs = _state(model), _outputs(model, X)
    bad = X.copy()
    row, column = where % X.shape[0], where % X.shape[1]
    if defect == "nan":
        bad[row, column] = np.nan
    elif defect == "inf":
        bad[row, column] = -np.inf
    elif defect == "huge":
        bad[row, column] = 1e300
    elif defect == "features":
        bad = np.hstack([X, X[:, :1]])
    else:
        bad = pd.DataFrame(X, columns=["a", 1, "c", "d"][: X.shape[1]])
    calls = ["fit"] + (["partial_fit"] if hasattr(model, "partial_fit") else [])
    if defect == "features":  # a refit may change the number of features
        calls = calls[1:]
    for method in calls:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(model, method)(bad, y)
        except (ValueError, TypeError):
            assert _state(model) == before, f"{method} with {defect} changed it"
            continue
        # Only a huge value may be inside an estimator's range (the experts
        # rescale covariates); then the call was a legitimate refit.
        assert defect == "huge", f"{method} accepted {defect}"
        return
    for method, output in _outputs(model, X).items():
        np.testing.assert_array_equal(output, outputs[method], err_msg=method)
