"""Arrival processes: who arrives at each step, when, and when they leave."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from env.scenarios import Scenario, User


@dataclass(frozen=True)
class Arrival:
    """One arrival of an episode."""

    user: User
    time: float
    departure: float  # math.inf: never leaves


class PaperArrivals:
    """The paper's episode: users in file order, one per step, nobody leaves."""

    name = "paper"

    def schedule(self, scenario: Scenario, length: int, rng: np.random.Generator) -> list[Arrival]:
        """Arrivals of one episode of `length` steps."""
        return [Arrival(u, float(i), math.inf) for i, u in enumerate(scenario.users[:length])]


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
        return [
            Arrival(scenario.users[int(p)], float(t), float(t + h))
            for p, t, h in zip(picks, times, holds, strict=True)
        ]


def get_arrivals(mode: str) -> PaperArrivals | PoissonArrivals:
    """The arrival process for an episode mode ('paper' or 'dynamic')."""
    if mode == "paper":
        return PaperArrivals()
    if mode == "dynamic":
        return PoissonArrivals()
    raise ValueError(f"unknown episode mode {mode!r}; choose paper or dynamic")
