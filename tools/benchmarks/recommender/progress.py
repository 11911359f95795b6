#!/usr/bin/env python3
"""One progress line of tools/bench-recommender from a step's JSON files; fails when the step failed.

    progress.py world WORLD SIM_JSON            the world's counts, from its summary.json
    progress.py import MEASURE_JSON KIND        an import's time and peak RSS
    progress.py train MEASURE_JSON TRAIN_JSON SIMILARITY
"""

import glob
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def measured(path):
    result = load(path)
    if result["exit_status"] != 0:
        raise SystemExit(f"progress: {' '.join(result['argv'])} exited with {result['exit_status']}")
    return result


def main(arguments):
    kind = arguments[0] if arguments else ""
    if kind == "world" and len(arguments) == 3:
        world, sim = arguments[1], measured(arguments[2])
        totals = load(os.path.join(world, "summary.json"))["totals"]
        names = totals["events_by_name"]
        weighted = sum(names.get(name, 0) for name in ("product_viewed", "view", "add_to_cart", "purchase"))
        dumps = sum(os.path.getsize(f) for f in glob.glob(os.path.join(world, "events", "*")))
        with open(os.path.join(world, "users.csv")) as f:
            users = sum(1 for _ in f) - 1
        with open(os.path.join(world, "catalog.csv")) as f:
            items = sum(1 for _ in f) - 1
        print(f"world ({sim['wall_seconds']:.0f} s, peak RSS {sim['max_rss_kib'] / 1024:,.0f} MiB): {users:,} users, "
              f"{items:,} items, {totals['events']:,} events ({weighted:,} views, carts and purchases), "
              f"{totals['lines']:,} lines with {totals['duplicates']:,} duplicates and {totals['malformed']:,} "
              f"malformed; dumps {dumps / 1e6:,.0f} MB zstd")
    elif kind == "import" and len(arguments) == 3:
        result = measured(arguments[1])
        print(f"import {arguments[2]}: {result['wall_seconds']:.1f} s, peak RSS {result['max_rss_kib'] / 1024:,.0f} MiB")
    elif kind == "train" and len(arguments) == 4:
        result, train = measured(arguments[1]), load(arguments[2])
        print(f"train {arguments[3]}: {result['wall_seconds']:.1f} s (reading {train['seconds_reading']:.1f}, "
              f"training {train['seconds_training']:.2f}, writing {train['seconds_writing']:.1f}), peak RSS "
              f"{result['max_rss_kib'] / 1024:,.0f} MiB, generation {train['publication']['generation']}")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
