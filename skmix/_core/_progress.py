"""Progress of long fits, controlled by ``verbose`` as in scikit-learn.

``verbose=0`` (every estimator's default) is silent. From ``verbose=1`` the
loops of long fits draw a progress bar on stderr when tqdm is installed
(``pip install skmix[progress]``) and print their text lines on stdout in
any case; the lines go through ``tqdm.write`` while a bar is drawn so that
the two do not garble each other.
"""

import functools
import inspect
import sys
from time import perf_counter

import joblib
from sklearn.utils.parallel import Parallel


@functools.cache
def _tqdm():
    """tqdm's bar class, or None when tqdm is not installed (looked up
    once: a failed import searches the whole path every time)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def write(message):
    """Print a progress line on stdout, above any progress bar being drawn."""
    tqdm = _tqdm()
    if tqdm is None:
        print(message, flush=True)
    else:
        tqdm.write(message, file=sys.stdout)
        sys.stdout.flush()


def progress_reporter(verbose, label):
    """A function printing ``[label] message (elapsed s)`` when ``verbose``,
    else one doing nothing; the clock starts now."""
    if not verbose:
        return lambda message: None
    start = perf_counter()

    def report(message):
        write(f"[{label}] {message} ({perf_counter() - start:.1f} s)")

    return report


class progress:
    """Iterate over `iterable`, drawing a tqdm bar when `verbose`.

    Parameters
    ----------
    iterable : iterable
    total : int, default=None
        Length of `iterable` (taken from ``len`` when None and defined).
    verbose : int, default=0
        0 is silent; from 1 a bar is drawn on stderr when tqdm is
        importable. Without tqdm nothing is drawn: the caller's
        :meth:`write` lines are the fallback.
    label : str, default=None
        The bar's description.
    unit : str, default="it"

    Examples
    --------
    >>> from skmix._core._progress import progress
    >>> bar = progress(range(3), verbose=0, label="fits")
    >>> [i for i in bar]
    [0, 1, 2]
    """

    def __init__(self, iterable, *, total=None, verbose=0, label=None, unit="it"):
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.iterable = iterable
        self.verbose = verbose
        tqdm = _tqdm() if verbose else None
        # leave=False: the bar is gone once the loop ends, the lines stay.
        self._bar = None if tqdm is None else tqdm(
            total=total, desc=label, unit=unit, leave=False, file=sys.stderr,
            dynamic_ncols=True,
        )  # fmt: skip

    def __iter__(self):
        try:
            for item in self.iterable:
                yield item
                if self._bar is not None:
                    self._bar.update()
        finally:
            self.close()

    def write(self, message):
        """Print a line when `verbose` (above the bar if one is drawn)."""
        if self.verbose:
            write(message)

    def close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _supports_generators():
    return "return_as" in inspect.signature(joblib.Parallel).parameters


def run_tasks(tasks, n_jobs=None):
    """Results of joblib's ``delayed`` calls, in order, as they complete.

    ``n_jobs`` 1, or None outside a joblib backend context asking for more,
    runs them in this process (no pickling), else through
    :class:`sklearn.utils.parallel.Parallel`; with joblib >= 1.3 the
    results are yielded as they come (so a progress bar moves), before that
    all at the end. Seeds drawn before the tasks are built make the results
    independent of `n_jobs`.
    """
    if n_jobs == 1 or (n_jobs is None and joblib.effective_n_jobs(None) == 1):
        # Unwrapped: scikit-learn's delayed warns when called outside Parallel.
        return (
            getattr(function, "function", function)(*args, **kwargs)
            for function, args, kwargs in tasks
        )
    options = {"return_as": "generator"} if _supports_generators() else {}
    return Parallel(n_jobs=n_jobs, **options)(tasks)
