"""What the experts' start schedules share: running the chosen starts on."""


def runs_to_convergence(starts, run, report):
    """Each start run to convergence, failed runs left out.

    Parameters
    ----------
    starts : list of (short-run log-likelihood, params)
    run : callable
        ``params -> (params or None, log-likelihood, n_iter, converged)``.
    report : callable
        Hears a line per run.

    Returns
    -------
    list of (params, log-likelihood, n_iter, converged)
    """
    runs = []
    for index, (_, params) in enumerate(starts):
        result = run(params)
        report(
            f"run {index + 1}/{len(starts)} to convergence: log-likelihood "
            f"{result[1]:.6f}, {result[2]} iterations, converged {result[3]}"
        )
        if result[0] is not None:
            runs.append(result)
    return runs
