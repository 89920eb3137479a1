"""
Flagging novel inputs with class-conditional mixtures
=====================================================

A production model knows some classes; new kinds of input appear later.
:class:`~skmix.novelty.OpenSetGMMDetector` fits one Gaussian mixture per known
class, classifies known inputs, and flags inputs whose density under the known
classes falls below a threshold set by split-conformal calibration, so that at
most ``alpha`` of normal inputs raise a false alarm. Here digits 0-7 are known
and 8 and 9 appear only at scoring time.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skmix.novelty import OpenSetGMMDetector  # noqa: E402

X, y = load_digits(return_X_y=True)
known = y < 8
train, test = train_test_split(
    np.flatnonzero(known), test_size=0.3, stratify=y[known], random_state=0
)
test = np.r_[test, np.flatnonzero(~known)]
pca = PCA(20, random_state=0).fit(X[train])
X_train, X_test = pca.transform(X[train]), pca.transform(X[test])

detector = OpenSetGMMDetector(alpha=0.05, random_state=0).fit(X_train, y[train])
is_novel = ~known[test]
flagged = detector.is_novel(X_test)
print(f"chosen covariance: {detector.covariance_type_}, "
      f"reg_covar {detector.reg_covar_:.3g}")  # fmt: skip
print(f"false alarms on known digits: {flagged[~is_novel].mean():.3f} (alpha 0.05)")
print(f"novel digits flagged: {flagged[is_novel].mean():.3f}")
print(f"AUROC: {roc_auc_score(is_novel, -detector.score_samples(X_test)):.3f}")
predicted, truth = detector.predict(X_test[~is_novel]), y[test][~is_novel]
accepted = predicted != -1
accuracy = np.mean(predicted[accepted] == truth[accepted])
print(f"accuracy on accepted known digits: {accuracy:.3f}")

# %%
# Conformal p-values of known and novel test digits, and the drift statistic
# of a batch in which novel digits are mixed in.
p_values = detector.conformal_p_values(X_test)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
bins = np.linspace(0, 1, 21)
left.hist(p_values[~is_novel], bins, alpha=0.6, label="known digits (0-7)")
left.hist(p_values[is_novel], bins, alpha=0.6, label="novel digits (8, 9)")
left.axvline(detector.alpha, c="k", ls="--", label="alpha")
left.set_xlabel("conformal p-value")
left.legend()
shares = np.linspace(0, 0.5, 11)
rng = np.random.default_rng(0)
statistics = []
for share in shares:
    n_novel = int(share * 200)
    batch = np.r_[
        rng.choice(np.flatnonzero(~is_novel), 200 - n_novel),
        rng.choice(np.flatnonzero(is_novel), n_novel),
    ]
    statistics.append(detector.drift(X_test[batch]).statistic)
right.plot(shares, statistics, "o-")
right.set_xlabel("share of novel digits in a batch of 200")
right.set_ylabel("KS drift statistic vs calibration scores")
fig.tight_layout()
if "__file__" in globals():  # run as a script (sphinx-gallery keeps its own copy)
    fig.savefig(Path(__file__).with_suffix(".png"), dpi=90)
