"""Progress lines for long fits (``verbose`` as in scikit-learn)."""

from time import perf_counter


def progress_reporter(verbose, label):
    """A function printing ``[label] message (elapsed s)`` when ``verbose``,
    else one doing nothing; the clock starts now."""
    if not verbose:
        return lambda message: None
    start = perf_counter()

    def report(message):
        print(f"[{label}] {message} ({perf_counter() - start:.1f} s)", flush=True)

    return report
