#!/usr/bin/env python3
"""Prints tools/bench-recommender's markdown tables and targets from the JSON files of one run.

    report.py --results DIR --world DIR --aamped BIN --repeats N --max-price P

Exits 1 when a run reported errors (error frames, lost requests, failed connections), so the script's
status says whether its figures can be trusted; unmet targets are printed, not failed on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from markdown import table  # noqa: E402


def load(path: str):
    with open(path) as f:
        return json.load(f)


def times(ratio):
    """A ratio as "0.99x", cut (not rounded) to two decimals, so that one just under a target never prints as it."""
    return f"{math.floor(ratio * 100) / 100:.2f}x" if math.isfinite(ratio) else f"{ratio}x"


def num(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def mib(value_bytes):
    return f"{value_bytes / 2**20:,.0f} MiB"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def serving(serve, generation_users, max_price, heading):
    """Prints one serving run's tables and targets (RECOMMEND against Redis, open loop, memory, start) under
    `heading`; returns the run's failures."""
    start = serve["start"]
    sample = serve["sample"]
    print(f"\n### RECOMMEND (aampe-loadgen) against Redis GET (redis-benchmark), Unix sockets{heading}\n")
    print(f"RECOMMEND asks 10 items, in stock, price at most {max_price} (the catalog's 75th percentile), for "
          f"users drawn uniformly from {serve['users_in_file']:,} ids; Redis GETs random keys over as many users, each "
          f"holding {serve['value_bytes']} bytes, the mean RECOMMEND response body measured just before. Same "
          f"connections, depth and request count, one after the other; one client thread each.")
    print(f"A sample of {sample['users']:,} RECOMMEND answers (Python client): {sample['known_users']:,} for known users "
          f"({sample['known_users'] / max(1, sample['answered']):.0%}), {sample['mean_items']:.2f} items on average, "
          f"{sample['full_answers']:,} with all 10; errors {sample['errors'] or 'none'}.\n")
    rows = []
    throughput_met = []
    for row in serve["matrix"]:
        r, a = row["redis"], row["aamped"]
        ratio = a["throughput_rps"] / r["rps"]
        throughput_met.append(ratio >= 0.8)
        a_cpu = a["server_cpu"] * 1e6 / a["loadgen"]["responses_total"] if a["loadgen"]["responses_total"] else None
        r_cpu = r["server_cpu"] * 1e6 / r["n"]
        rows.append([row["connections"], row["depth"], f"{r['n']:,}", num(r["rps"]), num(a["throughput_rps"]),
                     times(ratio), num(a["latency_us"]["p50"], 1), num(a["latency_us"]["p99"], 1), num(r["p50"], 1),
                     num(r["p99"], 1), num(a_cpu, 2), num(r_cpu, 2), f"{a['recommend']['empty_answers']:,}",
                     verdict(ratio >= 0.8)])
    table(["conns", "depth", "requests", "redis GET req/s", "aamped RECOMMEND req/s", "aamped/redis", "aamped p50 µs",
           "aamped p99 µs", "redis p50 µs", "redis p99 µs", "aamped CPU µs/req", "redis CPU µs/req",
           "answers without items", "≥ 0.8× GET"], rows)

    open_loop, floor = serve["open_loop"], serve["open_loop_floor"]
    half = serve["peak_rps"] / 2
    print(f"\nOpen loop at half of aamped's closed-loop peak ({serve['peak_rps']:,.0f} req/s), 16 connections × depth 16, "
          f"latency from each request's intended send time:\n")
    rows = []
    for what, run in (("aamped RECOMMEND", open_loop), ("aampe-loadgen alone (in-process echo)", floor)):
        lat = run["latency_us"]
        rows.append([what, num(half), num(run["throughput_rps"]), num(lat["p50"], 1), num(lat["p90"], 1),
                     num(lat["p99"], 1), num(lat["p999"], 1), num(lat["max"], 1), f"{run['late_sends']:,}"])
    table(["run", "rate req/s", "achieved req/s", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs",
           "sent > 1 ms late"], rows)

    memory = serve["memory"]
    per_million = memory["VmHWM"] / (generation_users / 1e6)
    print(f"\n### aamped's memory and start{heading}\n")
    table(["users in the generation", "VmHWM", "VmHWM per 10^6 users", "VmRSS at the end", "VmRSS at first answer",
           "start → first connection", "start → first RECOMMEND answer", "errors while starting"],
          [[f"{generation_users:,}", mib(memory["VmHWM"]), mib(per_million), mib(memory["VmRSS"]),
            mib(start["memory_after_first_answer"]["VmRSS"]), f"{start['start_to_connection_s'] * 1000:,.0f} ms",
            f"{start['start_to_first_answer_s'] * 1000:,.0f} ms", start["errors_while_waiting"] or "none"]])
    print(f"\nRedis held {serve['users_in_file']:,} values of {serve['value_bytes']} bytes in "
          f"{mib(serve['redis_memory']['VmRSS'])} resident.")

    print(f"\n#### Targets{heading}\n")
    lat = open_loop["latency_us"]
    print(f"- RECOMMEND p99 under 100 µs at half of peak: **{verdict(lat['p99'] < 100)}** (p99 {lat['p99']:.1f} µs at "
          f"{half:,.0f} req/s; the load generator alone reaches p99 {floor['latency_us']['p99']:.1f} µs at that rate).")
    print(f"- RECOMMEND throughput at least 0.8× Redis GET: **{verdict(all(throughput_met))}** "
          f"(met in {sum(throughput_met)} of {len(throughput_met)} settings).")
    # Issue 19's bounds: no more than before its work (215 MiB per million users, 74 ms to the first answer).
    print(f"- Peak RSS per million users at most 215 MiB: **{verdict(per_million <= 215 * 2**20)}** "
          f"({mib(per_million)}).")
    first_answer_ms = start['start_to_first_answer_s'] * 1000
    print(f"- Start to first answer at most 74 ms: **{verdict(first_answer_ms <= 74)}** ({first_answer_ms:,.0f} ms).")

    failures = list(serve.get("failures", []))
    if sample["errors"]:
        failures.append(f"sample: {sample['errors']}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--world", required=True)
    parser.add_argument("--aamped", required=True)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--max-price", required=True)
    options = parser.parse_args()
    results = options.results

    summary = load(os.path.join(options.world, "summary.json"))["totals"]
    names = summary["events_by_name"]
    implicit = load(os.path.join(results, "implicit.json"))
    serve = load(os.path.join(results, "serve.json"))
    sim = load(os.path.join(results, "sim.json"))
    trains = {}
    for similarity in ("cosine", "bm25"):
        runs = []
        for repeat in range(1, options.repeats + 1):
            measured = load(os.path.join(results, f"train-{similarity}-{repeat}.json"))
            report = load(os.path.join(results, f"train-{similarity}-{repeat}.out"))
            runs.append((measured, report))
        trains[similarity] = min(runs, key=lambda run: run[1]["seconds_training"])
    some_train = trains["cosine"][1]
    generation_users = some_train["users"]
    version = subprocess.run([options.aamped, "--version"], capture_output=True, text=True).stdout.strip()
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    load_average = " ".join(open("/proc/loadavg").read().split()[:3])

    print("\n## bench-recommender\n")
    print(f"aamped {version}; implicit {implicit['implicit_version']} (numpy {implicit['numpy_version']}, scipy "
          f"{implicit['scipy_version']}); Redis {redis_version.removeprefix('v=')}; {os.cpu_count()} cores ({model}); "
          f"load average at the end {load_average}.\n")
    weighted = sum(names.get(name, 0) for name in ("product_viewed", "view", "add_to_cart", "purchase"))
    print(f"World (aampe-sim, {sim['wall_seconds']:.0f} s): {generation_users:,} users and {some_train['items']:,} items "
          f"in the generation; {summary['events']:,} events ({weighted:,} views, carts and purchases) in "
          f"{summary['lines']:,} Segment lines with {summary['duplicates']:,} duplicates and {summary['malformed']:,} "
          f"malformed; {some_train['statistics']['usersWithHistory']:,} users with interactions "
          f"({implicit['users']:,} in implicit's matrix, {implicit['pairs']:,} (user, item) pairs).\n")

    # Training.
    print("### Training: `aampectl train recommender --neighbours 50` against implicit's fit (K = 50)\n")
    print(f"Best of {options.repeats}. aamped's training phase works on the interactions in memory, as implicit's fit works "
          f"on its CSR matrix; the whole command also reads the event segments and writes the generation, and implicit "
          f"first spends {implicit['load_s']:.1f} s in DuckDB reading the dumps and {implicit['csr_s']:.2f} s building the "
          f"matrix. Both use {implicit['threads']} threads.\n")
    rows = []
    train_met = {}
    for similarity in ("cosine", "bm25"):
        measured, report = trains[similarity]
        fit = implicit["fits"][similarity]["best_fit_s"]
        training = report["seconds_training"]
        ratio = fit / training if training > 0 else float("inf")
        train_met[similarity] = training <= fit
        rows.append([similarity, num(training, 2), num(measured["wall_seconds"], 1),
                     f"{report['seconds_reading']:.1f} / {report['seconds_writing']:.1f}", num(fit, 2),
                     num(implicit["load_s"] + implicit["csr_s"] + fit, 1), times(ratio),
                     mib(measured["max_rss_kib"] * 1024), f"{report['statistics']['neighbourPairs']:,}",
                     f"{implicit['fits'][similarity]['similarity_nnz']:,}", verdict(train_met[similarity])])
    table(["similarity", "aamped train s", "aamped command s", "read / write s", "implicit fit s",
           "implicit load+fit s", "implicit fit / aamped train", "aamped peak RSS", "aamped pairs", "implicit pairs",
           "train ≤ fit"], rows)
    print(f"\nimplicit's process peaked at {mib(implicit['peak_rss_bytes'])} (DuckDB and the matrices included).")

    print("\n### Training targets\n")
    for similarity in ("cosine", "bm25"):
        report = trains[similarity][1]
        fit = implicit["fits"][similarity]["best_fit_s"]
        print(f"- Train ({similarity}) at least as fast as implicit's {'CosineRecommender' if similarity == 'cosine' else 'BM25Recommender'}: "
              f"**{verdict(train_met[similarity])}** ({report['seconds_training']:.2f} s against {fit:.2f} s).")

    failures = serving(serve, generation_users, options.max_price, "")
    served_path = os.path.join(results, "serve-served.json")
    if os.path.exists(served_path):
        listed = load(os.path.join(results, "train-served.out"))
        length = listed["settings"]["servedListLength"]
        print(f"\n## With served lists: `--served-list {length}`\n")
        print(f"The cosine generation trained again with `--served-list {length}`: each user's best {length} scored "
              f"items, {listed['served_list_entries']:,} entries, computed in {listed['seconds_served_lists']:.2f} s "
              f"after the {listed['seconds_training']:.2f} s training phase (not part of it: implicit's fit does not "
              f"recommend either). RECOMMEND answers a user without real-time activity from the list when enough "
              f"of it passes the filter, and scores otherwise.")
        failures += serving(load(served_path), generation_users, options.max_price, f", served lists of {length}")

    if failures:
        print("\n!!! ERRORS during the serving runs:")
        for failure in failures:
            print(f"!!!   {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
