#!/usr/bin/env python3
"""lifetimes' side of tools/bench-landscape: BetaGeoFitter fitted on the frequency, recency_days and
age_days columns of `aampectl timing export` (users active before the reference time), the same
numbers aamped's BG/NBD was fitted on. Prints one JSON object.

    lifetimes_peer.py --timing-csv FILE --timing-json FILE [--repeats 1]

Timed, best of --repeats:
  - BetaGeoFitter(penalizer_coef=0).fit(frequency, recency, T): one row per user, as lifetimes is
    normally called. lifetimes 0.11.3's fit() also computes the Hessian for standard errors; that is
    part of the time, as it is part of the call;
  - the same fit with weights= on the distinct (x, tx, T) triples, grouping included, the trick aamped
    uses, to show how much of the difference is the grouping and how much the optimizer.
Both fits' parameters and total log-likelihoods (lifetimes' formula, in days) are reported next to
aamped's parameters from the train timing JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bgnbd  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timing-csv", required=True)
    parser.add_argument("--timing-json", required=True)
    parser.add_argument("--repeats", type=int, default=1)
    options = parser.parse_args()

    start = time.perf_counter()
    columns = pd.read_csv(options.timing_csv, usecols=["frequency", "recency_days", "age_days"]).dropna()
    load_seconds = time.perf_counter() - start
    x = columns["frequency"].to_numpy(np.float64)
    tx = columns["recency_days"].to_numpy(np.float64)
    T = columns["age_days"].to_numpy(np.float64)

    per_user = []
    for _ in range(options.repeats):
        params, seconds, converged, message = bgnbd.fit(x, tx, T)
        per_user.append((seconds, params, message))
    per_user_seconds, per_user_params, per_user_message = min(per_user, key=lambda run: run[0])

    grouped = []
    for _ in range(options.repeats):
        start = time.perf_counter()
        triples, counts = np.unique(np.stack([x, tx, T], axis=1), axis=0, return_counts=True)
        group_seconds = time.perf_counter() - start
        params, seconds, converged, message = bgnbd.fit(triples[:, 0], triples[:, 1], triples[:, 2], weights=counts)
        grouped.append((group_seconds + seconds, len(triples), params, message))
    grouped_seconds, distinct, grouped_params, grouped_message = min(grouped, key=lambda run: run[0])

    timing = json.load(open(options.timing_json))
    ours = {name: float(timing["activity_model"][name]) for name in ("r", "alpha", "a", "b")}
    result = {
        "lifetimes_version": bgnbd.lifetimes_version(),
        "users": int(len(x)),
        "distinct_triples": int(distinct),
        "load_seconds": load_seconds,
        "per_user": {"seconds": per_user_seconds, "params": per_user_params, "status": per_user_message,
                     "log_likelihood": bgnbd.log_likelihood(per_user_params, x, tx, T)},
        "grouped": {"seconds": grouped_seconds, "params": grouped_params, "status": grouped_message,
                    "log_likelihood": bgnbd.log_likelihood(grouped_params, x, tx, T)},
        "aamped": {"activity_seconds": timing["phase_seconds"].get("activity"), "params": ours,
                   "log_likelihood": bgnbd.log_likelihood(ours, x, tx, T)},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
