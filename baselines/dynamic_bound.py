"""Upper bound on time-averaged throughput in dynamic mode: the best allocation per interval.

Between two consecutive events (arrivals and departures) the users present are fixed; the
most throughput any method can carry then is that of the best allocation of everyone present
(admitted or not), with re-allocation free at every event, averaged over the episode's time
window. With `labels="true"` each user may only be in its true slice: that bounds every method
that puts users where they belong. A method that puts a user in the other slice can carry more
(a URLLC user given 20 MHz of eMBB), so `labels="any"` lets every slice take its best
allocation of everyone present (a user counted in both: a relaxation), which bounds every
method whatever it classifies.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from env.arrivals import Arrival
from env.slices import SLICES, SliceSpec

_EPS = 1e-9


def best_throughput(per_mhz: np.ndarray, spec: SliceSpec) -> float:
    """Most Mbps one slice can carry for these users (min rates kept, any subset admitted).

    For a fixed number k of admitted users the k best channels are best (their floors are the
    smallest and the rates the highest), and with the set fixed the MHz above the floors go to
    the best channels: so the maximum over k of that value is exact.
    """
    r = np.sort(np.asarray(per_mhz, dtype=np.float64))[::-1]
    if r.size == 0:
        return 0.0
    with np.errstate(divide="ignore"):
        floor = np.maximum(spec.bw_min_mhz, np.where(r > 0, spec.rate_min_mbps / r, np.inf))
    servable = floor <= spec.bw_max_mhz + _EPS
    r, floor = r[servable], floor[servable]
    feasible = np.cumsum(floor) <= spec.capacity_mhz + _EPS
    k_max = int(feasible.sum())
    if k_max == 0:
        return 0.0
    r, floor = r[:k_max], floor[:k_max]
    head = spec.bw_max_mhz - floor
    # Row k - 1: the first k users admitted; their MHz above the floors fill best-first.
    ks = np.arange(1, k_max + 1)
    inside = np.arange(k_max)[None, :] < ks[:, None]
    left = spec.capacity_mhz - np.cumsum(floor)
    before = np.cumsum(head) - head
    extra = np.clip(left[:, None] - before[None, :], 0.0, head[None, :]) * inside
    values = np.cumsum(floor * r) + extra @ r
    return float(max(values.max(), 0.0))


def interval_bound(schedule: Sequence[Arrival], table: np.ndarray,
                   end: float | None = None, labels: str = "true") -> float:
    """Time-averaged bound in Mbps over [first arrival, `end`] (default: the last arrival).

    `labels`: "true" (each user in its true slice) or "any" (every slice may take anyone).
    """
    if labels not in ("true", "any"):
        raise ValueError(f"labels {labels!r}: use true or any")
    if not schedule:
        return 0.0
    start = schedule[0].time
    stop = schedule[-1].time if end is None else end
    if stop <= start:
        return 0.0
    slice_of = {s.name: s for s in SLICES}
    events = sorted({a.time for a in schedule} | {a.departure for a in schedule
                                                 if a.departure < stop})
    events = [t for t in events if start <= t < stop] + [stop]
    arrive = np.array([a.time for a in schedule])
    leave = np.array([a.departure for a in schedule])
    rate = np.array([table[a.user.cqi] for a in schedule], dtype=np.float64)
    label = np.array([a.user.label for a in schedule])
    area = 0.0
    cache: dict[tuple[int, ...], float] = {}
    for t0, t1 in zip(events[:-1], events[1:], strict=True):
        present = np.flatnonzero((arrive <= t0) & (leave > t0))
        key = tuple(present.tolist())
        if key not in cache:
            cache[key] = sum(best_throughput(
                rate[present if labels == "any" else present[label[present] == name]], spec)
                for name, spec in slice_of.items())
        area += cache[key] * (t1 - t0)
    return area / (stop - start)
