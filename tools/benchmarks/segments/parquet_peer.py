#!/usr/bin/env python3
"""Parquet peer of the segment benchmark (run by tools/bench-segments).

Reads the arrays that aampe-bench-segments wrote into the work folder (raw little-endian files listed in
arrays.json), writes them as Parquet with zstd, and measures what the Swift side measures wherever Parquet
has an equivalent: write throughput and size of the f32 score column, sizes of the four event columns,
and a sequential read + sum of the score column.

Settings are pyarrow's defaults unless stated: zstd at pyarrow's default level (reported, and the event
columns are also written at aamped's level for a like-for-like size), dictionary encoding on, row groups
of pyarrow's default maximum size (the row-group count is read back from the file), reads with
use_threads=True and, separately, use_threads=False.

Prints human lines, then one JSON object as the last line. MB = 1e6 bytes, GB = 1e9 bytes.
"""

import argparse
import ctypes
import json
import os
import statistics
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EVENT_COLUMNS = ["user", "timestamp", "event_type", "item"]


def say(line):
    print(line, flush=True)


def rate(values, unit):
    """The best, the median and every run, as the Swift side reports them."""
    return {f"best_{unit}": max(values), f"median_{unit}": statistics.median(values), f"runs_{unit}": values}


def page_cache_residency(path):
    """Fraction of the file's pages in the page cache, from mincore(2), as the Swift side measures it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    length = os.path.getsize(path)
    page = os.sysconf("SC_PAGE_SIZE")
    fd = os.open(path, os.O_RDONLY)
    try:
        base = libc.mmap(None, length, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
        if base in (None, ctypes.c_void_p(-1).value):
            return None
        try:
            vector = (ctypes.c_ubyte * ((length + page - 1) // page))()
            if libc.mincore(base, length, vector) != 0:
                return None
            return sum(byte & 1 for byte in vector) / len(vector)
        finally:
            libc.munmap(base, length)
    finally:
        os.close(fd)


def durable_write(table, path, **options):
    """Writes like SegmentWriter.finish(): a temporary file, fsync, rename into place, fsync the folder.
    Returns the seconds taken in all, and in the write_table phase alone (the rest is fsync and rename)."""
    temporary = path + ".tmp"
    start = time.perf_counter()
    pq.write_table(table, temporary, compression="zstd", **options)
    written = time.perf_counter()
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temporary, path)
    folder = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    end = time.perf_counter()
    return end - start, written - start


def column_sizes(path, arrays):
    """Per column: raw bytes (rows x width), stored bytes (the column chunks' compressed sizes, page
    headers and dictionary pages included), and the encodings Parquet chose."""
    metadata = pq.ParquetFile(path).metadata
    columns = {}
    for index in range(metadata.num_columns):
        name = metadata.schema.column(index).name
        chunks = [metadata.row_group(group).column(index) for group in range(metadata.num_row_groups)]
        stored = sum(chunk.total_compressed_size for chunk in chunks)
        raw = arrays[name].nbytes
        columns[name] = {
            "raw_bytes": raw,
            "stored_bytes": stored,
            "ratio": raw / stored,
            "encoded_uncompressed_bytes": sum(chunk.total_uncompressed_size for chunk in chunks),
            "encodings": sorted({encoding for chunk in chunks for encoding in chunk.encodings}),
        }
    layout = {
        "row_groups": metadata.num_row_groups,
        "rows_in_first_row_group": metadata.row_group(0).num_rows if metadata.num_row_groups else 0,
    }
    return columns, layout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True, help="the work folder aampe-bench-segments wrote")
    arguments = parser.parse_args()
    folder = arguments.folder
    with open(os.path.join(folder, "arrays.json")) as file:
        manifest = json.load(file)
    rows, repeats, write_repeats = manifest["rows"], manifest["repeats"], manifest["write_repeats"]
    arrays = {}
    for entry in manifest["arrays"]:
        arrays[entry["name"]] = np.fromfile(os.path.join(folder, entry["file"]), dtype=entry["dtype"])
        if len(arrays[entry["name"]]) != rows:
            raise SystemExit(f"parquet_peer: {entry['file']} holds {len(arrays[entry['name']])} rows, expected {rows}")
    default_level = pa.Codec.default_compression_level("zstd")
    result = {
        "pyarrow_version": pa.__version__,
        "numpy_version": np.__version__,
        "zstd_default_level": default_level,
        "cpu_count": pa.cpu_count(),
    }
    say(f"parquet_peer: pyarrow {pa.__version__}, zstd default level {default_level}, {pa.cpu_count()} threads, rows {rows}")

    # Write throughput of the f32 column; the table wraps the numpy array without a copy.
    score = arrays["score"]
    score_table = pa.table({"score": score})
    score_path = os.path.join(folder, "score-zstd.parquet")
    runs = [durable_write(score_table, score_path) for _ in range(write_repeats)]
    seconds = [total for total, _ in runs]
    file_bytes = os.path.getsize(score_path)
    score_columns, score_layout = column_sizes(score_path, arrays)
    result["write_f32"] = {
        "file_bytes": file_bytes,
        "file_rate": rate([file_bytes / s / 1e6 for s in seconds], "mbps"),
        "input_rate": rate([score.nbytes / s / 1e6 for s in seconds], "mbps"),
        "median_write_table_seconds": statistics.median(phase for _, phase in runs),
        "median_finish_seconds": statistics.median(total - phase for total, phase in runs),
        **score_layout,
    }
    say(
        f"write f32 Parquet-zstd: {file_bytes} bytes, {score_layout['row_groups']} row groups, best "
        f"{max(file_bytes / s for s in seconds) / 1e6:.2f} MB/s of file, best {max(score.nbytes / s for s in seconds) / 1e6:.2f} "
        "MB/s of input; fsync included"
    )
    say(
        f"  median phases: write_table {result['write_f32']['median_write_table_seconds'] * 1e3:.2f} ms, "
        f"fsync and rename {result['write_f32']['median_finish_seconds'] * 1e3:.2f} ms"
    )

    # Sequential read + sum. As on the Swift side, the file is opened (footer parsed) outside the timed
    # loop; each timed run decodes the column and sums it.
    residency = page_cache_residency(score_path)
    parquet_file = pq.ParquetFile(score_path)
    scans = {}
    for label, threads in (("threads", True), ("single_thread", False)):
        rates, total = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            table = parquet_file.read(columns=["score"], use_threads=threads)
            total = pc.sum(table.column("score")).as_py()
            elapsed = time.perf_counter() - start
            rates.append(score.nbytes / elapsed / 1e9)
        scans[label] = {"rate": rate(rates, "gbps"), "sum": total}
        say(
            f"scan f32 Parquet-zstd read+sum, use_threads={threads}: best {max(rates):.2f} GB/s decoded "
            f"(median {statistics.median(rates):.2f}); {residency * 100 if residency is not None else float('nan'):.1f} % of pages in page cache"
        )
    reference = float(np.sum(score, dtype=np.float64))
    for label, scan in scans.items():
        if abs(scan["sum"] - reference) > 1e-5 * abs(reference) + 1e-3:
            raise SystemExit(f"parquet_peer: {label} sum {scan['sum']} differs from numpy's {reference}")
    result["scan_f32"] = {**scans, "page_cache_resident_fraction": residency}

    # Compression of the event columns, at pyarrow's default level and at aamped's level.
    events_table = pa.table({name: arrays[name] for name in EVENT_COLUMNS})
    events_raw = sum(arrays[name].nbytes for name in EVENT_COLUMNS)
    for key, level in (("compression", None), ("compression_level_matched", manifest["zstd_level"])):
        path = os.path.join(folder, f"events-{key}.parquet")
        elapsed, _ = durable_write(events_table, path, compression_level=level)
        columns, layout = column_sizes(path, arrays)
        stored = sum(columns[name]["stored_bytes"] for name in EVENT_COLUMNS)
        if key == "compression":
            columns = {"score": score_columns["score"], **columns}
        result[key] = {
            "zstd_level": level if level is not None else default_level,
            "columns": columns,
            "events_raw_bytes": events_raw,
            "events_stored_bytes": stored,
            "events_file_bytes": os.path.getsize(path),
            "events_ratio": events_raw / stored,
            "events_write_seconds": elapsed,
            **layout,
        }
        for name, column in columns.items():
            say(
                f"compression {name} (zstd level {result[key]['zstd_level']}): {column['raw_bytes']} raw -> "
                f"{column['stored_bytes']} stored, ratio {column['ratio']:.3f}, encodings {','.join(column['encodings'])}"
            )
        say(f"compression events (4 columns, level {result[key]['zstd_level']}): ratio {events_raw / stored:.3f}, {layout['row_groups']} row groups")

    print(json.dumps(result))


if __name__ == "__main__":
    main()
