"""
Choosing a model as mclust does: BIC, classification and uncertainty
====================================================================

:class:`~skmix.mixture.GaussianMixtureSelector` fits every combination of
mclust's 14 covariance structures and 1-9 components from one hierarchical
start, as ``Mclust(X)`` does, and keeps the lowest BIC (mclust reports the
same BIC with the opposite sign, higher is better). On Fisher's iris
measurements it picks VEV with 2 components, mclust's choice: the setosa
flowers and one component for versicolor and virginica together. The three
pictures are mclust's ``plot(fit, what = "BIC" / "classification" /
"uncertainty")``; the last two show the three-component VEV fit
(``Mclust(X, G = 3, modelNames = "VEV")``), one component per species, to see
where versicolor and virginica overlap.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_iris

from skmix.mixture import (
    GaussianMixtureSelector,
    plot_classification,
    plot_uncertainty,
)

iris = load_iris(as_frame=True).data
iris.columns = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                "petal width (cm)"]  # fmt: skip
selector = GaussianMixtureSelector(random_state=0).fit(iris)
best = selector.best_estimator_
print(f"chosen: {best.covariance_type}, {best.n_components} components, "
      f"BIC {selector.best_criterion_:.2f} (mclust: VEV, 2, BIC -561.73 "
      "in its sign)")  # fmt: skip
print(pd.crosstab(load_iris().target_names[load_iris().target], selector.predict(iris),
                  rownames=["species"], colnames=["component"]))  # fmt: skip

three = GaussianMixtureSelector((3,), ("VEV",), random_state=0).fit(iris)
print(pd.crosstab(load_iris().target_names[load_iris().target], three.predict(iris),
                  rownames=["species"], colnames=["component"]))  # fmt: skip

# %%
# Left: BIC of every structure against the number of components, the chosen
# one circled. Middle: each flower by its most probable component of the
# three-component fit, with each component's 95% ellipse on the petal
# measurements. Right: the classification uncertainty ``1 - max posterior``:
# the flowers between versicolor and virginica are the ones whose assignment
# is in doubt.
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.6),
                                          layout="constrained")  # fmt: skip
selector.plot(ax=left)
left.legend(title="covariance", fontsize=6, ncol=2)
left.set_title("BIC of each model")
plot_classification(three, iris, features=(2, 3), ax=middle)
middle.set_title("Classification (VEV, 3 components)")
plot_uncertainty(three, iris, features=(2, 3), ax=right)
right.set_title("Uncertainty (VEV, 3 components)")

# sphinx_gallery_start_ignore
if "__file__" in globals():  # run as a script: also write the figure to a file
    fig.savefig(__file__.removesuffix(".py") + ".png", dpi=90)
# sphinx_gallery_end_ignore
