"""Semi-supervised mixtures: partially labelled data, unknown novel classes."""

from ._ssgmm import SemiSupervisedGMM

__all__ = ["SemiSupervisedGMM"]
