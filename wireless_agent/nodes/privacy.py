"""Privacy: the seam between retrieval and context assembly; only what passes reaches prompts."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent.context import AgentContext
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState

# Roles downstream of retrieval that assemble context from it.
ROLES = ("planning", "action")
TASK = "slicing_request"


def privacy(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Filter retrieved items per downstream role, assemble their context, keep the audit."""
    t0 = time.perf_counter()
    ctx = runtime.context
    items = state.get("retrieved", [])
    documents = [i["text"] for i in items]
    context: dict[str, Any] = {}
    for role in ROLES:
        if ctx.privacy is None:
            context[role] = {"documents": documents, "fields": {},
                             "audit": {"role": role, "reached": [i["id"] for i in items],
                                       "removed": []}}
            continue
        from wireless_agent.privacy import assemble

        filtered = ctx.privacy.apply(role, TASK, ctx.backend_name,
                                     state.get("subscriber_id"), state["request"], documents)
        # Assembling crosses the model boundary, so every context is recorded where asked.
        prompt = assemble(role, TASK, filtered, ctx.backend_name)
        context[role] = {"documents": filtered.documents, "fields": filtered.fields,
                         "prompt": prompt, "audit": filtered.audit.to_dict()}
    return {"context": context, "trace": trace_entry("privacy", t0)}
