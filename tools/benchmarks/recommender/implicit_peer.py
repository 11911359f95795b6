#!/usr/bin/env python3
"""The peer of `aampectl train recommender`: implicit's item-item recommenders on the same interactions.

Reads the simulator's Segment JSONL dumps (``world/events/*.jsonl`` or ``*.jsonl.zst``) with DuckDB, keeps
what the recommender learns from, and times ``fit`` of implicit's ``CosineRecommender`` and
``BM25Recommender`` with K neighbours per item (as aamped's ``--neighbours``); BM25 with the
constructor's defaults, K1 = 1.2 and B = 0.75, which aamped's bm25 similarity uses too. Loading is timed and
reported on its own; the fit times cover ``fit`` alone.

The interactions, as aamped's importer and trainer see them:

- one event per ``messageId`` (the simulator writes 1 % of events twice with the same id, as CDP retries
  do; aamped's import deduplicates on that key); lines that are not JSON are skipped (the simulator's
  malformed lines, which aamped quarantines);
- weights by event type: ``product_viewed`` (and ``view``) 1, ``add_to_cart`` 3, ``purchase`` 5; every
  other event is ignored; the item is ``properties.product_id``;
- one matrix entry per (user, item), the sum of its events' weights (what ``coo_matrix`` → ``csr_matrix``
  gives implicit users); users without interactions have no row. implicit applies no time decay.

Prints one JSON object on stdout; progress goes to stderr.

    implicit_peer.py --events WORLD/events [--neighbours 50] [--threads 0] [--repeats 1]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import sys
import time
import warnings

WEIGHTS = {"product_viewed": 1.0, "view": 1.0, "add_to_cart": 3.0, "purchase": 5.0}


def log(message: str) -> None:
    print(f"implicit_peer: {message}", file=sys.stderr, flush=True)


def event_files(folder: str) -> list[str]:
    files = sorted(glob.glob(os.path.join(folder, "*.jsonl")) + glob.glob(os.path.join(folder, "*.jsonl.zst")))
    if not files:
        raise SystemExit(f"implicit_peer: no *.jsonl or *.jsonl.zst files in {folder}")
    return files


def load(files: list[str], threads: int):
    """Returns (users, items, weights) as dense int32/int32/float32 arrays, and counts for the report."""
    import duckdb
    import numpy as np

    connection = duckdb.connect()
    if threads > 0:
        connection.execute(f"SET threads = {threads}")
    weight_case = " ".join(f"WHEN '{name}' THEN {weight}" for name, weight in WEIGHTS.items())
    names = ", ".join(f"'{name}'" for name in WEIGHTS)
    file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    # Only the fields read are declared; DuckDB skips the others. ignore_errors skips the malformed lines.
    connection.execute(
        f"""
        CREATE TEMP TABLE events AS
        SELECT messageId, userId, event, properties.product_id AS item
        FROM read_json({file_list},
                       format = 'newline_delimited',
                       ignore_errors = true,
                       columns = {{messageId: 'VARCHAR', userId: 'VARCHAR', event: 'VARCHAR',
                                   properties: 'STRUCT(product_id VARCHAR)'}})
        """
    )
    lines = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    connection.execute(
        f"""
        CREATE TEMP TABLE interactions AS
        WITH unique_events AS (
            SELECT userId, event, item FROM events
            WHERE messageId IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY messageId) = 1
        ),
        weighted AS (
            SELECT userId, item, CASE event {weight_case} END AS weight
            FROM unique_events
            WHERE event IN ({names}) AND userId IS NOT NULL AND item IS NOT NULL
        )
        SELECT userId, item, sum(weight)::FLOAT AS weight, count(*) AS events
        FROM weighted GROUP BY userId, item
        """
    )
    unique_events = connection.execute(
        "SELECT count(DISTINCT messageId) FROM events WHERE messageId IS NOT NULL"
    ).fetchone()[0]
    weighted_events = connection.execute("SELECT coalesce(sum(events), 0) FROM interactions").fetchone()[0]
    result = connection.execute(
        """
        SELECT (dense_rank() OVER (ORDER BY userId) - 1)::INTEGER AS user_index,
               (dense_rank() OVER (ORDER BY item) - 1)::INTEGER AS item_index,
               weight
        FROM interactions
        """
    ).fetchnumpy()
    users = np.ascontiguousarray(result["user_index"], dtype=np.int32)
    items = np.ascontiguousarray(result["item_index"], dtype=np.int32)
    weights = np.ascontiguousarray(result["weight"], dtype=np.float32)
    counts = {
        "json_records": int(lines),
        "unique_events": int(unique_events),
        "weighted_events": int(weighted_events),
    }
    return users, items, weights, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", required=True, help="the folder of Segment JSONL dumps (world/events)")
    parser.add_argument("--neighbours", type=int, default=50, help="K, neighbours kept per item (default 50)")
    parser.add_argument("--threads", type=int, default=0, help="implicit's and DuckDB's threads; 0: every core")
    parser.add_argument("--repeats", type=int, default=1, help="fit each model this many times (default 1)")
    arguments = parser.parse_args()
    if arguments.neighbours < 1:
        parser.error("--neighbours must be at least 1")
    if arguments.repeats < 1:
        parser.error("--repeats must be at least 1")
    if arguments.threads < 0:
        parser.error("--threads must be 0 or more")

    import implicit
    import numpy as np
    import scipy.sparse
    from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

    files = event_files(arguments.events)
    log(f"reading {len(files)} dump files with DuckDB")
    start = time.perf_counter()
    users, items, weights, counts = load(files, arguments.threads)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    user_count = int(users.max()) + 1 if len(users) else 0
    item_count = int(items.max()) + 1 if len(items) else 0
    user_items = scipy.sparse.csr_matrix((weights, (users, items)), shape=(user_count, item_count))
    user_items.sum_duplicates()
    csr_seconds = time.perf_counter() - start
    log(
        f"{counts['weighted_events']:,} weighted events, {user_items.nnz:,} (user, item) pairs, "
        f"{user_count:,} users × {item_count:,} items; loaded in {load_seconds:.1f} s, CSR in {csr_seconds:.2f} s"
    )

    # fit() hands all_pairs_knn a COO matrix after weighting, which implicit converts (and warns about)
    # itself: part of its fit, not something a caller can change.
    warnings.filterwarnings("ignore", message="Method expects CSR input")
    models = {
        "cosine": lambda: CosineRecommender(K=arguments.neighbours, num_threads=arguments.threads),
        "bm25": lambda: BM25Recommender(K=arguments.neighbours, K1=1.2, B=0.75, num_threads=arguments.threads),
    }
    fits = {}
    for name, make in models.items():
        seconds = []
        similarity_nnz = 0
        for repeat in range(arguments.repeats):
            model = make()
            start = time.perf_counter()
            model.fit(user_items, show_progress=False)
            seconds.append(time.perf_counter() - start)
            similarity_nnz = int(model.similarity.nnz)
            log(f"{type(model).__name__} fit {repeat + 1}/{arguments.repeats}: {seconds[-1]:.2f} s")
            del model
        fits[name] = {"fit_s": seconds, "best_fit_s": min(seconds), "similarity_nnz": similarity_nnz}

    report = {
        "implicit_version": implicit.__version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "files": len(files),
        "neighbours": arguments.neighbours,
        "threads": arguments.threads or os.cpu_count(),
        **counts,
        "users": user_count,
        "items": item_count,
        "pairs": int(user_items.nnz),
        "load_s": load_seconds,
        "csr_s": csr_seconds,
        "fits": fits,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
