"""What the experts' start schedules share: running the starts, in parallel
with ``n_jobs`` and with progress when ``verbose``."""

from sklearn.utils.parallel import delayed

from .._core._progress import progress, progress_reporter, run_tasks


class StartRunner:
    """Runs the independent pieces of a start schedule and reports on them.

    Every start draws from its own seed, drawn before any start runs, so
    the results are the same for every `n_jobs`.

    Parameters
    ----------
    verbose : int
        0 is silent; 1 prints a line per run and, with tqdm installed,
        draws a bar per stage on stderr.
    n_jobs : int or None
        Starts run in parallel (joblib); None is one.
    label : str
        Prefix of the lines and bars (the estimator's name).
    """

    def __init__(self, verbose=0, n_jobs=None, label="starts"):
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.label = label
        self.report = progress_reporter(verbose, label)

    def map(self, function, arguments, stage):
        """``function(*args)`` for each of `arguments`, in order, as they
        complete; a bar named after `stage` when `verbose`."""
        tasks = [delayed(function)(*args) for args in arguments]
        return progress(
            run_tasks(tasks, self.n_jobs), total=len(tasks), verbose=self.verbose,
            label=f"{self.label}: {stage}", unit="start",
        )  # fmt: skip


def runs_to_convergence(starts, run, args, runner):
    """Each start run to convergence, failed runs left out.

    Parameters
    ----------
    starts : list of (short-run log-likelihood, params)
    run : callable
        ``run(*args, params) -> (params or None, log-likelihood, n_iter,
        converged)``; a module-level function, so that it pickles.
    args : tuple
    runner : StartRunner

    Returns
    -------
    list of (params, log-likelihood, n_iter, converged)
    """
    runs = []
    results = runner.map(
        run, [(*args, params) for _, params in starts], "runs to convergence"
    )
    for index, result in enumerate(results):
        runner.report(
            f"run {index + 1}/{len(starts)} to convergence: log-likelihood "
            f"{result[1]:.6f}, {result[2]} iterations, converged {result[3]}"
        )
        if result[0] is not None:
            runs.append(result)
    return runs


def start_kinds(init_params, n_init, *, alternate):
    """The partition each start draws ('kmeans' or 'random').

    'kmeans' and 'random' use their own for all ``n_init``. emEM with
    `alternate` (GLM experts) alternates k-means and random partitions;
    without it (growth curves) it runs the ``n_init`` random starts and one
    k-means start after them, so its random starts, and the fit, are at
    least those of random starts alone. Random partitions alone can all fall
    into one poor basin that k-means of the subjects' own fits avoids: on
    flexmix's bioChemists counts 1 of 10 random starts found the best
    optimum; on two well-separated linear-growth classes
    (``benchmarks/bench_class_scoring.py``, seed 4) the best 3 of 10 random
    short runs all continued to a 0.89/0.11 split 122 log-likelihood units
    below the two classes.
    """
    if init_params != "emEM":
        return [init_params] * n_init
    if alternate:
        return ["kmeans" if index % 2 == 0 else "random" for index in range(n_init)]
    return ["random"] * n_init + ["kmeans"]


def emem_finalists(starts, kinds, n_final):
    """The emEM starts run to convergence: the ``n_final`` best short runs,
    and the first k-means one, which always continues (its basin can climb
    slowly and look worse than others after the short runs).

    Parameters
    ----------
    starts : list of (short-run log-likelihood, params)
    kinds : list of str
        The partition kind of each start.
    n_final : int
    """
    first_kmeans = next(
        (start for start, kind in zip(starts, kinds, strict=True) if kind == "kmeans"),
        None,
    )
    best = sorted(starts, key=lambda start: start[0], reverse=True)[:n_final]
    if first_kmeans is not None and all(first_kmeans is not b for b in best):
        best.append(first_kmeans)
    return best
