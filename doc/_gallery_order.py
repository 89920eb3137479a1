"""Order of the examples in the gallery (used by doc/conf.py)."""

ORDER = [
    "quickstart.py",
    "plot_model_selection.py",
    "plot_var_backtest.py",
    "plot_mixture_of_experts.py",
    "plot_semi_supervised_discovery.py",
    "plot_open_set_detection.py",
    "plot_stream_drift.py",
    "plot_alp_gmm_curriculum.py",
]


class ExampleOrder:
    """sphinx-gallery sort key: quickstart first, then one story per family."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        return "ExampleOrder"

    def __call__(self, filename):
        return (ORDER.index(filename) if filename in ORDER else len(ORDER), filename)
