"""Shared pieces of the learning benchmark's external policies (tools/bench-learning, README → "Learning
benchmark"): the protocol loop, the simulator's truth (for the truth-reading baselines oracle, best-single
and best-persona, which only a benchmark may read), the outcomes file joined to the contexts the policy saw.

Protocol: README → "External policies" (JSON lines; hello, decide requests, one answer line each).
"""

import csv
import json
import math
import os
import random
import sys

PROTOCOL = 1
WINDOWS_PER_DAY = 5
MINIMUM_AVAILABILITY = 0.05


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def run(decide_request, hello_hook=None):
    """Reads hello, calls hello_hook(hello), then answers each decide request with decide_request(candidates)."""
    hello = json.loads(sys.stdin.readline())
    if hello.get("type") != "hello" or hello.get("protocol") != PROTOCOL:
        print("expected a hello of protocol {}".format(PROTOCOL), file=sys.stderr)
        sys.exit(2)
    if hello_hook:
        hello_hook(hello)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        decisions = decide_request(request["candidates"])
        sys.stdout.write(json.dumps({"decisions": decisions}) + "\n")
        sys.stdout.flush()


def copy_key(labels):
    """A choice's copy: its labels, sorted, joined."""
    return "|".join(sorted(labels))


def slot(window):
    """Time-of-day slot of a weekly window (5 a day); -1 or null (outside every window) is slot 5."""
    return WINDOWS_PER_DAY if window is None or window < 0 else window % WINDOWS_PER_DAY


class Truth:
    """The world's hidden truth: per user responsiveness, copy preferences, routine; the signal calibration."""

    def __init__(self, world):
        folder = os.path.join(world, "truth")
        with open(os.path.join(folder, "world.json")) as file:
            document = json.load(file)
        model = document["response_model"]
        self.shift = float(model["responsiveness_shift"])
        self.beta = float(model["window_effect_exponent"])
        self.minimum_availability = float(model.get("minimum_availability", MINIMUM_AVAILABILITY))
        self.label_sets = {entry["name"]: entry["labels"] for entry in document["label_sets"]}
        self.users = {}
        with open(os.path.join(folder, "users.csv"), newline="") as file:
            for row in csv.DictReader(file):
                prefs = {}
                for name, labels in self.label_sets.items():
                    for label in labels:
                        prefs[name + "=" + label] = float(row["pref_" + label])
                windows = [float(row["window_{:02d}".format(w)]) for w in range(35)]
                self.users[row["user_id"]] = (row["persona"], float(row["responsiveness"]), prefs, windows)

    def preference(self, user, labels):
        """pref_u(c): Σ over label sets of the chosen label's preference, the set's mean when the copy has none."""
        _, _, prefs, _ = self.users[user]
        chosen = {label.split("=", 1)[0]: label for label in labels}
        total = 0.0
        for name, set_labels in self.label_sets.items():
            if name in chosen:
                total += prefs.get(chosen[name], 0.0)
            else:
                total += sum(prefs[name + "=" + label] for label in set_labels) / len(set_labels)
        return total

    def copy_logit(self, user, labels):
        """The rested logit at an average window (availability 1): responsiveness + shift + pref."""
        _, base, _, _ = self.users[user]
        return base + self.shift + self.preference(user, labels)

    def logit(self, user, labels, window):
        """ResponseModel.logitWithoutFatigue: copy logit + β · log availability(window)."""
        _, _, _, windows = self.users[user]
        availability = self.minimum_availability if window is None or window < 0 else max(self.minimum_availability, windows[window])
        return self.copy_logit(user, labels) + self.beta * math.log(availability)

    def all_copies(self):
        """Every combination of one label per set (the simulator's copies)."""
        combos = [[]]
        for name, labels in self.label_sets.items():
            combos = [combo + [name + "=" + label] for combo in combos for label in labels]
        return [copy_key(combo) for combo in combos]

    def copy_ranking(self, users):
        """Copies ordered best first by mean P(goal) over `users` at an average window."""
        scores = {}
        for copy in self.all_copies():
            labels = copy.split("|")
            scores[copy] = sum(sigmoid(self.copy_logit(user, labels)) for user in users) / max(1, len(users))
        return sorted(scores, key=lambda copy: -scores[copy]), scores


class OutcomeHistory:
    """The outcomes file joined to the landscape vectors this policy saw.

    The engine's outcomes rows carry user, cluster, labels, window and goal_count but not the context, so a
    learning policy keeps, in --state (a folder of its own), the newest context it was shown for each user;
    an outcome is learned with its user's newest known context (a landscape vector moves slowly)."""

    def __init__(self, state, campaign):
        os.makedirs(state, exist_ok=True)
        self.path = os.path.join(state, "contexts.json")
        self.contexts = {}
        if os.path.exists(self.path):
            with open(self.path) as file:
                self.contexts = json.load(file)

    def remember(self, candidates):
        for candidate in candidates:
            if candidate.get("context") is not None:
                self.contexts[candidate["user"]] = candidate["context"]

    def save(self):
        temporary = self.path + ".tmp"
        with open(temporary, "w") as file:
            json.dump(self.contexts, file)
        os.replace(temporary, self.path)

    def outcomes(self, path):
        rows = []
        if path and os.path.exists(path):
            with open(path) as file:
                for line in file:
                    if line.strip():
                        rows.append(json.loads(line))
        return rows


def seeded(hello, extra=0):
    return random.Random((int(hello.get("seed", 0)) * 1_000_003 + extra) & 0xFFFFFFFFFFFF)
