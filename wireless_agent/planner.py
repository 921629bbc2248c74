"""The deterministic planner: admission that anticipates, and max-throughput re-allocation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from env.slices import BY_INDEX, SliceSpec

_EPS = 1e-9


@dataclass
class TrafficProfile:
    """What past episodes say about a scenario's arrivals: slice mix and per-MHz rates."""

    episodes: int = 0
    slice_share: dict[int, float] = field(default_factory=dict)  # slice index -> share
    per_mhz: dict[int, np.ndarray] = field(default_factory=dict)  # slice index -> samples

    @property
    def known(self) -> bool:
        """Whether there is anything to anticipate from."""
        return self.episodes > 0 and bool(self.slice_share)


@dataclass
class Plan:
    """A decision in numbers: admit or not, the newcomer's MHz, and new MHz for members."""

    slice_index: int
    admit: bool
    bandwidth: float = 0.0
    reallocate: dict[int, float] = field(default_factory=dict)  # slot -> MHz
    reason: str = ""
    expected_rate_mbps: float = 0.0
    min_bandwidth: float = 0.0


def min_bandwidth(spec: SliceSpec, per_mhz: float | np.ndarray) -> float | np.ndarray:
    """Smallest bandwidth that meets the slice's minimum rate (and its per-user floor)."""
    return np.maximum(spec.bw_min_mhz, spec.rate_min_mbps / np.maximum(per_mhz, _EPS))


def fill(per_mhz: np.ndarray, floors: np.ndarray, spec: SliceSpec) -> np.ndarray:
    """Max-throughput split of the slice: everyone at its floor, the rest to the best channels."""
    bw = floors.astype(np.float64).copy()
    left = spec.capacity_mhz - float(bw.sum())
    for i in np.argsort(-per_mhz, kind="stable"):
        if left <= _EPS:
            break
        extra = min(spec.bw_max_mhz - bw[i], left)
        if extra > 0:
            bw[i] += extra
            left -= extra
    return bw


def _fits(capacity: float, costs: np.ndarray) -> int:
    """How many of `costs` fit in `capacity`, cheapest first (optimal for counting)."""
    if capacity < -_EPS or costs.size == 0:
        return 0
    return int(np.searchsorted(np.cumsum(np.sort(costs)), capacity + _EPS, side="right"))


def expected_costs(profile: TrafficProfile, slice_index: int, remaining: int) -> np.ndarray:
    """Floors of the users this slice should still expect, at evenly spaced quantiles."""
    samples = profile.per_mhz.get(slice_index)
    n = int(round(remaining * profile.slice_share.get(slice_index, 0.0)))
    if samples is None or samples.size == 0 or n <= 0:
        return np.zeros(0)
    spec = BY_INDEX[slice_index]
    floors = np.asarray(min_bandwidth(spec, samples))
    floors = floors[floors <= spec.bw_max_mhz + _EPS]  # users nobody can serve never compete
    if floors.size == 0:
        return np.zeros(0)
    return np.quantile(floors, (np.arange(n) + 0.5) / n)


def plan_admission(
    slice_index: int,
    new_per_mhz: float,
    slot: int,
    slice_of: np.ndarray,
    per_mhz: np.ndarray,
    profile: TrafficProfile | None = None,
    remaining: int = 0,
) -> Plan:
    """Admit the newcomer into its slice if it fits and does not crowd out expected users."""
    spec = BY_INDEX[slice_index]
    floor = float(min_bandwidth(spec, new_per_mhz))
    if floor > spec.bw_max_mhz + _EPS:
        return Plan(slice_index, False, reason=(
            f"{spec.name} needs {spec.rate_min_mbps:g} Mbps, which this channel cannot reach "
            f"even at {spec.bw_max_mhz:g} MHz"), min_bandwidth=floor)
    members = np.flatnonzero(slice_of == slice_index)
    member_floors = np.asarray(min_bandwidth(spec, per_mhz[members]), dtype=np.float64)
    room = spec.capacity_mhz - float(member_floors.sum())
    if floor > room + _EPS:
        return Plan(slice_index, False, reason=(
            f"{spec.name} has {room:.1f} MHz left above its users' minimums; "
            f"this user needs {floor:.1f} MHz"), min_bandwidth=floor)
    if profile is not None and profile.known and remaining > 0:
        future = expected_costs(profile, slice_index, remaining)
        without = _fits(room, future)
        with_new = 1 + _fits(room - floor, future)
        if with_new < without:
            return Plan(slice_index, False, reason=(
                f"admitting at {floor:.1f} MHz would crowd out {without - with_new + 1} "
                f"cheaper users expected among the next {remaining}"), min_bandwidth=floor)
    slots = np.append(members, slot)
    rates = np.append(per_mhz[members], new_per_mhz)
    bw = fill(rates, np.append(member_floors, floor), spec)
    realloc = {int(s): float(b) for s, b in zip(slots[:-1], bw[:-1], strict=True)}
    return Plan(slice_index, True, float(bw[-1]), realloc, reason="fits",
                expected_rate_mbps=float(bw[-1] * new_per_mhz), min_bandwidth=floor)


def check_plan(plan: Plan, slice_of: np.ndarray, bandwidth: np.ndarray,
               per_mhz: np.ndarray, new_per_mhz: float) -> str | None:
    """Why a plan would break capacity, per-user limits or minimum rates (None if it holds)."""
    if not plan.admit:
        return None
    spec = BY_INDEX[plan.slice_index]
    bw = bandwidth.copy()
    for s, b in plan.reallocate.items():
        if slice_of[s] != plan.slice_index:
            return f"slot {s} is not in {spec.name}"
        bw[s] = b
    members = slice_of == plan.slice_index
    values = np.append(bw[members], plan.bandwidth)
    rates = np.append(bw[members] * per_mhz[members], plan.bandwidth * new_per_mhz)
    if values.sum() > spec.capacity_mhz + 1e-6:
        return f"{spec.name} would use {values.sum():.2f} of {spec.capacity_mhz:g} MHz"
    if (values < spec.bw_min_mhz - 1e-6).any() or (values > spec.bw_max_mhz + 1e-6).any():
        return f"a bandwidth is outside {spec.bw_min_mhz:g}-{spec.bw_max_mhz:g} MHz"
    if (rates < spec.rate_min_mbps - 1e-6).any():
        return f"a user would fall below {spec.rate_min_mbps:g} Mbps"
    return None
