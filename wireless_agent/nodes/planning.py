"""Planning: slice, bandwidth and re-allocation from tools, checked before they act."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from langgraph.runtime import Runtime

from env.slices import BY_INDEX, slice_by_name
from wireless_agent.context import AgentContext
from wireless_agent.intent.corpus import UNCLEAR
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.planner import Plan, check_plan, min_bandwidth, plan_admission
from wireless_agent.state import AgentState, Members, PlanRecord


def _without_reallocation(s: int, per_mhz: float, members: Members) -> Plan:
    """A fallback plan that touches nobody else: the floor, if it fits in the free MHz."""
    spec = BY_INDEX[s]
    floor = float(min_bandwidth(spec, per_mhz))
    free = spec.capacity_mhz - float(members.bandwidth[members.slice_of == s].sum())
    if floor > min(free, spec.bw_max_mhz) + 1e-9:
        return Plan(s, False, reason=f"{spec.name} has {free:.1f} MHz free, not enough")
    return Plan(s, True, floor, {}, "fits without re-allocation", floor * per_mhz, floor)


def _record(plan: Plan, problems: list[str]) -> PlanRecord:
    return {**asdict(plan), "replans": len(problems), "problems": problems}  # type: ignore[typeddict-item]


def planning(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Plan the admission; a plan that breaks a limit is re-planned, then falls back."""
    if runtime.context.config.planner == "model" and not state["intent"].get("unclear"):
        from wireless_agent.model_planner import model_planning  # --planner model

        return model_planning(dict(state), runtime, deterministic)
    return deterministic(state, runtime)


def deterministic(state: Any, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """The deterministic planner (`--planner tools`): tools compute the plan, checks gate it."""
    t0 = time.perf_counter()
    ctx = runtime.context
    if state["intent"].get("unclear"):
        # Not admitted to any slice: the env records a rejection, the chat asks a question.
        out = _record(Plan(0, False, reason=UNCLEAR), [])
        return {"plan": out, "trace": trace_entry("planning", t0, replans=0)}
    s = slice_by_name(state["intent"]["slice"]).index
    user, members = state["user"], state["members"]
    profile = ctx.profile if ctx.config.anticipate else None
    strategies = [
        lambda: plan_admission(s, user["per_mhz"], user["slot"], members.slice_of,
                               members.per_mhz, profile, state["network"]["remaining"]),
        lambda: plan_admission(s, user["per_mhz"], user["slot"], members.slice_of,
                               members.per_mhz),
        lambda: _without_reallocation(s, user["per_mhz"], members),
    ][: 1 + ctx.config.max_replans]
    problems: list[str] = []
    plan = None
    for make in strategies:
        candidate = make()
        problem = check_plan(candidate, members.slice_of, members.bandwidth, members.per_mhz,
                             user["per_mhz"])
        if problem is None:
            plan = candidate
            break
        problems.append(problem)
    if plan is None:
        plan = Plan(s, False, reason=f"no safe plan ({problems[-1]}); rejected")
    return {"plan": _record(plan, problems),
            "trace": trace_entry("planning", t0, replans=len(problems))}
