"""Arrival processes: who arrives at each step, when, and when they leave."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from env.population import Scenario, User

# paper: file order, nobody leaves; dynamic: Poisson arrivals with exponential holding times.
ArrivalMode = Literal["paper", "dynamic"]


class Arrival(NamedTuple):
    """One arrival of an episode (a tuple: an episode builds one per user at every reset)."""

    user: User
    time: float
    departure: float  # math.inf: never leaves


@dataclass
class PaperArrivals:
    """The paper's episode: users in file order, one per step, nobody leaves."""

    name: str = "paper"
    _last: tuple[tuple[int, ...], tuple[Arrival, ...]] = field(default=((), ()), repr=False)

    def schedule(self, scenario: Scenario, length: int, rng: np.random.Generator) -> list[Arrival]:
        """Arrivals of one episode of `length` steps (the same every episode, so built once)."""
        users = scenario.users[:length]
        key = tuple(map(id, users))
        if key != self._last[0]:
            self._last = (key, tuple(Arrival(u, float(i), math.inf) for i, u in enumerate(users)))
        return list(self._last[1])


@dataclass
class PoissonArrivals:
    """Dynamic episode: Poisson arrivals, exponential holding times, users drawn from the file."""

    rate_per_s: float = 1.0
    mean_holding_s: float = 20.0
    name: str = "dynamic"

    def schedule(self, scenario: Scenario, length: int, rng: np.random.Generator) -> list[Arrival]:
        """Arrivals of one episode of `length` steps, drawn with the episode's generator."""
        picks = rng.integers(0, len(scenario.users), size=length)
        gaps = rng.exponential(1.0 / self.rate_per_s, size=length)
        holds = rng.exponential(self.mean_holding_s, size=length)
        times = np.cumsum(gaps)
        users = scenario.users
        return [Arrival(users[p], t, t + h)
                for p, t, h in zip(picks.tolist(), times.tolist(), holds.tolist(), strict=True)]


def get_arrivals(mode: str) -> PaperArrivals | PoissonArrivals:
    """The arrival process for an episode mode ('paper' or 'dynamic')."""
    if mode == "paper":
        return PaperArrivals()
    if mode == "dynamic":
        return PoissonArrivals()
    raise ValueError(f"unknown episode mode {mode!r}; choose paper or dynamic")
