#!/usr/bin/env python3
"""Exports a loop run's message log as `aampectl eval policy` / `eval ope` CSV and checks the off-policy
value of a fixed policy against the simulator's truth (README → "Learning benchmark").

    tools/benchmarks/learning/export-eval-log.py WORK/data WORK/world [--campaign weekly_picks]
        [--bin /tmp/benchbin] [--out DIR] [--control-per-week 1]

For a loop run with `--policy random` or `cluster-spread` (both give every copy of a user's choices the
same chance; use `--keep` or `--work`), one row per decision of the campaign:
- a delivered message whose outcome is joined: action = its copy (the labels, `discount_playful`; the
  window is not part of the action), reward = 1 when goal_count > 0 (the goal within the attribution
  window, organic goals included), propensity = (1 − control share) / (copies the user could get);
- a control-group row whose outcome is joined: action `none`, reward = 1 when goal_count > 0 (the
  message log joins control rows from the decision time, 00:00). A control user is logged at every
  occasion (daily for weekly_picks) and a treated one only as often as the campaign's cap allows, so
  control rows are thinned to --control-per-week per user in any 7 days; the propensity of `none` is
  then the control rows' share of the exported rows, and a message's (1 − that share) / copies;
- features x_v0 … from `aampectl landscape export` (the live generation at the end of the run, so a
  little later than each decision); rows of users without a vector are left out.

Then it runs `aampectl eval policy` on it, and `aampectl eval ope` with a fixed target policy, always the
best-single copy (truth-baseline.py's ranking), and compares that IPW value with its true value: the mean,
over the logged messages, of o + (1 − o) · σ(logit(copy*, window) − fatigue) × (1 − cannibalization), where o
is whether the user reached the goal organically in the message's attribution window (the message's
goal events less the one its own goal session adds, `message_goal` of its truth/sends.csv row) and
fatigue and cannibalization are the row's (fatigue as logged, so the same-copy part of fatigue is the
logged copy's). Organic events do not depend on the message (with `--cannibalization 0`, exactly), so o
is the same under every copy; the truth is conditional on the organic outcomes that happened. It used to
be min(1, p_goal_without + …), with the simulator's estimate of the organic probability, which leaves out
bundle follow-ups and sat 0.006 below the observed rate (reported as `true_value_estimated_organic`).
"""

import argparse
import csv
import io
import json
import math
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policylib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def action_name(labels):
    by_set = dict(label.split("=", 1) for label in labels)
    return "_".join(by_set[name] for name in sorted(by_set))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("world")
    parser.add_argument("--campaign", default="weekly_picks")
    parser.add_argument("--control-per-week", type=int, default=1,
                        help="control rows kept per user in any 7 days (the campaign's frequency_per_7_days)")
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"))
    parser.add_argument("--out", help="folder for the CSV files (default: DATA/../eval)")
    options = parser.parse_args()
    aampectl = os.path.join(options.bin, "aampectl")
    out = options.out or os.path.join(os.path.dirname(os.path.abspath(options.data)), "eval")
    os.makedirs(out, exist_ok=True)
    truth = policylib.Truth(options.world)

    exported = subprocess.run([aampectl, "landscape", "export", "--data-dir", options.data],
                              capture_output=True, text=True, check=True).stdout
    vectors = {}
    for row in csv.DictReader(io.StringIO(exported)):
        vectors[row["user_id"]] = [row[k] for k in row if k.startswith("v")]
    dimension = len(next(iter(vectors.values())))

    db = sqlite3.connect("file:{}?mode=ro".format(os.path.join(options.data, "aampe.sqlite")), uri=True)
    external = dict(db.execute("SELECT user_index, external_id FROM user_keys").fetchall())
    rows = db.execute("SELECT user_index, mode, labels, window_index, sent_at_micros, status, goal_count, "
                      "outcome_joined_at_micros, batch, message_row FROM message_log WHERE campaign = ? "
                      "AND mode IN ('conditioned', 'preferential', 'control') ORDER BY sent_at_micros",
                      (options.campaign,)).fetchall()
    # A control user is logged at every occasion (each day for a scheduled campaign), a treated one only
    # as often as the campaign's cap lets a message through; thin the control rows to that cap so that a
    # row of either arm stands for the same decision.
    kept, thinned = {}, []
    for row in rows:
        if row[1] == "control":
            recent = [t for t in kept.get(row[0], []) if row[4] - t < 7 * 86_400 * 1_000_000]
            if len(recent) >= options.control_per_week:
                continue
            kept[row[0]] = recent + [row[4]]
        thinned.append(row)
    rows = thinned
    usable = [r for r in rows if r[7] is not None and (r[1] == "control" or r[5] == "delivered")]
    control_share = sum(r[1] == "control" for r in usable) / max(1, len(usable))

    # Sends truth by message id, and the control users' goal events from the dumps.
    sends = {}
    with open(os.path.join(options.world, "truth", "sends.csv"), newline="") as file:
        for row in csv.DictReader(file):
            sends[int(row["message_id"])] = row
    copies = sorted({action_name(json.loads(r[2])) for r in rows if r[1] != "control" and r[2]})
    ranking, _ = truth.copy_ranking(list(truth.users))
    best_copy = next(key for key in ranking if action_name(key.split("|")) in copies)
    best_action = action_name(best_copy.split("|"))
    cannibalization = None

    log_path = os.path.join(out, "log.csv")
    written, true_values, estimated_values = 0, [], []
    with open(log_path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["row_id"] + ["x_v{}".format(i) for i in range(dimension)] + ["action", "propensity", "reward"])
        for user_index, mode, labels, window, sent_at, status, goal_count, joined, batch, message_row in rows:
            user = external.get(user_index, user_index)
            if user not in vectors:
                continue
            if mode == "control":
                # The message log joins control rows' outcomes too, from the decision time.
                if joined is None:
                    continue
                reward = int((goal_count or 0) > 0)
                action, propensity = "none", control_share
            else:
                if status != "delivered" or joined is None:
                    continue
                action = action_name(json.loads(labels))
                reward = int((goal_count or 0) > 0)
                propensity = (1 - control_share) / len(copies)
                send = sends.get((batch << 32) | message_row)
                if send is not None and user in truth.users:
                    cannibalization = float(send["p_incremental"]) / float(send["p_message_goal"]) \
                        if float(send["p_message_goal"]) > 0 else cannibalization
                    share = cannibalization if cannibalization is not None else 1.0
                    p = policylib.sigmoid(truth.logit(user, best_copy.split("|"), window if window is not None else -1)
                                          - float(send["fatigue"]))
                    message_goals = 1 if send["message_goal"] == "true" else 0
                    organic = 1 if (goal_count or 0) - message_goals >= 1 else 0
                    true_values.append(organic + (1 - organic) * p * share)
                    estimated_values.append(min(1.0, float(send["p_goal_without"]) + p * share))
            writer.writerow([written] + vectors[user] + [action, "{:.6g}".format(propensity), reward])
            written += 1
    target_path = os.path.join(out, "target-best-single.csv")
    with open(target_path, "w", newline="") as file:
        writer = csv.writer(file)
        actions = ["none"] + copies
        writer.writerow(["pi_" + a for a in actions])
        writer.writerow([1 if a == best_action else 0 for a in actions])
    print("exported {} rows ({} copies + none) to {}; best-single copy from truth: {}".format(
        written, len(copies), log_path, best_action))

    policy = subprocess.run([aampectl, "eval", "policy", "--data", log_path, "--json"], capture_output=True, text=True)
    ope = subprocess.run([aampectl, "eval", "ope", "--log", log_path, "--target-policy", target_path, "--json"],
                         capture_output=True, text=True)
    for name, result in (("eval-policy", policy), ("eval-ope", ope)):
        with open(os.path.join(out, name + ".json"), "w") as file:
            file.write(result.stdout)
        if result.returncode != 0:
            print("{} failed ({}): {}".format(name, result.returncode, result.stderr[-2000:]))
    true_value = sum(true_values) / len(true_values) if true_values else float("nan")
    estimated = sum(estimated_values) / len(estimated_values) if estimated_values else float("nan")
    report = {"rows": written, "best_single_copy": best_action, "true_value": true_value,
              "true_value_estimated_organic": estimated, "true_value_messages": len(true_values)}
    if ope.returncode == 0:
        report["ope"] = json.loads(ope.stdout)
    if policy.returncode == 0:
        report["eval_policy"] = json.loads(policy.stdout)
    with open(os.path.join(out, "report.json"), "w") as file:
        json.dump(report, file, indent=2)
    if ope.returncode == 0:
        for estimate in report["ope"]["estimates"]:
            print("always {}: {} {:.4f} (95 % {:.4f} to {:.4f}); true value {:.4f} over {} logged messages".format(
                best_action, estimate["estimator"].upper(), estimate["value"], estimate["interval"]["lower"],
                estimate["interval"]["upper"], true_value, len(true_values)))
    if policy.returncode == 0:
        verdict = report["eval_policy"]
        print("eval policy: best single action {}, personalization wins: {}".format(
            verdict.get("bestSingleAction"), verdict.get("personalizationWins")))
        for entry in verdict.get("policies", []):
            print("  {}: ".format(entry["policy"]) + ", ".join("{} {:.4f} [{:.4f}, {:.4f}]".format(
                e["estimator"], e["value"], e["lower"], e["upper"]) for e in entry["estimates"]))


if __name__ == "__main__":
    main()
