"""scikit-learn's estimator checks for every skmix estimator on every backend."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skmix._backend import available_backends
from skmix.experts import MixtureOfExpertsRegressor
from skmix.mixture import (
    GaussianMixture,
    GaussianMixtureRegressor,
    GaussianMixtureSelector,
)
from skmix.novelty import OpenSetGMMDetector
from skmix.semi_supervised import SemiSupervisedGMM

ESTIMATORS = [
    estimator
    for backend in available_backends()
    for estimator in (
        GaussianMixture(backend=backend, random_state=0),
        GaussianMixtureRegressor(backend=backend, random_state=0),
        GaussianMixtureSelector(
            (1, 2), ("full", "diag"), backend=backend, random_state=0
        ),
        # sklearn's checks use {-1, 1} as class labels, which the default
        # unlabelled marker (-1) would read as unlabelled rows.
        SemiSupervisedGMM(unlabelled_label=None, backend=backend, random_state=0),
        OpenSetGMMDetector((1, 2), backend=backend, random_state=0),
    )
] + [
    # NumPy only (its per-subject covariances are small). One class: sklearn's
    # checks fit 10-row data sets with up to 10 covariates, too few subjects
    # for two gated classes (which raises a clear error, tested elsewhere).
    MixtureOfExpertsRegressor(1, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
