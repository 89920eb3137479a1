"""
Quickstart: fit a Gaussian mixture on the fastest backend
=========================================================

Fits :class:`skmix.mixture.GaussianMixture` and scikit-learn's estimator on the
same 200,000 points from the same initialisation, checks that they agree, and
compares their speed. Then selects the number of components by BIC, streams the
data through ``partial_fit``, and draws the fitted components.
"""

import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture  # noqa: E402

import skmix  # noqa: E402
from skmix.mixture import GaussianMixture  # noqa: E402

X, _ = make_blobs(
    n_samples=200_000, centers=4, cluster_std=[0.6, 1.0, 1.5, 0.8], random_state=0
)
X = X @ np.array([[1.0, 0.4], [0.0, 0.7]])  # shear: full covariances needed

# %%
# Same model, same initialisation: the same answer, faster.
common = dict(n_components=4, covariance_type="full", random_state=0, tol=1e-6)
start = time.perf_counter()
reference = SklearnGaussianMixture(**common).fit(X)
sklearn_seconds = time.perf_counter() - start

model = GaussianMixture(**common).fit(X[:1000])  # compiles the Numba kernels once
start = time.perf_counter()
model = GaussianMixture(**common).fit(X)
skmix_seconds = time.perf_counter() - start

print(f"backend: {model.backend_} (configured: {skmix.get_config()['backend']})")
print(f"mean log-likelihood  sklearn {reference.score(X):.6f}", end="   ")
print(f"skmix {model.score(X):.6f}")
speedup = sklearn_seconds / skmix_seconds
print(f"fit time  sklearn {sklearn_seconds:.2f} s", end="   ")
print(f"skmix {skmix_seconds:.2f} s   ({speedup:.1f}x)")
assert np.isclose(model.score(X), reference.score(X), rtol=1e-6)

# %%
# Number of components by BIC.
bics = {k: GaussianMixture(k, random_state=0).fit(X).bic(X) for k in range(1, 8)}
best_k = min(bics, key=bics.get)
print("BIC by n_components:", {k: round(v) for k, v in bics.items()}, "-> best", best_k)

# %%
# Streaming: the same model from chunks of 10,000 rows, one pass per epoch.
streamed = GaussianMixture(4, random_state=0)
for _epoch in range(3):
    for chunk in np.array_split(X, 20):
        streamed.partial_fit(chunk)
print(f"streamed mean log-likelihood {streamed.score(X):.6f}")

# %%
# Plot the data and the fitted components (2-sigma ellipses).
fig, ax = plt.subplots(figsize=(6, 5))
ax.scatter(X[::20, 0], X[::20, 1], s=2, c=model.predict(X[::20]), cmap="tab10")
angles = np.linspace(0, 2 * np.pi, 100)
circle = np.stack([np.cos(angles), np.sin(angles)])
for mean, covariance in zip(model.means_, model.covariances_, strict=True):
    ellipse = mean[:, None] + 2 * np.linalg.cholesky(covariance) @ circle
    ax.plot(*ellipse, color="black", lw=1.5)
ax.set_title(f"skmix GaussianMixture ({model.backend_} backend)")
if "__file__" in globals():  # run as a script (sphinx-gallery keeps its own copy)
    output = Path(__file__).with_name("quickstart.png")
    fig.savefig(output, dpi=100)
    print(f"plot written to {output}")
