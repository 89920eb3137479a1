"""Metrics and statistical tests for mixture models."""

from ._backtesting import (
    BacktestResult,
    christoffersen_conditional_coverage_test,
    christoffersen_independence_test,
    kupiec_pof_test,
)
from ._clustering import GCDAccuracy, cluster_accuracy, gcd_accuracy
from ._mixture_quantile import mixture_cdf, mixture_quantile
from ._scoring import LogLikelihoodScorer, log_likelihood_scorer

__all__ = [
    "GCDAccuracy",
    "BacktestResult",
    "christoffersen_conditional_coverage_test",
    "christoffersen_independence_test",
    "cluster_accuracy",
    "gcd_accuracy",
    "kupiec_pof_test",
    "LogLikelihoodScorer",
    "log_likelihood_scorer",
    "mixture_cdf",
    "mixture_quantile",
]
