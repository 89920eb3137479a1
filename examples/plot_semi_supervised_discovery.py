"""
Discovering novel classes in partially labelled data
====================================================

Two classes are known and half of their rows are labelled; the unlabelled
rows also hold an unknown number of novel classes.
:class:`~skmix.semi_supervised.SemiSupervisedGMM` pins labelled rows to their
class and lets novel components split and merge, accepted by a
Normal-Inverse-Wishart Hastings ratio, until the number of classes settles.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from skmix.metrics import gcd_accuracy  # noqa: E402
from skmix.semi_supervised import SemiSupervisedGMM  # noqa: E402

rng = np.random.default_rng(0)
centres = np.array([[0, 0], [7, 0], [0, 7], [7, 7], [3.5, 12], [11, 11]])
X = np.vstack([rng.normal(c, [0.9, 0.6], (150, 2)) for c in centres])
y = np.repeat(np.arange(len(centres)), 150)
labelled = (y < 2) & (rng.random(y.size) < 0.5)
y_partial = np.where(labelled, y, -1)

model = SemiSupervisedGMM(random_state=0).fit(X, y_partial)
accuracy = gcd_accuracy(y[~labelled], model.predict(X[~labelled]), y[~labelled] < 2)
print(f"novel classes found: {model.n_novel_classes_} (true: 4)")
print(f"unlabelled accuracy: all {accuracy.all:.3f}, old {accuracy.old:.3f}, "
      f"new {accuracy.new:.3f}")  # fmt: skip

# %%
# Left: the labelled rows (large) and the predicted class of every row.
# Right: the number of components after each split/merge round.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
prediction = model.predict(X)
left.scatter(*X[~labelled].T, c=prediction[~labelled], cmap="tab10", s=6, vmax=9)
left.scatter(*X[labelled].T, c=y[labelled], cmap="tab10", s=30, vmax=9,
             edgecolor="k", lw=0.5)  # fmt: skip
left.set_title("labelled (outlined) and predicted classes")
sizes = [r["n_components_after"] for r in model.split_merge_history_]
right.step(range(1, len(sizes) + 1), sizes, where="mid")
right.axhline(len(centres), ls="--", c="0.5", label="true number of classes")
right.set_xlabel("split/merge round")
right.set_ylabel("components")
right.legend()
fig.tight_layout()
if "__file__" in globals():  # run as a script (sphinx-gallery keeps its own copy)
    fig.savefig(Path(__file__).with_suffix(".png"), dpi=90)
