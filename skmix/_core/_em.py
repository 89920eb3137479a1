"""One EM driver: iterations, convergence, progress messages, SQUAREM, starts.

Every EM in skmix is a *step*, ``step(state) -> (next_state, log_likelihood,
extras)``: an E-step at ``state`` (whose log-likelihood it reports) followed
by an M-step (giving ``next_state``); ``extras`` is whatever the caller wants
from the last step (e.g. the sufficient statistics, for ``partial_fit``).
:class:`EMDriver` iterates a step to convergence, optionally accelerated by
SQUAREM, prints scikit-learn's verbose messages, and keeps the best of
several starts. The fused Numba E+M pass stays the fast path: it is what a
Gaussian mixture's step calls.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import NamedTuple

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.parallel import Parallel, delayed

from ._progress import progress, write


class EMRun(NamedTuple):
    """The outcome of one EM run.

    Attributes
    ----------
    state : object
        Parameters after the last M-step.
    lower_bound : float
        Log-likelihood reported by the last E-step.
    lower_bounds : list of float
        Log-likelihood after each iteration.
    n_iter : int
        EM steps taken.
    converged : bool
    extras : object
        What the last step returned beside the state (None if none ran).
    """

    state: object
    lower_bound: float
    lower_bounds: list
    n_iter: int
    converged: bool
    extras: object


@dataclass(frozen=True)
class Squarem:
    """SQUAREM acceleration (Varadhan & Roland, Scand. J. Statist. 2008).

    Two EM steps give a squared-iteration direction; the extrapolated point
    is back-tracked towards the plain EM step until `admissible`, then kept
    only if one more EM step from it does not lower the likelihood, so the
    iteration stays monotone.

    Attributes
    ----------
    flatten : callable
        ``state -> 1-D array``.
    unflatten : callable
        ``(vector, like_state) -> state``.
    admissible : callable
        ``state -> bool``: inside the parameter space.
    failure : exception type or tuple
        Raised by a step from an extrapolated point; the point is dropped.
    """

    flatten: Callable
    unflatten: Callable
    admissible: Callable
    failure: type | tuple = ()


class EMDriver:
    """Run EM steps to convergence.

    Parameters
    ----------
    max_iter : int
        Most EM steps per run.
    tol : float
        Convergence threshold on the change of the log-likelihood.
    relative : bool, default=False
        False: converged when ``|change| < tol`` (scikit-learn, on the mean
        log-likelihood per row). True: when ``|change| <= tol * |log L|``
        (flexmix-style, on the total).
    verbose : int, default=0
        1 prints each start; 2 also timings and log-likelihood changes every
        `verbose_interval` iterations (scikit-learn's messages).
    verbose_interval : int, default=10
    squarem : Squarem or None, default=None
        Accelerate with SQUAREM.
    """

    def __init__(
        self,
        max_iter,
        tol,
        *,
        relative=False,
        verbose=0,
        verbose_interval=10,
        squarem=None,
    ):
        self.max_iter = max_iter
        self.tol = tol
        self.relative = relative
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.squarem = squarem

    def has_converged(self, previous, current):
        """Whether a change from `previous` to `current` meets the tolerance."""
        if self.relative:
            return abs(current - previous) <= self.tol * abs(current)
        return abs(current - previous) < self.tol

    # ------------------------------------------------------------------ runs
    def run(self, step, state, lower_bound=-np.inf, report=True):
        """Iterate `step` from `state`; `lower_bound` is the log-likelihood
        of the run being continued (``-inf`` for a new start). `report`
        False leaves out the per-iteration lines (runs in threads)."""
        self._iteration_clock = perf_counter()
        if self.squarem is not None:
            return self._run_squarem(step, state, lower_bound, report)
        lower_bounds, extras, converged, n_iter = [], None, False, 0
        for n_iter in range(1, self.max_iter + 1):
            previous = lower_bound
            state, lower_bound, extras = step(state)
            lower_bounds.append(lower_bound)
            if report:
                self._report_iteration(n_iter, lower_bound - previous)
            if self.has_converged(previous, lower_bound):
                converged = True
                break
        return EMRun(state, lower_bound, lower_bounds, n_iter, converged, extras)

    def _run_squarem(self, step, state, previous, report=True):
        hooks = self.squarem
        lower_bounds, extras, converged, n_iter = [], None, False, 0
        lower_bound, cycle = previous, 0
        while n_iter < self.max_iter:
            cycle += 1
            first, ll0, _ = step(state)
            second, lower_bound, extras = step(first)
            n_iter += 2
            x0, x1, x2 = (hooks.flatten(s) for s in (state, first, second))
            r, v = x1 - x0, x2 - 2 * x1 + x0
            norm_v = np.linalg.norm(v)
            alpha = -np.linalg.norm(r) / norm_v if norm_v > 0 else -1.0
            candidate, extrapolated = second, None
            while alpha < -1:
                extrapolated = hooks.unflatten(x0 - 2 * alpha * r + alpha**2 * v, state)
                if hooks.admissible(extrapolated):
                    break
                # Back-track towards the plain EM step (alpha = -1).
                alpha = (alpha - 1) / 2 if alpha < -1.01 else -1.0
                extrapolated = None
            if extrapolated is not None:
                try:
                    third, ll3, extras3 = step(extrapolated)
                    n_iter += 1
                    if ll3 >= lower_bound:
                        candidate, extras = third, extras3
                except hooks.failure:
                    pass
            state = candidate
            lower_bounds.append(lower_bound)
            if report:
                self._report_iteration(cycle, lower_bound - previous)
            if self.has_converged(previous, lower_bound) or self.has_converged(
                ll0, lower_bound
            ):
                converged = True
                break
            previous = lower_bound
        return EMRun(state, lower_bound, lower_bounds, n_iter, converged, extras)

    def best_of(self, starts, step, lower_bound=-np.inf, total=None, n_jobs=None):
        """The run with the highest log-likelihood over an iterable of starts.

        `lower_bound` is the log-likelihood of the starts when they continue
        a run (``warm_start``), ``-inf`` for new ones. `total`, the number
        of starts (e.g. ``n_init``), draws a progress bar over them on
        stderr when `verbose` and tqdm is installed and it is above one;
        scikit-learn's lines on stdout stay as they are. `n_jobs` above one
        (or a joblib context asking for more) runs the starts in threads:
        all are drawn first, in order, and the first of equal maxima wins,
        so the result is the sequential one.
        """
        if total is not None and total > 1 and joblib.effective_n_jobs(n_jobs) > 1:
            return self._best_of_in_threads(list(starts), step, lower_bound, n_jobs)
        best = None
        if total is not None and total > 1:
            starts = progress(
                starts, total=total, verbose=self.verbose, label="EM starts",
                unit="start",
            )  # fmt: skip
        for index, state in enumerate(starts):
            self._report_start(index)
            run = self.run(step, state, lower_bound)
            self._report_end(run)
            if best is None or run.lower_bound > best.lower_bound:
                best = run
        return best

    def _best_of_in_threads(self, starts, step, lower_bound, n_jobs):
        # Threads share the rows (no copy); the kernels release the GIL.
        # Each start's lines are printed once all have run, in order.
        runs = Parallel(n_jobs=n_jobs, require="sharedmem")(
            delayed(self.run)(step, state, lower_bound, report=False)
            for state in starts
        )
        best = None
        for index, run in enumerate(runs):
            self._report_start(index)
            self._report_end(run)
            if best is None or run.lower_bound > best.lower_bound:
                best = run
        return best

    def warn_if_not_converged(self, run, stacklevel=3):
        """scikit-learn's ConvergenceWarning for a best run that did not converge."""
        if not run.converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different "
                "init parameters, or increase max_iter, tol, or check for "
                "degenerate data.",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )

    # -------------------------------------------------------------- progress
    # scikit-learn's messages, through write() so that a bar over the
    # starts (stderr) and the lines (stdout) do not garble each other.
    def _report_start(self, index):
        if self.verbose >= 1:
            write(f"Initialization {index}")
            self._start_clock = perf_counter()

    def _report_iteration(self, n_iter, change):
        if self.verbose >= 1 and n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                write(f"  Iteration {n_iter}")
            else:
                now = perf_counter()
                write(
                    f"  Iteration {n_iter}\t time lapse "
                    f"{now - self._iteration_clock:.5f}s\t ll change {change:.5f}"
                )
                self._iteration_clock = now

    def _report_end(self, run):
        if self.verbose >= 1:
            message = "converged" if run.converged else "did not converge"
            if self.verbose == 1:
                write(f"Initialization {message}.")
            else:
                elapsed = perf_counter() - self._start_clock
                write(
                    f"Initialization {message}. time lapse {elapsed:.5f}s\t "
                    f"lower bound {run.lower_bound:.5f}."
                )
