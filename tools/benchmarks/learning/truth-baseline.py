#!/usr/bin/env python3
"""Truth-reading baselines for the learning benchmark, as external policies (README → "Learning benchmark").
Only a benchmark may read truth/; these are the yardsticks the engine is measured against, not policies.

    aampectl assign --policy external --policy-command \
        "python3 tools/benchmarks/learning/truth-baseline.py --kind oracle --world /abs/world"

--kind oracle: per user, the choice (copy × window) with the highest rested message logit from
  truth/users.csv and world.json: responsiveness + shift + Σ pref + β · log max(0.05, window_w)
  (ResponseModel.logitWithoutFatigue; fatigue ignored). The simulator's p_incremental is
  p_message_goal × (1 − cannibalization), positive for every message, so the oracle never skips: it
  ranks by the message logit. Deterministic: propensity 1, mode preferential.
--kind best-single: one copy for everyone, the copy with the highest mean P(goal) over all users at an
  average window (availability 1); a candidate without it gets the best-ranked copy it has. The window
  is spread: uniform over that copy's windows among the candidate's choices (seeded by the engine's
  seed), the window rule of cluster-spread in expectation; propensity 1 / that number of windows.
--kind best-persona: as best-single, with the copy ranked per persona (truth column persona).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policylib  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", required=True, choices=["oracle", "best-single", "best-persona"])
    parser.add_argument("--world", required=True, help="the simulator's world folder (with truth/)")
    options = parser.parse_args()
    truth = policylib.Truth(options.world)

    rankings = {}
    if options.kind == "best-single":
        ranking, _ = truth.copy_ranking(list(truth.users))
        rankings = {persona: ranking for persona, *_ in truth.users.values()}
    elif options.kind == "best-persona":
        by_persona = {}
        for user, (persona, *_rest) in truth.users.items():
            by_persona.setdefault(persona, []).append(user)
        for persona, users in by_persona.items():
            rankings[persona], _ = truth.copy_ranking(users)
    state = {}

    def hello_hook(hello):
        state["rng"] = policylib.seeded(hello)

    def decide(candidates):
        decisions = []
        for candidate in candidates:
            user, choices = candidate["user"], candidate["choices"]
            if user not in truth.users:
                decisions.append({"choice": state["rng"].randrange(len(choices)), "propensity": 1 / len(choices)})
                continue
            if options.kind == "oracle":
                scores = [truth.logit(user, c["labels"], c["window"]) for c in choices]
                best = max(range(len(choices)), key=lambda i: scores[i])
                decisions.append({"choice": best, "propensity": 1.0, "mode": "preferential"})
                continue
            ranking = rankings[truth.users[user][0]]
            available = {policylib.copy_key(c["labels"]) for c in choices}
            copy = next((key for key in ranking if key in available), None)
            indices = [i for i, c in enumerate(choices) if policylib.copy_key(c["labels"]) == copy]
            if not indices:  # a copy outside the simulator's label sets: all choices
                indices = list(range(len(choices)))
            choice = indices[state["rng"].randrange(len(indices))]
            decisions.append({"choice": choice, "propensity": 1 / len(indices), "mode": "preferential"})
        return decisions

    policylib.run(decide, hello_hook)


if __name__ == "__main__":
    main()
