"""Campus geometry: box-shaped buildings, random layouts and a 3-D line-of-sight test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Point = tuple[float, float, float]

# Overlap of a segment with a box shorter than this (in segment parameter units) is a graze at
# an edge or corner, not an obstruction.
_GRAZE = 1e-9


@dataclass(frozen=True)
class Building:
    """An axis-aligned box: footprint [x0, x1] x [y0, y1] standing on the ground up to `height`."""

    x0: float
    y0: float
    x1: float
    y1: float
    height: float

    def contains_xy(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Whether (x, y) lies on the footprint grown by `margin` metres on every side."""
        return (self.x0 - margin <= x <= self.x1 + margin
                and self.y0 - margin <= y <= self.y1 + margin)

    def overlaps(self, other: Building, gap: float = 0.0) -> bool:
        """Whether the two footprints come closer than `gap` metres (touching counts)."""
        return not (self.x1 + gap <= other.x0 or other.x1 + gap <= self.x0
                    or self.y1 + gap <= other.y0 or other.y1 + gap <= self.y0)


def segment_blocked(p: Point, q: Point, building: Building) -> bool:
    """Whether the segment p-q runs through `building` (slab method; grazing does not count)."""
    t_in, t_out = 0.0, 1.0
    bounds = ((building.x0, building.x1), (building.y0, building.y1), (0.0, building.height))
    for axis, (lo, hi) in enumerate(bounds):
        start, delta = p[axis], q[axis] - p[axis]
        if delta == 0.0:
            if start < lo or start > hi:
                return False
            continue
        t_a, t_b = (lo - start) / delta, (hi - start) / delta
        if t_a > t_b:
            t_a, t_b = t_b, t_a
        t_in, t_out = max(t_in, t_a), min(t_out, t_b)
        if t_out - t_in <= _GRAZE:
            return False
    return True


def line_of_sight(p: Point, q: Point, buildings: Sequence[Building]) -> bool:
    """Whether no building blocks the straight segment from p to q."""
    return not any(segment_blocked(p, q, b) for b in buildings)


def is_outdoors(x: float, y: float, buildings: Sequence[Building], margin: float = 0.0) -> bool:
    """Whether (x, y) is off every footprint by more than `margin` metres."""
    return not any(b.contains_xy(x, y, margin) for b in buildings)


def random_buildings(
    rng: np.random.Generator,
    n: int,
    size_m: float,
    *,
    side_m: tuple[float, float] | None = None,
    height_m: tuple[float, float] = (8.0, 40.0),
    gap_m: float | None = None,
    max_tries: int = 10_000,
) -> list[Building]:
    """`n` non-overlapping random buildings inside the square [-size_m/2, size_m/2]^2.

    Footprint sides default to 6-20 % of `size_m` and the street gap between footprints to 3 %,
    so a layout scales with the campus; heights are 8-40 m (about 2 to 12 storeys).
    """
    side_lo, side_hi = side_m if side_m is not None else (0.06 * size_m, 0.20 * size_m)
    gap = gap_m if gap_m is not None else 0.03 * size_m
    half = size_m / 2.0
    placed: list[Building] = []
    for _ in range(max_tries):
        if len(placed) == n:
            break
        w, d = (float(v) for v in rng.uniform(side_lo, side_hi, size=2))
        # Keep a street's width between the outermost buildings and the campus edge so users
        # can stand all around them.
        x0 = float(rng.uniform(-half + gap, half - gap - w))
        y0 = float(rng.uniform(-half + gap, half - gap - d))
        h = float(rng.uniform(*height_m))
        candidate = Building(round(x0, 2), round(y0, 2), round(x0 + w, 2), round(y0 + d, 2),
                             round(h, 1))
        if not any(candidate.overlaps(b, gap) for b in placed):
            placed.append(candidate)
    if len(placed) < n:
        raise ValueError(f"could not place {n} buildings on a {size_m:g} m campus (placed "
                         f"{len(placed)}); use fewer buildings or a larger size_m")
    return placed
