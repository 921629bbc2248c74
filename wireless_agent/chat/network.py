"""The chat's live network: a SlicingEnv whose next arriving user is whoever the operator types."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from env.scenarios import Scenario, ScenarioError, User, load_scenario
from env.slicing_env import SlicingEnv

DEFAULT_SLOTS = 100
_CQI = re.compile(r"[,;]?\s*\b(?:at|with|on)?\s*cqi\s*(?:=|:|of|is)?\s*(\d{1,3})\b", re.I)
_NUM = r"(-?\d+(?:\.\d+)?)"
_POSITION = re.compile(
    rf"[,;]?\s*\b(?:at|from)?\s*(?:position|pos|xyz|\()\s*\(?\s*{_NUM}\s*,\s*{_NUM}"
    rf"(?:\s*,\s*{_NUM})?\s*\)?", re.I)


class NetworkFull(RuntimeError):
    """Every slot of the chat's network has been used; /reset starts a new one."""


@dataclass(frozen=True)
class Arriving:
    """A typed request taken apart: the request text, and CQI and position if the text gave them."""

    request: str
    cqi: int | None = None
    position: tuple[float, float, float] | None = None


def parse_arrival(text: str) -> Arriving:
    """Pull an optional `cqi N` and `position (x, y[, z])` out of a typed request."""
    cqi = position = None
    m = _CQI.search(text)
    if m:
        cqi = int(m.group(1))
        if not 1 <= cqi <= 15:
            raise ValueError(f"CQI {cqi} is out of 1-15; write e.g. 'at cqi 7'")
        text = text[: m.start()] + text[m.end():]
    m = _POSITION.search(text)
    if m:
        x, y, z = m.group(1), m.group(2), m.group(3)
        position = (float(x), float(y), float(z) if z is not None else 1.5)
        text = text[: m.start()] + text[m.end():]
    request = " ".join(text.split()).strip(" ,;")
    return Arriving(request, cqi, position)


class ChatNetwork:
    """A paper-mode SlicingEnv of `slots` arrivals; the scenario's users lend CQI and position."""

    def __init__(self, scenario: str = "center", slots: int = DEFAULT_SLOTS,
                 rate_model: str = "paper") -> None:
        if slots < 1:
            raise ScenarioError(f"a chat network needs room for at least 1 arrival, not {slots}")
        base = load_scenario(scenario)
        self.scenario = base.name
        self.slots = slots
        # Cycling the scenario's users lets a chat run longer than its file; the name keeps
        # chat decisions apart from the scenario's batch episodes in the shared memory.
        users = [base.users[i % len(base.users)] for i in range(slots)]
        self.env = SlicingEnv(Scenario(f"chat-{base.name}", users, base.source),
                              rate_model=rate_model)
        self.env.reset(seed=0)

    @property
    def arrived(self) -> int:
        """How many users have arrived (and been decided) so far."""
        return self.env.t

    @property
    def full(self) -> bool:
        """Whether no slot is left for another arrival."""
        return self.env.current is None

    def next_template(self) -> User:
        """The scenario user whose channel the next typed request will get."""
        arrival = self.env.current
        if arrival is None:
            raise NetworkFull(f"the network has taken all its {self.slots} arrivals; "
                              "/reset starts a new one")
        return arrival.user

    def arrive(self, request: str, cqi: int | None, position: Any,
               label: Callable[[str], str]) -> User:
        """Make the typed request the arriving user; `label` names its slice for env accounting."""
        template = self.next_template()
        t = self.env.t
        x, y, z = position if position is not None else (template.x, template.y, template.z)
        # The env scores intent accuracy against a label; a typed request has none, so the
        # offline classifier's reading stands in for it.
        user = User(uid=t + 1, x=float(x), y=float(y), z=float(z),
                    cqi=int(cqi if cqi is not None else template.cqi), request=request,
                    label=label(request))
        self.env.replace_arrival(user)
        return user

    def step(self, action: dict[str, Any]) -> dict[str, Any]:
        """Apply a stored action (intent, admit, bandwidth, reallocate {slot: MHz}); its info."""
        realloc = np.full(self.env.length, -1.0)
        for slot, mhz in action.get("reallocate", {}).items():
            realloc[int(slot)] = float(mhz)
        _, _, _, _, info = self.env.step({
            "intent": int(action["intent"]), "admit": int(action["admit"]),
            "bandwidth": np.array([float(action["bandwidth"])]), "reallocate": realloc})
        return info

    def user_counts(self) -> dict[str, int]:
        """Users served per slice now."""
        counts = np.bincount(self.env.slice_of, minlength=3)
        return {"eMBB": int(counts[1]), "URLLC": int(counts[2])}
