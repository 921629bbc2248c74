"""Slice constants of the case study: capacities, per-user bandwidth and rate limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SliceSpec:
    """One hard slice: its pool and the limits every admitted user must respect."""

    name: str
    index: int  # 1-based, 0 means "no slice" / rejected in actions and observations
    capacity_mhz: float
    bw_min_mhz: float
    bw_max_mhz: float
    rate_min_mbps: float
    rate_max_mbps: float
    latency_ms: tuple[float, float]


EMBB = SliceSpec("eMBB", 1, 90.0, 6.0, 20.0, 100.0, 400.0, (10.0, 100.0))
URLLC = SliceSpec("URLLC", 2, 30.0, 1.0, 5.0, 1.0, 100.0, (1.0, 10.0))
SLICES: tuple[SliceSpec, SliceSpec] = (EMBB, URLLC)
TOTAL_MHZ = EMBB.capacity_mhz + URLLC.capacity_mhz
BY_NAME = {s.name: s for s in SLICES}
BY_INDEX = {s.index: s for s in SLICES}


def slice_by_name(name: str) -> SliceSpec:
    """The slice called `name` (case-insensitive: embb, urllc)."""
    for s in SLICES:
        if s.name.lower() == name.strip().lower():
            return s
    raise KeyError(f"unknown slice {name!r}; expected eMBB or URLLC")


def prompt_values() -> dict[str, str]:
    """Every slice's limits as prompt text, e.g. embb_bw '6-20', urllc_rate_min '1' (MHz, Mbps).

    Prompts fill their $-placeholders from this, so a changed constant changes every prompt.
    """
    out: dict[str, str] = {}
    for s in SLICES:
        k = s.name.lower()
        out |= {
            f"{k}_capacity": f"{s.capacity_mhz:g}",
            f"{k}_bw": f"{s.bw_min_mhz:g}-{s.bw_max_mhz:g}",
            f"{k}_rate": f"{s.rate_min_mbps:g}-{s.rate_max_mbps:g}",
            f"{k}_rate_min": f"{s.rate_min_mbps:g}",
            f"{k}_latency": f"{s.latency_ms[0]:g}-{s.latency_ms[1]:g}",
        }
    return out
