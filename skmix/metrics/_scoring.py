"""A scorer for choosing mixtures by held-out likelihood."""

import numpy as np
from sklearn.utils.metadata_routing import MetadataRequest

#: Extra data a mixture's likelihood may need besides X and y, routed to
#: the scorer when scikit-learn's metadata routing is enabled.
_ROUTED = ("time",)


class LogLikelihoodScorer:
    """Mean held-out log-likelihood per row (or per subject): a scikit-learn
    scorer, higher is better.

    For estimators with ``score_subjects(X, y, **params)`` (the mixture of
    experts: a subject's whole trajectory is one unit) it averages that;
    otherwise ``score_samples(X)`` (Gaussian mixtures). With
    ``sklearn.set_config(enable_metadata_routing=True)``, ``time`` passed to
    a search's ``fit`` reaches the scorer (it requests it), so trajectories
    with individually varying times can be cross-validated; the estimator
    must request it for ``fit`` too (``set_fit_request(time=True)``).
    """

    def __call__(self, estimator, X, y=None, **params):
        if hasattr(estimator, "score_subjects"):
            return float(np.mean(estimator.score_subjects(X, y, **params)))
        return float(np.mean(estimator.score_samples(X)))

    def get_metadata_routing(self):
        request = MetadataRequest(owner=type(self).__name__)
        for param in _ROUTED:
            request.score.add_request(param=param, alias=True)
        return request

    def __repr__(self):
        return "log_likelihood_scorer"


#: The scorer instance to pass as ``scoring=``.
log_likelihood_scorer = LogLikelihoodScorer()
