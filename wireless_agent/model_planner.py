"""The model planner (`--planner model`): a model proposes the plan, tools check it.

The model proposes slice, admission, bandwidth and re-allocations. It reads the network
through tools (rate at a bandwidth and CQI, minimum bandwidth, slice loads, the allocation
optimiser, what-if) by tool calls where the server makes them, and from the same tools'
results in its prompt, answering in structured output, where it does not. Every proposal is
checked by `planner.check_plan` and the environment's limits; a failed one is re-planned with
the problem stated, a bounded number of times, then the deterministic planner decides. All of
it is counted per decision.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, create_model

from env.slices import SLICES, slice_by_name
from prompts import render
from wireless_agent.models.parsing import parse_reply
from wireless_agent.models.stats import CallStats
from wireless_agent.planner import Plan, check_plan, min_bandwidth, plan_admission
from wireless_agent.tools import observe_network

if TYPE_CHECKING:
    from env.slicing_env import SlicingEnv

PLANNERS = ("tools", "model")
MAX_TOOL_ROUNDS = 3
MAX_MEMBERS_SHOWN = 30  # a slice's users listed in the prompt (the largest scenario has 30)
SYSTEM = ("You plan 5G slice admissions. Call the tools for every number you need, then "
          "answer with only the JSON object asked for.")
REPLAN_NOTE = ("Your plan was rejected by the checks: {problem}. Propose a plan that fixes "
               "this, as one JSON object.")


class Reallocation(BaseModel):
    """A new bandwidth for a user already in the slice."""

    user: int = Field(ge=1, le=10_000)
    # The slice's limits are stated, not enforced here: a grammar cannot bound a float, and a
    # plan outside them is the checks' to reject (counted, re-planned), not a parse failure.
    mhz: float = Field(description="new MHz for this user, within the slice's per-user limits")


class PlanProposal(BaseModel):
    """The model's plan for the arriving user."""

    slice: Literal["eMBB", "URLLC"]
    admit: bool
    bandwidth_mhz: float = Field(description="MHz for the arriving user, within the slice's "
                                 "per-user limits")
    reallocate: list[Reallocation] = Field(max_length=MAX_MEMBERS_SHOWN)
    reason: str = Field(max_length=120)


@functools.cache
def proposal_schema(members: int) -> type[PlanProposal]:
    """PlanProposal with at most `members` re-allocations: a grammar-constrained server then
    ends the list where the slice's users end (an open list ran SmolLM2 to the token bound)."""
    n = max(0, min(members, MAX_MEMBERS_SHOWN))
    return create_model(f"PlanProposal{n}", __base__=PlanProposal,
                        reallocate=(list[Reallocation], Field(max_length=n)))


@dataclass
class PlannerOutcome:
    """What the model planner did for one decision."""

    plan: Plan
    source: str  # "model" (a checked model plan) or "fallback" (the deterministic planner)
    stats: CallStats = field(default_factory=CallStats)
    route: str = "structured"  # "tools" when the model read the network by tool calls
    tool_calls: list[str] = field(default_factory=list)
    replies: int = 0  # model replies meant as a plan (transport failures are not replies)
    proposals: int = 0  # of those, the ones that parsed into a plan
    rejected: list[str] = field(default_factory=list)  # why each rejected proposal failed

    def as_dict(self) -> dict[str, Any]:
        """The plan-state entry: the deterministic planner's keys plus the planner's counts."""
        out = asdict(self.plan)
        out.update(replans=len(self.rejected), problems=list(self.rejected),
                   planner={"mode": "model", "source": self.source, "route": self.route,
                            "calls": self.stats.calls, "replies": self.replies,
                            "proposals": self.proposals,
                            "rejected": len(self.rejected), "tool_calls": self.tool_calls,
                            "error": self.stats.error})
        return out


# Whether a backend's server made tool calls when offered tools (learnt on first use).
_TOOLS_WORK: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_TOOLS_LOCK = threading.Lock()


class PlanningTools:
    """The network tools the model may use, bound to one decision's environment and user."""

    def __init__(self, env: SlicingEnv, slice_index: int, per_mhz: float, cqi: int,
                 slot: int) -> None:
        self.env, self.slice_index = env, slice_index
        self.per_mhz, self.cqi, self.slot = per_mhz, cqi, slot

    def rate(self, bandwidth_mhz: float, cqi: int | None = None) -> dict[str, Any]:
        """Rate in Mbps of a bandwidth at a CQI (the arriving user's CQI if omitted)."""
        c = int(cqi if cqi is not None else self.cqi)
        if not 1 <= c <= 15:
            return {"error": f"CQI {c} is out of 1-15"}
        return {"bandwidth_mhz": bandwidth_mhz, "cqi": c,
                "rate_mbps": round(self.env.rate_model.rate(float(bandwidth_mhz), c), 3)}

    def min_bandwidth(self, slice: str) -> dict[str, Any]:
        """Smallest bandwidth that gives the arriving user its slice's minimum rate."""
        spec = slice_by_name(slice)
        floor = float(min_bandwidth(spec, self.per_mhz))
        return {"slice": spec.name, "min_bandwidth_mhz": round(floor, 3),
                "servable": floor <= spec.bw_max_mhz + 1e-9}

    def slice_loads(self) -> dict[str, Any]:
        """Per slice: MHz used and free, users; arrivals still to come."""
        return observe_network(self.env)

    def members(self, slice: str) -> list[dict[str, Any]]:
        """Users in a slice now: number, MHz, rate, and the MHz their minimum rate needs."""
        spec = slice_by_name(slice)
        env = self.env
        rows = []
        for s in np.flatnonzero(env.slice_of == spec.index)[:MAX_MEMBERS_SHOWN]:
            pm = float(env.per_mhz[s])
            rows.append({"user": int(s) + 1, "mhz": round(float(env.bandwidth[s]), 3),
                         "rate_mbps": round(float(env.bandwidth[s]) * pm, 3),
                         "min_mhz": round(float(min_bandwidth(spec, pm)), 3)})
        return rows

    def optimise(self, slice: str) -> dict[str, Any]:
        """The allocation optimiser's plan for the arriving user in a slice."""
        spec = slice_by_name(slice)
        env = self.env
        plan = plan_admission(spec.index, self.per_mhz, self.slot, env.slice_of, env.per_mhz)
        # Unrounded: a model copies these figures, and figures rounded to 3 decimals summed
        # past a full slice's capacity or under a floor (Gemma's copies were rejected at
        # "90.00 of 90 MHz"); no rounding is safe both ways when every user sits at its floor.
        return {"slice": spec.name, "admit": plan.admit,
                "bandwidth_mhz": float(plan.bandwidth),
                "reallocate": [{"user": s + 1, "mhz": float(b)}
                               for s, b in sorted(plan.reallocate.items())
                               if abs(b - float(env.bandwidth[s])) > 1e-6],
                "reason": plan.reason}

    def what_if(self, slice: str, bandwidth_mhz: float,
                reallocate: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Whether a plan passes the checks, and the new user's rate under it."""
        proposal = {"slice": slice, "admit": True, "bandwidth_mhz": bandwidth_mhz,
                    "reallocate": reallocate or [], "reason": "what-if"}
        try:
            plan = to_plan(PlanProposal.model_validate(proposal), self.env, self.per_mhz)
        except (ValueError, KeyError) as exc:
            return {"ok": False, "problem": str(exc).splitlines()[0]}
        problem = check_proposal(plan, self.env, self.per_mhz)
        return {"ok": problem is None, "problem": problem,
                "rate_mbps": round(plan.bandwidth * self.per_mhz, 3)}

    def table(self) -> dict[str, tuple[Callable[..., Any], str]]:
        """Tool name -> (function, description)."""
        return {"rate": (self.rate, "Rate in Mbps of bandwidth_mhz at a CQI."),
                "min_bandwidth": (self.min_bandwidth, "Smallest MHz meeting a slice's "
                                  "minimum rate for the arriving user."),
                "slice_loads": (self.slice_loads, "MHz used and free and users per slice."),
                "members": (self.members, "Users in a slice now, with MHz and minimum MHz."),
                "optimise": (self.optimise, "The allocation optimiser's plan in a slice."),
                "what_if": (self.what_if, "Check a plan: slice, bandwidth_mhz, reallocate "
                            "[{user, mhz}]; says whether it passes and the rate.")}

    def langchain(self) -> list[Any]:
        """The tools as LangChain tools."""
        from langchain_core.tools import StructuredTool

        return [StructuredTool.from_function(func=fn, name=name, description=doc)
                for name, (fn, doc) in self.table().items()]

    def facts(self, slice_name: str) -> str:
        """The tools' answers for the perceived slice, as the structured route's prompt."""
        lines = [f"arriving user: CQI {self.cqi}, {self.per_mhz:.3f} Mbps per MHz",
                 f"slice loads: {json.dumps(self.slice_loads())}"]
        lines += [f"min_bandwidth({s.name}): {json.dumps(self.min_bandwidth(s.name))}"
                  for s in SLICES]
        lines.append(f"users in {slice_name}: {json.dumps(self.members(slice_name))}")
        lines.append(f"optimise({slice_name}): {json.dumps(self.optimise(slice_name))}")
        return "\n".join(lines)


def to_plan(p: PlanProposal, env: SlicingEnv, per_mhz: float) -> Plan:
    """The proposal as a Plan (users numbered from 1 become slots); ValueError if it cannot be."""
    spec = slice_by_name(p.slice)
    realloc: dict[int, float] = {}
    for r in p.reallocate:
        slot = r.user - 1
        if not 0 <= slot < env.t:
            raise ValueError(f"user {r.user} has not arrived (users 1-{env.t} have)")
        realloc[slot] = float(r.mhz)
    floor = float(min_bandwidth(spec, per_mhz))
    return Plan(spec.index, bool(p.admit), float(p.bandwidth_mhz) if p.admit else 0.0,
                realloc if p.admit else {}, p.reason, float(p.bandwidth_mhz) * per_mhz, floor)


def check_proposal(plan: Plan, env: SlicingEnv, per_mhz: float) -> str | None:
    """Why a plan breaks the environment's limits or `check_plan` (None if it holds)."""
    if not plan.admit:
        return None
    if not np.isfinite([plan.bandwidth, *plan.reallocate.values()]).all():
        return "a bandwidth is not a number"
    return check_plan(plan, env.slice_of, env.bandwidth, env.per_mhz, per_mhz)


def transport_failure(error: str | None) -> bool:
    """Whether a failed call got no reply at all (timeout, connection, HTTP error)."""
    return bool(error) and str(error).startswith(("timeout", "connection failed", "HTTP ",
                                                  "server error"))


def replies_in(stats: CallStats, parsed: bool) -> int:
    """How many of a call's requests were answered by the model (for the parse rate)."""
    if parsed or not transport_failure(stats.error):
        return stats.calls
    return max(0, stats.calls - 1)  # the last request failed on the wire, not in parsing


def _run_tool(tools: PlanningTools, call: dict[str, Any]) -> Any:
    entry = tools.table().get(call["name"])
    if entry is None:
        return {"error": f"no tool {call['name']}; use one of {', '.join(tools.table())}"}
    try:
        return entry[0](**(call.get("args") or {}))
    except (TypeError, ValueError, KeyError) as exc:
        return {"error": f"bad arguments: {str(exc).splitlines()[0]}"}


def _by_tools(backend: Any, prompt: str, tools: PlanningTools
              ) -> tuple[PlanProposal | None, CallStats, list[str], bool]:
    """Let the model call tools, then read its JSON plan: (proposal, stats, calls, used)."""
    from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage

    messages: list[Any] = [SystemMessage(SYSTEM), HumanMessage(prompt)]
    lc_tools = tools.langchain()
    total, called = CallStats(), list[str]()
    for _ in range(MAX_TOOL_ROUNDS):
        reply, stats = backend.chat("planning", messages, tools=lc_tools)
        total = total + stats
        if reply is None:
            return None, total, called, bool(called)
        if not reply.tool_calls:
            obj, problem = parse_reply(reply.text, PlanProposal)
            total.error = problem
            return obj, total, called, bool(called)  # type: ignore[return-value]
        messages.append(reply)
        for call in reply.tool_calls:
            called.append(call["name"])
            messages.append(ToolMessage(json.dumps(_run_tool(tools, call)),
                                        tool_call_id=call.get("id") or call["name"]))
    total.error = "the model kept calling tools"
    return None, total, called, True


def model_planning(state: dict[str, Any], runtime: Any,
                   deterministic: Callable[[dict[str, Any], Any], dict[str, Any]]
                   ) -> dict[str, Any]:
    """The planning node's output when the model plans (see the module's doc); the
    deterministic planner (`deterministic(state, runtime)`) decides when no model plan holds."""
    from wireless_agent.nodes.timing import trace_entry

    t0 = time.perf_counter()
    ctx = runtime.context
    env, user, intent = ctx.env, state["user"], state["intent"]
    backend = ctx.backend
    perceived = slice_by_name(intent["slice"])
    tools = PlanningTools(env, perceived.index, float(user["per_mhz"]), int(user["cqi"]),
                          int(user["slot"]))
    request = state["request"]
    if ctx.privacy is not None:  # the planning prompt carries the request too
        request, _ = ctx.privacy.sanitize("planning", ctx.backend_name, request,
                                          state.get("subscriber_id"), task="slicing_request")
    prompt = render("planning", request=request, facts=tools.facts(perceived.name))
    outcome = PlannerOutcome(plan=Plan(perceived.index, False), source="fallback")
    if backend is None:  # offline: there is no model to propose anything
        outcome.stats.error = "offline: no model backend"
    else:
        _propose(backend, prompt, tools, env, outcome, ctx.config.max_replans)
    if outcome.source == "fallback":
        det = deterministic(state, runtime)["plan"]
        outcome.plan = Plan(**{k: det[k] for k in Plan.__dataclass_fields__})
        # The deterministic planner's own re-plans count too.
        outcome.rejected += [f"deterministic: {p}" for p in det.get("problems", [])]
    out = outcome.as_dict()
    s = outcome.stats
    error = s.error if outcome.source == "fallback" and backend is not None else None
    return {"plan": out, "trace": trace_entry(
        "planning", t0, replans=out["replans"], calls=s.calls, prompt_tokens=s.prompt_tokens,
        completion_tokens=s.completion_tokens, error=error and f"planner: {error}")}


def _propose(backend: Any, prompt: str, tools: PlanningTools, env: SlicingEnv,
             outcome: PlannerOutcome, max_replans: int = 2) -> None:
    """Ask, check and re-plan; on success `outcome` holds the model's checked plan."""
    from langchain_core.messages import AIMessage, HumanMessage

    per_mhz = tools.per_mhz
    with _TOOLS_LOCK:
        try_tools = _TOOLS_WORK.get(backend, True)
    proposal: PlanProposal | None = None
    members = int((env.slice_of == tools.slice_index).sum())
    schema = proposal_schema(members)
    if try_tools:
        proposal, stats, calls, used = _by_tools(backend, prompt, tools)
        outcome.stats = outcome.stats + stats
        # The last chat reply is a plan reply if the model used tools or answered a plan; a
        # free-text answer to a first offer of tools is the probe that tools do not work here.
        if (used or proposal is not None) and not transport_failure(stats.error):
            outcome.replies += 1
        outcome.tool_calls = calls
        if used:
            outcome.route = "tools"
        with _TOOLS_LOCK:  # a server that made no call when offered tools is asked for JSON
            _TOOLS_WORK[backend] = used or _TOOLS_WORK.get(backend, False)
    messages: list[Any] = [("user", prompt)]
    for attempt in range(max_replans + 1):
        if proposal is None:
            obj, stats = backend.structured("planning", messages, schema)
            outcome.stats = outcome.stats + stats
            outcome.replies += replies_in(stats, obj is not None)
            if obj is None:
                return  # the call failed or never parsed: the deterministic planner decides
            proposal = obj
        assert proposal is not None
        outcome.proposals += 1
        try:
            plan = to_plan(proposal, env, per_mhz)
            problem = check_proposal(plan, env, per_mhz)
        except ValueError as exc:
            problem = str(exc).splitlines()[0]
        if problem is None:
            outcome.plan, outcome.source = plan, "model"
            outcome.stats.error = None
            return
        outcome.rejected.append(problem)
        if attempt < max_replans:
            messages = [*messages, AIMessage(proposal.model_dump_json()),
                        HumanMessage(REPLAN_NOTE.format(problem=problem))]
        proposal = None
    outcome.stats.error = f"no model plan passed the checks ({outcome.rejected[-1]})"


__all__ = ["PLANNERS", "PlanProposal", "PlannerOutcome", "PlanningTools", "model_planning"]
