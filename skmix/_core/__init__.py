"""What every Gaussian-based mixture shares, written once.

- :mod:`._covariance`: covariance structures, one class each, in a registry;
  :mod:`._mclust_covariance` adds mclust's ten others (and E, V in 1-D);
- :mod:`._components`: a mixture's components, the M-step, and the one way to
  score rows against a stack of components;
- :mod:`._criteria`: information criteria and classification entropy;
- :mod:`._prior`: mclust's conjugate prior and the MAP M-step;
- :mod:`._degeneracy`: when a fitted mixture is degenerate;
- :mod:`._em`: the EM driver (convergence, progress, SQUAREM, starts);
- :mod:`._starts`: k-means starts under one thread policy, mclust's
  hierarchical (:mod:`._hierarchical`) and quantile starts;
- :mod:`._missing`: missing values (EM on each row's observed coordinates,
  grouped by missingness pattern);
- :mod:`._rows`: row sources (in memory, memory-mapped chunks, Dask blocks)
  and the ``rowwise`` decorator for predict-like methods.
"""

from ._components import (
    FIXABLE_PARAMETERS,
    ComponentScorer,
    FixedParameters,
    GaussianComponents,
    UniformNoise,
    components_from_responsibilities,
    group_logsumexp,
    m_step,
    masked_posteriors,
    n_mixture_parameters,
    stack_scorers,
)
from ._covariance import (
    COVARIANCE_TYPES,
    CovarianceModel,
    ZeroCovariance,
    covariance_model_names,
    get_covariance_model,
    register_covariance_model,
)
from ._criteria import (
    aic,
    aicc,
    bic,
    classification_entropy,
    icl,
    map_classification_penalty,
    relative_entropy,
    sabic,
)
from ._degeneracy import degeneracy, points_needed
from ._em import EMDriver, EMRun, Squarem
from ._mclust_covariance import MCLUST_MODEL_NAMES, MCLUST_UNIVARIATE_NAMES
from ._prior import (
    NO_PRIOR_STRUCTURES,
    ConjugatePrior,
    DataMoments,
    default_prior,
    map_estimate,
    resolve_prior,
)
from ._progress import progress, progress_reporter
from ._rows import (
    as_rows,
    check_dask_samples,
    is_dask_array,
    is_memmap,
    rowwise,
    training_rows,
)
from ._starts import (
    HC_SUBSET_SIZE,
    hierarchical_partitions,
    hierarchical_start_rows,
    kmeans_labels,
    kmeans_plusplus_indices,
    quantile_classes,
)

__all__ = [
    "progress",
    "progress_reporter",
    "COVARIANCE_TYPES",
    "FIXABLE_PARAMETERS",
    "FixedParameters",
    "ComponentScorer",
    "ConjugatePrior",
    "DataMoments",
    "CovarianceModel",
    "EMDriver",
    "EMRun",
    "MCLUST_MODEL_NAMES",
    "MCLUST_UNIVARIATE_NAMES",
    "NO_PRIOR_STRUCTURES",
    "GaussianComponents",
    "HC_SUBSET_SIZE",
    "Squarem",
    "UniformNoise",
    "ZeroCovariance",
    "aic",
    "aicc",
    "as_rows",
    "check_dask_samples",
    "is_dask_array",
    "is_memmap",
    "hierarchical_partitions",
    "hierarchical_start_rows",
    "kmeans_labels",
    "kmeans_plusplus_indices",
    "rowwise",
    "training_rows",
    "bic",
    "classification_entropy",
    "components_from_responsibilities",
    "covariance_model_names",
    "default_prior",
    "degeneracy",
    "get_covariance_model",
    "group_logsumexp",
    "icl",
    "m_step",
    "map_estimate",
    "map_classification_penalty",
    "masked_posteriors",
    "n_mixture_parameters",
    "points_needed",
    "register_covariance_model",
    "quantile_classes",
    "relative_entropy",
    "resolve_prior",
    "sabic",
    "stack_scorers",
]
