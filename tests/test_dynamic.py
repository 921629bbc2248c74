"""Dynamic mode: the per-interval bound, time-averaged throughput, and every method under it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from baselines.dynamic_bound import best_throughput, interval_bound
from baselines.optimal import solve_slice
from env.policy import make_action
from env.rates import get_rate_model
from env.slices import SLICES
from env.slicing_env import SlicingEnv
from evals.slicing_eval import EvalConfig, Evaluation
from evals.table import final_rows, is_dynamic, table_columns


@pytest.mark.parametrize("rate_model", ["paper", "3gpp"])
def test_best_throughput_is_the_milp_throughput_optimum(rate_model: str) -> None:
    table = get_rate_model(rate_model).per_mhz_table
    rng = np.random.default_rng(3)
    for _ in range(60):
        for spec in SLICES:
            rates = table[rng.integers(1, 16, rng.integers(0, 35))]
            admitted, bw = solve_slice(rates, spec, "throughput")
            assert best_throughput(rates, spec) == pytest.approx(float(bw @ rates), rel=1e-9,
                                                                 abs=1e-9)


def test_time_average_is_the_integral_of_the_held_throughput() -> None:
    env = SlicingEnv("center", users=40, mode="dynamic")
    env.reset(seed=4)
    area, clock, held = 0.0, env.schedule[0].time, {}
    info: dict = {}
    for arrival in list(env.schedule):
        # Departures before this arrival, in time order, then the arrival itself.
        for slot, (leave, _mbps) in sorted(held.items(), key=lambda kv: kv[1][0]):
            if leave <= arrival.time:
                area += sum(m for _, m in held.values()) * (leave - clock)
                clock = leave
                del held[slot]
        area += sum(m for _, m in held.values()) * (arrival.time - clock)
        clock = arrival.time
        expected = area / (clock - env.schedule[0].time) if clock > env.schedule[0].time else 0
        slot = env.t
        _, _, _, _, info = env.step(make_action(env, 2, True, 1.0))
        assert info["time_avg_throughput_mbps"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
        if info["admitted_now"]:
            held[slot] = (arrival.departure, info["rate_mbps"])
    assert info["peak_violations"] == 0


def test_bound_covers_a_method_that_keeps_the_best_users_at_every_event() -> None:
    env = SlicingEnv("north", mode="dynamic", users=60)
    env.reset(seed=1)
    bound = interval_bound(env.schedule, env.rate_model.per_mhz_table)
    assert bound > 0
    # Admitting nobody scores 0; the bound is finite and no larger than everyone's maximum.
    top = sum(float(env.rate_model.per_mhz_table[15]) * s.capacity_mhz for s in SLICES)
    assert 0 < bound <= top
    assert math.isfinite(bound)


@pytest.mark.slow
def test_every_method_stays_under_the_bound(tmp_path: Path) -> None:
    cfg = EvalConfig(scenarios=["center", "campus"], methods=["agent", "optimal", "greedy",
                                                               "rule"],
                     users=[25], seeds=[0, 1, 2], mode="dynamic")
    rows = Evaluation(cfg, tmp_path / "r").run()
    assert len(rows) == 2 * 4 * 3
    for r in rows:
        assert 0 <= r["ratio_to_bound"] <= 1 + 1e-9, r
        if r["method"] in ("optimal", "rule"):  # handed the true labels
            assert r["ratio_to_label_bound"] <= 1 + 1e-9, r
        assert r["time_avg_throughput_mbps"] <= r["bound_mbps"] * (1 + 1e-9)
        assert 0 <= r["blocking_rate"] <= 1
    assert is_dynamic(rows)
    keys = [k for k, _ in table_columns(rows)]
    assert "ratio_to_bound" in keys and "ratio_to_optimal" not in keys
    for row in final_rows(rows):
        assert row["ratio_to_optimal"] is None  # the static optimum is no ceiling here
        assert row["ratio_to_bound"] is not None
    # The agent, which knows users leave, does not turn most of them away.
    agent = [r for r in rows if r["method"] == "agent"]
    assert np.mean([r["blocking_rate"] for r in agent]) < 0.3
