"""
Watching a stream for drift, and adapting to it
===============================================

A detector scores a stream of batches of sensor readings. At batch 20 the
process moves to a new operating point: every reading shifts, and half of
them look novel. :class:`~skmix.novelty.ConformalDriftMonitor` bets against
"the stream still looks like the calibration rows" with a conformal test
martingale; on an unchanged stream it raises a false alarm with probability
at most ``level`` over the whole stream, and after the shift it grows
geometrically. Once alarmed, ``partial_fit`` with ``forgetting_factor < 1``
moves the detector to the new regime (online EM that discounts the past) and
refreshes its calibration rows with held-out shares of the new batches, so the
false-alarm rate returns to ``alpha``; the monitor then restarts against the
new reference.
"""

import matplotlib.pyplot as plt
import numpy as np

from skmix.novelty import ConformalDriftMonitor, GaussianMixtureNoveltyDetector

rng = np.random.default_rng(0)
mixing = np.array([[1.0, 0.6, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.8]])


def readings(n, shift=0.0):
    """Three correlated sensors; ``shift`` moves the operating point."""
    return rng.normal(size=(n, 3)) @ mixing + shift


detector = GaussianMixtureNoveltyDetector(
    alpha=0.05, forgetting_factor=0.5, random_state=0
).fit(readings(3000))
monitor = ConformalDriftMonitor(detector, level=0.01, random_state=0)

# After an alarm the detector adapts for as many batches as its memory spans
# (``forgetting_factor ** age`` above 0.01: 7 batches at 0.5), then the
# monitor restarts against the refreshed reference.
horizon = int(np.ceil(np.log(0.01) / np.log(detector.forgetting_factor)))
martingales, flagged, alarms, restarts = [], [], [], []
adapting = 0
for batch in range(60):
    X = readings(300, shift=1.5 if batch >= 20 else 0.0)
    flagged.append(detector.is_novel(X).mean())
    if adapting:
        detector.partial_fit(X)  # online EM with forgetting
        adapting -= 1
        if not adapting:
            monitor.reset()
            restarts.append(batch)
        martingales.append(np.nan)
        continue
    state = monitor.update(X)
    martingales.append(state.martingale)
    if state.alarm:
        alarms.append(batch)
        adapting = horizon
print(f"alarms at batches {alarms} (shift at batch 20)")
print(f"monitor restarted at batch {restarts[0]}")
print(f"detector's flagged share, last 20 batches: {np.mean(flagged[-20:]):.3f}")

# %%
# Top: the monitor's martingale (log scale) and its alarm threshold
# ``1 / level``; it pauses while the detector adapts and starts again at 1.
# Bottom: the share of each batch the detector flags: about ``alpha`` before
# the shift, most rows just after it, and ``alpha`` again once the detector
# has adapted.
fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True,
                                  layout="constrained")  # fmt: skip
batches = np.arange(len(martingales))
top.semilogy(batches, martingales, "o-", ms=3, label="conformal test martingale")
top.axhline(1 / monitor.level, c="k", ls="--", label="alarm threshold (1 / level)")
for i, batch in enumerate(alarms):
    top.axvspan(batch + 0.5, batch + horizon + 0.5, color="tab:red", alpha=0.15,
                label="alarm: adapting" if i == 0 else None)  # fmt: skip
top.axvline(19.5, c="tab:green", ls=":", label="level shift")
top.set(ylabel="martingale (evidence of drift)")
top.legend(fontsize=8, loc="upper left")
bottom.plot(batches, flagged, "o-", ms=3, label="share of batch flagged")
bottom.axhline(detector.alpha, c="k", ls="--", label=f"alpha = {detector.alpha}")
bottom.axvline(19.5, c="tab:green", ls=":")
bottom.set(xlabel="batch (300 readings each)", ylabel="flagged as novel",
           ylim=(-0.02, 1.02))  # fmt: skip
bottom.legend(fontsize=8, loc="upper right")

# sphinx_gallery_start_ignore
if "__file__" in globals():  # run as a script: also write the figure to a file
    fig.savefig(__file__.removesuffix(".py") + ".png", dpi=90)
# sphinx_gallery_end_ignore
