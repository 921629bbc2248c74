"""Memory: recall labelled examples, slicing knowledge and similar past decisions."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent.context import AgentContext
from wireless_agent.memory.store import MemoryItem
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState, RetrievedItem


def _item(m: MemoryItem) -> RetrievedItem:
    return {"kind": m.kind, "id": m.id, "text": m.text, "metadata": m.metadata,
            "distance": round(m.distance, 4)}


def memory(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Retrieve what helps this decision from the Chroma memory (nothing without a memory)."""
    t0 = time.perf_counter()
    ctx = runtime.context
    items: list[RetrievedItem] = []
    if ctx.memory is not None:
        query = state["request"]
        cfg = ctx.config
        recalled: list[MemoryItem] = []
        if ctx.backend is not None:
            # Few-shot examples are for a model's prompt; the offline path never reads them.
            recalled += ctx.memory.recall_examples(query, k=cfg.k_examples)
        # Knowledge is static: cached per request text.
        recalled += ctx.memory.recall_knowledge(query, key=query, k=cfg.k_knowledge)
        recalled += ctx.memory.recall_episodes(query, k=cfg.k_episodes)
        items = [_item(m) for m in recalled]
    return {"retrieved": items, "trace": trace_entry("memory", t0, items=len(items))}
