#!/usr/bin/env python3
"""Writes the off-policy evaluation fixture that OffPolicyOBPAgreementTests compares aamped with.

Open Bandit Pipeline (obp 0.5.7) draws a synthetic logged bandit dataset, a target policy and a deliberately
imperfect reward model, and estimates the target policy's value with its IPW, SNIPW, DM and DR estimators.
The inputs go out in the CSV layouts `aampectl eval ope` reads, and obp's estimates in expected.json:

  Tests/AampeLearningTests/Fixtures/OffPolicy/log.csv           row_id,action,reward,propensity,x_0..x_2
  Tests/AampeLearningTests/Fixtures/OffPolicy/policy.csv        row_id,pi_a0..pi_a3
  Tests/AampeLearningTests/Fixtures/OffPolicy/reward-model.csv  row_id,q_a0..q_a3
  Tests/AampeLearningTests/Fixtures/OffPolicy/expected.json     obp's point estimates and the settings

Numbers are written with repr(), so the Swift side reads back the exact doubles obp used.

Setup (obp 0.5.7 pins torch 1.12, which has no wheel for current Pythons; the estimators used here never
touch torch, so the script stands in an empty module for it when torch is absent):

  python3 -m venv /tmp/obpvenv
  /tmp/obpvenv/bin/pip install obp==0.5.7 --ignore-requires-python --no-deps
  /tmp/obpvenv/bin/pip install numpy scipy scikit-learn pandas tqdm pyyaml matplotlib seaborn
  /tmp/obpvenv/bin/python tools/benchmarks/ope-fixtures.py
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "AampeLearningTests" / "Fixtures" / "OffPolicy"
ROUNDS = 300
ACTIONS = 4
CONTEXT_DIMENSIONS = 3
SEED = 12345
EPSILON = 0.2  # the target policy: ε-greedy on the true expected reward
MODEL_NOISE = 0.1  # the reward model: the true expected reward plus this much Gaussian noise


def stand_in_for_torch() -> None:
    """obp imports torch at module level for its neural policies; give it a module whose every name is
    an inert class, so that importing obp works without torch."""

    class Inert(type):
        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return Inert(name, (), {})

        def __call__(cls, *args, **kwargs):
            return Inert("result", (), {})

    def module(name: str) -> types.ModuleType:
        stand_in = types.ModuleType(name)

        def attribute(attr: str):
            if attr.startswith("__"):
                raise AttributeError(attr)
            return Inert(attr, (), {})

        stand_in.__getattr__ = attribute
        stand_in.__path__ = []
        return stand_in

    for name in ["torch", "torch.nn", "torch.optim", "torch.nn.functional", "torch.utils", "torch.utils.data"]:
        sys.modules[name] = module(name)


def main() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        stand_in_for_torch()
    import numpy as np
    import obp
    from obp.dataset import SyntheticBanditDataset
    from obp.ope import (
        DirectMethod,
        DoublyRobust,
        InverseProbabilityWeighting,
        OffPolicyEvaluation,
        SelfNormalizedInverseProbabilityWeighting,
    )

    dataset = SyntheticBanditDataset(
        n_actions=ACTIONS, dim_context=CONTEXT_DIMENSIONS, reward_type="binary", beta=-1.0, random_state=SEED
    )
    feedback = dataset.obtain_batch_bandit_feedback(n_rounds=ROUNDS)
    expected = feedback["expected_reward"]  # (rounds, actions)

    greedy = np.argmax(expected, axis=1)
    target = np.full((ROUNDS, ACTIONS), EPSILON / ACTIONS)
    target[np.arange(ROUNDS), greedy] += 1.0 - EPSILON

    noise = np.random.default_rng(SEED).normal(0.0, MODEL_NOISE, size=expected.shape)
    reward_model = np.clip(expected + noise, 0.0, 1.0)

    evaluation = OffPolicyEvaluation(
        bandit_feedback=feedback,
        ope_estimators=[
            InverseProbabilityWeighting(),
            SelfNormalizedInverseProbabilityWeighting(),
            DirectMethod(),
            DoublyRobust(),
        ],
    )
    estimates = evaluation.estimate_policy_values(
        action_dist=target[:, :, np.newaxis], estimated_rewards_by_reg_model=reward_model[:, :, np.newaxis]
    )

    OUT.mkdir(parents=True, exist_ok=True)
    names = [f"a{action}" for action in range(ACTIONS)]
    with open(OUT / "log.csv", "w") as log:
        log.write("row_id,action,reward,propensity," + ",".join(f"x_{d}" for d in range(CONTEXT_DIMENSIONS)) + "\n")
        for row in range(ROUNDS):
            context = ",".join(repr(float(x)) for x in feedback["context"][row])
            log.write(
                f"r{row},{names[feedback['action'][row]]},{repr(float(feedback['reward'][row]))},"
                f"{repr(float(feedback['pscore'][row]))},{context}\n"
            )
    for file, prefix, matrix in [("policy.csv", "pi_", target), ("reward-model.csv", "q_", reward_model)]:
        with open(OUT / file, "w") as out:
            out.write("row_id," + ",".join(prefix + name for name in names) + "\n")
            for row in range(ROUNDS):
                out.write(f"r{row}," + ",".join(repr(float(v)) for v in matrix[row]) + "\n")
    truth = float(dataset.calc_ground_truth_policy_value(expected_reward=expected, action_dist=target[:, :, np.newaxis]))
    (OUT / "expected.json").write_text(
        json.dumps(
            {
                "generator": "tools/benchmarks/ope-fixtures.py",
                "obp_version": obp.__version__,
                "numpy_version": np.__version__,
                "rounds": ROUNDS,
                "actions": ACTIONS,
                "seed": SEED,
                "estimates": {
                    "ipw": float(estimates["ipw"]),
                    "snipw": float(estimates["snipw"]),
                    "dm": float(estimates["dm"]),
                    "dr": float(estimates["dr"]),
                },
                "ground_truth_policy_value": truth,
            },
            indent=2,
        )
        + "\n"
    )
    print(json.dumps({k: float(v) for k, v in estimates.items()}), "truth", truth)


if __name__ == "__main__":
    main()
