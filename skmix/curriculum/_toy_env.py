"""The toy curriculum environment of Portelas et al. (2019), reimplemented
from the paper's description."""

import itertools

import numpy as np

from ..utils import check_param_int


class GridCompetenceEnv:
    """A hypercube of cells whose competence grows only next to mastered ones.

    The task space ``[0, 1]^n_dims`` is split into `n_cells` cells per
    dimension, each with a competence from 0 to `max_competence`. Playing a
    task in a cell raises its competence by 1 only if the cell is unlocked: it
    is the origin cell, or one of its *previous* neighbours (cells whose every
    index is ``i`` or ``i - 1``, itself excluded) has competence at least
    `unlock_threshold`. The reward is the cell's competence over
    `max_competence`. A learner therefore has to progress outward from the
    origin, and a teacher has to follow the frontier.

    Parameters
    ----------
    n_cells : int, default=10
        Cells per dimension.
    n_dims : int, default=2
        Meaningful task dimensions.
    n_useless_dims : int, default=0
        Distractor dimensions appended to the task space; they do not affect
        anything.
    unlock_threshold : int, default=75
    max_competence : int, default=100

    Attributes
    ----------
    competence : ndarray of int of shape (n_cells,) * n_dims
    """

    def __init__(
        self,
        n_cells=10,
        n_dims=2,
        n_useless_dims=0,
        *,
        unlock_threshold=75,
        max_competence=100,
    ):
        self.n_cells = check_param_int(n_cells, "n_cells", 1)
        self.n_dims = check_param_int(n_dims, "n_dims", 1)
        self.n_useless_dims = check_param_int(n_useless_dims, "n_useless_dims", 0)
        self.max_competence = check_param_int(max_competence, "max_competence", 1)
        self.unlock_threshold = check_param_int(unlock_threshold, "unlock_threshold", 0)
        self.competence = np.zeros((n_cells,) * n_dims, dtype=np.int64)
        steps = itertools.product((0, 1), repeat=n_dims)
        self._previous_steps = np.array([s for s in steps if any(s)], dtype=np.int64)

    @property
    def low(self):
        """Lower bounds of the task space (zeros)."""
        return np.zeros(self.n_dims + self.n_useless_dims)

    @property
    def high(self):
        """Upper bounds of the task space (ones)."""
        return np.ones(self.n_dims + self.n_useless_dims)

    def cell_of(self, task):
        """Cell index of a task (the upper bound belongs to the last cell)."""
        task = np.asarray(task, dtype=np.float64)
        if task.shape != (self.n_dims + self.n_useless_dims,):
            raise ValueError(
                f"A task has {self.n_dims + self.n_useless_dims} dimensions; got "
                f"shape {task.shape}."
            )
        if not np.all((task >= 0.0) & (task <= 1.0)):
            raise ValueError(f"Task {task} lies outside [0, 1].")
        cell = np.floor(task[: self.n_dims] * self.n_cells).astype(np.int64)
        return tuple(np.minimum(cell, self.n_cells - 1))

    def is_unlocked(self, cell):
        """Whether playing in `cell` can raise its competence."""
        cell = np.asarray(cell, dtype=np.int64)
        if not cell.any():
            return True
        previous = cell - self._previous_steps
        previous = previous[np.all(previous >= 0, axis=1)]
        return bool(np.any(self.competence[tuple(previous.T)] >= self.unlock_threshold))

    def episode(self, task):
        """Play one task; return its reward in [0, 1]."""
        cell = self.cell_of(task)
        if self.competence[cell] < self.max_competence and self.is_unlocked(cell):
            self.competence[cell] += 1
        return self.competence[cell] / self.max_competence

    def run(self, tasks):
        """Play tasks in order; return their rewards."""
        return np.array([self.episode(task) for task in np.atleast_2d(tasks)])

    def score(self):
        """Percentage of cells with competence above `unlock_threshold`."""
        return 100.0 * np.mean(self.competence > self.unlock_threshold)
