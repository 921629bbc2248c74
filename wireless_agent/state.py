"""The typed state that flows through the agent graph for one arriving user."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict


class AgentState(TypedDict, total=False):
    """One decision: what was perceived, recalled, let through, planned and done."""

    request: str
    subscriber_id: str | None
    user: dict[str, Any]  # slot, uid, cqi, per_mhz, position
    network: dict[str, Any]  # per-slice used/free MHz and users, arrivals remaining
    intent: dict[str, Any]  # slice, application, confidence, latency_ms, source
    retrieved: list[dict[str, Any]]  # memory items before the privacy filter
    context: dict[str, Any]  # what passed the privacy filter, per role
    plan: dict[str, Any]
    result: dict[str, Any]
    explanation: str
    # Each node appends one entry: name, ms, model calls and tokens.
    trace: Annotated[list[dict[str, Any]], operator.add]
