"""WirelessAgent's rule-based baseline: offline proportional fairness by SLSQP per slice."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize

from baselines.optimal import episode_per_mhz, fit_capacity
from env.policy import Decision, make_action
from env.scenarios import User
from env.slices import SLICES, SliceSpec
from env.slicing_env import LABEL_INDEX, SlicingEnv
from wireless_agent.planner import min_bandwidth

SLSQP_OPTIONS = {"ftol": 1e-6, "maxiter": 1000}
# SLSQP meets its constraints only to about this; within it a user counts as at its minimum rate.
_RATE_SLACK_MHZ = 1e-6
_FEAS_TOL = 1e-9
# Above this many users of a slice, the exact water-filling optimum is used as is: SLSQP from
# it returns it unchanged (tested) but costs seconds (N = 200) to minutes (N = 1000).
SLSQP_MAX_USERS = 100


def greedy_fallback(per_mhz: np.ndarray, spec: SliceSpec) -> np.ndarray:
    """The original's fallback: minimum for all, top up to the min-rate MHz, rest best CQI first."""
    s = np.asarray(per_mhz, dtype=np.float64)
    b = np.full(len(s), spec.bw_min_mhz)
    left = spec.capacity_mhz - b.sum()
    need = np.minimum(min_bandwidth(spec, s), spec.bw_max_mhz)
    for i in range(len(s)):  # file order, as the original
        add = min(max(need[i] - b[i], 0.0), max(left, 0.0))
        b[i] += add
        left -= add
    for i in np.argsort(-s, kind="stable"):
        add = min(spec.bw_max_mhz - b[i], max(left, 0.0))
        b[i] += add
        left -= add
    return b


def rate_bounds(per_mhz: np.ndarray, spec: SliceSpec) -> tuple[np.ndarray, np.ndarray]:
    """Per-user MHz range the rate limits and the slice's bandwidth limits leave."""
    s = np.asarray(per_mhz, dtype=np.float64)
    with np.errstate(divide="ignore"):
        lo = np.maximum(spec.bw_min_mhz, spec.rate_min_mbps / s)
        hi = np.minimum(spec.bw_max_mhz, spec.rate_max_mbps / s)
    return lo, hi


def feasible(lo: np.ndarray, hi: np.ndarray, capacity: float) -> bool:
    """Whether some split fills `capacity` exactly within every user's [lo, hi]."""
    return bool((lo <= hi + _FEAS_TOL).all() and lo.sum() <= capacity + _FEAS_TOL
                and hi.sum() >= capacity - _FEAS_TOL)


def water_fill(lo: np.ndarray, hi: np.ndarray, capacity: float) -> np.ndarray:
    """The maximiser of sum log(b) with sum b = capacity, lo <= b <= hi: b = clip(level).

    (KKT: 1/b_i is the same for every user strictly inside its range.) Feasible input only.
    """
    a, b = float(lo.min()), float(hi.max())
    for _ in range(200):  # bisection on the common level; 2^-200 of the range is exact
        level = 0.5 * (a + b)
        if np.clip(level, lo, hi).sum() < capacity:
            a = level
        else:
            b = level
    return np.clip(0.5 * (a + b), lo, hi)


def proportional_fair(per_mhz: np.ndarray, spec: SliceSpec) -> tuple[np.ndarray, bool]:
    """MHz per user maximising sum log(rate) with the slice fully used; True if SLSQP succeeded.

    As in the original, the capacity is an equality and the rate limits are constraints, so the
    problem is infeasible (and the greedy fallback decides) whenever the users cannot fill the
    slice at their maximum or cannot all reach their minimum rate. That is checked first: an
    infeasible SLSQP run only fails slowly. The rate limits are per-user bounds on MHz, so
    they are given as bounds; SLSQP starts from the water-filling optimum with analytic
    gradients (a few iterations), and above `SLSQP_MAX_USERS` that optimum is the answer.
    """
    s = np.asarray(per_mhz, dtype=np.float64)
    n = len(s)
    if n == 0:
        return np.zeros(0), True
    lo, hi = rate_bounds(s, spec)
    if not feasible(lo, hi, spec.capacity_mhz):
        return greedy_fallback(s, spec), False
    start = water_fill(lo, hi, spec.capacity_mhz)
    if n > SLSQP_MAX_USERS:  # SLSQP's dense N x N steps only confirm the start point there
        return start, True
    res = minimize(
        lambda b: -np.sum(np.log(s * b)), start,
        jac=lambda b: -1.0 / b, method="SLSQP", bounds=list(zip(lo, hi, strict=True)),
        constraints=[{"type": "eq", "fun": lambda b: b.sum() - spec.capacity_mhz,
                      "jac": lambda b: np.ones((1, n))}],
        options=SLSQP_OPTIONS,
    )
    if res.success:
        return np.clip(res.x, spec.bw_min_mhz, spec.bw_max_mhz), True
    return greedy_fallback(s, spec), False


def plan_rule(users: list[User], per_mhz: np.ndarray) -> tuple[np.ndarray, dict[str, bool]]:
    """MHz per user of the episode (every user is kept) and, per slice, whether SLSQP solved it."""
    plan = np.zeros(len(users))
    solved: dict[str, bool] = {}
    labels = np.array([u.label for u in users])
    for spec in SLICES:
        idx = np.flatnonzero(labels == spec.name)
        if not idx.size:
            continue
        b, solved[spec.name] = proportional_fair(per_mhz[idx], spec)
        lo = np.asarray(min_bandwidth(spec, per_mhz[idx]), dtype=np.float64)
        # Users the solution leaves at their minimum rate must not be scored a hair below it.
        floor = np.where(b >= lo - _RATE_SLACK_MHZ, np.minimum(lo, spec.bw_max_mhz),
                         spec.bw_min_mhz)
        plan[idx] = fit_capacity(np.maximum(b, floor), floor, spec.capacity_mhz)
    return plan, solved


class RuleBaseline:
    """Offline oracle with ground-truth labels; admits everyone at the proportional-fair MHz."""

    name = "rule"
    offline = True

    def __init__(self) -> None:
        self.plan = np.zeros(0)
        self.solved: dict[str, bool] = {}

    def reset(self, env: SlicingEnv) -> None:
        """Solve both slices for all the episode's users at once (the original's oracle view)."""
        users, per_mhz = episode_per_mhz(env)
        self.plan, self.solved = plan_rule(users, per_mhz)

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """Admit the arriving user into its true slice with its planned bandwidth."""
        user = env.arriving
        bw = float(self.plan[env.t])
        return Decision(
            make_action(env, LABEL_INDEX[user.label], True, bw),
            {"intent": user.label, "bandwidth": bw,
             "fallback": not self.solved.get(user.label, True)},
        )
