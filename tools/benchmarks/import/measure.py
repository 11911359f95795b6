#!/usr/bin/env python3
"""Runs one command as a child process and measures it the same way for both sides of the import
benchmark: wall time from spawn to exit, and the child's peak resident set size.

The peak RSS is ru_maxrss from wait4(2) on that child: the kernel's high-water mark of the child (and of
any children it waited for), in KiB on Linux. It is the per-child form of getrusage(RUSAGE_CHILDREN),
which would instead report the largest of all children reaped so far; /usr/bin/time -f %M reads the same
field.

    measure.py [--stdout FILE] [--stderr FILE] [--cwd DIR] -- COMMAND [ARG...]

prints {"argv": [...], "exit_status": 0, "wall_seconds": ..., "max_rss_kib": ..., "user_seconds": ...,
"system_seconds": ...} as one JSON line. Importable: run_measured() returns the same dict.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def run_measured(argv, stdout=None, stderr=None, cwd=None):
    """Spawns argv, waits for it with wait4, and returns wall time, peak RSS and CPU times. stdout and
    stderr are paths to write the child's output to (None: inherit)."""
    out = open(stdout, "wb") if stdout else None
    err = open(stderr, "wb") if stderr else None
    try:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    finally:
        for file in (out, err):
            if file:
                file.close()
    return {
        "argv": list(argv),
        "exit_status": child.returncode,
        "wall_seconds": wall,
        "max_rss_kib": usage.ru_maxrss,
        "user_seconds": usage.ru_utime,
        "system_seconds": usage.ru_stime,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", help="write the command's stdout to this file")
    parser.add_argument("--stderr", help="write the command's stderr to this file")
    parser.add_argument("--cwd", help="run the command in this folder")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("no command given")
    result = run_measured(command, arguments.stdout, arguments.stderr, arguments.cwd)
    print(json.dumps(result))
    sys.exit(0 if result["exit_status"] == 0 else 1)


if __name__ == "__main__":
    main()
