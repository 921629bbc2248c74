"""The traffic profile the planner anticipates from, and the warm-up that computes it directly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SLICE_INDICES = (1, 2)


@dataclass
class TrafficProfile:
    """What past episodes say about a scenario's arrivals: slice mix, per-MHz rates, stays.

    `survival` is the chance that a user present at one arrival is still there at the next
    (1.0: nobody leaves, the paper's episodes). Counts are kept so records can be added one
    at a time (`add`) without re-reading what came before.
    """

    episodes: int = 0
    slice_share: dict[int, float] = field(default_factory=dict)  # slice index -> share
    per_mhz: dict[int, np.ndarray] = field(default_factory=dict)  # slice index -> samples
    survival: float = 1.0
    records: int = 0
    _seen: set[str] = field(default_factory=set, repr=False)
    _counts: dict[int, int] = field(default_factory=dict, repr=False)
    _rates: dict[int, list[float]] = field(default_factory=dict, repr=False)
    # What planners derive from the profile (value tables); emptied when records are added.
    derived: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def known(self) -> bool:
        """Whether there is anything to anticipate from."""
        return self.episodes > 0 and bool(self.slice_share)

    def add(self, records: Iterable[tuple[str, int, float]]) -> None:
        """Count (episode id, slice index, Mbps per MHz) records; 0 = no slice (unclear)."""
        self.derived.clear()
        for episode, s, rate in records:
            self._seen.add(str(episode))
            self.records += 1
            self._counts[s] = self._counts.get(s, 0) + 1
            if s in SLICE_INDICES:
                self._rates.setdefault(s, []).append(float(rate))
        self.episodes = len(self._seen)
        if self.records:
            for s in SLICE_INDICES:
                self.slice_share[s] = self._counts.get(s, 0) / self.records
                self.per_mhz[s] = np.asarray(self._rates.get(s, []), dtype=np.float64)


def stay_survival(gaps: np.ndarray, holds: np.ndarray) -> float:
    """Chance a user outlasts one inter-arrival gap, from observed gaps and holding times.

    With exponential holding times of mean h and gaps of mean g, P(hold > gap) = h / (h + g)
    (memoryless), whatever the gap's law; the sample means estimate it.
    """
    if gaps.size == 0 or holds.size == 0:
        return 1.0
    h, g = float(np.mean(holds)), float(np.mean(gaps))
    return h / (h + g) if np.isfinite(h) else 1.0


def warmup_profile(
    population: Any,
    episodes: int,
    length: int,
    classify: Any,
    rate_model: str = "paper",
    first_seed: int = 0,
    departures: bool = False,
) -> TrafficProfile:
    """The profile `episodes` warm-up episodes would leave in memory, without running the agent.

    Each warm-up episode is the dynamic mode's seeded draw of `length` users from `population`
    (seed `first_seed + k`), exactly as `SlicingEnv(population, mode="dynamic").reset(seed)`
    draws it; every arrival is recorded with the slice `classify(request)` names (0 when
    unclear) and its Mbps per MHz, which is what the agent's action node stores. With
    `departures` (scored episodes in which users leave) the survival per arrival is estimated
    from the same draws' gaps and holding times.
    """
    from env.arrivals import PoissonArrivals
    from env.rates import get_rate_model

    table = get_rate_model(rate_model).per_mhz_table
    process = PoissonArrivals()
    profile = TrafficProfile()
    cache: dict[str, int] = {}
    gaps: list[np.ndarray] = []
    holds: list[np.ndarray] = []
    for k in range(episodes):
        # The env seeds gymnasium's generator this way at reset(seed=...).
        rng, _ = _np_random(first_seed + k)
        schedule = process.schedule(population, length, rng)
        recs = []
        for a in schedule:
            text = a.user.request
            if text not in cache:
                cache[text] = int(classify(text))
            recs.append((f"warmup-{k}", cache[text], float(table[a.user.cqi])))
        profile.add(recs)
        if departures and schedule:
            times = np.array([a.time for a in schedule])
            gaps.append(np.diff(np.concatenate([[0.0], times])))
            holds.append(np.array([a.departure - a.time for a in schedule]))
    if departures and gaps:
        profile.survival = stay_survival(np.concatenate(gaps), np.concatenate(holds))
    return profile


def _np_random(seed: int) -> tuple[np.random.Generator, int]:
    from gymnasium.utils import seeding

    return seeding.np_random(seed)


def classifier_slice(classifier: Any) -> Any:
    """A `classify(text) -> slice index` from an `IntentClassifier` (0 when unclear)."""
    from env.slices import slice_by_name

    def classify(text: str) -> int:
        p = classifier.predict(text)
        return 0 if p.unclear else slice_by_name(p.slice).index

    return classify
