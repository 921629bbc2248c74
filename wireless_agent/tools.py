"""Network tools the nodes call for every number: observation, rates and bandwidth floors."""

from __future__ import annotations

from typing import Any

import numpy as np

from env.metrics import slice_used
from env.slices import SLICES, slice_by_name
from env.slicing_env import SlicingEnv
from wireless_agent.planner import min_bandwidth


def observe_network(env: SlicingEnv) -> dict[str, Any]:
    """Per-slice MHz used and free, users served, and arrivals still to come."""
    used = slice_used(env.slice_of, env.bandwidth)
    users = np.bincount(env.slice_of, minlength=3)
    out: dict[str, Any] = {"remaining": max(env.length - env.t - 1, 0)}
    for s in SLICES:
        out[s.name] = {"used_mhz": round(float(used[s.index]), 3),
                       "free_mhz": round(s.capacity_mhz - float(used[s.index]), 3),
                       "users": int(users[s.index]), "capacity_mhz": s.capacity_mhz}
    return out


def rate_mbps(env: SlicingEnv, bandwidth_mhz: float, cqi: int) -> float:
    """Rate of `bandwidth_mhz` at `cqi` under the environment's rate model."""
    return env.rate_model.rate(bandwidth_mhz, cqi)


def floor_mhz(env: SlicingEnv, slice_name: str, cqi: int) -> float:
    """Smallest bandwidth that meets the slice's minimum rate at `cqi`."""
    return float(min_bandwidth(slice_by_name(slice_name), env.rate_model.per_mhz(cqi)))
