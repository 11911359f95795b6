#!/usr/bin/env python3
"""DuckDB peer of the import benchmark (run by tools/bench-import).

For each input file that generate_events.py wrote into the work folder, does the work `aampectl import
events` does, the DuckDB way: read the file, parse its fields into types, deduplicate on the event's key,
and write zstd-compressed Parquet, fsynced (aamped's segment writer fsyncs what it writes):

    COPY (SELECT … FROM read_csv / read_json(…) QUALIFY row_number() OVER (PARTITION BY key) = 1)
        TO 'out.parquet' (FORMAT parquet, COMPRESSION zstd)

- CSV: key event_id; columns given with their types (no sniffing), timestamp parsed as TIMESTAMPTZ,
  value as DOUBLE, the rest VARCHAR.
- JSONL (Segment track calls): key messageId; read_json(format='newline_delimited') with the columns
  given, properties read as a STRUCT and then flattened into product_id, revenue and platform columns,
  the fields aamped extracts from a track call's properties.
- QUALIFY row_number() was the fastest correct form on this machine at 10^7 rows (about 10.3 s for the
  CSV, against 10.7-11.2 s for SELECT DISTINCT ON and 11.6 s for GROUP BY with any_value) and the least
  memory (2.1 GB against 3.4 GB). The duplicates are exact copies, so which copy is kept does not matter.
- DuckDB's defaults otherwise: all cores (its thread count is printed), its default memory limit, insertion
  order preserved.

Each timed job runs in its own child process (this script with `job`), measured by measure.py as the
aamped side is: wall time and peak RSS of the child. The job's own time (connect, COPY, fsync) is what
events/s and MB/s are computed from; it leaves out the ~0.3 s the child spends starting Python and
importing duckdb, which is reported too (process wall). The peak RSS includes the interpreter and the
duckdb module, whose resting size is measured by a `baseline` job and reported. The rows written must equal
the manifest's unique count, or this script fails.

Prints human lines, then one JSON object as the last line. MB = 1e6 bytes.
"""

import argparse
import json
import os
import sys
import time

from measure import run_measured

CSV_COLUMNS = {
    "user_id": "VARCHAR",
    "event": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "item_id": "VARCHAR",
    "value": "DOUBLE",
    "event_id": "VARCHAR",
    "platform": "VARCHAR",
    "country": "VARCHAR",
}
JSONL_COLUMNS = {
    "type": "VARCHAR",
    "messageId": "VARCHAR",
    "userId": "VARCHAR",
    "event": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "properties": "STRUCT(product_id VARCHAR, revenue DOUBLE, platform VARCHAR)",
}


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def sql_columns(columns):
    return "{" + ", ".join(f"{sql_string(name)}: {sql_string(kind)}" for name, kind in columns.items()) + "}"


def query(kind, path):
    """The SELECT that reads and deduplicates one input file."""
    if kind == "csv":
        source = f"read_csv({sql_string(path)}, header = true, delim = ',', quote = '\"', columns = {sql_columns(CSV_COLUMNS)})"
        return f"SELECT * FROM {source} QUALIFY row_number() OVER (PARTITION BY event_id) = 1"
    source = f"read_json({sql_string(path)}, format = 'newline_delimited', columns = {sql_columns(JSONL_COLUMNS)})"
    flat = (
        "SELECT type, messageId, userId, event, timestamp, properties.product_id AS product_id, "
        f"properties.revenue AS revenue, properties.platform AS platform FROM {source}"
    )
    return f"SELECT * FROM ({flat}) QUALIFY row_number() OVER (PARTITION BY messageId) = 1"


def job(arguments):
    """One measured run, in the child process: prints one JSON line."""
    import duckdb

    start = time.perf_counter()
    connection = duckdb.connect()
    result = {"duckdb_version": duckdb.__version__, "threads": int(connection.execute("SELECT current_setting('threads')").fetchone()[0])}
    if arguments.kind == "baseline":
        connection.execute("SELECT 1").fetchall()
        print(json.dumps(result))
        return
    copy = f"COPY ({query(arguments.kind, arguments.input)}) TO {sql_string(arguments.output)} (FORMAT parquet, COMPRESSION zstd)"
    written = connection.execute(copy).fetchone()[0]
    descriptor = os.open(arguments.output, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    seconds = time.perf_counter() - start
    # Not timed: read the row count back from the file's footer.
    in_file = connection.execute(f"SELECT count(*) FROM parquet_scan({sql_string(arguments.output)})").fetchone()[0]
    result.update(
        seconds=seconds,
        rows_written=written,
        rows_in_file=in_file,
        output_bytes=os.path.getsize(arguments.output),
        memory_limit=connection.execute("SELECT current_setting('memory_limit')").fetchone()[0],
    )
    print(json.dumps(result))


def run_job(folder, *job_arguments):
    """Runs this script's job in a child process and returns (the job's JSON, measure.py's dict)."""
    stdout = os.path.join(folder, "duckdb-job.out")
    stderr = os.path.join(folder, "duckdb-job.err")
    # cwd: DuckDB would put spill files in ./.tmp; keep them in the work folder.
    measured = run_measured([sys.executable, os.path.abspath(__file__), "job", *job_arguments], stdout, stderr, cwd=folder)
    if measured["exit_status"] != 0:
        sys.stderr.write(open(stderr).read())
        raise SystemExit(f"duckdb_peer: job {' '.join(job_arguments)} exited with status {measured['exit_status']}")
    lines = [line for line in open(stdout).read().splitlines() if line.strip()]
    return json.loads(lines[-1]), measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    subcommands = parser.add_subparsers(dest="command")
    bench = subcommands.add_parser("bench", help="measure every input file (the default)")
    bench.add_argument("--folder", required=True, help="the work folder generate_events.py wrote")
    bench.add_argument("--repeats", type=int, default=1, help="runs per file; the best is reported")
    bench.add_argument("--formats", default="csv,jsonl")
    one = subcommands.add_parser("job", help="one measured run (internal)")
    one.add_argument("kind", choices=["csv", "jsonl", "baseline"])
    one.add_argument("--input")
    one.add_argument("--output")
    argv = sys.argv[1:]
    if argv and argv[0] not in ("bench", "job", "-h", "--help"):
        argv = ["bench", *argv]
    arguments = parser.parse_args(argv)
    if arguments.command == "job":
        job(arguments)
        return
    if arguments.command is None:
        parser.error("expected --folder")

    folder = arguments.folder
    with open(os.path.join(folder, "manifest.json")) as file:
        manifest = json.load(file)
    baseline, baseline_measured = run_job(folder, "baseline")
    result = {
        "duckdb_version": baseline["duckdb_version"],
        "threads": baseline["threads"],
        "cpu_count": os.cpu_count(),
        "baseline_max_rss_kib": baseline_measured["max_rss_kib"],
        "baseline_wall_seconds": baseline_measured["wall_seconds"],
        "repeats": arguments.repeats,
    }
    print(
        f"duckdb_peer: DuckDB {baseline['duckdb_version']}, {baseline['threads']} threads on {os.cpu_count()} cores; "
        f"Python + duckdb at rest: {baseline_measured['max_rss_kib'] / 1024:.0f} MiB RSS, "
        f"{baseline_measured['wall_seconds']:.2f} s to start",
        flush=True,
    )
    failures = []
    for kind in [f for f in arguments.formats.split(",") if f]:
        path = os.path.join(folder, f"events.{kind}")
        output = os.path.join(folder, f"duckdb-{kind}.parquet")
        input_bytes = os.path.getsize(path)
        runs = []
        for _ in range(arguments.repeats):
            if os.path.exists(output):
                os.remove(output)
            measured_job, measured = run_job(folder, kind, "--input", path, "--output", output)
            runs.append({**measured_job, "process_wall_seconds": measured["wall_seconds"], "max_rss_kib": measured["max_rss_kib"],
                         "user_seconds": measured["user_seconds"], "system_seconds": measured["system_seconds"]})
            run = runs[-1]
            print(
                f"duckdb {kind}: {run['seconds']:.2f} s ({run['process_wall_seconds']:.2f} s process wall), "
                f"{manifest['events'] / run['seconds']:,.0f} events/s, {input_bytes / run['seconds'] / 1e6:,.1f} MB/s, "
                f"peak RSS {run['max_rss_kib'] / 1024:,.0f} MiB, CPU {run['user_seconds'] + run['system_seconds']:.1f} s, "
                f"{run['rows_written']:,} rows written, {run['output_bytes']:,} bytes of Parquet",
                flush=True,
            )
            for field in ("rows_written", "rows_in_file"):
                if run[field] != manifest["unique"]:
                    failures.append(f"{kind}: {field} {run[field]:,} but the manifest says {manifest['unique']:,} unique events")
        best = min(runs, key=lambda run: run["seconds"])
        result[kind] = {
            "input_bytes": input_bytes,
            "events": manifest["events"],
            "unique": manifest["unique"],
            "rows_written": best["rows_written"],
            "dropped": manifest["events"] - best["rows_written"],
            "output_bytes": best["output_bytes"],
            "best_seconds": best["seconds"],
            "best_process_wall_seconds": min(run["process_wall_seconds"] for run in runs),
            "events_per_second": manifest["events"] / best["seconds"],
            "input_mbps": input_bytes / best["seconds"] / 1e6,
            "max_rss_kib": max(run["max_rss_kib"] for run in runs),
            "runs": runs,
            "query": query(kind, path),
        }
    if failures:
        for failure in failures:
            print(f"duckdb_peer: MISMATCH {failure}", file=sys.stderr)
        raise SystemExit("duckdb_peer: MISMATCH: DuckDB did not keep exactly the unique events")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
