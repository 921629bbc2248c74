"""Speed benchmark: environment steps per second (single and vectorised) and optimal solve time."""

from __future__ import annotations

import time
from functools import partial

import gymnasium as gym
import numpy as np

from baselines.base import make_action
from baselines.optimal import OBJECTIVES, episode_per_mhz, plan_offline
from env.slicing_env import SlicingEnv

TARGET_SINGLE_STEPS_PER_S = 50_000
TARGET_OPTIMAL_200_S = 1.0


def bench_single(episodes: int = 2000, scenario: str = "center") -> float:
    """Env steps per second of one unwrapped env under a fixed valid action."""
    env = SlicingEnv(scenario)
    env.reset(seed=0)
    action = make_action(env, intent=2, admit=True, bandwidth=1.0)
    steps = 0
    start = time.perf_counter()
    for _ in range(episodes):
        env.reset()
        done = False
        while not done:
            _, _, done, _, _ = env.step(action)
            steps += 1
    return steps / (time.perf_counter() - start)


def bench_vector(num_envs: int = 64, batches: int = 300, scenario: str = "center") -> float:
    """Env steps per second (summed over sub-envs) of a gymnasium SyncVectorEnv."""
    envs = gym.vector.SyncVectorEnv([partial(SlicingEnv, scenario) for _ in range(num_envs)])
    envs.reset(seed=0)
    length = envs.envs[0].unwrapped.length
    action = {
        "intent": np.full(num_envs, 2, dtype=np.int64),
        "admit": np.ones(num_envs, dtype=np.int64),
        "bandwidth": np.ones((num_envs, 1)),
        "reallocate": np.full((num_envs, length), -1.0),
    }
    start = time.perf_counter()
    for _ in range(batches):
        envs.step(action)
    elapsed = time.perf_counter() - start
    envs.close()
    return num_envs * batches / elapsed


def bench_optimal(
    users: int, scenario: str = "center", objective: str = OBJECTIVES[0], integer: bool = False,
    repeats: int = 3,
) -> float:
    """Best-of-`repeats` seconds to plan one whole episode of `users` with the MILP optimum."""
    env = SlicingEnv(scenario, users=users)
    env.reset(seed=0)
    ep_users, per_mhz = episode_per_mhz(env)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        plan_offline(ep_users, per_mhz, objective, integer)
        best = min(best, time.perf_counter() - start)
    return best


def run_bench(episodes: int = 2000, num_envs: int = 64, batches: int = 300) -> dict:
    """All speed figures, with whether the targets are met."""
    single = bench_single(episodes)
    result: dict = {
        "single_steps_per_s": single,
        "vector_envs": num_envs,
        "vector_steps_per_s": bench_vector(num_envs, batches),
        "optimal_s": {},
        "targets": {"single_steps_per_s": TARGET_SINGLE_STEPS_PER_S,
                    "optimal_200_s": TARGET_OPTIMAL_200_S},
    }
    for users in (30, 200):
        for objective in OBJECTIVES:
            for integer in (False, True):
                key = f"center N={users} {objective}{' integer' if integer else ''}"
                result["optimal_s"][key] = bench_optimal(users, objective=objective,
                                                         integer=integer)
    worst_200 = max(v for k, v in result["optimal_s"].items() if "N=200" in k)
    result["single_ok"] = single >= TARGET_SINGLE_STEPS_PER_S
    result["optimal_200_ok"] = worst_200 < TARGET_OPTIMAL_200_S
    return result


def main() -> None:
    """Run the benchmark and print one line per figure."""
    r = run_bench()
    print(f"single env        {r['single_steps_per_s']:>10,.0f} steps/s  "
          f"(target {TARGET_SINGLE_STEPS_PER_S:,}: {'ok' if r['single_ok'] else 'MISSED'})")
    print(f"SyncVectorEnv x{r['vector_envs']:<3} {r['vector_steps_per_s']:>10,.0f} env-steps/s")
    for key, seconds in r["optimal_s"].items():
        print(f"optimal {key:<45} {seconds * 1000:8.1f} ms")
    print(f"optimal at N=200 under {TARGET_OPTIMAL_200_S:g} s: "
          f"{'ok' if r['optimal_200_ok'] else 'MISSED'}")


if __name__ == "__main__":
    main()
