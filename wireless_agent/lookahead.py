"""Admission by dynamic programming: the value of a slice's free MHz with n arrivals to go.

When nobody leaves, one slice's admission is a stochastic knapsack: each arrival is, with
the profile's chances, a user of some per-MHz rate; admitting takes its floor (the MHz that
meet the minimum rate) out of the slice's free room for good. `value_table` solves the
Bellman recursion over (arrivals left, free MHz on a grid) once per profile, so a decision
is two table look-ups: admit when the user's worth plus the value of the room it leaves is
no lower than the value of the room kept.

A user's worth is `user_value_mbps` plus what it carries at its floor minus what that floor
would have carried as spare MHz on the slice's best channel (`leftover_mbps_per_mhz`): under
the paper's limits every admitted user sits at its floor and the spare MHz go to the best
channels, so this is the slice's throughput, one user valued at `user_value_mbps`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from env.slices import SliceSpec

GRID_MHZ = 0.05  # free-room resolution: floors are rounded up to it, so a plan always fits


@dataclass(frozen=True)
class ArrivalLaw:
    """What one arrival is, for one slice: a user of rate `per_mhz[j]` with chance `p[j]`."""

    per_mhz: np.ndarray  # distinct servable Mbps per MHz
    floors: np.ndarray  # the MHz each needs for the slice's minimum rate
    p: np.ndarray  # chance per arrival (the rest: another slice, unclear, or unservable)


def grid_steps(mhz: np.ndarray | float, up: bool) -> np.ndarray:
    """MHz as whole grid steps: floors round up (so a plan always fits), free room down."""
    steps = np.asarray(mhz) / GRID_MHZ
    return (np.ceil(steps - 1e-9) if up else np.floor(steps + 1e-9)).astype(int)


def arrival_law(spec: SliceSpec, samples: np.ndarray, share: float, floors: np.ndarray
                ) -> ArrivalLaw:
    """The law of one arrival from past samples of the slice's rates and its share of arrivals.

    `floors` are the samples' minimum bandwidths; users no bandwidth can serve count as
    arrivals of nobody, since they can never be admitted.
    """
    if samples.size == 0 or share <= 0.0:
        return ArrivalLaw(np.zeros(0), np.zeros(0), np.zeros(0))
    servable = floors <= spec.bw_max_mhz + 1e-9
    rates, first, counts = np.unique(samples[servable], return_index=True, return_counts=True)
    return ArrivalLaw(rates, floors[servable][first], share * counts / samples.size)


def user_worth(user_value_mbps: float, floor_mhz: np.ndarray | float,
               per_mhz: np.ndarray | float, leftover_mbps_per_mhz: float) -> np.ndarray:
    """Mbps a user adds at its floor, beyond what the floor would carry as spare MHz, + worth."""
    return np.asarray(user_value_mbps + np.multiply(floor_mhz,
                                                    np.subtract(per_mhz, leftover_mbps_per_mhz)))


def value_table(spec: SliceSpec, law: ArrivalLaw, horizon: int, user_value_mbps: float,
                leftover_mbps_per_mhz: float) -> np.ndarray:
    """V[n, m]: expected worth of the admissions still to come, n arrivals left, m grid steps free.

    Built in O(horizon x rates x grid) once, as a (horizon + 1) x (grid + 1) table; every
    decision after that is two look-ups.
    """
    floors = law.floors
    size = int(grid_steps(spec.capacity_mhz, up=False)) + 1
    steps = grid_steps(floors, up=True)
    worth = user_worth(user_value_mbps, floors, law.per_mhz, leftover_mbps_per_mhz)
    stay = 1.0 - float(law.p.sum())
    table = np.zeros((horizon + 1, size))
    for n in range(1, horizon + 1):
        prev = table[n - 1]
        row = table[n]
        row += stay * prev
        for pj, sj, wj in zip(law.p.tolist(), steps.tolist(), worth.tolist(), strict=True):
            # Room below the floor cannot take the user: it keeps the room.
            row[:sj] += pj * prev[:sj]
            row[sj:] += pj * np.maximum(prev[sj:], wj + prev[:size - sj])
    return table


@dataclass(frozen=True)
class SliceLookahead:
    """One slice's value table and the terms of a user's worth, built once per profile."""

    table: np.ndarray
    user_value_mbps: float
    leftover_mbps_per_mhz: float

    @classmethod
    def build(cls, spec: SliceSpec, samples: np.ndarray, sample_floors: np.ndarray,
              share: float, horizon: int, user_value_mbps: float) -> SliceLookahead:
        """The lookahead for `horizon` arrivals of a slice with these past rates and share.

        Spare MHz are valued at the best servable rate seen: that is where `fill` puts them.
        """
        law = arrival_law(spec, samples, share, sample_floors)
        best = float(law.per_mhz.max()) if law.per_mhz.size else 0.0
        return cls(value_table(spec, law, horizon, user_value_mbps, best),
                   user_value_mbps, best)

    def covers(self, remaining: int) -> bool:
        """Whether the table reaches `remaining` arrivals ahead."""
        return remaining < self.table.shape[0]

    def admit(self, room_mhz: float, floor_mhz: float, per_mhz: float, remaining: int
              ) -> tuple[bool, float]:
        """Admit or not, and the margin in Mbps (worth + value of room left - value kept).

        `room_mhz` is the slice's MHz above its members' floors; `remaining` the arrivals after
        this one.
        """
        if floor_mhz > room_mhz + 1e-9:
            return False, -np.inf
        worth = float(user_worth(self.user_value_mbps, floor_mhz, per_mhz,
                                 self.leftover_mbps_per_mhz))
        n = min(max(remaining, 0), self.table.shape[0] - 1)
        m = int(grid_steps(room_mhz, up=False))
        # A floor that fits but rounds up past the room leaves no grid step free, not fewer.
        left = max(m - int(grid_steps(floor_mhz, up=True)), 0)
        margin = worth + float(self.table[n, left]) - float(self.table[n, m])
        return margin >= -1e-9, margin
