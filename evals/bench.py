"""Speed benchmarks: env steps/s, optimal solve time, agent latency, eval throughput."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import gymnasium as gym
import numpy as np

from baselines.optimal import OBJECTIVES, episode_per_mhz, plan_offline
from env.policy import make_action
from env.slicing_env import SlicingEnv

TARGET_SINGLE_STEPS_PER_S = 50_000
TARGET_OPTIMAL_200_S = 1.0
TARGET_DEFAULT_EVAL_S = 5.0
LONG_EPISODE = 1000  # users of the long episode the env's step cost is measured at
RULE_USERS = (60, 200, 1000)


def bench_single(episodes: int = 2000, scenario: str = "center", users: int | None = None,
                 min_steps: int = 0) -> float:
    """Env steps per second of one unwrapped env under a fixed valid action.

    The action admits each user to URLLC at 1 MHz (30 fit, the rest are refused): the step's
    whole path, capacity check included, at any episode length.
    """
    env = SlicingEnv(scenario, users=users)
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
        if steps >= min_steps > 0:
            break
    return steps / (time.perf_counter() - start)


def bench_steps_by_length(steps: int = 60_000) -> dict[str, float]:
    """Env steps/s at L = 30 (center) and L = 1000 (a generated campus), same step count."""
    return {
        "L=30": bench_single(10**9, "center", 30, min_steps=steps),
        f"L={LONG_EPISODE}": bench_single(10**9, "campus:0", LONG_EPISODE, min_steps=steps),
    }


def bench_rule(users: tuple[int, ...] = RULE_USERS) -> dict[str, float]:
    """Seconds the paper's rule-based baseline takes to plan one episode of N users."""
    from baselines.rule import RuleBaseline

    out = {}
    for n in users:
        env = SlicingEnv("campus:0", users=n)
        env.reset(seed=0)
        start = time.perf_counter()
        RuleBaseline().reset(env)
        out[f"N={n}"] = time.perf_counter() - start
    return out


def bench_warmup(episodes: int = 10, users: int = 30, scenario: str = "center") -> float:
    """Seconds to compute a scenario's warm-up traffic profile from its seeded draws."""
    from env.scenarios import load_population
    from evals.slicing_eval import WARMUP_SEED
    from wireless_agent.intent import IntentClassifier
    from wireless_agent.traffic import classifier_slice, warmup_profile

    classify = classifier_slice(IntentClassifier.default())
    population = load_population(scenario)
    start = time.perf_counter()
    warmup_profile(population, episodes, users, classify, first_seed=WARMUP_SEED)
    return time.perf_counter() - start


def bench_vector(num_envs: int = 64, batches: int = 300, scenario: str = "center") -> float:
    """Env steps per second (summed over sub-envs) of a gymnasium SyncVectorEnv."""
    envs = gym.vector.SyncVectorEnv([partial(SlicingEnv, scenario) for _ in range(num_envs)])
    envs.reset(seed=0)
    first = envs.envs[0].unwrapped
    assert isinstance(first, SlicingEnv)
    length = first.length
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


def run_bench(episodes: int = 2000, num_envs: int = 64, batches: int = 300,
              agent: bool = True) -> dict:
    """All speed figures, with whether the targets are met."""
    single = bench_single(episodes)
    by_length = bench_steps_by_length(max(episodes * 30, 9000))
    result: dict = {
        "single_steps_per_s": single,
        "single_steps_per_s_by_length": by_length,
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
    result["single_ok"] = min(single, *by_length.values()) >= TARGET_SINGLE_STEPS_PER_S
    result["rule_s"] = bench_rule()
    result["warmup_profile_s"] = bench_warmup()
    result["optimal_200_ok"] = worst_200 < TARGET_OPTIMAL_200_S
    result.update(bench_intent())
    if agent:
        with tempfile.TemporaryDirectory() as tmp:
            result.update(bench_eval(Path(tmp) / "eval"))
            result["eval_ok"] = result["eval_cpu_seconds"] <= TARGET_DEFAULT_EVAL_S
            result.update(bench_concurrency(Path(tmp)))
    return result


def main(quick: bool = False) -> None:
    """Run the benchmark and print one line per figure."""
    r = run_bench(episodes=300 if quick else 2000, batches=50 if quick else 300)
    print(f"single env        {r['single_steps_per_s']:>10,.0f} steps/s  "
          f"(target {TARGET_SINGLE_STEPS_PER_S:,}: {'ok' if r['single_ok'] else 'MISSED'})")
    for key, rate in r["single_steps_per_s_by_length"].items():
        print(f"single env {key:<7}{rate:>10,.0f} steps/s")
    print(f"SyncVectorEnv x{r['vector_envs']:<3} {r['vector_steps_per_s']:>10,.0f} env-steps/s")
    for key, seconds in r["rule_s"].items():
        print(f"rule {key:<12} {seconds:8.2f} s")
    print(f"warm-up profile   {r['warmup_profile_s'] * 1000:8.1f} ms")
    for key, seconds in r["optimal_s"].items():
        print(f"optimal {key:<45} {seconds * 1000:8.1f} ms")
    print(f"optimal at N=200 under {TARGET_OPTIMAL_200_S:g} s: "
          f"{'ok' if r['optimal_200_ok'] else 'MISSED'}")
    for key in ("eval_seconds", "eval_cpu_seconds", "eval_decisions_per_s",
                "agent_decision_ms_p50", "agent_decision_ms_p95",
                "agent_decisions_per_s", "concurrency_1_s", "concurrency_16_s",
                "speedup_16_over_1"):
        if key in r:
            print(f"{key:<30} {r[key]:10.2f}")
    if "concurrency_server" in r:
        print(f"{'concurrency_server':<30} {r['concurrency_server']}")
    print_intent(r)


def bench_eval(out: Path, warmup: int = 10) -> dict:
    """Whole default eval offline: decisions/s overall, and the agent's per-decision latency."""
    from evals.results import read_decisions
    from evals.slicing_eval import EvalConfig, Evaluation

    start = time.perf_counter()
    cpu = time.process_time()
    ev = Evaluation(EvalConfig(warmup=warmup), out)
    total = ev.decisions_left()
    ev.run()
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    agent_ms = sorted(r["latency_ms"] for r in read_decisions(out / "decisions.jsonl")
                      if r["method"] == "agent")
    return {
        "eval_decisions": total,
        "eval_warmup_records": ev.warmup_decisions,  # drawn arrivals, no agent run
        "eval_seconds": seconds,
        "eval_cpu_seconds": cpu,  # the default eval's compute, warm-up included
        "eval_decisions_per_s": total / seconds,
        "agent_decision_ms_p50": statistics.median(agent_ms),
        "agent_decision_ms_p95": agent_ms[int(0.95 * (len(agent_ms) - 1))],
        "agent_decisions_per_s": 1000.0 * len(agent_ms) / sum(agent_ms),
    }


def _scripted_answer(body: dict) -> dict:
    """A correct-looking answer for whichever prompt the eval sent (bench server)."""
    text = json.dumps(body.get("messages", ""))
    if "can_accommodate" in text:
        return {"intent": "video", "slice": "eMBB", "bandwidth": 10, "rate": 150.0,
                "latency": 20.0, "can_accommodate": True}
    return {"slice": "URLLC", "application": "industrial_control", "latency_ms": 5.0,
            "min_rate_mbps": 1.0, "confidence": 0.9}


def bench_concurrency(out: Path, delay_s: float = 0.2, episodes: int = 16, users: int = 5,
                      levels: tuple[int, ...] = (1, 16)) -> dict:
    """Eval wall time against a local OpenAI-protocol server answering in `delay_s`."""
    from evals.slicing_eval import EvalConfig, Evaluation
    from wireless_agent.testing import environ
    from wireless_agent.testing.openai_server import FakeOpenAIServer

    seconds: dict[int, float] = {}
    with FakeOpenAIServer(responder=_scripted_answer, delay_s=delay_s) as server, environ(
            OPENAI_BASE_URL=server.base_url, NO_PROXY="127.0.0.1,localhost",
            OPENAI_API_KEY="local-bench-placeholder"):  # the fake checks no key
        for level in levels:
            cfg = EvalConfig(scenarios=["campus"], methods=["prompt", "agent"],
                             users=[users], seeds=list(range(episodes // 2)),
                             model="openai:gpt-fake", warmup=0, concurrency=level)
            start = time.perf_counter()
            Evaluation(cfg, out / f"c{level}").run()
            seconds[level] = time.perf_counter() - start
    base = seconds[levels[0]]
    return {f"concurrency_{k}_s": v for k, v in seconds.items()} | {
        f"speedup_{levels[-1]}_over_{levels[0]}": base / seconds[levels[-1]],
        "model_calls": episodes * users,
        # These timings are against a fake: every table that shows them must say so.
        "concurrency_server": f"scripted loopback fake, {delay_s:g} s an answer",
    }




def bench_cluster(out: Path, delay_s: float = 0.2, seeds: int = 8, users: int = 5,
                  threads: int = 1) -> dict:
    """Wall time of one process against a local 2-worker Dask cluster, like with like.

    Both sides run `threads` episodes at once per process (one process with `threads`
    threads against two workers of `threads` threads each), on a model grid against a
    loopback OpenAI-protocol server answering in `delay_s` (scripted answers), and on a
    small offline grid, where the cluster only adds its start-up and per-worker imports.
    """
    from evals.cluster import open_cluster
    from evals.slicing_eval import EvalConfig, Evaluation
    from wireless_agent.testing import environ
    from wireless_agent.testing.openai_server import FakeOpenAIServer

    grids = {
        "model": EvalConfig(scenarios=["campus"], methods=["prompt", "agent"], users=[users],
                            seeds=list(range(seeds)), mode="dynamic", model="openai:gpt-fake",
                            warmup=0, concurrency=threads),
        "offline": EvalConfig(scenarios=["north"], methods=["agent", "greedy", "optimal"],
                              users=[3, 6], warmup=2, concurrency=threads),
    }
    seconds: dict[str, float] = {}
    with FakeOpenAIServer(responder=_scripted_answer, delay_s=delay_s) as server, environ(
            OPENAI_BASE_URL=server.base_url, NO_PROXY="127.0.0.1,localhost",
            OPENAI_API_KEY="local-bench-placeholder"):  # the fake checks no key
        for name, cfg in grids.items():
            start = time.perf_counter()
            Evaluation(cfg, out / f"{name}-one").run()
            seconds[f"{name}_one_process_s"] = time.perf_counter() - start
            start = time.perf_counter()  # cluster start-up counted: a user waits for it too
            cluster = open_cluster("local:2", threads=threads)
            seconds[f"{name}_cluster_start_s"] = time.perf_counter() - start
            try:
                Evaluation(cfg, out / f"{name}-cluster", cluster=cluster).run()
            finally:
                cluster.close()
            seconds[f"{name}_cluster_2_s"] = time.perf_counter() - start
    return seconds | {
        "cluster_speedup_model": seconds["model_one_process_s"] / seconds["model_cluster_2_s"],
        # Start-up left out: what a grid long enough to hide it gains.
        "cluster_speedup_model_running": seconds["model_one_process_s"]
        / (seconds["model_cluster_2_s"] - seconds["model_cluster_start_s"]),
        "cluster_overhead_offline_s": seconds["offline_cluster_2_s"]
        - seconds["offline_one_process_s"],
    }


def main_cluster(threads: int = 1, seeds: int = 8) -> None:
    """`python -m evals.bench cluster`: the cluster figures, one a line."""
    with tempfile.TemporaryDirectory() as tmp:
        for key, value in bench_cluster(Path(tmp), threads=threads, seeds=seeds).items():
            print(f"{key:<30} {value:10.2f}")


def bench_intent(repeats: int = 3) -> dict:
    """p50/p95 ms of one offline intent decision over every held-out request (trained first)."""
    from evals.intent_eval import decision_latency_ms, heldout_sets
    from wireless_agent.intent import IntentClassifier

    texts = [r["text"] for rows in heldout_sets().values() for r in rows]
    lat = decision_latency_ms(IntentClassifier.default(), texts, repeats=repeats)
    return {"intent_ms_p50": lat["p50"], "intent_ms_p95": lat["p95"]}


def print_intent(r: dict) -> None:
    """The intent-decision lines of the benchmark printout."""
    for key in ("intent_ms_p50", "intent_ms_p95"):
        if key in r:
            print(f"{key:<30} {r[key]:10.3f}")



def cli(argv: list[str] | None = None) -> None:
    """`python -m evals.bench [--quick]` or `python -m evals.bench cluster [--threads N]`."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__)
    ap.add_argument("what", nargs="?", choices=("all", "cluster"), default="all",
                    help="all: env, optimal, agent and eval figures; cluster: a local "
                         "2-worker Dask cluster against one process")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (all)")
    ap.add_argument("--threads", type=int, default=1,
                    help="episodes at once per process (cluster)")
    ap.add_argument("--seeds", type=int, default=8,
                    help="seeds of the model grid, two episodes each (cluster)")
    args = ap.parse_args(argv)
    if args.threads < 1 or args.seeds < 1:
        ap.error(f"--threads {args.threads} and --seeds {args.seeds} must be at least 1")
    if args.what == "cluster":
        main_cluster(args.threads, args.seeds)
    else:
        main(args.quick)


if __name__ == "__main__":
    cli()
