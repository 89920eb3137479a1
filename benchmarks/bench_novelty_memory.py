"""OpenSetGMMDetector on a memory map larger than what it may hold: private
memory of every scoring method against the size of its output.

A detector fitted on 20,000 rows (4 classes, 16 features) scores a
``n_rows x 16`` float32 ``numpy.memmap`` (default 2e7 rows, 1.28 GB on disk)
with each method. A thread samples the process's private memory
(``RssAnon`` of ``/proc/self/status``, which excludes the memory map's
file-backed pages) every 5 ms; the peak above the level before the call is
reported next to the output's size (goal: a small constant times the
output). Each method runs in a fresh process, so one's peak does not hide
another's.

Usage::

    python benchmarks/bench_novelty_memory.py                # 2e7 rows
    python benchmarks/bench_novelty_memory.py --rows 2000000
"""

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np

METHODS = (
    "score_samples",
    "decision_function",
    "predict",
    "predict_proba",
    "is_novel",
    "is_novel_fdr",
    "conformal_p_values",
    "drift",
)
N_FEATURES = 16


def private_bytes():
    """Anonymous resident memory of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("RssAnon not in /proc/self/status (Linux only).")


class PeakSampler(threading.Thread):
    def __init__(self, interval=0.005):
        super().__init__(daemon=True)
        self.interval, self.peak, self._done = interval, private_bytes(), False

    def run(self):
        while not self._done:
            self.peak = max(self.peak, private_bytes())
            time.sleep(self.interval)

    def stop(self):
        self._done = True
        self.join()
        self.peak = max(self.peak, private_bytes())


def make_data(path, n_rows, rng):
    """Known-class training rows and the memory-mapped rows to score."""
    centres = rng.normal(0, 3, (4, N_FEATURES))
    labels = rng.integers(0, 4, 20_000)
    X_train = centres[labels] + rng.normal(size=(20_000, N_FEATURES))
    mapped = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_rows, N_FEATURES)
    )
    for start in range(0, n_rows, 1_000_000):
        stop = min(start + 1_000_000, n_rows)
        rows = rng.integers(0, 4, stop - start)
        mapped[start:stop] = centres[rows] + rng.normal(size=(stop - start, 16))
    mapped.flush()
    return X_train, labels


def measure(method, path, train_path):
    """Run one method in this process; returns its figures."""
    from skmix.novelty import OpenSetGMMDetector

    train = np.load(train_path)
    detector = OpenSetGMMDetector(random_state=0).fit(train["X"], train["y"])
    X = np.load(path, mmap_mode="r")
    # Compile outside the measurement: enough rows that "auto" picks Numba.
    detector.score_samples(X[: 1 << 15])
    call = {
        "is_novel_fdr": lambda: detector.is_novel(X, fdr=0.05),
        "drift": lambda: detector.drift(X),
    }.get(method, lambda: getattr(detector, method)(X))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sampler = PeakSampler()
        before = private_bytes()
        sampler.start()
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
        sampler.stop()
    output = 0 if method == "drift" else np.asarray(result).nbytes
    return {
        "method": method,
        "seconds": seconds,
        "peak_bytes": sampler.peak - before,
        "output_bytes": output,
        "warnings": len(caught),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--methods", nargs="*", default=list(METHODS), choices=METHODS)
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # child process
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path, train_path = Path(folder, "X.npy"), Path(folder, "train.npz")
        X_train, labels = make_data(path, args.rows, np.random.default_rng(0))
        np.savez(train_path, X=X_train, y=labels)
        size = args.rows * N_FEATURES * 4 / 1e9
        print(f"{args.rows:,} x {N_FEATURES} float32 memmap ({size:.2f} GB)")
        print(f"{'method':>20} {'seconds':>8} {'output MB':>10} {'peak MB':>9} "
              f"{'peak/output':>11} {'warnings':>8}")  # fmt: skip
        for method in args.methods:
            child = subprocess.run(
                [sys.executable, __file__, "--measure", method, str(path),
                 str(train_path)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            row = json.loads(child.stdout.strip().splitlines()[-1])
            ratio = (
                row["peak_bytes"] / row["output_bytes"] if row["output_bytes"] else 0
            )
            print(
                f"{method:>20} {row['seconds']:8.1f} {row['output_bytes'] / 1e6:10.0f} "
                f"{row['peak_bytes'] / 1e6:9.0f} {ratio:11.2f} {row['warnings']:8d}"
            )


if __name__ == "__main__":
    main()
