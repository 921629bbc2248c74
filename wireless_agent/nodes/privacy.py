"""Privacy: the seam between retrieval and context assembly; only what passes reaches prompts."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent.context import AgentContext
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState, RetrievedItem, RoleContext

# Roles that read retrieved items: perception's prompt goes to the model; planning's context
# is what a planning model would read (and what the chat shows).
ROLES = ("perception", "planning")
TASK = "slicing_request"


def _passed(items: list[RetrievedItem], texts: list[str]) -> list[RetrievedItem]:
    """The items with their texts as the filter left them (the filter keeps their order)."""
    return [{**item, "text": text} for item, text in zip(items, texts, strict=True)]


def privacy(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Filter the retrieved items, profile fields and request per role for the backend."""
    t0 = time.perf_counter()
    ctx = runtime.context
    items = state["retrieved"]
    documents = [i["text"] for i in items]
    request = state["request"]
    context: dict[str, RoleContext] = {}
    for role in ROLES:
        if ctx.privacy is None:
            context[role] = {"items": list(items), "documents": documents, "fields": {},
                             "descriptions": {}, "request": request,
                             "audit": {"role": role, "reached": [i["id"] for i in items],
                                       "removed": []}}
            continue
        # Filtered for the backend's trust level: a remote backend gets the stricter rules.
        filtered = ctx.privacy.apply(role, TASK, ctx.backend_name, state.get("subscriber_id"),
                                     request, documents)
        context[role] = {"items": _passed(items, filtered.documents),
                         "documents": filtered.documents, "fields": dict(filtered.fields),
                         "descriptions": dict(filtered.descriptions),
                         "request": filtered.request, "audit": filtered.audit.to_dict()}
    return {"context": context, "trace": trace_entry("privacy", t0)}


def may_read(runtime: Runtime[AgentContext], role: str, field: str) -> bool:
    """Whether the policy lets `role` see `field` on this backend (always without a filter)."""
    ctx = runtime.context
    if ctx.privacy is None or not ctx.privacy.enabled:
        return True
    return field in ctx.privacy.decide(role, TASK, ctx.backend_name).reached
