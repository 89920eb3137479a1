"""Uniform task sampling: the baseline every teacher is compared with."""

import numpy as np

from ..utils import check_param_int


class RandomTeacher:
    """Draws tasks uniformly in ``[low, high]``; feedback is ignored.

    Parameters
    ----------
    low, high : array-like of shape (n_task_dims,)
    random_state : int, numpy.random.SeedSequence or None, default=None
    """

    def __init__(self, low, high, *, random_state=None):
        self.low = np.asarray(low, dtype=np.float64).ravel()
        self.high = np.asarray(high, dtype=np.float64).ravel()
        if self.low.shape != self.high.shape or not np.all(self.high > self.low):
            raise ValueError("low and high must have the same length and high > low.")
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state)

    def ask(self, n_tasks=1):
        """Draw `n_tasks` uniform tasks, shape (n_tasks, n_task_dims)."""
        check_param_int(n_tasks, "n_tasks", 1)
        return self._rng.uniform(self.low, self.high, size=(n_tasks, self.low.size))

    def tell(self, tasks, rewards):
        """Ignore feedback (kept for the common teacher interface)."""
        return self
