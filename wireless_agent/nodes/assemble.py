"""Assemble: the perception prompt built from exactly what passed the privacy filter."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent import boundary
from wireless_agent.assembly import perception_prompt, prompt_context
from wireless_agent.context import AgentContext
from wireless_agent.nodes.privacy import may_read
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState

ROLE = "perception"


def assemble(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """The model's prompt: rules, network view, allowed fields, examples, past decisions."""
    t0 = time.perf_counter()
    ctx = runtime.context
    if ctx.backend is None:
        return {"trace": trace_entry("assemble", t0)}  # the offline classifier reads no prompt
    role = state["context"][ROLE]
    audit = role["audit"]
    if audit.get("enabled", False) and boundary.is_remote(ctx.backend_name) and not audit.get(
            "remote", False):
        # A context filtered for a local model is not strict enough to leave the machine.
        raise ValueError(f"the {ROLE} context was filtered for a local backend, not "
                         f"{ctx.backend_name!r}")
    user = state["user"]
    # The arriving user's channel is subscriber data too: shown only where the policy allows.
    channel = (f"CQI {user['cqi']}, {user['per_mhz']:.1f} Mbps per MHz"
               if may_read(runtime, ROLE, "cqi") else "")
    parts = prompt_context(role, state["network"], channel)
    prompt = perception_prompt(role["request"], parts)
    return {"prompt": prompt, "trace": trace_entry("assemble", t0, items=len(role["items"]))}
