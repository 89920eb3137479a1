"""Matplotlib, an optional dependency, for the estimators' ``plot`` methods."""


def axes_or_new(ax):
    """`ax`, or new axes when None.

    Raises
    ------
    ImportError
        Matplotlib is not installed (naming the extra that installs it).
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("plot needs matplotlib: pip install 'skmix[plot]'") from error
    if ax is None:
        _, ax = plt.subplots()
    return ax
