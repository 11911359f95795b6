#!/usr/bin/env python3
"""aamped side of the import benchmark (run by tools/bench-import).

For each input file that generate_events.py wrote into the work folder, and each repeat:

    aampectl init --data-dir D                                           (not timed)
    aampectl import events --data-dir D --format csv|segment FILE --json (timed by measure.py)

on a fresh, empty data directory D each time. The whole import process is measured, as the DuckDB jobs
are: wall time from spawn to exit and the process's peak RSS (wait4 ru_maxrss). Events/s and MB/s are
the manifest's event count and the file's size over that wall time.

With --json the import prints one JSON object on stdout; this script reads its `totals` object, whose
integer fields rows_read, accepted, duplicates and rejected must equal the manifest's events, unique,
duplicates and 0. Any difference is reported as MISMATCH (and makes this script exit 3 after printing
its results; exit status 3, where a failure to run exits 1).

Prints human lines, then one JSON object as the last line. MB = 1e6 bytes.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from measure import run_measured

FORMAT_FLAGS = {"csv": "csv", "jsonl": "segment"}
TOTALS = ("rows_read", "accepted", "duplicates", "rejected")


def folder_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


def import_report(stdout_path):
    """The JSON object the import printed: the whole stdout, or else its last non-empty line."""
    text = open(stdout_path).read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise
        return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aampectl", required=True, help="the aampectl binary")
    parser.add_argument("--folder", required=True, help="the work folder generate_events.py wrote")
    parser.add_argument("--repeats", type=int, default=1, help="runs per file; the best is reported")
    parser.add_argument("--formats", default="csv,jsonl")
    arguments = parser.parse_args()
    folder, aampectl = arguments.folder, arguments.aampectl
    with open(os.path.join(folder, "manifest.json")) as file:
        manifest = json.load(file)
    expected = {"rows_read": manifest["events"], "accepted": manifest["unique"], "duplicates": manifest["duplicates"], "rejected": 0}

    result = {"aampectl": aampectl, "repeats": arguments.repeats, "cpu_count": os.cpu_count()}
    version = subprocess.run([aampectl, "--version"], capture_output=True, text=True)
    result["aampectl_version"] = version.stdout.strip() if version.returncode == 0 else None
    mismatches = []
    for kind in [f for f in arguments.formats.split(",") if f]:
        path = os.path.join(folder, f"events.{kind}")
        data = os.path.join(folder, f"aamped-{kind}")
        input_bytes = os.path.getsize(path)
        stdout = os.path.join(folder, f"aamped-{kind}.out")
        stderr = os.path.join(folder, f"aamped-{kind}.err")
        runs = []
        for _ in range(arguments.repeats):
            shutil.rmtree(data, ignore_errors=True)
            subprocess.run([aampectl, "init", "--data-dir", data], check=True, stdout=subprocess.DEVNULL)
            argv = [aampectl, "import", "events", "--data-dir", data, "--format", FORMAT_FLAGS[kind], path, "--json"]
            measured = run_measured(argv, stdout, stderr)
            if measured["exit_status"] != 0:
                sys.stderr.write(open(stderr, errors="replace").read()[-4000:])
                raise SystemExit(f"aamped_side: `{' '.join(argv)}` exited with status {measured['exit_status']}")
            report = import_report(stdout)
            totals = report.get("totals", {})
            run = {
                "wall_seconds": measured["wall_seconds"],
                "max_rss_kib": measured["max_rss_kib"],
                "user_seconds": measured["user_seconds"],
                "system_seconds": measured["system_seconds"],
                "totals": {name: totals.get(name) for name in TOTALS},
                "data_dir_bytes": folder_bytes(data),
            }
            runs.append(run)
            checks = []
            for name in TOTALS:
                got, want = totals.get(name), expected[name]
                ok = isinstance(got, int) and not isinstance(got, bool) and got == want
                checks.append(f"{name} {got if got is not None else 'missing'}" + ("" if ok else f" (expected {want}: MISMATCH)"))
                if not ok:
                    mismatches.append(f"{kind}: totals.{name} is {got!r}, expected {want} from the manifest")
            print(
                f"aamped {kind}: {run['wall_seconds']:.2f} s, {manifest['events'] / run['wall_seconds']:,.0f} events/s, "
                f"{input_bytes / run['wall_seconds'] / 1e6:,.1f} MB/s, peak RSS {run['max_rss_kib'] / 1024:,.0f} MiB, "
                f"CPU {run['user_seconds'] + run['system_seconds']:.1f} s, data directory {run['data_dir_bytes']:,} bytes; "
                + ", ".join(checks),
                flush=True,
            )
        best = min(runs, key=lambda run: run["wall_seconds"])
        result[kind] = {
            "input_bytes": input_bytes,
            "events": manifest["events"],
            "best_seconds": best["wall_seconds"],
            "events_per_second": manifest["events"] / best["wall_seconds"],
            "input_mbps": input_bytes / best["wall_seconds"] / 1e6,
            "max_rss_kib": max(run["max_rss_kib"] for run in runs),
            "totals": best["totals"],
            "data_dir_bytes": best["data_dir_bytes"],
            "runs": runs,
            "argv": [aampectl, "import", "events", "--data-dir", "DIR", "--format", FORMAT_FLAGS[kind], path, "--json"],
        }
    result["mismatches"] = mismatches
    for mismatch in mismatches:
        print(f"aamped_side: MISMATCH {mismatch}", file=sys.stderr)
    print(json.dumps(result))
    sys.exit(3 if mismatches else 0)


if __name__ == "__main__":
    main()
