#!/usr/bin/env python3
"""Seeded event files for the import benchmark (run by tools/bench-import).

Writes DIR/events.csv and DIR/events.jsonl (Segment track calls) holding the same N events, and
DIR/manifest.json with the counts the harness checks both importers against:

    {"events": N, "unique": N - D, "duplicates": D, "csv_bytes": ..., "jsonl_bytes": ..., ...}

The events:
- timestamps uniform over 7 days from 2026-11-01T00:00:00Z, ISO-8601 UTC with milliseconds, and the file
  in time order, as a CDP export is;
- event names product_viewed 60 %, add_to_cart 20 %, checkout 8 %, purchase 7 %, app_opened 5 %;
- users "u" + 7 digits and items "item" + 6 digits, both skewed (a power law over ranks, so a few users
  and items are hot), a price with 2 decimals on every row, a platform (ios, android, web) and, in the CSV
  only, a country (the JSONL follows the one-line example in the benchmark's issue, which has none);
- a random version-4 UUID as event id / messageId (122 random bits: a collision, which would make "unique"
  wrong, would show as a MISMATCH on both sides).
- A fraction --duplicate-rate of the rows are exact copies of an earlier row (same id, same everything),
  placed 300 to 3,000 rows after it, as a CDP retry lands. Each duplicated row is copied once, so
  "unique" is both the number of distinct ids and the number of rows a deduplicating import keeps.

The same seed and --events/--users/--items/--duplicate-rate give byte-identical files (with the same numpy
major version: the numbers come from numpy's PCG64 Generator). Everything is generated with numpy, a
chunk of rows at a time: each row is laid out in a fixed-width byte matrix, variable-width fields padded
with NUL bytes that are dropped before writing.
"""

import argparse
import datetime
import json
import os
import time

import numpy as np

START = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
DAYS = 7
DAY_MS = 86_400_000
EVENTS = [("product_viewed", 0.60), ("add_to_cart", 0.20), ("checkout", 0.08), ("purchase", 0.07), ("app_opened", 0.05)]
PLATFORMS = [("ios", 0.45), ("android", 0.40), ("web", 0.15)]
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "ES", "IT", "MX", "NL", "SE", "KR", "PL", "TR", "ID", "ZA", "AR"]
CSV_HEADER = b"user_id,event,timestamp,item_id,value,event_id,platform,country\n"
DUPLICATE_DELAY_ROWS = (300, 3_000)
CHUNK_ROWS = 500_000
PAD = 0  # NUL: never part of an output field, dropped after layout


def lookup(strings):
    """A (len(strings), max length) byte matrix, shorter strings padded with NUL."""
    width = max(len(s) for s in strings)
    table = np.zeros((len(strings), width), np.uint8)
    for row, text in enumerate(strings):
        encoded = text.encode()
        table[row, : len(encoded)] = np.frombuffer(encoded, np.uint8)
    return table


def digits(values, width, pad_leading=False):
    """Decimal digits of non-negative integers, zero-filled to width (or NUL-padded when pad_leading,
    keeping the last digit)."""
    out = np.empty((len(values), width), np.uint8)
    rest = values.astype(np.int64)
    for column in range(width - 1, -1, -1):
        out[:, column] = rest % 10 + 48
        rest //= 10
    if pad_leading:
        for column in range(width - 1):
            out[values < 10 ** (width - 1 - column), column] = PAD
    return out


HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def uuid_text(high, low):
    """8-4-4-4-12 lowercase hex of two uint64 halves."""
    out = np.empty((len(high), 36), np.uint8)
    out[:, [8, 13, 18, 23]] = ord("-")
    positions = [i for i in range(36) if i not in (8, 13, 18, 23)]
    for nibble in range(32):
        half = high if nibble < 16 else low
        shift = np.uint64(60 - 4 * (nibble % 16))
        out[:, positions[nibble]] = HEX[((half >> shift) & np.uint64(0xF)).astype(np.intp)]
    return out


class Layout:
    """Builds a row's fixed-width byte matrix from constant and per-row pieces."""

    def __init__(self, rows):
        self.rows = rows
        self.pieces = []

    def text(self, constant):
        self.pieces.append(np.frombuffer(constant.encode(), np.uint8)[None, :])
        return self

    def field(self, matrix):
        self.pieces.append(matrix)
        return self

    def bytes(self):
        width = sum(piece.shape[1] for piece in self.pieces)
        matrix = np.empty((self.rows, width), np.uint8)
        column = 0
        for piece in self.pieces:
            matrix[:, column : column + piece.shape[1]] = piece
            column += piece.shape[1]
        flat = matrix.ravel()
        return flat[flat != PAD].tobytes()


def skewed(rng, count, size, exponent):
    """count ids in [0, size): rank floor(size * u^exponent) for u uniform, so that the rank r has a
    density falling as r^(1/exponent - 1) and the hottest id gets a share size^(-1/exponent) (users, 1.5
    over 10^6: 0.01 %, about 1,000 events in the week; items, 2 over 10^5: 0.3 %), then a fixed
    permutation so that hot ids are spread over the id space."""
    ranks = np.minimum((size * rng.random(count) ** exponent).astype(np.int64), size - 1)
    return rng.permutation(size)[ranks]


def generate(arguments):
    rng = np.random.default_rng(arguments.seed)
    events, rate = arguments.events, arguments.duplicate_rate
    duplicates = int(round(events * rate))
    unique = events - duplicates

    # One record per unique event, in time order.
    fields = {
        "time_ms": np.sort(rng.integers(0, DAYS * DAY_MS, unique, dtype=np.int64)),
        "user": skewed(rng, unique, arguments.users, 1.5),
        "item": skewed(rng, unique, arguments.items, 2.0),
        "event": rng.choice(len(EVENTS), unique, p=[p for _, p in EVENTS]).astype(np.uint8),
        "platform": rng.choice(len(PLATFORMS), unique, p=[p for _, p in PLATFORMS]).astype(np.uint8),
        "country": (len(COUNTRIES) * rng.random(unique) ** 2).astype(np.uint8),
        # Prices from 0.99 to 999.99, log-normal around 20.
        "cents": np.clip(np.round(np.exp(rng.normal(3.0, 1.0, unique)) * 100), 99, 99_999).astype(np.int64),
        "id_high": rng.integers(0, 2**64, unique, dtype=np.uint64, endpoint=False),
        "id_low": rng.integers(0, 2**64, unique, dtype=np.uint64, endpoint=False),
    }
    # RFC 4122 version 4: version nibble 4, variant bits 10.
    fields["id_high"] = (fields["id_high"] & ~np.uint64(0xF000)) | np.uint64(0x4000)
    fields["id_low"] = (fields["id_low"] & ~np.uint64(0xC << 60)) | np.uint64(0x8 << 60)

    # Output order: unique row i at key 2i; a copy of row s at 2(s + delay) + 1, so after its original.
    # Sources come from rows at least the longest delay before the end (when the file is long enough), so
    # that no copy bunches up at the end of the file nearer than the shortest delay.
    pool = max(unique - DUPLICATE_DELAY_ROWS[1], duplicates)
    sources = np.sort(rng.choice(pool, duplicates, replace=False)) if duplicates else np.empty(0, np.int64)
    delays = rng.integers(DUPLICATE_DELAY_ROWS[0], DUPLICATE_DELAY_ROWS[1] + 1, duplicates)
    keys = np.concatenate([2 * np.arange(unique, dtype=np.int64), 2 * (sources + delays) + 1])
    order = np.concatenate([np.arange(unique, dtype=np.int64), sources])[np.argsort(keys, kind="stable")]
    del keys
    return fields, order, unique, duplicates


def timestamp_text(time_ms):
    days = [(START + datetime.timedelta(days=d)).strftime("%Y-%m-%d") for d in range(DAYS)]
    day, rest = np.divmod(time_ms, DAY_MS)
    hour, rest = np.divmod(rest, 3_600_000)
    minute, rest = np.divmod(rest, 60_000)
    second, milli = np.divmod(rest, 1_000)
    return (
        Layout(len(time_ms)).field(lookup(days)[day]).text("T").field(digits(hour, 2)).text(":").field(digits(minute, 2))
        .text(":").field(digits(second, 2)).text(".").field(digits(milli, 3)).text("Z").pieces
    )


def price_text(cents):
    return [digits(cents // 100, 3, pad_leading=True), np.full((len(cents), 1), ord("."), np.uint8), digits(cents % 100, 2)]


def chunk_columns(fields, rows):
    """Byte-matrix pieces of each field for the rows (indices into the unique records)."""
    pick = {name: array[rows] for name, array in fields.items()}
    return {
        "user": [np.frombuffer(b"u", np.uint8)[None, :], digits(pick["user"], 7)],
        "item": [np.frombuffer(b"item", np.uint8)[None, :], digits(pick["item"], 6)],
        "event": [lookup([name for name, _ in EVENTS])[pick["event"]]],
        "platform": [lookup([name for name, _ in PLATFORMS])[pick["platform"]]],
        "country": [lookup(COUNTRIES)[pick["country"]]],
        "timestamp": timestamp_text(pick["time_ms"]),
        "price": price_text(pick["cents"]),
        "id": [uuid_text(pick["id_high"], pick["id_low"])],
    }


def csv_rows(columns, count):
    layout = Layout(count)
    order = ["user", "event", "timestamp", "item", "price", "id", "platform", "country"]
    for index, name in enumerate(order):
        if index:
            layout.text(",")
        for piece in columns[name]:
            layout.field(piece)
    return layout.text("\n").bytes()


def jsonl_rows(columns, count):
    # {"type":"track","messageId":"…","userId":"u0012345","event":"product_viewed","timestamp":"…",
    #  "properties":{"product_id":"item004321","revenue":19.99,"platform":"ios"}}
    layout = Layout(count)
    parts = [
        ('{"type":"track","messageId":"', "id"),
        ('","userId":"', "user"),
        ('","event":"', "event"),
        ('","timestamp":"', "timestamp"),
        ('","properties":{"product_id":"', "item"),
        ('","revenue":', "price"),
        (',"platform":"', "platform"),
    ]
    for constant, name in parts:
        layout.text(constant)
        for piece in columns[name]:
            layout.field(piece)
    return layout.text('"}}\n').bytes()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--users", type=int, default=1_000_000, help="at most 10^7 (7 digits)")
    parser.add_argument("--items", type=int, default=100_000, help="at most 10^6 (6 digits)")
    parser.add_argument("--duplicate-rate", type=float, default=0.01)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--formats", default="csv,jsonl", help="comma-separated: csv, jsonl")
    arguments = parser.parse_args()
    formats = [f for f in arguments.formats.split(",") if f]
    if not set(formats) <= {"csv", "jsonl"} or not formats:
        parser.error(f"--formats: expected csv and/or jsonl, got {arguments.formats!r}")
    if arguments.events < 1 or not 0 <= arguments.duplicate_rate < 0.5:
        parser.error("--events must be positive and --duplicate-rate in [0, 0.5)")
    if not (1 <= arguments.users <= 10**7 and 1 <= arguments.items <= 10**6):
        parser.error("--users must be in [1, 10^7] and --items in [1, 10^6]")
    os.makedirs(arguments.folder, exist_ok=True)

    start = time.perf_counter()
    fields, order, unique, duplicates = generate(arguments)
    paths = {name: os.path.join(arguments.folder, f"events.{name}") for name in formats}
    files = {name: open(path, "wb") for name, path in paths.items()}
    try:
        if "csv" in files:
            files["csv"].write(CSV_HEADER)
        for begin in range(0, len(order), CHUNK_ROWS):
            rows = order[begin : begin + CHUNK_ROWS]
            columns = chunk_columns(fields, rows)
            if "csv" in files:
                files["csv"].write(csv_rows(columns, len(rows)))
            if "jsonl" in files:
                files["jsonl"].write(jsonl_rows(columns, len(rows)))
    finally:
        for file in files.values():
            file.close()
    elapsed = time.perf_counter() - start

    manifest = {
        "events": arguments.events,
        "unique": unique,
        "duplicates": duplicates,
        "csv_bytes": os.path.getsize(paths["csv"]) if "csv" in paths else None,
        "jsonl_bytes": os.path.getsize(paths["jsonl"]) if "jsonl" in paths else None,
        "seed": arguments.seed,
        "users": arguments.users,
        "items": arguments.items,
        "duplicate_rate": arguments.duplicate_rate,
        "start": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days": DAYS,
        "numpy_version": np.__version__,
    }
    with open(os.path.join(arguments.folder, "manifest.json"), "w") as file:
        json.dump(manifest, file, indent=2)
        file.write("\n")
    sizes = ", ".join(f"{name} {manifest[name + '_bytes']:,} bytes" for name in formats)
    print(
        f"generate_events: {arguments.events:,} events ({unique:,} unique, {duplicates:,} duplicates), seed "
        f"{arguments.seed}: {sizes}, in {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
