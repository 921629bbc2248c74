"""The true offline optimum: a per-slice mixed-integer program solved with scipy's HiGHS milp."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from env.policy import Decision, make_action
from env.scenarios import User
from env.slices import SLICES, SliceSpec
from env.slicing_env import LABEL_INDEX, SlicingEnv
from wireless_agent.planner import min_bandwidth

OBJECTIVES = ("users-then-throughput", "throughput")
# Keeps the lexicographic second solve from losing a user to HiGHS's feasibility tolerance.
_COUNT_SLACK = 1e-6


def _solve(
    c: np.ndarray,
    n: int,
    lo: np.ndarray,
    spec: SliceSpec,
    x_lb: np.ndarray,
    x_ub: np.ndarray,
    integer: bool,
    min_count: float | None,
) -> np.ndarray:
    """One milp over z = [x (binary admission), b (MHz)] minimising c @ z."""
    eye, zeros, ones = np.eye(n), np.zeros(n), np.ones(n)
    # Rows: sum b <= capacity; b_i - lo_i x_i >= 0 and b_i - max x_i <= 0 (rejected: 0 MHz).
    a = np.vstack([
        np.hstack([zeros, ones]),
        np.hstack([-np.diag(lo), eye]),
        np.hstack([-spec.bw_max_mhz * eye, eye]),
    ])
    lower = [-np.inf] + [0.0] * n + [-np.inf] * n
    upper = [spec.capacity_mhz] + [np.inf] * n + [0.0] * n
    if min_count is not None:
        a = np.vstack([a, np.hstack([ones, zeros])])
        lower.append(min_count)
        upper.append(np.inf)
    integrality = np.hstack([np.ones(n), np.full(n, 1 if integer else 0)])
    bounds = Bounds(np.hstack([x_lb, np.zeros(n)]),
                    np.hstack([x_ub, np.full(n, spec.bw_max_mhz)]))
    res = milp(c, constraints=LinearConstraint(a, lower, upper), integrality=integrality,
               bounds=bounds)
    if res.x is None:
        raise ValueError(f"{spec.name}: no feasible allocation ({res.message}); "
                         "the forced users do not fit in the slice")
    return res.x


def solve_slice(
    per_mhz: np.ndarray,
    spec: SliceSpec,
    objective: str,
    integer: bool = False,
    forced: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal admission mask and MHz for one slice's users (min rates enforced)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    s = np.asarray(per_mhz, dtype=np.float64)
    n = len(s)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    lo = np.asarray(min_bandwidth(spec, s), dtype=np.float64)
    if integer:
        lo = np.ceil(lo - 1e-9)
    servable = lo <= spec.bw_max_mhz
    forced_mask = np.zeros(n, dtype=bool) if forced is None else np.asarray(forced, dtype=bool)
    if (forced_mask & ~servable).any():
        bad = np.flatnonzero(forced_mask & ~servable).tolist()
        raise ValueError(f"{spec.name}: forced users {bad} cannot reach "
                         f"{spec.rate_min_mbps:g} Mbps within {spec.bw_max_mhz:g} MHz")
    x_lb = forced_mask.astype(np.float64)
    x_ub = servable.astype(np.float64)
    lo = np.where(servable, lo, 0.0)
    throughput_c = np.hstack([np.zeros(n), -s])
    if objective == "users-then-throughput":
        count_c = np.hstack([-np.ones(n), np.zeros(n)])
        z = _solve(count_c, n, lo, spec, x_lb, x_ub, integer, None)
        best = float(np.round(z[:n]).sum())
        z = _solve(throughput_c, n, lo, spec, x_lb, x_ub, integer, best - _COUNT_SLACK)
    else:
        z = _solve(throughput_c, n, lo, spec, x_lb, x_ub, integer, None)
    admitted = np.round(z[:n]).astype(bool)
    bandwidth = np.where(admitted, z[n:], 0.0)
    if integer:
        bandwidth = np.round(bandwidth)
    bandwidth[admitted] = np.clip(bandwidth[admitted], lo[admitted], spec.bw_max_mhz)
    return admitted, fit_capacity(bandwidth, np.where(admitted, lo, 0.0), spec.capacity_mhz)


def fit_capacity(bandwidth: np.ndarray, floor: np.ndarray, capacity: float) -> np.ndarray:
    """MHz lifted to at least `floor` and, if that overshoots `capacity`, trimmed where slack is.

    Solvers meet bounds and sums only to ~1e-7; this makes a plan exactly feasible so the env
    admits every planned user and scores none below its minimum rate.
    """
    b = np.maximum(np.asarray(bandwidth, dtype=np.float64), floor)
    for j in np.argsort(floor - b, kind="stable"):  # most slack first
        excess = float(b.sum()) - capacity
        if excess <= 0:
            break
        b[j] -= min(excess, max(b[j] - floor[j], 0.0))
    return b


def plan_offline(
    users: list[User],
    per_mhz: np.ndarray,
    objective: str = "users-then-throughput",
    integer: bool = False,
) -> np.ndarray:
    """MHz per user of the whole episode (0 = rejected), solving each slice on its own."""
    plan = np.zeros(len(users))
    labels = np.array([u.label for u in users])
    for spec in SLICES:
        idx = np.flatnonzero(labels == spec.name)
        if idx.size:
            admitted, bw = solve_slice(per_mhz[idx], spec, objective, integer)
            plan[idx] = np.where(admitted, bw, 0.0)
    return plan


def episode_per_mhz(env: SlicingEnv) -> tuple[list[User], np.ndarray]:
    """The users of the episode `env` has just been reset to, and their Mbps per MHz."""
    users = [arrival.user for arrival in env.schedule]
    table = env.rate_model.per_mhz_table
    return users, np.array([table[u.cqi] for u in users], dtype=np.float64)


class OptimalBaseline:
    """Offline oracle: admits and sizes every user by the per-slice mixed-integer optimum."""

    name = "optimal"
    offline = True

    def __init__(self, objective: str = "users-then-throughput", integer: bool = False) -> None:
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; "
                             f"choose one of {', '.join(OBJECTIVES)}")
        self.objective = objective
        self.integer = integer
        self.plan = np.zeros(0)

    def reset(self, env: SlicingEnv) -> None:
        """Solve the whole episode from the oracle (labels, CQIs of all arrivals)."""
        users, per_mhz = episode_per_mhz(env)
        self.plan = plan_offline(users, per_mhz, self.objective, self.integer)

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """Admit the arriving user with its planned bandwidth, or decline it."""
        i = env.t
        label = env.arriving.label
        bw = float(self.plan[i])
        return Decision(make_action(env, LABEL_INDEX[label], bw > 0, bw),
                        {"intent": label, "bandwidth": bw})
