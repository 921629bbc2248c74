"""Who is in a scenario: the User and Scenario types, the scenario error, the data folder."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming file, row and problem."""


@dataclass(frozen=True)
class User:
    """One user of a scenario: where it is, its channel quality and what it asks for."""

    uid: int
    x: float
    y: float
    z: float
    cqi: int
    request: str
    label: str  # ground truth slice: "eMBB" or "URLLC"
    snr_db: float | None = None
    los: bool = False


@dataclass
class Scenario:
    """A named, ordered list of users."""

    name: str
    users: list[User]
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.users)

    def head(self, n: int) -> Scenario:
        """The scenario cut to its first `n` users."""
        return Scenario(self.name, self.users[:n], self.source, dict(self.meta))

    def describe(self) -> dict[str, Any]:
        """Users, label mix, mean CQI and CQI histogram."""
        labels = Counter(u.label for u in self.users)
        cqis = Counter(u.cqi for u in self.users)
        n = len(self.users)
        return {
            "name": self.name,
            "users": n,
            "embb": labels.get("eMBB", 0),
            "urllc": labels.get("URLLC", 0),
            "mean_cqi": round(sum(u.cqi for u in self.users) / n, 2) if n else 0.0,
            "cqi_histogram": {c: cqis[c] for c in sorted(cqis)},
            "source": self.source,
        }
