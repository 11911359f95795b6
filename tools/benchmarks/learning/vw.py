#!/usr/bin/env python3
"""Vowpal Wabbit as an external policy for the learning benchmark (README → "Learning benchmark").

    --policy-command "python3 tools/benchmarks/learning/vw.py --state /abs/state/vw"

`--cb_explore_adf --cb_type mtr --squarecb` (plus `-q sa`): shared features are the landscape vector
(`s:f<i>`) and the cluster (`s:c<k>`); each choice's action features are its labels, its weekly window
and its time-of-day slot (`a:`). Learning: at each run (one process per campaign and day) a fresh
workspace learns every joined outcome of the engine's outcomes file, oldest first, each with cost
−1 for a goal and 0 otherwise, the logged propensity and its user's newest context (policylib.OutcomeHistory;
the outcomes rows carry no context). Only the chosen action is in a learned example (the file does not
list the other choices). Then it predicts each candidate's pmf over its choices and samples from it with
the engine's seed; the propensity is that pmf value. Mode: preferential when the pmf gives the sample
0.95 or more, else conditioned.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policylib  # noqa: E402

try:
    import vowpalwabbit
except ImportError:  # the adapter is ready; the benchmark reports the package as missing
    sys.exit("vw.py: the vowpalwabbit package is not installed (pip install vowpalwabbit)")


def shared_line(context, cluster):
    features = " ".join("f{}:{:.6g}".format(i, value) for i, value in enumerate(context or []))
    return "shared |s c{} {}".format(cluster, features)


def action_line(labels, window):
    names = " ".join(label.replace("=", "_") for label in labels)
    return "|a {} w{} slot{}".format(names, -1 if window is None else window, policylib.slot(window))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", required=True, help="a folder of this policy's own (contexts seen)")
    parser.add_argument("--gamma-scale", type=float, default=10.0, help="SquareCB's --gamma_scale")
    options = parser.parse_args()
    state = {}

    def hello_hook(hello):
        history = policylib.OutcomeHistory(os.path.join(options.state, hello["campaign"]), hello["campaign"])
        workspace = vowpalwabbit.Workspace("--cb_explore_adf --cb_type mtr --squarecb --gamma_scale {} -q sa "
                                           "--quiet --random_seed {}".format(options.gamma_scale, hello["seed"] % 100000))
        learned = 0
        for outcome in history.outcomes(hello.get("outcomes")):
            propensity = outcome.get("propensity") or 1.0
            cost = -1.0 if outcome["goal_count"] > 0 else 0.0
            example = [shared_line(history.contexts.get(outcome["user"]), outcome["cluster"]),
                       "0:{}:{} {}".format(cost, propensity, action_line(outcome["labels"], outcome["window"]))]
            workspace.learn(example)
            learned += 1
        print("{}: learned {} outcomes".format(hello["campaign"], learned), file=sys.stderr)
        state.update(workspace=workspace, history=history, rng=policylib.seeded(hello))

    def decide(candidates):
        workspace, history, rng = state["workspace"], state["history"], state["rng"]
        history.remember(candidates)
        decisions = []
        for candidate in candidates:
            example = [shared_line(candidate.get("context"), candidate["cluster"])]
            example += [action_line(c["labels"], c["window"]) for c in candidate["choices"]]
            pmf = workspace.predict(example)
            total = sum(pmf)
            draw, cumulative, index = rng.random() * total, 0.0, len(pmf) - 1
            for i, p in enumerate(pmf):
                cumulative += p
                if draw < cumulative:
                    index = i
                    break
            propensity = min(1.0, max(pmf[index] / total, 1e-6))
            decisions.append({"choice": index, "propensity": propensity,
                              "mode": "preferential" if propensity >= 0.95 else "conditioned"})
        history.save()
        return decisions

    policylib.run(decide, hello_hook)


if __name__ == "__main__":
    main()
