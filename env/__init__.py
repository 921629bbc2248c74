"""The network-slicing world: a gymnasium environment, scenarios, rate and arrival models."""

from __future__ import annotations

import gymnasium

from env.scenarios import PAPER_SCENARIOS, Scenario, ScenarioError, User, load_scenario
from env.slicing_env import SlicingEnv

ENTRY_POINT = "env.slicing_env:SlicingEnv"
ENV_IDS: dict[str, dict] = {
    "WirelessSlicing-v0": {"scenario": "center"},
    "WirelessSlicingCenter-v0": {"scenario": "center"},
    "WirelessSlicingNorth-v0": {"scenario": "north"},
    "WirelessSlicingSouth-v0": {"scenario": "south"},
    "WirelessSlicingDynamic-v0": {"scenario": "center", "users": 200, "mode": "dynamic"},
    "WirelessSlicingCampus-v0": {"scenario": "campus"},
    "WirelessSlicing3GPP-v0": {"scenario": "center", "rate_model": "3gpp"},
}

for _env_id, _kwargs in ENV_IDS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(id=_env_id, entry_point=ENTRY_POINT, kwargs=_kwargs)

__all__ = ["ENV_IDS", "PAPER_SCENARIOS", "Scenario", "ScenarioError", "SlicingEnv", "User",
           "load_scenario"]
