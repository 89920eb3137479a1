"""Exceptions raised by skmix."""


class BackendUnavailableError(RuntimeError):
    """An explicitly requested compute backend cannot run on this machine.

    Raised, for instance, for ``backend="cupy"`` when CuPy is not installed or no
    CUDA device is visible. Only ``backend="auto"`` falls back silently.
    """


class DegenerateMixtureWarning(UserWarning):
    """A fitted mixture has a degenerate component.

    A component with fewer effective points than its covariance needs, or
    with a variance at the regularisation floor or numerically singular: its
    likelihood gain is an artefact (mclust reports such fits as NA), so
    criteria such as BIC should not be trusted for it.
    """


class SingularInformationWarning(UserWarning):
    """The observed information matrix of a fit is singular or not positive
    definite, so its standard errors are unreliable.

    The parameters are then not all identified at this solution (a class
    with too few subjects, collinear covariates) or the solution is not a
    maximum; the covariance is a pseudo-inverse.
    """
