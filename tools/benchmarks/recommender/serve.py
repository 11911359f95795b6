#!/usr/bin/env python3
"""The serving half of tools/bench-recommender. Prints one JSON object on stdout; progress on stderr.

1. Starts aamped on a data directory that already holds a trained generation and times, from the spawn,
   the first accepted connection and the first RECOMMEND answered OK (the same request every 2 ms on one
   connection, reconnecting while the socket is not there yet). The error codes seen while waiting are
   reported.
2. Asks RECOMMEND with the reference Python client for a sample of users from the users file: how many are
   known (not a cold-start answer), how many items came back, and the response body size.
3. Runs aampe-loadgen RECOMMEND briefly to measure the mean response body size over random users, then
   fills Redis with a precomputed list of exactly that many bytes for each of the users, under the keys
   redis-benchmark's -r draws (``key:%012d``), with redis-cli --pipe.
4. For each (connections, depth): redis-benchmark GET with random keys (-r USERS) and aampe-loadgen
   RECOMMEND with users drawn uniformly from the file, the same request count, one after the other, on
   Unix sockets (as tools/bench-protocol does for PING).
5. Open loop at half of aamped's closed-loop peak (16 × 16), with the latency counted from each request's
   intended send time, and the load generator alone against its in-process echo at that rate (the floor).
6. aamped's VmHWM and VmRSS from /proc/PID/status, then SIGTERM.

    serve.py --aamped BIN --loadgen BIN --data DIR --socket PATH --users-file FILE \\
             --redis-socket PATH --redis-pid PID --pid-file FILE [--seconds 2.5] [loadgen filter options]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

import aampe_client  # noqa: E402
from aampe_client import Client, Opcode, ServerError  # noqa: E402
import aampe_pb2 as pb  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"serve: {message}", file=sys.stderr, flush=True)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def memory_status(pid: int) -> dict:
    """VmHWM (peak resident set) and VmRSS of a live process, in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0]) * 1024
    return values


def read_users(path: str) -> list[str]:
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def recommend_request(user: str, options: argparse.Namespace) -> pb.RecommendRequest:
    request = pb.RecommendRequest(user_id=user, count=options.recommend_count)
    request.filter.in_stock_only = options.recommend_in_stock
    if options.recommend_max_price is not None:
        request.filter.maximum_price = options.recommend_max_price
    if options.recommend_min_price is not None:
        request.filter.minimum_price = options.recommend_min_price
    request.filter.categories.extend(options.recommend_category)
    return request


def start_aamped(options: argparse.Namespace, probe_user: str):
    """Spawns aamped and polls until the first RECOMMEND answer; returns the process and the timings."""
    command = [options.aamped, "--data-dir", options.data, "--unix", options.socket, "--log-level", "warning"]
    log_file = open(os.path.join(os.path.dirname(options.pid_file), "aamped.log"), "ab")
    request = recommend_request(probe_user, options)
    errors_seen: dict[str, int] = {}
    start = time.monotonic()
    process = subprocess.Popen(command, stdout=log_file, stderr=log_file)
    with open(options.pid_file, "w") as f:
        f.write(f"{process.pid}\n")
    connected_at = None
    client = None
    deadline = start + options.start_timeout
    while True:
        now = time.monotonic()
        if process.poll() is not None:
            raise SystemExit(f"serve: aamped exited with status {process.returncode} before answering; see aamped.log")
        if now > deadline:
            raise SystemExit(f"serve: no RECOMMEND answer within {options.start_timeout} s of start; errors seen: {errors_seen}")
        try:
            if client is None:
                client = Client.connect_unix(options.socket, client_name="bench-recommender", timeout=10)
                connected_at = connected_at or time.monotonic()
            response = client.request(Opcode.RECOMMEND, request, pb.RecommendResponse)
            answered_at = time.monotonic()
            break
        except (FileNotFoundError, ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
            client = None
        except ServerError as error:
            name = aampe_client.error_name(error.code)
            errors_seen[name] = errors_seen.get(name, 0) + 1
        except aampe_client.AampeError as error:
            errors_seen[type(error).__name__] = errors_seen.get(type(error).__name__, 0) + 1
            client = None
        time.sleep(0.002)
    timings = {
        "start_to_connection_s": connected_at - start,
        "start_to_first_answer_s": answered_at - start,
        "first_answer_generation": response.generation,
        "first_answer_items": len(response.items),
        "first_answer_is_known_user": response.is_known_user,
        "errors_while_waiting": errors_seen,
        "memory_after_first_answer": memory_status(process.pid),
    }
    return process, client, timings


def sample(client: Client, users: list[str], options: argparse.Namespace, count: int) -> dict:
    """RECOMMEND for `count` random users, one at a time, with the reference client."""
    rng = random.Random(7)
    known = 0
    items = 0
    full = 0
    body_bytes = 0
    errors: dict[str, int] = {}
    for _ in range(count):
        user = users[rng.randrange(len(users))]
        try:
            response = client.request(Opcode.RECOMMEND, recommend_request(user, options), pb.RecommendResponse)
        except ServerError as error:
            name = aampe_client.error_name(error.code)
            errors[name] = errors.get(name, 0) + 1
            continue
        known += response.is_known_user
        items += len(response.items)
        full += len(response.items) == options.recommend_count
        body_bytes += response.ByteSize()
    answered = count - sum(errors.values())
    return {
        "users": count,
        "answered": answered,
        "known_users": known,
        "mean_items": items / answered if answered else 0,
        "full_answers": full,
        "mean_body_bytes": body_bytes / answered if answered else 0,
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aamped", required=True)
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--users-file", required=True)
    parser.add_argument("--redis-socket", required=True)
    parser.add_argument("--redis-pid", type=int, required=True)
    parser.add_argument("--pid-file", required=True, help="aamped's pid is written here for the caller's cleanup")
    parser.add_argument("--seconds", type=float, default=2.5, help="aim each measurement at this long")
    parser.add_argument("--start-timeout", type=float, default=600)
    parser.add_argument("--sample", type=int, default=2000, help="users asked with the Python client")
    parser.add_argument("--recommend-count", type=int, default=10)
    parser.add_argument("--recommend-in-stock", action="store_true")
    parser.add_argument("--recommend-max-price", type=float)
    parser.add_argument("--recommend-min-price", type=float)
    parser.add_argument("--recommend-category", action="append", default=[])
    options = parser.parse_args()

    users = read_users(options.users_file)
    cap = max(3 * options.seconds, 8.0)
    failures: list[str] = []
    filter_arguments = ["--recommend-count", str(options.recommend_count)]
    if options.recommend_in_stock:
        filter_arguments.append("--recommend-in-stock")
    if options.recommend_max_price is not None:
        filter_arguments += ["--recommend-max-price", repr(options.recommend_max_price)]
    if options.recommend_min_price is not None:
        filter_arguments += ["--recommend-min-price", repr(options.recommend_min_price)]
    for category in options.recommend_category:
        filter_arguments += ["--recommend-category", category]

    log(f"starting aamped on {options.socket}")
    process, client, start = start_aamped(options, users[0])
    log(f"first RECOMMEND answered {start['start_to_first_answer_s'] * 1000:.0f} ms after start")
    report: dict = {"start": start, "users_in_file": len(users), "filter_arguments": filter_arguments}
    try:
        report["sample"] = sample(client, users, options, options.sample)
        client.close()
        log(f"sample: {report['sample']}")

        def run(command: list[str], pid: int) -> tuple[subprocess.CompletedProcess, float, float]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_before = process_cpu(pid)
            done = subprocess.run(command, capture_output=True, text=True)
            server_after = process_cpu(pid)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return done, client_cpu, server_after - server_before

        def loadgen(c: int, p: int, extra: list[str], warmup: float = 0.5) -> dict:
            command = [options.loadgen, "--unix", options.socket, "--connections", str(c), "--pipeline", str(p),
                       "--mix", "recommend=1", "--users-file", options.users_file, *filter_arguments,
                       "--warmup", str(warmup), "--json", "--quiet", *extra]
            done, client_cpu, server_cpu = run(command, process.pid)
            try:
                result = json.loads(done.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                raise SystemExit(f"serve: aampe-loadgen failed ({' '.join(command)}):\n{done.stdout}\n{done.stderr}")
            if result["errors"] or done.returncode != 0:
                failures.append(f"aamped c={c} P={p}: {result['errors']} errors: {done.stderr.strip()[-2000:]}")
            result["client_cpu"], result["server_cpu"] = client_cpu, server_cpu
            return result

        def redis(c: int, p: int, n: int) -> dict:
            command = ["redis-benchmark", "-s", options.redis_socket, "-t", "get", "-n", str(n), "-c", str(c),
                       "-P", str(p), "-r", str(len(users)), "--csv"]
            done, client_cpu, server_cpu = run(command, options.redis_pid)
            rows = [row for row in csv.reader(io.StringIO(done.stdout)) if row]
            header = next((row for row in rows if row[0] == "test"), None)
            line = next((row for row in rows if row[0] == "GET"), None)
            if done.returncode != 0 or line is None:
                raise SystemExit(f"serve: redis-benchmark failed ({' '.join(command)}):\n{done.stdout}\n{done.stderr}")
            values = dict(zip(header, line)) if header else {"rps": line[1]}
            ms = lambda key: float(values[key]) * 1000 if key in values else None
            return {"rps": float(values["rps"]), "p50": ms("p50_latency_ms"), "p99": ms("p99_latency_ms"), "n": n,
                    "client_cpu": client_cpu, "server_cpu": server_cpu}

        # The value size: the mean RECOMMEND body over random users, at these settings.
        probe = loadgen(1, 1, ["--duration", "1"])
        value_bytes = max(1, round(probe["recommend"]["response_bytes_mean"]))
        report["value_bytes"] = value_bytes
        report["probe"] = probe
        log(f"mean RECOMMEND response body {probe['recommend']['response_bytes_mean']:.1f} B; "
            f"{probe['recommend']['empty_answers']} of {probe['requests']} answers without items")

        # Redis: one precomputed list of value_bytes per user, under the keys redis-benchmark -r draws.
        subprocess.run(["redis-cli", "-s", options.redis_socket, "FLUSHALL"], check=True, capture_output=True)
        value = bytes((31 * i + 7) % 256 for i in range(value_bytes))
        head = b"*3\r\n$3\r\nSET\r\n$16\r\n"
        tail = b"\r\n$" + str(value_bytes).encode() + b"\r\n" + value + b"\r\n"
        started = time.monotonic()
        pipe = subprocess.Popen(["redis-cli", "-s", options.redis_socket, "--pipe"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for first in range(0, len(users), 10_000):
            pipe.stdin.write(b"".join(head + b"key:%012d" % i + tail for i in range(first, min(first + 10_000, len(users)))))
        pipe.stdin.close()
        output = pipe.stdout.read().decode()
        if pipe.wait() != 0:
            raise SystemExit(f"serve: redis-cli --pipe failed:\n{output}")
        keys = int(subprocess.run(["redis-cli", "-s", options.redis_socket, "DBSIZE"], capture_output=True,
                                  text=True, check=True).stdout.strip())
        length = int(subprocess.run(["redis-cli", "-s", options.redis_socket, "STRLEN", "key:000000000000"],
                                    capture_output=True, text=True, check=True).stdout.strip())
        if keys != len(users) or length != value_bytes:
            raise SystemExit(f"serve: Redis holds {keys} keys of {length} bytes; expected {len(users)} of {value_bytes}")
        report["redis_fill_s"] = time.monotonic() - started
        report["redis_memory"] = memory_status(options.redis_pid)
        log(f"Redis: {keys:,} keys of {value_bytes} B in {report['redis_fill_s']:.1f} s")

        rows = []
        for c, p in ((1, 1), (16, 1), (16, 16)):
            # A short run warms Redis and sizes N so that the measured Redis run lasts about `seconds`.
            warm = redis(c, p, max(5_000, 1_000 * c * p) if p > 1 else max(5_000, 500 * c))
            n = max(20_000, int(warm["rps"] * options.seconds / 10_000) * 10_000)
            r = redis(c, p, n)
            a = loadgen(c, p, ["--requests", str(n), "--duration", str(cap)])
            rows.append({"connections": c, "depth": p, "redis": r, "aamped": a})
            log(f"c={c:<2} P={p:<2} n={n:>9,}: redis GET {r['rps']:>11,.0f} req/s   aamped RECOMMEND "
                f"{a['throughput_rps']:>11,.0f} req/s  ({a['throughput_rps'] / r['rps']:.2f}x)")
        report["matrix"] = rows

        # Open loop at half of the closed-loop peak, and the load generator alone at that rate.
        peak = max(row["aamped"]["throughput_rps"] for row in rows)
        half = peak / 2
        report["peak_rps"] = peak
        report["open_loop"] = loadgen(16, 16, ["--duration", str(max(options.seconds, 4)), "--rate", f"{half:.0f}"],
                                      warmup=1)
        floor_command = [options.loadgen, "--self-test", "--connections", "16", "--pipeline", "16", "--mix", "recommend=1",
                         "--users-file", options.users_file, *filter_arguments, "--rate", f"{half:.0f}",
                         "--duration", str(max(options.seconds, 4)), "--warmup", "1", "--json", "--quiet"]
        done = subprocess.run(floor_command, capture_output=True, text=True)
        report["open_loop_floor"] = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"open loop at {half:,.0f} req/s: p99 {report['open_loop']['latency_us']['p99']:.1f} µs "
            f"(loadgen alone: {report['open_loop_floor']['latency_us']['p99']:.1f} µs)")

        report["memory"] = memory_status(process.pid)
        report["aamped_cpu_s"] = process_cpu(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # The caller's cleanup must not signal a pid that may since belong to another process.
        os.unlink(options.pid_file)
    report["failures"] = failures
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
