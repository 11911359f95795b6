#!/usr/bin/env python3
"""Prints tools/bench-landscape's progress lines and, at the end, its markdown tables and targets, from
the JSON files of one run (NAME.json: measure.py's wall time and peak RSS; NAME.out: the command's own
JSON output).

    report.py --results DIR --progress STEP     one line for a step; exits 1 when the step failed
    report.py --results DIR --repeats N --aampectl BIN --users N --items N --days N --seed N

Unmet targets are printed as NOT MET, not failed on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import markdown  # noqa: E402


def table(header: list[str], rows: list[list]) -> None:
    markdown.table(header, rows, blank_line_after=True)


LANDSCAPE_PHASES = ["reading", "scaling", "pca", "clustering", "describing", "writing"]
TIMING_PHASES = ["reading", "windows", "activity", "responsiveness", "writing"]


def load(path: str):
    with open(path) as f:
        return json.load(f)


def measured(results: str, name: str) -> dict:
    result = load(os.path.join(results, name + ".json"))
    if result["exit_status"] != 0:
        raise SystemExit(f"bench-landscape: {' '.join(result['argv'])} exited with {result['exit_status']}")
    return result


def output(results: str, name: str) -> dict:
    return load(os.path.join(results, name + ".out"))


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def seconds(value) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def phase_line(report: dict, phases: list[str]) -> str:
    return ", ".join(f"{name} {report['phase_seconds'].get(name, 0):.2f} s" for name in phases)


def progress(results: str, step: str) -> None:
    run = measured(results, step)
    head = f"   {run['wall_seconds']:.1f} s, peak RSS {mib(run['max_rss_kib'])}"
    if step == "sim":
        totals = output(results, step)["totals"]
        print(f"{head}: {totals['events']:,} events")
    elif step.startswith("import"):
        print(head)
    elif step.startswith("landscape"):
        report = output(results, step)
        print(f"{head}: {report['users']:,} users x {report['features']} aggregates; "
              f"{phase_line(report, LANDSCAPE_PHASES)}")
    elif step.startswith("timing"):
        report = output(results, step)
        print(f"{head}: {report['users']:,} users; {phase_line(report, TIMING_PHASES)}")
    elif step == "sklearn":
        best = output(results, step)["best"]
        print(f"{head}: PCA {best['pca_seconds']:.2f} s, KMeans {best['kmeans_seconds']:.2f} s")
    elif step == "lifetimes":
        peer = output(results, step)
        print(f"{head}: fit {peer['per_user']['seconds']:.2f} s on {peer['users']:,} rows "
              f"({peer['per_user']['status']}), {peer['grouped']['seconds']:.2f} s on {peer['distinct_triples']:,} "
              f"weighted triples ({peer['grouped']['status']})")
    else:
        print(head)


def best_run(results: str, prefix: str, repeats: int, key) -> tuple[dict, dict]:
    runs = [(measured(results, f"{prefix}-{r}"), output(results, f"{prefix}-{r}")) for r in range(1, repeats + 1)]
    return min(runs, key=key)


def full_report(options) -> None:
    results = options.results
    sim_measure, sim = measured(results, "sim"), output(results, "sim")
    imports = {kind: measured(results, f"import-{kind}") for kind in ("events", "users", "catalog")}
    export_measure, export_report = measured(results, "landscape-export"), output(results, "landscape-export")
    land_measure, land = best_run(results, "landscape", options.repeats,
                                  lambda run: run[1]["phase_seconds"]["pca"] + run[1]["phase_seconds"]["clustering"])
    time_measure, timing = best_run(results, "timing", options.repeats,
                                    lambda run: run[1]["phase_seconds"]["activity"])
    sk_measure, sk = measured(results, "sklearn"), output(results, "sklearn")
    lt_measure, lt = measured(results, "lifetimes"), output(results, "lifetimes")

    version = subprocess.run([options.aampectl, "--version"], capture_output=True, text=True).stdout.strip() or "?"
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    cores = os.cpu_count()
    load_average = " ".join(open("/proc/loadavg").read().split()[:3])
    threads = ", ".join(f"{p['api']} {p['threads']}" for p in sk["threadpools"])

    print("\n## bench-landscape\n")
    print(f"aamped {version}; scikit-learn {sk['sklearn_version']} (numpy {sk['numpy_version']}; threads: {threads}); "
          f"lifetimes {lt['lifetimes_version']}. {model}, {cores} cores, load average {load_average} at the end.\n")
    print(f"World: aampe-sim --users {options.users:,} --items {options.items:,} --days {options.days} "
          f"--seed {options.seed} --zstd: {sim['totals']['events']:,} events.\n")
    table(["step", "wall s", "peak RSS"], [
        ["aampe-sim generate", seconds(sim_measure["wall_seconds"]), mib(sim_measure["max_rss_kib"])],
    ] + [[f"aampectl import {kind}", seconds(run["wall_seconds"]), mib(run["max_rss_kib"])]
         for kind, run in imports.items()])

    # Landscape.
    phases = land["phase_seconds"]
    ours_fit = phases["pca"] + phases["clustering"]
    best = sk["best"]
    theirs_fit = best["seconds"]
    print(f"### train landscape: {land['users']:,} users x {land['features']} aggregates, {land['dimensions']} "
          f"dimensions, {land['clusters']} clusters\n")
    rows = []
    for label, run, report in (("without --export-scaled (compared)", land_measure, land),
                               ("with --export-scaled", export_measure, export_report)):
        p = report["phase_seconds"]
        unphased = run["wall_seconds"] - sum(p.get(name, 0) for name in LANDSCAPE_PHASES)
        rows.append([label, seconds(run["wall_seconds"]), mib(run["max_rss_kib"]),
                     seconds(run["user_seconds"] + run["system_seconds"])]
                    + [seconds(p.get(name)) for name in LANDSCAPE_PHASES] + [seconds(unphased)])
    table(["aampectl train landscape", "wall s", "peak RSS", "CPU s"] + LANDSCAPE_PHASES + ["other"], rows)
    print("\"other\" is the wall time outside the phases: start-up, opening the store, the silhouette sample.\n")

    ours_explained = sum(land["explained_variance_ratio"])
    rows = [
        ["aamped (pca, clustering phases)", seconds(phases["pca"]), seconds(phases["clustering"]), seconds(ours_fit),
         f"{ours_explained:.5f}", f"{land['inertia']:,.1f}", f"{mib(land_measure['max_rss_kib'])} (whole run)"],
        ["scikit-learn PCA + KMeans", seconds(best["pca_seconds"]), seconds(best["kmeans_seconds"]),
         seconds(theirs_fit), f"{best['explained_variance']:.5f}", f"{best['inertia']:,.1f}",
         f"{mib(sk['max_rss_kib_after_fit'])} (process; {mib(sk['max_rss_kib_after_load'])} after loading)"],
    ]
    table(["fit", "PCA s", "k-means s", "total s", "explained variance", "inertia", "peak RSS"], rows)
    recomputed = sk.get("aamped_recomputed")
    if recomputed:
        print(f"aamped's figures recomputed from its export ({recomputed['rows']:,} vectors): explained variance "
              f"{recomputed['explained_variance']:.5f}, inertia {recomputed['inertia']:,.1f}.\n")
    speed_ratio = theirs_fit / ours_fit if ours_fit > 0 else float("inf")
    explained_gap = ours_explained - best["explained_variance"]
    inertia_gap = land["inertia"] / best["inertia"] - 1
    print(f"scikit-learn time / aamped time: {speed_ratio:.2f}x. Loading the .npy ({sk['rows']:,} x {sk['columns']} "
          f"{sk['dtype']}, {sk['matrix_bytes'] / 2**20:,.0f} MiB) took scikit-learn's side {sk['load_seconds']:.2f} s, "
          f"not counted. scikit-learn k-means iterations (best init): {best['kmeans_iterations']}; "
          f"PCA power iterations: {best['pca_iterations']}.\n")

    # Timing.
    tp = timing["phase_seconds"]
    print(f"### train timing: {timing['users']:,} users, {lt['users']:,} active before the reference time\n")
    rows = [[f"aampectl train timing", seconds(time_measure["wall_seconds"]), mib(time_measure["max_rss_kib"]),
             seconds(time_measure["user_seconds"] + time_measure["system_seconds"])]
            + [seconds(tp.get(name)) for name in TIMING_PHASES]]
    table(["run", "wall s", "peak RSS", "CPU s"] + TIMING_PHASES, rows)
    ours_activity = tp["activity"]
    rows = []
    for label, fit, secs, count, status in (
        ("aamped (activity phase)", lt["aamped"], ours_activity, f"{lt['distinct_triples']:,} weighted triples", "-"),
        ("lifetimes BetaGeoFitter.fit, one row per user", lt["per_user"], lt["per_user"]["seconds"], f"{lt['users']:,}",
         lt["per_user"]["status"]),
        ("lifetimes, weighted distinct triples (grouping included)", lt["grouped"], lt["grouped"]["seconds"],
         f"{lt['distinct_triples']:,}", lt["grouped"]["status"]),
    ):
        p = fit["params"]
        rows.append([label, count, seconds(secs), f"{p['r']:.4f}", f"{p['alpha']:.4f}", f"{p['a']:.4g}",
                     f"{p['b']:.4g}", f"{fit['log_likelihood']:,.1f}", status])
    table(["BG/NBD", "rows", "seconds", "r", "alpha", "a", "b", "log-likelihood", "lifetimes"], rows)
    print("aamped's activity phase also builds the triples from every user's active-day bitmap and computes "
          "P(alive) and P(active) for every user; lifetimes' fit() also computes a Hessian. The log-likelihoods "
          "are lifetimes' formula, in days, over the same users at each parameter set. When scipy reports no success, "
          "lifetimes raises ConvergenceError and keeps no parameters; the time is then that of the failed call and the "
          "parameters are where the same minimize call stops.\n")
    bgnbd_ratio = lt["per_user"]["seconds"] / ours_activity if ours_activity > 0 else float("inf")
    ll_ours, ll_theirs = lt["aamped"]["log_likelihood"], lt["per_user"]["log_likelihood"]
    ll_ok = ll_ours >= ll_theirs - 1e-6 * abs(ll_theirs)

    print("### Targets\n")
    table(["target", "aamped", "peer", "ratio or gap", ""], [
        ["landscape pca + clustering no slower than scikit-learn PCA + KMeans", f"{ours_fit:.2f} s",
         f"{theirs_fit:.2f} s", f"{speed_ratio:.2f}x", verdict(ours_fit <= theirs_fit)],
        ["explained variance equal (sums within 1e-3)", f"{ours_explained:.5f}", f"{best['explained_variance']:.5f}",
         f"{explained_gap:+.5f}", verdict(abs(explained_gap) <= 1e-3)],
        ["inertia at most 1 % above scikit-learn's", f"{land['inertia']:,.1f}", f"{best['inertia']:,.1f}",
         f"{inertia_gap * 100:+.2f} %", verdict(inertia_gap <= 0.01)],
        ["BG/NBD activity phase no slower than BetaGeoFitter.fit", f"{ours_activity:.3f} s",
         f"{lt['per_user']['seconds']:.2f} s", f"{bgnbd_ratio:.1f}x", verdict(ours_activity <= lt["per_user"]["seconds"])],
        ["BG/NBD log-likelihood no lower than lifetimes'", f"{ll_ours:,.1f}", f"{ll_theirs:,.1f}",
         f"{ll_ours - ll_theirs:+,.2f}", verdict(ll_ok)],
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("--progress")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--aampectl")
    parser.add_argument("--users", type=int)
    parser.add_argument("--items", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--seed", type=int)
    options = parser.parse_args()
    if options.progress:
        progress(options.results, options.progress)
    else:
        full_report(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
