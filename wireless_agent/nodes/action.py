"""Action: apply the plan to the network, remember the episode, and explain the outcome."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from langgraph.runtime import Runtime

from env.slices import BY_INDEX
from wireless_agent.context import AgentContext
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState, Intent, PlanRecord, StepResult


def explain(intent: Intent, plan: PlanRecord, info: dict[str, Any]) -> str:
    """A short, number-backed account of one decision."""
    spec = BY_INDEX.get(plan["slice_index"])
    name = spec.name if spec is not None else "no slice"
    what = "unclear request" if intent.get("unclear") else intent["application"]
    head = f"{name} ({what}, confidence {intent['confidence']:.2f}, {intent['source']})"
    if info["admitted_now"]:
        moved = len(plan["reallocate"])
        tail = f"; re-split {moved} user(s) of {name}" if moved else ""
        body = (f"admitted at {plan['bandwidth']:.2f} MHz -> {info['rate_mbps']:.1f} Mbps{tail}")
    else:
        body = f"rejected: {plan['reason'] if not plan['admit'] else info['reason']}"
    loads = (f"eMBB {info['embb_utilization']:.0%}, URLLC {info['urllc_utilization']:.0%}, "
             f"{info['throughput_mbps']:.1f} Mbps in all")
    return f"{head}: {body}. Now {loads}."


def action(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Step the environment with the plan and store the decision as an episode."""
    t0 = time.perf_counter()
    ctx = runtime.context
    env = ctx.env
    plan, intent, user = state["plan"], state["intent"], state["user"]
    realloc = np.full(env.length, -1.0)
    for slot, mhz in plan["reallocate"].items():
        realloc[int(slot)] = mhz
    act = {"intent": plan["slice_index"], "admit": int(plan["admit"]),
           "bandwidth": np.array([plan["bandwidth"]]), "reallocate": realloc}
    obs, reward, terminated, truncated, info = env.step(act)
    if ctx.memory is not None and ctx.learn:
        ctx.memory.remember(ctx.episode_id, user["slot"], state["request"], {
            "scenario": ctx.scenario, "slice_index": plan["slice_index"],
            "application": intent["application"], "cqi": user["cqi"],
            "per_mhz": user["per_mhz"], "admitted": bool(info["admitted_now"]),
            "bandwidth": round(plan["bandwidth"], 3) if info["admitted_now"] else 0.0,
        })
    result: StepResult = {"obs": obs, "reward": float(reward), "terminated": terminated,
                          "truncated": truncated, "info": info, "action": act}
    return {"result": result, "explanation": explain(intent, plan, info),
            "trace": trace_entry("action", t0)}
