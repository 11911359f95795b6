#!/usr/bin/env python3
"""scikit-learn's side of tools/bench-landscape: randomized PCA and k-means++ on aamped's own scaled
matrix (the .npy `train landscape --export-scaled` writes, the exact input to aamped's PCA). Prints one
JSON object.

    sklearn_peer.py --matrix scaled.npy [--dimensions 16] [--clusters 8] [--restarts 4] [--seed 1]
                    [--repeats 1] [--landscape-csv FILE]

Timed per repeat: PCA(n_components, svd_solver="randomized", random_state=seed).fit_transform(X), then
KMeans(n_clusters, n_init=restarts, init="k-means++", random_state=seed).fit(vectors), on the matrix as
stored (float32, which scikit-learn keeps). The best repeat by PCA + KMeans seconds is reported, with its
explained variance ratio and inertia. Peak RSS of this process (ru_maxrss) after loading and after the
fits separates the input's memory from the fits'.

With --landscape-csv (`aampectl landscape export`), also recomputes aamped's explained variance (the
variance of its vectors over the matrix's total variance) and inertia (squared distances of its vectors
to their cluster's mean) from what aamped exported, to check the figures its JSON reports.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", required=True)
    parser.add_argument("--dimensions", type=int, default=16)
    parser.add_argument("--clusters", type=int, default=8)
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--landscape-csv")
    options = parser.parse_args()

    import sklearn
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from threadpoolctl import threadpool_info

    start = time.perf_counter()
    matrix = np.load(options.matrix)
    load_seconds = time.perf_counter() - start
    rss_loaded = peak_rss_kib()

    runs = []
    for _ in range(options.repeats):
        start = time.perf_counter()
        pca = PCA(n_components=options.dimensions, svd_solver="randomized", random_state=options.seed)
        vectors = pca.fit_transform(matrix)
        pca_seconds = time.perf_counter() - start
        start = time.perf_counter()
        kmeans = KMeans(n_clusters=options.clusters, n_init=options.restarts, init="k-means++",
                        random_state=options.seed).fit(vectors)
        kmeans_seconds = time.perf_counter() - start
        runs.append({
            "pca_seconds": pca_seconds,
            "kmeans_seconds": kmeans_seconds,
            "seconds": pca_seconds + kmeans_seconds,
            "explained_variance_ratio": [float(v) for v in pca.explained_variance_ratio_],
            "explained_variance": float(np.sum(pca.explained_variance_ratio_)),
            "inertia": float(kmeans.inertia_),
            "kmeans_iterations": int(kmeans.n_iter_),
            "pca_iterations": str(pca.iterated_power),
        })
        del vectors, pca, kmeans
    best = min(runs, key=lambda run: run["seconds"])
    result = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "threadpools": [{"api": p.get("internal_api"), "threads": p.get("num_threads")} for p in threadpool_info()],
        "rows": int(matrix.shape[0]),
        "columns": int(matrix.shape[1]),
        "dtype": str(matrix.dtype),
        "load_seconds": load_seconds,
        "max_rss_kib_after_load": rss_loaded,
        "max_rss_kib_after_fit": peak_rss_kib(),
        "matrix_bytes": int(matrix.nbytes),
        "runs": runs,
        "best": best,
    }

    if options.landscape_csv:
        import pandas as pd

        exported = pd.read_csv(options.landscape_csv)
        columns = [c for c in exported.columns if c.startswith("v") and c[1:].isdigit()]
        vectors = exported[columns].to_numpy(np.float64)
        clusters = exported["cluster"].to_numpy()
        total = float(np.sum(np.var(matrix.astype(np.float64), axis=0)))
        inertia = 0.0
        for cluster in np.unique(clusters):
            members = vectors[clusters == cluster]
            inertia += float(np.sum((members - members.mean(axis=0)) ** 2))
        result["aamped_recomputed"] = {
            "rows": int(len(exported)),
            "explained_variance": float(np.sum(np.var(vectors, axis=0)) / total),
            "inertia": inertia,
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
