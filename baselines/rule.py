"""WirelessAgent's rule-based baseline: offline proportional fairness by SLSQP per slice."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize

from baselines.base import Decision, make_action
from baselines.optimal import episode_per_mhz, fit_capacity, min_bandwidth
from env.scenarios import User
from env.slices import SLICES, SliceSpec
from env.slicing_env import LABEL_INDEX, SlicingEnv

SLSQP_OPTIONS = {"ftol": 1e-6, "maxiter": 1000}
# SLSQP meets its constraints only to about this; within it a user counts as at its minimum rate.
_RATE_SLACK_MHZ = 1e-6


def greedy_fallback(per_mhz: np.ndarray, spec: SliceSpec) -> np.ndarray:
    """The original's fallback: minimum for all, top up to the min-rate MHz, rest best CQI first."""
    s = np.asarray(per_mhz, dtype=np.float64)
    b = np.full(len(s), spec.bw_min_mhz)
    left = spec.capacity_mhz - b.sum()
    need = np.minimum(min_bandwidth(s, spec), spec.bw_max_mhz)
    for i in range(len(s)):  # file order, as the original
        add = min(max(need[i] - b[i], 0.0), max(left, 0.0))
        b[i] += add
        left -= add
    for i in np.argsort(-s, kind="stable"):
        add = min(spec.bw_max_mhz - b[i], max(left, 0.0))
        b[i] += add
        left -= add
    return b


def proportional_fair(per_mhz: np.ndarray, spec: SliceSpec) -> tuple[np.ndarray, bool]:
    """MHz per user maximising sum log(rate) with the slice fully used; True if SLSQP succeeded.

    As in the original, the capacity is an equality and the rate bounds are constraints, so the
    problem is infeasible (and the greedy fallback decides) whenever the users cannot fill the
    slice at their maximum or cannot all reach their minimum rate.
    """
    s = np.asarray(per_mhz, dtype=np.float64)
    n = len(s)
    if n == 0:
        return np.zeros(0), True
    x0 = np.full(n, np.clip(spec.capacity_mhz / n, spec.bw_min_mhz, spec.bw_max_mhz))
    constraints = [
        {"type": "eq", "fun": lambda b: b.sum() - spec.capacity_mhz},
        {"type": "ineq", "fun": lambda b: s * b - spec.rate_min_mbps},
        {"type": "ineq", "fun": lambda b: spec.rate_max_mbps - s * b},
    ]
    res = minimize(
        lambda b: -np.sum(np.log(s * b)), x0, method="SLSQP",
        bounds=[(spec.bw_min_mhz, spec.bw_max_mhz)] * n, constraints=constraints,
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
        lo = min_bandwidth(per_mhz[idx], spec)
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
        user = env.current.user
        bw = float(self.plan[env.t])
        return Decision(
            make_action(env, LABEL_INDEX[user.label], True, bw),
            {"intent": user.label, "bandwidth": bw,
             "fallback": not self.solved.get(user.label, True)},
        )
