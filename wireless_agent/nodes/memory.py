"""Memory: recall slicing knowledge, similar past decisions, and the scenario's traffic."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent.context import AgentContext
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState


def memory(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Retrieve what helps this decision from the Chroma memory (nothing without a memory)."""
    t0 = time.perf_counter()
    ctx = runtime.context
    items: list[dict[str, Any]] = []
    if ctx.memory is not None:
        intent = state["intent"]
        query = state["request"]
        cfg = ctx.config
        recalled = ctx.memory.recall_knowledge(
            f"{intent['slice']} {intent['application']} {query}",
            key=f"{intent['slice']}:{intent['application']}", k=cfg.k_knowledge)
        recalled += ctx.memory.recall_episodes(query, k=cfg.k_episodes)
        items = [{"kind": m.kind, "id": m.id, "text": m.text, "metadata": m.metadata,
                  "distance": round(m.distance, 4)} for m in recalled]
    return {"retrieved": items, "trace": trace_entry("memory", t0, items=len(items))}
