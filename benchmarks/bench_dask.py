"""Distributed EM on Dask: 1e7 x 16 float32, generated block by block.

The data are a mixture of 8 Gaussians drawn block by block on the workers
(each block from its own seed), so the full array never exists in memory.
GaussianMixture runs 10 EM iterations on it through a LocalCluster (the
E-step per block on the workers, statistics tree-reduced, the M-step on the
client), against the same model fitted in memory on the first 1e6 rows, from
the same initial parameters. Printed: seconds per EM iteration, rows per
second (also net of the time a pass spends generating the blocks), and peak
resident memory (the client process, each worker, and the in-memory fit's
process).

Usage::

    python benchmarks/bench_dask.py                 # 1e7 rows, 2 workers
    python benchmarks/bench_dask.py --rows 2000000 --workers 2
"""

import argparse
import multiprocessing
import resource
import time
import warnings

import numpy as np

N_FEATURES, N_COMPONENTS, BLOCK_ROWS, MAX_ITER = 16, 8, 250_000, 10


def make_block(index, n_rows, seed=0):
    """Rows of block `index`: a mixture of 8 Gaussians, float32."""
    centres = np.random.default_rng(seed).normal(0, 3, (N_COMPONENTS, N_FEATURES))
    rng = np.random.default_rng([seed, index])
    labels = rng.integers(0, N_COMPONENTS, n_rows)
    return (centres[labels] + rng.normal(size=(n_rows, N_FEATURES))).astype(np.float32)


def dask_array(n_rows):
    import dask
    import dask.array as da

    sizes = [BLOCK_ROWS] * (n_rows // BLOCK_ROWS) + (
        [n_rows % BLOCK_ROWS] if n_rows % BLOCK_ROWS else []
    )
    blocks = [
        da.from_delayed(
            dask.delayed(make_block)(i, size), (size, N_FEATURES), dtype=np.float32
        )
        for i, size in enumerate(sizes)
    ]
    return da.concatenate(blocks)


def initial_parameters():
    from skmix.mixture import GaussianMixture

    sample = make_block(10_000, 50_000)
    model = GaussianMixture(N_COMPONENTS, max_iter=5, random_state=0).fit(sample)
    return dict(
        weights_init=model.weights_, means_init=model.means_,
        precisions_init=model.precisions_,
    )  # fmt: skip


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fit(X, init):
    from skmix.mixture import GaussianMixture

    model = GaussianMixture(N_COMPONENTS, tol=0.0, max_iter=MAX_ITER, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: a fixed number of iterations
        start = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - start
    return seconds / model.n_iter_, model.lower_bound_


def in_memory(n_rows, init, queue):
    X = np.concatenate(
        [make_block(i, min(BLOCK_ROWS, n_rows - i * BLOCK_ROWS))
         for i in range(-(-n_rows // BLOCK_ROWS))]
    )  # fmt: skip
    fit(X[: 1 << 15], init)  # compile the kernels (fewer rows run on NumPy)
    per_iter, bound = fit(X, init)
    queue.put((per_iter, bound, peak_rss_mb()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    init = initial_parameters()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=in_memory, args=(args.memory_rows, init, queue))
    process.start()
    memory_per_iter, memory_bound, memory_peak = queue.get()
    process.join()

    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        X = dask_array(args.rows)
        fit(dask_array(2 * BLOCK_ROWS), init)  # compile the kernels on workers
        start = time.perf_counter()
        X.sum().compute()  # one pass that only generates the blocks
        generation = time.perf_counter() - start
        client_before = peak_rss_mb()
        dask_per_iter, dask_bound = fit(X, init)
        worker_peaks = client.run(peak_rss_mb)

    gib = args.rows * N_FEATURES * 4 / 2**30
    print(f"EM, {N_COMPONENTS} full components, {N_FEATURES} float32 features, "
          f"{MAX_ITER} iterations from the same start")  # fmt: skip
    print(f"  in memory, {args.memory_rows:.0e} rows: {memory_per_iter:.3f} s/iter "
          f"({args.memory_rows / memory_per_iter / 1e6:.1f} M rows/s), "
          f"peak RSS {memory_peak:.0f} MB, log-lik {memory_bound:.4f}")  # fmt: skip
    print(f"  Dask, {args.rows:.0e} rows ({gib:.2f} GiB, never materialised), "
          f"{args.workers} workers: {dask_per_iter:.3f} s/iter "
          f"({args.rows / dask_per_iter / 1e6:.1f} M rows/s), "
          f"log-lik {dask_bound:.4f}")  # fmt: skip
    net = dask_per_iter - generation
    print(f"  of which generating the blocks (every pass): {generation:.3f} s; "
          f"net {net:.3f} s/iter ({args.rows / net / 1e6:.1f} M rows/s)")  # fmt: skip
    print(
        f"  peak RSS: client {max(client_before, peak_rss_mb()):.0f} MB, workers "
        + ", ".join(f"{v:.0f}" for v in worker_peaks.values())
        + " MB"
    )
    ratio = (args.rows / dask_per_iter) / (args.memory_rows / memory_per_iter)
    net_ratio = (args.rows / net) / (args.memory_rows / memory_per_iter)
    print(f"  throughput Dask / in-memory: {ratio:.2f} ({net_ratio:.2f} net)")


if __name__ == "__main__":
    main()
