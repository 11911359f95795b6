#!/usr/bin/env python3
"""Prints the import benchmark's table and targets (run by tools/bench-import) from the manifest and the
two sides' JSON results; every figure comes from this run. The aamped result may be missing (no
`aampectl import events` yet): its columns then show "-" and the targets NOT MEASURED.

    report.py --manifest M --duckdb D.json [--aamped A.json]
"""

import argparse
import json
import os
import platform

TARGETS = {"csv": 1.0, "jsonl": 0.5}  # aamped events/s over DuckDB's, at least
NAMES = {"csv": "CSV", "jsonl": "JSONL (Segment track calls)"}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def num(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def ratio(x, y):
    return None if x is None or not y else x / y


def times(value):
    return "-" if value is None else f"{value:.2f}x"


def cpu(side, key):
    """User + system CPU seconds of the side's best (fastest) run."""
    if not side:
        return None
    best = min(side["runs"], key=lambda run: run[key])
    return best["user_seconds"] + best["system_seconds"]


def table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    line = lambda row: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--duckdb", required=True)
    parser.add_argument("--aamped")
    arguments = parser.parse_args()
    manifest = json.load(open(arguments.manifest))
    d = json.load(open(arguments.duckdb))
    a = json.load(open(arguments.aamped)) if arguments.aamped and os.path.exists(arguments.aamped) else None

    print(f"machine: {os.cpu_count()} cores ({cpu_model()}), Linux {platform.release()}")
    print(
        f"input: {manifest['events']:,} events, seed {manifest['seed']}: {manifest['unique']:,} unique + "
        f"{manifest['duplicates']:,} exact duplicates ({manifest['duplicate_rate']:.2%}), {manifest['users']:,} users, "
        f"{manifest['items']:,} items, 7 days from {manifest['start']}"
    )
    for kind in ("csv", "jsonl"):
        if manifest.get(f"{kind}_bytes") is not None:
            print(f"  events.{kind}: {manifest[kind + '_bytes']:,} bytes ({manifest[kind + '_bytes'] / manifest['events']:.1f} bytes/event)")
    print(
        f"DuckDB {d['duckdb_version']} (Python), {d['threads']} threads (its default: all cores); its Python + duckdb "
        f"at rest take {d['baseline_max_rss_kib'] / 1024:.0f} MiB of its peak RSS"
    )
    print(f"aamped: {a['aampectl_version'] or 'version unknown'}" if a else "aamped: not measured (no `aampectl import events`)")
    print(
        f"best of {a['repeats'] if a else '-'} aamped run(s) and {d['repeats']} DuckDB run(s); aamped timed as the whole `aampectl import` process, DuckDB as "
        "connect + COPY + fsync inside its process (its process wall, with Python start-up, is shown too); "
        "peak RSS is wait4's ru_maxrss of each side's process, the largest over the runs; MB = 1e6 bytes"
    )
    print()

    verdicts = []
    for kind in ("csv", "jsonl"):
        if kind not in d:
            continue
        dk, ak = d[kind], (a or {}).get(kind)
        get = lambda key: ak[key] if ak else None
        rows = [
            ["events/s", num(get("events_per_second")), num(dk["events_per_second"]), times(ratio(get("events_per_second"), dk["events_per_second"]))],
            ["input MB/s", num(get("input_mbps"), 1), num(dk["input_mbps"], 1), times(ratio(get("input_mbps"), dk["input_mbps"]))],
            ["wall seconds", num(get("best_seconds"), 2), num(dk["best_seconds"], 2), times(ratio(get("best_seconds"), dk["best_seconds"]))],
            ["  DuckDB process wall (with Python start-up)", "-", num(dk["best_process_wall_seconds"], 2), "-"],
            ["CPU seconds (user + system, whole process)", num(cpu(ak, "wall_seconds"), 2), num(cpu(dk, "seconds"), 2), times(ratio(cpu(ak, "wall_seconds"), cpu(dk, "seconds")))],
            ["peak RSS MiB", num(get("max_rss_kib") and get("max_rss_kib") / 1024), num(dk["max_rss_kib"] / 1024),
             times(ratio(get("max_rss_kib"), dk["max_rss_kib"]))],
            ["events kept", num(ak["totals"]["accepted"]) if ak and isinstance(ak["totals"].get("accepted"), int) else "-", num(dk["rows_written"]), "-"],
            ["duplicates dropped", num(ak["totals"]["duplicates"]) if ak and isinstance(ak["totals"].get("duplicates"), int) else "-",
             num(dk["dropped"]), "-"],
            ["output bytes (data directory / Parquet)", num(get("data_dir_bytes")), num(dk["output_bytes"]), "-"],
        ]
        print(f"== {NAMES[kind]}: events.{kind}, {dk['input_bytes']:,} bytes; manifest: {manifest['unique']:,} unique, "
              f"{manifest['duplicates']:,} duplicates")
        table(["metric", "aamped", "DuckDB", "aamped/DuckDB"], rows)
        verdicts.append((kind, ratio(get("events_per_second"), dk["events_per_second"])))

    print("== targets")
    mismatches = (a or {}).get("mismatches", [])
    for kind, value in verdicts:
        target = TARGETS[kind]
        if value is None:
            verdict = "NOT MEASURED"
        elif any(m.startswith(kind + ":") for m in mismatches):
            verdict = f"{'MET' if value >= target else 'NOT MET'} but MISMATCH in the import's totals: not valid"
        else:
            verdict = "MET" if value >= target else "NOT MET"
        label = "CSV" if kind == "csv" else "JSONL"
        print(f"{label} import at least {target:.1f}x DuckDB's events/s: {times(value)}: {verdict}")
    for mismatch in mismatches:
        print(f"MISMATCH {mismatch}")


if __name__ == "__main__":
    main()
