#!/usr/bin/env python3
"""A reference external assignment policy for `aampectl assign --policy external` (README, "External
policies"): epsilon-greedy per landscape cluster, learned from the outcomes file the engine exports.

  aampectl assign --policy external \
      --policy-command "python3 tools/clients/external_policy_example.py --epsilon 0.1"

The model. For each (cluster, variant labels) the outcomes give sends and responses (goal_count > 0); a
variant's rate is (responses + 1) / (sends + 2), Laplace's rule, so an unseen variant starts at 1/2 and is
tried. For a candidate with k choices (variant x window), the greedy set is the choices whose variant has
the highest rate (all its windows: this policy does not learn windows). With probability epsilon the
choice is uniform over all k; otherwise uniform over the greedy set of size g. So a greedy choice has
propensity epsilon / k + (1 - epsilon) / g and any other epsilon / k: the probability of what was drawn,
as the protocol asks. An exploiting draw is "preferential" when the greedy variant's rate rests on at
least --confident-sends sends, else "conditioned".

--log FILE appends one JSON line per decision (user, cluster, context, the choice as sent, propensity,
mode), so that a test
can compare the engine's outbox with what the policy decided. Python 3 standard library only.
"""

import argparse
import json
import random
import sys
from collections import defaultdict

PROTOCOL = 1


def load_outcomes(path):
    """(cluster, labels tuple) -> [sends, responses], from the engine's outcomes file."""
    stats = defaultdict(lambda: [0, 0])
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            outcome = json.loads(line)
            entry = stats[(outcome["cluster"], tuple(outcome["labels"]))]
            entry[0] += 1
            entry[1] += 1 if outcome["goal_count"] > 0 else 0
    return stats


def decide(candidate, stats, epsilon, confident_sends, rng):
    choices = candidate["choices"]
    cluster = candidate["cluster"]

    def rate(choice):
        sends, responses = stats.get((cluster, tuple(choice["labels"])), (0, 0))
        return (responses + 1) / (sends + 2)

    best = max(rate(choice) for choice in choices)
    greedy = [index for index, choice in enumerate(choices) if rate(choice) == best]
    k, g = len(choices), len(greedy)
    if rng.random() < epsilon:
        index = rng.randrange(k)
        exploiting = False
    else:
        index = rng.choice(greedy)
        exploiting = True
    propensity = epsilon / k + ((1 - epsilon) / g if index in greedy else 0.0)
    sends = stats.get((cluster, tuple(choices[index]["labels"])), (0, 0))[0]
    mode = "preferential" if exploiting and sends >= confident_sends else "conditioned"
    return {"choice": index, "propensity": propensity, "mode": mode}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epsilon", type=float, default=0.1, help="exploration share, in [0, 1]")
    parser.add_argument("--confident-sends", type=int, default=100, help="sends that make a pick preferential")
    parser.add_argument("--seed", type=int, help="random seed (default: the engine's seed in hello)")
    parser.add_argument("--log", help="append each decision to this file as a JSON line")
    arguments = parser.parse_args()
    if not 0 <= arguments.epsilon <= 1:
        parser.error("--epsilon must be in [0, 1]")

    hello = json.loads(sys.stdin.readline())
    if hello.get("type") != "hello" or hello.get("protocol") != PROTOCOL:
        print(f"expected a hello of protocol {PROTOCOL}, got {hello.get('type')} {hello.get('protocol')}", file=sys.stderr)
        return 2
    stats = load_outcomes(hello["outcomes"])
    rng = random.Random(arguments.seed if arguments.seed is not None else hello["seed"])
    log = open(arguments.log, "a", encoding="utf-8") if arguments.log else None
    print(f"{hello['campaign']}: {sum(s for s, _ in stats.values())} outcomes read", file=sys.stderr)

    for line in sys.stdin:
        request = json.loads(line)
        decisions = []
        for candidate in request["candidates"]:
            decision = decide(candidate, stats, arguments.epsilon, arguments.confident_sends, rng)
            decisions.append(decision)
            if log:
                record = dict(
                    decision,
                    user=candidate["user"],
                    cluster=candidate["cluster"],
                    context=candidate["context"],
                    chosen=candidate["choices"][decision["choice"]],
                )
                log.write(json.dumps(record) + "\n")
        # One answer line per request, flushed: the engine waits for it before sending the next.
        sys.stdout.write(json.dumps({"decisions": decisions}) + "\n")
        sys.stdout.flush()
    if log:
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
