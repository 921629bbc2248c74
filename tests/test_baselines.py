"""Baselines run through the environment: rule reproduces the paper, optimal is the optimum."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from baselines.greedy import GreedyBaseline
from baselines.optimal import OptimalBaseline, solve_slice
from baselines.registry import METHODS, make_policy
from baselines.rule import RuleBaseline, greedy_fallback
from env import SlicingEnv
from env.policy import Policy
from env.rates import get_rate_model
from env.scenarios import load_scenario
from env.slices import EMBB, URLLC

# The paper's rule-based throughput (Mbps) rerun on its CSVs at N = 1, 5, 10.
RULE_PAPER = {
    "center": (66.06, 415.67, 996.96),
    "north": (264.25, 1001.78, 1597.57),
    "south": (302.70, 517.19, 1519.62),
}
# The spec's MILP optimum at N = 30: (max throughput, (users-first throughput, admitted)).
OPTIMAL_30 = {
    "center": (1464.4, (1261.9, 28)),
    "north": (1816.2, (1803.6, 29)),
    "south": (1734.5, (1454.3, 28)),
}
URLLC_WORDS = ("real-time", "real time", "instant", "latency", "critical", "control", "surgery",
               "autonomous", "emergency", "safety", "reliable", "collision", "fraud", "synchron",
               "grid", "disast", "robot", "remote", "medical", "patient", "trading")


def keyword_slice(text: str) -> str:
    """A crude stand-in intent classifier for the greedy baseline."""
    return "URLLC" if any(w in text.lower() for w in URLLC_WORDS) else "eMBB"


def run(policy: Policy, env: SlicingEnv) -> dict[str, Any]:
    """Play one episode of `policy` on `env`; the last step's info (the final metrics)."""
    obs, info = env.reset(seed=0)
    policy.reset(env)
    done = False
    while not done:
        obs, _, done, _, info = env.step(policy.act(env, obs).action)
    return info


@pytest.mark.parametrize("scenario", list(RULE_PAPER))
def test_rule_reproduces_the_paper(scenario: str) -> None:
    for n, expected in zip((1, 5, 10), RULE_PAPER[scenario], strict=True):
        # The paper's numbers come from its files' labels as written.
        env = SlicingEnv(load_scenario(scenario, n, labels="file"), users=n)
        info = run(RuleBaseline(), env)
        assert info["throughput_mbps"] == pytest.approx(expected, abs=0.5)
        assert info["admitted"] == n and info["intent_accuracy"] == 1.0


def test_rule_keeps_users_below_their_minimum_rate() -> None:
    # At N = 30 centre the eMBB slice cannot serve everyone: SLSQP fails, the fallback keeps all.
    policy = RuleBaseline()
    info = run(policy, SlicingEnv("center", users=30))
    assert info["admitted"] == 30 and info["min_rate_violations"] > 0
    assert not policy.solved["eMBB"] and policy.solved["URLLC"]
    assert info["bandwidth_utilization"] == pytest.approx(1.0)


def test_greedy_fallback_follows_the_original_order() -> None:
    s = get_rate_model("paper").per_mhz_table[[5, 15, 3, 10]]
    b = greedy_fallback(s, URLLC)
    # Minimum 1 each, then the rest to the best CQI first, each up to 5 MHz.
    np.testing.assert_allclose(b, [5.0, 5.0, 5.0, 5.0])
    b = greedy_fallback(s, EMBB)
    assert b.sum() <= EMBB.capacity_mhz
    assert b[1] == EMBB.bw_max_mhz  # CQI 15 gets the maximum
    need = EMBB.rate_min_mbps / s[0]  # CQI 5 is topped up to its min-rate MHz first
    assert b[0] >= need - 1e-9


@pytest.mark.parametrize("scenario", list(OPTIMAL_30))
def test_optimal_matches_the_spec_at_30(scenario: str) -> None:
    best_tp, (users_tp, users_n) = OPTIMAL_30[scenario]
    as_written = load_scenario(scenario, 30, labels="file")  # the spec's figures: file labels
    info = run(OptimalBaseline("throughput"), SlicingEnv(as_written, users=30))
    assert info["throughput_mbps"] == pytest.approx(best_tp, rel=0.01)
    assert info["admitted"] == 11 and info["min_rate_violations"] == 0
    info = run(OptimalBaseline("users-then-throughput"), SlicingEnv(as_written, users=30))
    assert info["throughput_mbps"] == pytest.approx(users_tp, rel=0.01)
    assert info["admitted"] == users_n and info["min_rate_violations"] == 0


@pytest.mark.parametrize("scenario", list(OPTIMAL_30))
def test_optimal_beats_rule_and_greedy_on_served_users(scenario: str) -> None:
    served = {}
    for name, policy in (("optimal", OptimalBaseline()), ("rule", RuleBaseline()),
                         ("greedy", GreedyBaseline(keyword_slice))):
        info = run(policy, SlicingEnv(scenario, users=30))
        served[name] = info["admitted"] - info["min_rate_violations"]
        if name == "optimal":
            assert info["min_rate_violations"] == 0
    assert served["optimal"] >= served["rule"]
    assert served["optimal"] >= served["greedy"]


def test_integer_optimum_uses_whole_megahertz() -> None:
    env = SlicingEnv("north", users=30)
    info = run(OptimalBaseline(integer=True), env)
    used = env.bandwidth[env.slice_of > 0]
    np.testing.assert_array_equal(used, np.round(used))
    assert info["min_rate_violations"] == 0
    # Rounding the min-rate MHz up costs north one user (29 continuous).
    assert info["admitted"] == 28


def test_solve_slice_keeps_forced_users() -> None:
    s = get_rate_model("paper").per_mhz_table[[15, 15, 15, 15, 15, 4, 15]]
    free, _ = solve_slice(s, EMBB, "throughput")
    assert not free[5]  # the weak user is left out when nothing forces it
    admitted, bw = solve_slice(s, EMBB, "throughput", forced=np.eye(7, dtype=bool)[5])
    assert admitted[5]
    assert bw[5] * s[5] >= EMBB.rate_min_mbps - 1e-6
    assert bw.sum() <= EMBB.capacity_mhz + 1e-9


def test_solve_slice_rejects_impossible_forcing() -> None:
    s = get_rate_model("paper").per_mhz_table[[2, 15]]  # CQI 2 cannot reach 100 Mbps at 20 MHz
    with pytest.raises(ValueError, match="forced"):
        solve_slice(s, EMBB, "throughput", forced=np.array([True, False]))


def test_greedy_serves_first_come_first_served() -> None:
    env = SlicingEnv("center", users=30)
    info = run(GreedyBaseline(keyword_slice, embb_mhz=10, urllc_mhz=3), env)
    active = env.slice_of > 0
    assert set(env.bandwidth[env.slice_of == 1]) <= {10.0}
    assert set(env.bandwidth[env.slice_of == 2]) <= {3.0}
    assert info["admitted"] == int(active.sum()) and info["admitted"] + info["rejected"] == 30
    assert info["embb_utilization"] <= 1.0 and info["urllc_utilization"] <= 1.0
    # About 20 URLLC arrivals at 3 MHz each: the first 10 fill the slice, the rest are refused.
    assert info["urllc_utilization"] == pytest.approx(1.0)
    urllc_refused = [i for i, u in enumerate(env.scenario.users)
                     if keyword_slice(u.request) == "URLLC" and env.slice_of[i] == 0]
    assert len(urllc_refused) == sum(keyword_slice(u.request) == "URLLC"
                                     for u in env.scenario.users) - 10
    assert 0.5 < info["intent_accuracy"] <= 1.0


def test_registry_builds_every_method_and_rejects_unknown_names() -> None:
    assert {"rule", "optimal", "greedy"} <= set(METHODS)
    policy = make_policy("optimal", objective="throughput", integer=True)
    assert policy.name == "optimal" and policy.offline
    assert make_policy("greedy", classify=keyword_slice).offline is False
    with pytest.raises(ValueError, match="agent, greedy, optimal, prompt, rule") as err:
        make_policy("oracle")
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_every_method_runs_dynamic_mode_over_several_seeds(tmp_path) -> None:
    from evals.results import read_jsonl
    from evals.slicing_eval import EvalConfig, Evaluation

    cfg = EvalConfig(scenarios=["campus", "center"], methods=["agent", "rule", "optimal",
                                                              "greedy"],
                     users=[40], seeds=[0, 1, 2], mode="dynamic", warmup=1)
    rows = Evaluation(cfg, tmp_path / "dyn").run()
    assert {(r["method"], r["seed"]) for r in rows} == {
        (m, s) for m in cfg.methods for s in cfg.seeds}
    decisions = read_jsonl(tmp_path / "dyn" / "decisions.jsonl")
    admitted = [d for d in decisions if d["admitted"]]
    assert admitted and all(d["slice"] in ("eMBB", "URLLC") and d["bandwidth"] > 0
                            and d["rate_mbps"] > 0 for d in admitted)
    assert all(d["slice"] is None and d["bandwidth"] == 0 for d in decisions
               if not d["admitted"])


def sort_optimum(per_mhz: np.ndarray, spec) -> tuple[int, float]:
    """Users-then-throughput optimum by sorting: the k best channels that fit at their floors.

    Exact for the paper's limits (floors fall as rates rise); written apart from the project.
    """
    s = np.sort(np.asarray(per_mhz, dtype=np.float64))[::-1]
    floors = np.maximum(spec.bw_min_mhz, spec.rate_min_mbps / s)
    s, floors = s[floors <= spec.bw_max_mhz], floors[floors <= spec.bw_max_mhz]
    k = int(np.searchsorted(np.cumsum(floors), spec.capacity_mhz + 1e-9, side="right"))
    bw = floors[:k].copy()
    left = spec.capacity_mhz - bw.sum()
    for i in range(k):
        add = min(spec.bw_max_mhz - bw[i], left)
        bw[i] += add
        left -= add
    return k, float(bw @ s[:k])


@pytest.mark.parametrize("spec", [EMBB, URLLC], ids=["eMBB", "URLLC"])
def test_milp_optimum_equals_the_sort_based_optimum(spec) -> None:
    table = get_rate_model("paper").per_mhz_table
    rng = np.random.default_rng(11)
    for _ in range(60):
        s = table[rng.integers(1, 16, size=int(rng.integers(1, 60)))]
        admitted, bw = solve_slice(s, spec, "users-then-throughput")
        k, best = sort_optimum(s, spec)
        assert admitted.sum() == k
        assert float(bw @ s) == pytest.approx(best, rel=1e-6, abs=1e-6)


def test_rule_checks_feasibility_and_water_filling_is_the_slsqp_optimum() -> None:
    from baselines.rule import proportional_fair, rate_bounds, water_fill
    from env.slices import SliceSpec

    table = get_rate_model("paper").per_mhz_table
    rng = np.random.default_rng(3)
    for n in (5, 30, 90):
        spec = SliceSpec("wide", 1, 13.0 * n, 6.0, 20.0, 100.0, 400.0, (10.0, 100.0))
        s = table[rng.integers(8, 16, size=n)]
        b, solved = proportional_fair(s, spec)
        assert solved and b.sum() == pytest.approx(spec.capacity_mhz)
        lo, hi = rate_bounds(s, spec)
        np.testing.assert_allclose(b, water_fill(lo, hi, spec.capacity_mhz), atol=1e-6)
    # Too many users for their minimum rates: infeasible, so the fallback decides at once.
    s = table[rng.integers(1, 16, size=1000)]
    b, solved = proportional_fair(s, URLLC)
    assert not solved and b.size == 1000  # the original's fallback keeps every user
