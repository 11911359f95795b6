#!/usr/bin/env python3
"""MABWiser as an external policy for the learning benchmark (README → "Learning benchmark").

    --policy-command "python3 tools/benchmarks/learning/mabwiser-policy.py --kind lints --state /abs/state/lints"

--kind lints: `LearningPolicy.LinTS(alpha)` with the landscape vector as context.
--kind clusters: `LearningPolicy.ThompsonSampling()` under `NeighborhoodPolicy.Clusters(n_clusters)`
  (k-means on the landscape vectors).

Arms: a choice's copy (its labels) × its time-of-day slot (5 a day; 6 copies × 5 slots = 30 arms), so
that what is learned on Monday's 07:00 window serves Tuesday's; two choices of one candidate that map
to one arm (the same slot on two days) are one arm, and the first is sent. Each run (one process per
campaign and day) fits a fresh MAB on every joined outcome (reward 1 when goal_count > 0), each with its
user's newest context seen (policylib.OutcomeHistory). Before any outcome, choices are uniform
(propensity 1/k, conditioned). Propensity: MABWiser gives no choice probability, so it is estimated:
the decision is the argmax, over the candidate's arms, of one Thompson draw (`predict_expectations`);
`--draws` (20) more draws give the chosen arm's win share, floored at 1/(draws + 1): the
propensity of the choice sent (the arm's first choice). Mode: preferential at a share ≥ 0.95.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policylib  # noqa: E402

try:
    import numpy as np
    from mabwiser.mab import MAB, LearningPolicy, NeighborhoodPolicy
except ImportError:
    sys.exit("mabwiser-policy.py: the mabwiser package is not installed (pip install mabwiser)")


def arm_of(choice):
    return policylib.copy_key(choice["labels"]) + "@" + str(policylib.slot(choice["window"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", required=True, choices=["lints", "clusters"])
    parser.add_argument("--state", required=True)
    parser.add_argument("--alpha", type=float, default=1.0, help="LinTS's alpha")
    parser.add_argument("--clusters", type=int, default=8, help="NeighborhoodPolicy.Clusters' n_clusters")
    parser.add_argument("--draws", type=int, default=20, help="extra Thompson draws for the propensity")
    options = parser.parse_args()
    state = {}

    def hello_hook(hello):
        history = policylib.OutcomeHistory(os.path.join(options.state, hello["campaign"]), hello["campaign"])
        outcomes = history.outcomes(hello.get("outcomes"))
        rows = [(o, history.contexts.get(o["user"])) for o in outcomes]
        rows = [(o, c) for o, c in rows if c is not None]
        mab = None
        if rows:
            arms = sorted({arm_of(o) for o, _ in rows})
            policy = LearningPolicy.LinTS(alpha=options.alpha) if options.kind == "lints" \
                else LearningPolicy.ThompsonSampling()
            seed = hello["seed"] % (2 ** 31)
            if options.kind == "lints":
                mab = MAB(arms, policy, seed=seed)
            else:
                mab = MAB(arms, policy, NeighborhoodPolicy.Clusters(n_clusters=min(options.clusters, len(rows))), seed=seed)
            mab.fit([arm_of(o) for o, _ in rows], [1 if o["goal_count"] > 0 else 0 for o, _ in rows],
                    np.array([c for _, c in rows], dtype=float))
        print("{}: fitted on {} outcomes".format(hello["campaign"], len(rows)), file=sys.stderr)
        state.update(mab=mab, history=history, rng=policylib.seeded(hello))

    def expectations(contexts):
        result = state["mab"].predict_expectations(contexts)
        return result if isinstance(result, list) else [result]

    def decide(candidates):
        mab, history, rng = state["mab"], state["history"], state["rng"]
        history.remember(candidates)
        contexts = [c.get("context") or history.contexts.get(c["user"]) for c in candidates]
        dimension = next((len(c) for c in contexts if c), 0)
        decisions = [None] * len(candidates)
        usable = [i for i, c in enumerate(contexts) if mab is not None and c and len(c) == dimension]
        usable_set = set(usable)
        for i in range(len(candidates)):
            if i not in usable_set:
                k = len(candidates[i]["choices"])
                decisions[i] = {"choice": rng.randrange(k), "propensity": 1 / k, "mode": "conditioned"}
        if usable:
            matrix = np.array([contexts[i] for i in usable], dtype=float)
            for arm in {arm_of(ch) for i in usable for ch in candidates[i]["choices"]} - set(mab.arms):
                mab.add_arm(arm)  # an arm no outcome has taught yet: its prior
            draws = [expectations(matrix) for _ in range(options.draws + 1)]
            for row, i in enumerate(usable):
                choices = candidates[i]["choices"]
                arms = []
                for ch in choices:
                    if arm_of(ch) not in arms:
                        arms.append(arm_of(ch))
                winners = [max(arms, key=lambda a: draw[row][a]) for draw in draws]
                chosen = winners[0]
                share = max(winners.count(chosen) / len(winners), 1 / len(winners))
                sharing = [j for j, ch in enumerate(choices) if arm_of(ch) == chosen]
                decisions[i] = {"choice": sharing[0], "propensity": share,
                                "mode": "preferential" if share >= 0.95 else "conditioned"}
        history.save()
        return decisions

    policylib.run(decide, hello_hook)


if __name__ == "__main__":
    main()
