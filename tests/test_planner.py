"""The planner's admission rule, the warm-up profile computed from draws, and its updates."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest

from baselines.optimal import episode_per_mhz, plan_offline, solve_slice
from env.policy import make_action
from env.rates import get_rate_model
from env.scenarios import load_population, load_scenario
from env.slices import EMBB, SLICES, URLLC
from env.slicing_env import SlicingEnv
from evals.slicing_eval import WARMUP_SEED, EvalConfig, Evaluation
from wireless_agent import lookahead
from wireless_agent.intent import IntentClassifier
from wireless_agent.memory.store import AgentMemory
from wireless_agent.planner import RULES, batch_value, min_bandwidth, plan_admission
from wireless_agent.traffic import (
    TrafficProfile,
    classifier_slice,
    stay_survival,
    warmup_profile,
)

FIXTURES = Path(__file__).parent / "data" / "planner"
PAPER = get_rate_model("paper").per_mhz_table


@pytest.fixture(scope="module")
def classify():  # noqa: ANN201 - a closure over the default classifier
    return classifier_slice(IntentClassifier.default())


def _profile(rates: dict[int, list[float]], share: dict[int, float],
             survival: float = 1.0) -> TrafficProfile:
    p = TrafficProfile()
    n = 100
    recs = [("past", s, rates[s][i % len(rates[s])]) for s in (1, 2)
            for i in range(int(round(share[s] * n)))]
    p.add(recs)
    p.survival = survival
    return p


def test_a_sampled_future_is_completed_by_the_milp_optimum_of_the_slice() -> None:
    rng = np.random.default_rng(1)
    empty = np.zeros(0)
    for _ in range(100):
        for spec in SLICES:
            rates = PAPER[rng.integers(1, 16, rng.integers(1, 30))]
            admitted, bw = solve_slice(rates, spec, "users-then-throughput")
            users, mbps = batch_value(spec, empty, empty, empty, rates[None, :].astype(float))
            assert users[0] == admitted.sum()
            assert mbps[0] == pytest.approx(float(bw @ rates), rel=1e-9)


def _best_expected(law: lookahead.ArrivalLaw, n: int, room: float, value: float,
                   best: float) -> float:
    """The lookahead's Bellman value by plain recursion over every arrival (the reference)."""
    if n == 0:
        return 0.0
    keep = _best_expected(law, n - 1, room, value, best)
    out = (1.0 - law.p.sum()) * keep
    for r, f, p in zip(law.per_mhz, law.floors, law.p, strict=True):
        steps = np.ceil(f / lookahead.GRID_MHZ - 1e-9) * lookahead.GRID_MHZ
        take = -np.inf if steps > room + 1e-9 else (
            float(lookahead.user_worth(value, f, r, best))
            + _best_expected(law, n - 1, room - steps, value, best))
        out += p * max(keep, take)
    return out


def test_the_lookahead_table_is_the_bellman_value_of_the_slice() -> None:
    samples = PAPER[[15, 15, 15, 9, 9, 5]].astype(float)
    floors = np.asarray(min_bandwidth(EMBB, samples), dtype=float)
    look = lookahead.SliceLookahead.build(EMBB, samples, floors, 0.6, 6, 150.0)
    law = lookahead.arrival_law(EMBB, samples, 0.6, floors)
    assert law.p.sum() == pytest.approx(0.6) and law.per_mhz.size == 3
    for n in (1, 3, 6):
        for room in (90.0, 30.0, 12.0, 6.0):
            m = int(round(room / lookahead.GRID_MHZ))
            assert look.table[n, m] == pytest.approx(
                _best_expected(law, n, room, 150.0, look.leftover_mbps_per_mhz))
    # A floor that does not fit is never admitted, whatever the table says.
    assert look.admit(5.0, 6.7, float(PAPER[15]), 3) == (False, -np.inf)
    # One that fits by less than a grid step is weighed, not refused by the rounding.
    floor15 = float(floors[0])
    assert look.admit(floor15 + 0.01, floor15, float(PAPER[15]), 3)[0]


def test_paper_episodes_use_the_lookahead_and_departures_the_sampled_rule() -> None:
    rates = {1: [float(PAPER[15])], 2: [float(PAPER[10])]}
    stays = _profile(rates, {1: 0.5, 2: 0.5})
    leaves = _profile(rates, {1: 0.5, 2: 0.5}, survival=20 / 21)
    empty = np.zeros(0, dtype=np.int64)
    poor = float(PAPER[5])
    assert "keeping" in plan_admission(1, poor, 0, empty, np.zeros(0), stays, 30).reason
    plan_admission(1, poor, 0, empty, np.zeros(0), leaves, 30)
    assert ("lookahead", 1) in stays.derived and not leaves.derived
    stays.add([("more", 1, float(PAPER[15]))])  # new records: the table is built again
    assert not stays.derived


@pytest.mark.parametrize("rule", RULES)
def test_a_poor_channel_is_turned_away_when_better_users_are_expected(rule: str) -> None:
    good, poor = float(PAPER[15]), float(PAPER[5])
    profile = _profile({1: [good], 2: [float(PAPER[10])]}, {1: 0.5, 2: 0.5})
    empty = np.zeros(0, dtype=np.int64)
    # 20 arrivals to come, 10 of them CQI-15 eMBB users: 13 fit in 90 MHz at 6.6 MHz each.
    # A CQI-5 user takes 16 MHz, room for 2.4 of them: it would cost users.
    plan = plan_admission(1, poor, 0, empty, np.zeros(0), profile, remaining=30, rule=rule)
    assert not plan.admit and str(30) in plan.reason
    # The same user with nobody left to come, or no profile, is admitted.
    assert plan_admission(1, poor, 0, empty, np.zeros(0), profile, remaining=0, rule=rule).admit
    assert plan_admission(1, poor, 0, empty, np.zeros(0), None, remaining=30, rule=rule).admit
    # A good channel is always worth it.
    assert plan_admission(1, good, 0, empty, np.zeros(0), profile, remaining=30, rule=rule).admit


@pytest.mark.parametrize("rule", RULES)
def test_urllc_users_are_compared_on_throughput_once_counts_tie(rule: str) -> None:
    # URLLC floors are all 1 MHz: counts never tell users apart, throughput does.
    profile = _profile({1: [float(PAPER[10])], 2: [float(PAPER[15])]}, {1: 0.0, 2: 1.0})
    slice_of = np.full(29, 2)
    per_mhz = np.full(29, float(PAPER[15]))
    poor = plan_admission(2, float(PAPER[3]), 29, slice_of, per_mhz, profile, remaining=5,
                          rule=rule)
    assert not poor.admit
    fine = plan_admission(2, float(PAPER[15]), 29, slice_of, per_mhz, profile, remaining=5,
                          rule=rule)
    assert fine.admit


@pytest.mark.parametrize("rule", RULES)
def test_departures_make_the_rule_admit_what_a_no_departure_rule_refuses(rule: str) -> None:
    rates = {1: [float(PAPER[15])], 2: [float(PAPER[10])]}
    stays = _profile(rates, {1: 0.5, 2: 0.5})
    leaves = _profile(rates, {1: 0.5, 2: 0.5}, survival=20 / 21)
    slice_of = np.full(6, 1)
    per_mhz = np.full(6, float(PAPER[15]))
    poor = float(PAPER[5])
    assert not plan_admission(1, poor, 6, slice_of, per_mhz, stays, remaining=200,
                              rule=rule).admit
    assert plan_admission(1, poor, 6, slice_of, per_mhz, leaves, remaining=200, rule=rule).admit


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown admission rule"):
        plan_admission(1, 10.0, 0, np.zeros(0, dtype=np.int64), np.zeros(0),
                       _profile({1: [10.0], 2: [10.0]}, {1: 0.5, 2: 0.5}), 5, rule="best")


def test_stay_survival_is_hold_over_hold_plus_gap() -> None:
    rng = np.random.default_rng(0)
    gaps, holds = rng.exponential(1.0, 200_000), rng.exponential(20.0, 200_000)
    assert stay_survival(gaps, holds) == pytest.approx(20 / 21, abs=2e-3)
    # The chance a user outlasts the next gap, measured directly.
    assert np.mean(holds > gaps) == pytest.approx(20 / 21, abs=2e-3)


def test_warmup_profile_is_what_running_the_agent_leaves_in_memory(tmp_path: Path,
                                                                    classify) -> None:
    from wireless_agent.agent import SlicingAgent
    from wireless_agent.config import AgentConfig

    population = load_population("north")
    memory = AgentMemory.open(tmp_path / "m")
    agent = SlicingAgent(AgentConfig(model="offline"), memory=memory)
    for k in range(2):
        env = SlicingEnv(population, users=12, mode="dynamic")
        env.scenario.name = "north"
        obs, _ = env.reset(seed=WARMUP_SEED + k)
        agent.reset(env, episode_id=f"warmup-north-{k}")
        done = False
        while not done:
            step = agent.act(env, obs).step
            assert step is not None
            obs, done = step[0], bool(step[2])
        agent.end_episode()
    ran = AgentMemory.open(tmp_path / "m").traffic_profile("north")  # read back from the store
    direct = warmup_profile(population, 2, 12, classify, first_seed=WARMUP_SEED)
    assert ran.episodes == direct.episodes == 2
    assert ran.slice_share == pytest.approx(direct.slice_share)
    for s in (1, 2):
        assert np.sort(ran.per_mhz[s]) == pytest.approx(np.sort(direct.per_mhz[s]))


def test_profile_updates_add_only_the_new_records(tmp_path: Path) -> None:
    memory = AgentMemory.open(tmp_path / "m")
    assert not memory.traffic_profile("x").known
    memory.remember("e1", 0, "stream 4k video", {"scenario": "x", "slice_index": 1,
                                                 "per_mhz": 10.0})
    memory.remember("e1", 1, "robot arm", {"scenario": "x", "slice_index": 2, "per_mhz": 5.0})
    memory.flush()
    memory.remember("e2", 0, "robot arm", {"scenario": "x", "slice_index": 2, "per_mhz": 7.0})
    memory.flush()
    kept = memory.traffic_profile("x")
    fresh = AgentMemory.open(tmp_path / "m").traffic_profile("x")
    assert kept.episodes == fresh.episodes == 2 and kept.records == fresh.records == 3
    assert kept.slice_share == pytest.approx({1: 1 / 3, 2: 2 / 3}) == fresh.slice_share
    assert sorted(kept.per_mhz[2]) == sorted(fresh.per_mhz[2]) == [5.0, 7.0]


def test_warmup_profile_is_fast(classify) -> None:
    population = load_population("center")
    classify(population.users[0].request)
    start = time.perf_counter()
    profile = warmup_profile(population, 10, 30, classify, first_seed=WARMUP_SEED)
    assert time.perf_counter() - start < 1.0
    assert profile.episodes == 10 and profile.records == 300


def _online(spec: str, users: int, classify, warmup_users: int | None = None
            ) -> tuple[float, float, int, int, int, float]:
    """The planner alone (classifier labels, warm-up profile) against the optimum.

    The warm-up episodes are `warmup_users` long (default `users`; the eval draws them as
    long as its longest N).
    """
    scenario = load_scenario(spec, users=users)
    population = load_population(spec.split(":")[0] if spec.startswith("campus") else spec,
                                 seed=int(spec.split(":")[1]) if ":" in spec else 0)
    profile = warmup_profile(population, 10, warmup_users or users, classify,
                             first_seed=WARMUP_SEED)
    env = SlicingEnv(scenario, users=users)
    env.reset(seed=0)
    ep_users, per_mhz = episode_per_mhz(env)
    best = plan_offline(ep_users, per_mhz)
    info: dict = {}
    spent = 0.0
    for t in range(users):
        user = env.current.user
        s = classify(user.request)
        if s == 0:
            _, _, _, _, info = env.step(make_action(env, 0, False))
            continue
        start = time.perf_counter()
        plan = plan_admission(s, env.rate_model.per_mhz(user.cqi), env.t, env.slice_of,
                              env.per_mhz, profile, users - t - 1)
        spent += time.perf_counter() - start
        realloc = np.full(env.length, -1.0)
        for slot, mhz in plan.reallocate.items():
            realloc[slot] = mhz
        _, _, _, _, info = env.step(make_action(env, s, plan.admit, plan.bandwidth, realloc))
    return (info["throughput_mbps"], float(best @ per_mhz), info["admitted"],
            int((best > 0).sum()), info["min_rate_violations"], 1000 * spent / users)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.csv")), ids=lambda p: p.stem)
def test_planner_meets_the_targets_on_120_user_files(path: Path, classify) -> None:
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 120
    assert all(classify(r["User_Request"]) == {"eMBB": 1, "URLLC": 2}[r["Request_Label"]]
               for r in rows)  # the fixture's premise: the classifier gets every request right
    tp, best, admitted, best_admitted, violations, ms = _online(str(path), 120, classify)
    assert tp >= 0.98 * best
    assert admitted >= best_admitted - 1
    assert violations == 0
    assert ms < 20.0


@pytest.mark.slow
@pytest.mark.parametrize("users", [30, 60, 120, 200])
def test_planner_meets_the_targets_on_campuses(users: int, classify) -> None:
    runs = [_online(f"campus:{seed}", users, classify) for seed in range(5)]
    ratios = [tp / best for tp, best, *_ in runs]
    assert np.mean(ratios) >= 0.98
    assert all(r[2] >= r[3] - 2 for r in runs)
    assert np.mean([r[2] - r[3] for r in runs]) >= -1
    assert all(r[4] == 0 for r in runs)


HELD_OUT = range(100, 110)  # campus seeds never looked at while tuning (that was 20-59)
# Share of held-out episodes meeting the per-episode target, as measured (8, 7, 10, 10 of 10):
# at N = 30 and 60 an online rule still misses episodes whose eMBB arrivals differ from the
# profile (see README).
MIN_RATE = {30: 0.8, 60: 0.7, 120: 1.0, 200: 1.0}


@pytest.mark.slow
def test_planner_meets_the_per_episode_target_on_held_out_campuses(classify) -> None:
    # Every (N, seed) its own episode, warm-up as long as the eval's longest N (200).
    met = {n: [_ok(_online(f"campus:{seed}", n, classify, warmup_users=200))
               for seed in HELD_OUT] for n in (30, 60, 120, 200)}
    rate = {n: float(np.mean(v)) for n, v in met.items()}
    assert all(rate[n] >= MIN_RATE[n] for n in met), rate


def _ok(run: tuple[float, float, int, int, int, float]) -> bool:
    tp, best, admitted, best_admitted, violations, _ = run
    return tp >= 0.98 * best and admitted >= best_admitted - 1 and violations == 0


@pytest.mark.slow
def test_eval_meets_the_targets_on_north_and_south(tmp_path: Path) -> None:
    rows = Evaluation(EvalConfig(methods=["agent", "optimal"], users=[30],
                                 scenarios=["north", "south"]), tmp_path / "r").run()
    for scenario in ("north", "south"):
        by = {r["method"]: r for r in rows if r["scenario"] == scenario}
        assert by["agent"]["throughput_mbps"] >= 0.98 * by["optimal"]["throughput_mbps"]
        assert by["agent"]["admitted"] >= by["optimal"]["admitted"] - 1
        assert by["agent"]["min_rate_violations"] == 0


def test_urllc_and_embb_limits_are_what_the_tests_assume() -> None:
    assert (EMBB.capacity_mhz, EMBB.bw_min_mhz, EMBB.bw_max_mhz) == (90.0, 6.0, 20.0)
    assert (URLLC.capacity_mhz, URLLC.bw_min_mhz, URLLC.bw_max_mhz) == (30.0, 1.0, 5.0)


def test_paired_ratios_match_each_episode_with_its_optimum() -> None:
    from evals.ratios import paired

    def row(method: str, seed: int, tp: float, admitted: int) -> dict:
        return {"scenario": "campus", "method": method, "seed": str(seed), "users": "30",
                "throughput_mbps": str(tp), "admitted": str(admitted),
                "min_rate_violations": "0"}

    rows = paired([row("optimal", 0, 1000.0, 20), row("agent", 0, 990.0, 19),
                   row("optimal", 1, 1000.0, 20), row("agent", 1, 970.0, 20),
                   row("agent", 2, 900.0, 20)])  # seed 2 has no optimum: left out
    assert [(r["seed"], round(r["ratio"], 3), r["ok"]) for r in rows] == [
        ("0", 0.99, True), ("1", 0.97, False)]
