"""The typed state that flows through the agent graph for one arriving user."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, Any, NotRequired, TypedDict

import numpy as np


class AgentInput(TypedDict):
    """What a caller hands the graph: an optional request text and subscriber."""

    request: NotRequired[str]  # default: the arriving user's own request
    subscriber_id: NotRequired[str | None]


class UserView(TypedDict):
    """The arriving user as observed: slot, id, channel and position."""

    slot: int
    uid: int
    cqi: int
    per_mhz: float
    position: list[float]


class SliceLoad(TypedDict):
    """One slice's load as the network tool reports it."""

    used_mhz: float
    free_mhz: float
    users: int
    capacity_mhz: float


# Keys: "remaining" (arrivals still to come) and one SliceLoad per slice name (tools.py).
NetworkView = dict[str, Any]


@dataclass(frozen=True)
class Members:
    """The users already in the cell, copied at observation: slice, MHz and rate per MHz."""

    slice_of: np.ndarray
    bandwidth: np.ndarray
    per_mhz: np.ndarray


class Intent(TypedDict):
    """What perception understood: slice, application, QoS and where the answer came from."""

    slice: str
    application: str
    confidence: float
    latency_ms: float
    min_rate_mbps: float
    source: str  # offline, model or fallback
    unclear: NotRequired[bool]
    requirements: NotRequired[dict[str, Any] | None]
    reason: NotRequired[str]
    question: NotRequired[str]
    tier: NotRequired[str]
    fallback: NotRequired[bool]


class RetrievedItem(TypedDict):
    """One memory item before the privacy filter."""

    kind: str  # example, knowledge or episode
    id: str
    text: str
    metadata: dict[str, Any]
    distance: float


class RoleContext(TypedDict):
    """What passed the privacy filter for one role: items, profile fields, request, audit."""

    items: list[RetrievedItem]  # texts as the filter left them, metadata as retrieved
    documents: list[str]
    fields: dict[str, str]  # allowed profile field -> value (coarsened where the policy says)
    descriptions: dict[str, str]
    request: str
    audit: dict[str, Any]


class PlannerLog(TypedDict):
    """Who planned a decision: the tools, or the model (`--planner model`) and its counts."""

    mode: str  # tools or model
    source: str  # tools, model (a checked model plan) or fallback (the tools decided)
    route: NotRequired[str]  # structured or tools (the model read the network by tool calls)
    calls: NotRequired[int]
    replies: NotRequired[int]
    proposals: NotRequired[int]
    rejected: NotRequired[int]
    tool_calls: NotRequired[list[str]]
    error: NotRequired[str | None]


class PlanRecord(TypedDict):
    """A checked plan (planner.Plan as a dict) with how often it was re-planned."""

    slice_index: int
    admit: bool
    bandwidth: float
    reallocate: dict[int, float]
    reason: str
    expected_rate_mbps: float
    min_bandwidth: float
    replans: int
    problems: list[str]
    planner: NotRequired[PlannerLog]  # set by --planner model


class StepResult(TypedDict):
    """What the environment returned for the action."""

    obs: dict[str, Any]
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    action: dict[str, Any]


class TraceEntry(TypedDict, total=False):
    """One node's entry: its name and time, model calls and tokens where it spent any."""

    node: str
    ms: float
    calls: int
    prompt_tokens: int
    completion_tokens: int
    error: str | None
    items: int
    replans: int


class AgentState(TypedDict):
    """One decision: observed, recalled, let through, perceived, planned and done.

    Keys are written in graph order; each is required once its node has run, so a node only
    reads keys of the nodes before it.
    """

    request: str
    subscriber_id: NotRequired[str | None]
    user: UserView
    network: NetworkView
    members: Members
    retrieved: list[RetrievedItem]  # memory items before the privacy filter
    context: dict[str, RoleContext]  # what passed the privacy filter, per role
    prompt: NotRequired[list[tuple[str, str]]]  # the assembled perception prompt (model only)
    intent: Intent
    plan: PlanRecord
    result: StepResult
    explanation: str
    # Each node appends one entry: name, ms, model calls and tokens.
    trace: Annotated[list[TraceEntry], operator.add]
