"""Observe: the arriving user and the network, read once from the environment into state."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent.context import AgentContext
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState, Members, UserView
from wireless_agent.tools import observe_network


def observe(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """The arriving user (slot, CQI, rate per MHz), the slice loads and the members' MHz."""
    t0 = time.perf_counter()
    env = runtime.context.env
    arrival = env.current
    if arrival is None:
        raise RuntimeError("observe needs an arriving user; the episode is over")
    user = arrival.user
    view: UserView = {"slot": env.t, "uid": user.uid, "cqi": user.cqi,
                      "per_mhz": env.rate_model.per_mhz(user.cqi),
                      "position": [user.x, user.y, user.z]}
    # Copies: the action node steps the env, and the plan must be checked against what it saw.
    members = Members(env.slice_of.copy(), env.bandwidth.copy(), env.per_mhz.copy())
    return {"request": state.get("request") or user.request, "user": view,
            "network": observe_network(env), "members": members,
            "trace": trace_entry("observe", t0)}
