"""Formulas as flexmix and R write them, for mixtures of experts.

``"y ~ x1 * log(x2) | id"`` with a gate ``"~ w"``: the model matrices come
from formulaic (R's treatment coding, interactions, transforms); skmix
parses only what R's formula syntax adds for mixtures: flexmix's grouping
``| id`` and a binomial ``cbind(successes, failures)`` response.
"""

import re
from typing import NamedTuple

import numpy as np
import pandas as pd

_GROUPING = re.compile(r"^(?P<formula>.*?)\|\s*(?P<groups>[A-Za-z_][\w.]*)\s*$", re.S)
_CBIND = re.compile(r"^\s*cbind\((?P<successes>[^,]+),(?P<failures>.+)\)\s*$", re.S)
_TREATMENT_TERM = re.compile(r"\[T\.([^\]]*)\]")


def _formulaic():
    try:
        import formulaic
    except ImportError as exc:  # an optional dependency
        raise ImportError(
            "Formulas need formulaic: pip install 'skmix[formula]' (or "
            "pip install formulaic)."
        ) from exc
    return formulaic


def r_term_name(name):
    """formulaic's ``Treatment[T.Yes]`` as R and flexmix name it,
    ``TreatmentYes``."""
    return _TREATMENT_TERM.sub(r"\1", name)


def evaluate(expression, data):
    """One numeric column from an expression over ``data``'s columns (Python
    arithmetic, with numpy's functions such as ``log``)."""
    matrix = _formulaic().model_matrix(f"0 + {{{expression}}}", data, na_action="raise")
    if matrix.shape[1] != 1:
        raise ValueError(f"{expression!r} must give one numeric column.")
    return np.asarray(matrix, dtype=np.float64)[:, 0]


def _without_intercept(matrix, part):
    names = [r_term_name(str(c)) for c in matrix.columns]
    if "Intercept" not in names:
        raise ValueError(
            f"The {part} formula has no intercept: the experts and the gate "
            "always have one (drop the '- 1' or '0 +')."
        )
    keep = [i for i, name in enumerate(names) if name != "Intercept"]
    return pd.DataFrame(
        np.asarray(matrix, dtype=np.float64)[:, keep],
        columns=[names[i] for i in keep], index=matrix.index,
    )  # fmt: skip


class FormulaDesign(NamedTuple):
    """Arrays for ``fit``/``predict`` built from formulas.

    Attributes
    ----------
    X : DataFrame
        The experts' terms, then the gate's terms not among them.
    y : ndarray or None
    fit_params : dict
        ``offset``, ``trials`` and ``groups`` where the formulas give them.
    expert_features, gating_features : list of str, or None
    """

    X: pd.DataFrame
    y: np.ndarray
    fit_params: dict
    expert_features: list
    gating_features: list


class MixtureFormula:
    """The parsed formulas of a mixture of experts, reusable on new data.

    Parameters
    ----------
    formula : str
        ``"y ~ terms"``, optionally ``"y ~ terms | id"`` (rows with one id
        share a class) or ``"cbind(successes, failures) ~ terms"``.
    gating : str, optional
        ``"~ terms"`` of the gate (multinomial logit); default: an
        intercept only (class shares), flexmix's default.
    offset : str, optional
        An expression added to the linear predictor, e.g. ``"log(Hours)"``.
    """

    def __init__(self, formula, gating=None, offset=None):
        if "~" not in formula:
            raise ValueError(f"formula must read 'y ~ terms'; got {formula!r}.")
        self.formula, self.gating, self.offset = formula, gating, offset
        grouping = _GROUPING.match(formula)
        self.groups = grouping["groups"] if grouping else None
        body = grouping["formula"] if grouping else formula
        response, self.expert_terms = (part.strip() for part in body.split("~", 1))
        cbind = _CBIND.match(response)
        self.successes = cbind["successes"].strip() if cbind else None
        self.failures = cbind["failures"].strip() if cbind else None
        self.response = response
        self.gating_terms = None
        if gating is not None:
            if not gating.strip().startswith("~"):
                raise ValueError(f"gating must read '~ terms'; got {gating!r}.")
            self.gating_terms = gating.strip()[1:].strip()
        self._specs = None

    def design(self, data, response=True):
        """The arrays of ``data`` (the fit's model specs once fitted, so new
        data are coded with the training levels)."""
        formulaic = _formulaic()
        if not isinstance(data, pd.DataFrame):
            raise TypeError("data must be a pandas DataFrame.")
        parts = {"expert": self.expert_terms, "gate": self.gating_terms}
        parts = {k: v for k, v in parts.items() if v is not None}
        if self._specs is None:
            matrices = {
                k: formulaic.model_matrix(v, data, na_action="raise")
                for k, v in parts.items()
            }
            specs = {k: m.model_spec for k, m in matrices.items()}
        else:
            specs = self._specs
            matrices = {k: spec.get_model_matrix(data) for k, spec in specs.items()}
        experts = _without_intercept(matrices["expert"], "expert")
        gate = (
            _without_intercept(matrices["gate"], "gating")
            if "gate" in matrices else experts.iloc[:, :0]
        )  # fmt: skip
        extra = gate[[c for c in gate.columns if c not in experts.columns]]
        X = pd.concat([experts, extra], axis=1)
        fit_params = {}
        if self.offset is not None:
            fit_params["offset"] = evaluate(self.offset, data)
        if self.groups is not None:
            fit_params["groups"] = data[self.groups].to_numpy()
        y = None
        if response:
            if self.successes is not None:
                y = evaluate(self.successes, data)
                fit_params["trials"] = y + evaluate(self.failures, data)
            else:
                y = evaluate(self.response, data)
        self._specs = specs
        return FormulaDesign(
            X, y, fit_params, list(experts.columns),
            list(gate.columns) if self.gating_terms is not None else None,
        )  # fmt: skip
