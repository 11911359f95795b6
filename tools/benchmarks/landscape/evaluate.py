#!/usr/bin/env python3
"""Scores aamped's landscape and timing against the simulator's hidden truth, for tools/eval-landscape.
Prints markdown tables; writes every figure to --out as JSON.

    evaluate.py --world DIR --results DIR --as-of ISO8601 [--horizon-days 7] [--seed 1] [--out FILE]

--results holds what tools/eval-landscape wrote: landscape.json (train landscape --json), landscape.csv
(landscape export), scaled.npy (--export-scaled), timing.json (train timing --json), timing.csv (timing
export) and events.csv (events dump). --world is the simulator's folder (truth/users.csv).

Three questions:
  clusters  adjusted Rand index and NMI of aamped's clusters against the hidden personas, next to
            scikit-learn KMeans (same k, n_init 4, k-means++) on each user's raw count of every event type
            in the 90 days up to --as-of, recomputed from the events dump (no scaling, no log), and next to
            scikit-learn PCA + KMeans on aamped's own scaled matrix (same input, other implementation).
  windows   per user, Spearman correlation over the 35 windows between the truth's routine (window_00 ...
            window_34) and aamped's shrunk shares (p), the user's raw session counts (n) and the cluster's
            profile (g); and how often the truth's best window is in each one's top 3 (ties in a
            prediction count fractionally: the chance that a random tie-break puts it there).
  activity  "any event in (as_of, as_of + horizon]" for users active before the reference time: AUC and
            log loss of aamped's probability_active, of lifetimes' BetaGeoFitter fitted on the same
            frequency / recency_days / age_days columns, and of baselines. Baselines' log loss uses a
            one-feature logistic regression fitted on the week before (features at as_of - horizon,
            labels in (as_of - horizon, as_of]), so no baseline sees the labels it is scored on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, log_loss, normalized_mutual_info_score, roc_auc_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bgnbd  # noqa: E402
import markdown  # noqa: E402


def table(header: list[str], rows: list[list]) -> None:
    markdown.table(header, rows, blank_line_after=True)


WINDOWS = 35
DAY_SECONDS = 86400
PROBABILITY_CLIP = 1e-6


def f3(value) -> str:
    return "n/a" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.3f}"


def load_events(path: str) -> pd.DataFrame:
    events = pd.read_csv(path, usecols=["user_id", "event", "timestamp"], dtype={"user_id": str, "event": str})
    stamps = pd.to_datetime(events["timestamp"], utc=True, format="ISO8601")
    events["seconds"] = ((stamps - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).astype("int64")
    return events.drop(columns=["timestamp"])


def activity_summary(events: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """BG/NBD's (x, tx, T) per user as aamped's TimingAggregates and TrainingWindow define them: the
    reference time is as_of; an event's whole seconds (floored) at or before it count, and its day is
    (reference - seconds) // 86400; x = active days - 1, T = the oldest active day, tx = oldest - newest."""
    before = events[events["seconds"] <= as_of]
    reference = as_of
    days = (reference - before["seconds"]) // DAY_SECONDS
    per_user = pd.DataFrame({"user_id": before["user_id"], "day": days}).drop_duplicates()
    grouped = per_user.groupby("user_id")["day"]
    summary = pd.DataFrame({"active_days": grouped.size(), "newest": grouped.min(), "oldest": grouped.max()})
    summary["x"] = summary["active_days"] - 1
    summary["T"] = summary["oldest"]
    summary["tx"] = summary["oldest"] - summary["newest"]
    summary.attrs["reference"] = reference
    return summary


def labels_after(events: pd.DataFrame, start: int, horizon_days: int) -> set:
    inside = events[(events["seconds"] > start) & (events["seconds"] <= start + horizon_days * DAY_SECONDS)]
    return set(inside["user_id"].unique())


def clusters_section(results: str, truth: pd.DataFrame, events: pd.DataFrame, as_of: int, seed: int, report: dict):
    landscape = json.load(open(os.path.join(results, "landscape.json")))
    exported = pd.read_csv(os.path.join(results, "landscape.csv"), dtype={"user_id": str})
    k = int(landscape["clusters"])
    joined = exported.merge(truth[["user_id", "persona"]], on="user_id", how="inner")
    personas = joined["persona"].to_numpy()

    rows = []
    results_by_method = {}

    def score(name, assignments, seconds, note):
        ari = adjusted_rand_score(personas, assignments)
        nmi = normalized_mutual_info_score(personas, assignments)
        results_by_method[name] = {"ari": ari, "nmi": nmi, "seconds": seconds, "input": note}
        rows.append([name, note, f3(ari), f3(nmi), f"{seconds:.2f}" if seconds is not None else "-"])

    score("aamped train landscape", joined["cluster"].to_numpy(), landscape["phase_seconds"].get("clustering"),
          f"{landscape['features']} aggregates, log1p + robust scaling, PCA {landscape['dimensions']}")

    window = events[(events["seconds"] <= as_of) & (events["seconds"] > as_of - 90 * DAY_SECONDS)]
    counts = pd.crosstab(window["user_id"], window["event"])
    counts = counts.reindex(joined["user_id"]).fillna(0.0)
    start = time.perf_counter()
    raw = KMeans(n_clusters=k, n_init=4, init="k-means++", random_state=seed).fit_predict(counts.to_numpy(float))
    score("scikit-learn KMeans, raw counts", raw, time.perf_counter() - start,
          f"{counts.shape[1]} per-type event counts, 90 days, unscaled (from events dump)")

    scaled_path = os.path.join(results, "scaled.npy")
    agreement = None
    if os.path.exists(scaled_path):
        matrix = np.load(scaled_path)
        if matrix.shape[0] == len(exported):
            # The .npy's rows are the landscape's users in its export order (both walk the user
            # dictionary); agreement with aamped's clusters below checks that rather than trusting it.
            position = pd.Series(np.arange(len(exported)), index=exported["user_id"])
            rows_of_joined = position.loc[joined["user_id"]].to_numpy()
            start = time.perf_counter()
            vectors = PCA(n_components=int(landscape["dimensions"]), svd_solver="randomized",
                          random_state=seed).fit_transform(matrix.astype(np.float64))
            same = KMeans(n_clusters=k, n_init=4, init="k-means++", random_state=seed).fit_predict(vectors)
            seconds = time.perf_counter() - start
            same = same[rows_of_joined]
            score("scikit-learn PCA + KMeans, aamped's scaled matrix", same, seconds,
                  f"--export-scaled {matrix.shape[0]:,} x {matrix.shape[1]}")
            agreement = adjusted_rand_score(joined["cluster"].to_numpy(), same)
        else:
            print(f"(scaled.npy has {matrix.shape[0]} rows, the landscape export {len(exported)}: not compared)\n")

    print(f"### Clusters against the hidden personas ({len(joined):,} users, {truth['persona'].nunique()} personas, "
          f"k = {k})\n")
    table(["clustering", "input", "ARI", "NMI", "fit s"], rows)
    if agreement is not None:
        print(f"ARI between aamped's clusters and scikit-learn's on the same scaled matrix: {agreement:.3f}\n")
    crosstab = pd.crosstab(joined["persona"], joined["cluster"])
    print("Users per persona (rows) and aamped cluster (columns):\n")
    table(["persona"] + [str(c) for c in crosstab.columns],
          [[persona] + [f"{v:,}" for v in crosstab.loc[persona]] for persona in crosstab.index])
    report["clusters"] = {
        "users": len(joined), "k": k, "methods": results_by_method, "aamped_vs_sklearn_same_matrix_ari": agreement,
        "silhouette": landscape.get("silhouette"), "inertia": landscape.get("inertia"),
        "explained_variance": sum(landscape.get("explained_variance_ratio", [])),
        "persona_by_cluster": {p: {str(c): int(v) for c, v in crosstab.loc[p].items()} for p in crosstab.index},
    }


def spearman_rows(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Row-wise Spearman (average ranks for ties); NaN where a row is constant."""
    a = rankdata(truth, axis=1)
    b = rankdata(predicted, axis=1)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=1) / denominator, np.nan)


def top3_rows(best: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Chance that the true best window is in the predicted top 3, ties broken at random."""
    own = predicted[np.arange(len(best)), best][:, None]
    greater = (predicted > own).sum(axis=1)
    equal = (predicted == own).sum(axis=1)
    return np.clip((3 - greater) / equal, 0.0, 1.0)


def windows_section(results: str, truth: pd.DataFrame, report: dict):
    timing = pd.read_csv(os.path.join(results, "timing.csv"), dtype={"user_id": str})
    truth_columns = [f"window_{w:02d}" for w in range(WINDOWS)]
    joined = timing.merge(truth[["user_id"] + truth_columns], on="user_id", how="inner")
    true = joined[truth_columns].to_numpy(float)
    best = true.argmax(axis=1)
    true_shares = true / true.sum(axis=1, keepdims=True)
    estimates = {
        "p (aamped, shrunk)": joined[[f"p{w}" for w in range(WINDOWS)]].to_numpy(float),
        "n (raw counts)": joined[[f"n{w}" for w in range(WINDOWS)]].to_numpy(float),
        "g (cluster profile)": joined[[f"g{w}" for w in range(WINDOWS)]].to_numpy(float),
    }
    sessions = estimates["n (raw counts)"].sum(axis=1)
    groups = [
        ("all users with a session", sessions >= 1),
        ("1-3 sessions", (sessions >= 1) & (sessions <= 3)),
        ("4-10 sessions", (sessions >= 4) & (sessions <= 10)),
        ("11-30 sessions", (sessions >= 11) & (sessions <= 30)),
        ("over 30 sessions", sessions > 30),
        ("no session (p = g)", sessions == 0),
    ]
    figures = {}
    rows = []
    for label, mask in groups:
        users = int(mask.sum())
        if users == 0:
            continue
        row = [label, f"{users:,}"]
        figures[label] = {"users": users}
        for name, values in estimates.items():
            rho = spearman_rows(true[mask], values[mask])
            hits = top3_rows(best[mask], values[mask])
            defined = ~np.isnan(rho)
            mean_rho = float(np.mean(rho[defined])) if defined.any() else float("nan")
            shares = values[mask] / np.maximum(values[mask].sum(axis=1, keepdims=True), 1e-300)
            l1 = np.abs(shares - true_shares[mask]).sum(axis=1)
            l1 = float(np.mean(l1[values[mask].sum(axis=1) > 0])) if (values[mask].sum(axis=1) > 0).any() else float("nan")
            figures[label][name] = {"spearman": mean_rho, "top3": float(hits.mean()), "l1": l1,
                                    "users_defined": int(defined.sum())}
            row += [f3(mean_rho), f"{hits.mean() * 100:.1f} %", f3(l1)]
        rows.append(row)
    print(f"### Window propensity against the true routine ({len(joined):,} users, 35 windows)\n")
    print("Mean Spearman correlation per user over the 35 windows, and the share of users whose true best window "
          "is in the estimate's top 3 (chance: 8.6 %). A constant row has no Spearman (raw counts of a user "
          "without sessions); it is left out of that mean. L1 is the sum over windows of |estimated share - true "
          "share| (0 to 2; n as shares n / sessions), which, unlike a rank correlation, does not reward ties.\n")
    header = ["users", "count"]
    for name in estimates:
        short = name.split(" ")[0]
        header += [f"{short} Spearman", f"{short} top-3", f"{short} L1"]
    table(header, rows)
    overall = figures["all users with a session"]
    p, n, g = (overall[name] for name in estimates)
    beats = p["spearman"] > n["spearman"] and p["spearman"] > g["spearman"]
    beats_top3 = p["top3"] > n["top3"] and p["top3"] > g["top3"]
    beats_l1 = p["l1"] < n["l1"] and p["l1"] < g["l1"]
    print(f"Shrunk estimate beats raw counts and the cluster profile (users with a session): Spearman "
          f"{'MET' if beats else 'NOT MET'}, top-3 {'MET' if beats_top3 else 'NOT MET'}, "
          f"L1 {'MET' if beats_l1 else 'NOT MET'}.\n")
    # The population's pooled profile, to tell what the clusters add over no clusters at all.
    counts = estimates["n (raw counts)"]
    pooled = np.tile(counts.sum(axis=0) / counts.sum(), (int((sessions >= 1).sum()), 1))
    mask = sessions >= 1
    population = {
        "spearman": float(np.nanmean(spearman_rows(true[mask], pooled))),
        "top3": float(top3_rows(best[mask], pooled).mean()),
        "l1": float(np.abs(pooled - true_shares[mask]).sum(axis=1).mean()),
    }
    print(f"For comparison, the population's pooled profile for every user (users with a session): Spearman "
          f"{population['spearman']:.3f}, top-3 {population['top3'] * 100:.1f} %, L1 {population['l1']:.3f}.\n")
    timing_json = json.load(open(os.path.join(results, "timing.json")))
    report["windows"] = {"population_profile": population, "users": len(joined), "groups": figures, "beats_spearman": beats, "beats_top3": beats_top3, "beats_l1": beats_l1,
                         "prior_strengths": timing_json.get("prior_strengths")}


def calibrated_baseline(train_score, train_label, score):
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(np.asarray(train_score, float).reshape(-1, 1), train_label)
    return model.predict_proba(np.asarray(score, float).reshape(-1, 1))[:, 1]


def baseline_scores(summary: pd.DataFrame) -> dict:
    newest = summary["T"] - summary["tx"]
    return {
        "active in the last 7 days (0/1)": (newest < 7).astype(float).to_numpy(),
        "recency alone (-days since last active)": -newest.to_numpy(float),
        "active-day rate (x+1)/(T+1)": ((summary["x"] + 1) / (summary["T"] + 1)).to_numpy(float),
    }


def activity_section(results: str, events: pd.DataFrame, as_of: int, horizon: int, report: dict):
    timing_json = json.load(open(os.path.join(results, "timing.json")))
    timing = pd.read_csv(os.path.join(results, "timing.csv"), dtype={"user_id": str},
                         usecols=["user_id", "frequency", "recency_days", "age_days", "probability_alive",
                                  "probability_active"])
    active = timing.dropna(subset=["frequency"]).set_index("user_id")
    x = active["frequency"].to_numpy(float)
    tx = active["recency_days"].to_numpy(float)
    T = active["age_days"].to_numpy(float)
    positives = labels_after(events, as_of, horizon)
    label = active.index.isin(positives).astype(int)

    # Our own (x, tx, T) from the dump, to check the export's columns.
    recomputed = activity_summary(events, as_of).reindex(active.index)
    same = ((recomputed["x"].to_numpy() == x) & (recomputed["tx"].to_numpy() == tx) & (recomputed["T"].to_numpy() == T))

    ours = dict(timing_json["activity_model"])
    ours = {name: float(ours[name]) for name in ("r", "alpha", "a", "b")}
    theirs, fit_seconds, converged, fit_status = bgnbd.fit(x, tx, T)
    predictions = {
        "aamped probability_active": active["probability_active"].to_numpy(float),
        "lifetimes BetaGeoFitter": bgnbd.probability_active(theirs, x, tx, T, horizon),
    }
    ours_through_lifetimes = bgnbd.probability_active(ours, x, tx, T, horizon)
    formula_gap = float(np.max(np.abs(ours_through_lifetimes - predictions["aamped probability_active"])))

    # Baselines, calibrated on the week before.
    earlier = as_of - horizon * DAY_SECONDS
    before = activity_summary(events, earlier)
    before_label = before.index.isin(labels_after(events, earlier, horizon)).astype(int)
    now = pd.DataFrame({"x": x, "tx": tx, "T": T}, index=active.index)
    current_scores = baseline_scores(now)
    earlier_scores = baseline_scores(before)
    baseline_probabilities = {name: calibrated_baseline(earlier_scores[name], before_label, current_scores[name])
                              for name in current_scores}
    prevalence = float(before_label.mean())

    rows = []
    figures = {}

    def add(name, probability, score=None, note=""):
        score = probability if score is None else score
        auc = roc_auc_score(label, score)
        loss = log_loss(label, np.clip(probability, PROBABILITY_CLIP, 1 - PROBABILITY_CLIP), labels=[0, 1])
        mean = float(np.mean(probability))
        figures[name] = {"auc": auc, "log_loss": loss, "mean_probability": mean}
        rows.append([name, f3(auc), f"{loss:.4f}", f"{mean:.3f}", note])

    add("aamped probability_active", predictions["aamped probability_active"], note="BG/NBD, aamped's fit")
    add("lifetimes BetaGeoFitter", predictions["lifetimes BetaGeoFitter"], note="BG/NBD, lifetimes' fit, same columns")
    for name, probability in baseline_probabilities.items():
        add(name, probability, current_scores[name], "calibrated on the week before")
    add("base rate (constant)", np.full(len(label), prevalence), np.zeros(len(label)),
        f"{prevalence:.3f}, the week before")

    print(f"### Activity: any event in the {horizon} days after --as-of ({len(label):,} users active before the "
          f"reference time {timing_json['reference_time']}, {label.mean() * 100:.1f} % positive)\n")
    table(["estimate", "AUC", "log loss", "mean P", "note"], rows)
    ll_ours = bgnbd.log_likelihood(ours, x, tx, T)
    ll_theirs = bgnbd.log_likelihood(theirs, x, tx, T)
    print("BG/NBD fitted on the same users' frequency, recency_days and age_days (days), log-likelihood by "
          "lifetimes' own formula at each parameter set:\n")
    table(["fit", "r", "alpha", "a", "b", "log-likelihood", "fit s"], [
        ["aamped (train timing)", f"{ours['r']:.4f}", f"{ours['alpha']:.4f}", f"{ours['a']:.4f}", f"{ours['b']:.4f}",
         f"{ll_ours:,.1f}", f"{timing_json['phase_seconds'].get('activity', float('nan')):.3f} (activity phase)"],
        [f"lifetimes {bgnbd.lifetimes_version()} (penalizer 0)", f"{theirs['r']:.4f}", f"{theirs['alpha']:.4f}",
         f"{theirs['a']:.4f}", f"{theirs['b']:.4f}", f"{ll_theirs:,.1f}", f"{fit_seconds:.3f} (fit, {fit_status})"],
    ])
    print(f"Export's frequency/recency/age equal those recomputed from the events dump for {same.mean() * 100:.2f} % "
          f"of users; aamped's probability_active against the same formula through lifetimes' P(alive) at aamped's "
          f"parameters: largest difference {formula_gap:.2e}.\n")
    report["activity"] = {
        "users": int(len(label)), "positive_share": float(label.mean()), "estimates": figures,
        "aamped_params": ours, "lifetimes_params": theirs, "aamped_log_likelihood": ll_ours,
        "lifetimes_log_likelihood": ll_theirs, "lifetimes_fit_seconds": fit_seconds, "lifetimes_fit_status": fit_status,
        "aamped_activity_phase_seconds": timing_json["phase_seconds"].get("activity"),
        "summary_matches_dump_share": float(same.mean()), "probability_formula_max_gap": formula_gap,
        "baseline_calibration_prevalence": prevalence,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--horizon-days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out")
    options = parser.parse_args()
    as_of = int(pd.Timestamp(options.as_of).tz_convert("UTC").timestamp())

    truth = pd.read_csv(os.path.join(options.world, "truth", "users.csv"), dtype={"user_id": str, "persona": str})
    events = load_events(os.path.join(options.results, "events.csv"))
    report = {"as_of": options.as_of, "horizon_days": options.horizon_days, "events": int(len(events))}
    clusters_section(options.results, truth, events, as_of, options.seed, report)
    windows_section(options.results, truth, report)
    activity_section(options.results, events, as_of, options.horizon_days, report)
    if options.out:
        with open(options.out, "w") as f:
            json.dump(report, f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
