"""Perception: understand the request (slice, application, QoS) from the assembled prompt."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from wireless_agent.assembly import perception_prompt
from wireless_agent.context import AgentContext
from wireless_agent.intent import clarifying_question, stated_requirements
from wireless_agent.models.schemas import IntentDecision
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState, Intent


def _offline_intent(ctx: AgentContext, request: str) -> Intent:
    p = ctx.classifier.predict(request)
    out: Intent = {"slice": p.slice, "application": p.application, "confidence": p.confidence,
                   "latency_ms": p.latency_ms, "min_rate_mbps": p.min_rate_mbps,
                   "source": "offline", "unclear": p.unclear, "requirements": p.requirements}
    if p.unclear:
        out["reason"] = p.reason
        out["question"] = clarifying_question(request)
    return out


def perception(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Classify the request: the model reads the assembled prompt, offline the classifier."""
    t0 = time.perf_counter()
    ctx = runtime.context
    request = state["request"]
    spend: dict[str, Any] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    if ctx.backend is None:
        intent = _offline_intent(ctx, request)
    else:
        prompt = state.get("prompt") or perception_prompt(
            state["context"]["perception"]["request"])
        # The request goes along as itself: a tiered backend's device tier classifies it.
        answer, stats = ctx.backend.structured("perception", prompt, IntentDecision,
                                               request=request)
        spend = {"calls": stats.calls, "prompt_tokens": stats.prompt_tokens,
                 "completion_tokens": stats.completion_tokens, "error": stats.error}
        if answer is None:
            intent = {**_offline_intent(ctx, request), "source": "fallback"}
        else:
            tier = getattr(answer, "tier", None)
            source = ("fallback" if getattr(answer, "fallback", False)
                      else "offline" if tier == "offline" else "model")
            intent = {**answer.model_dump(), "source": source}  # type: ignore[typeddict-item]
            # The model names the slice; the stated figures are read offline all the same.
            intent.setdefault("requirements", stated_requirements(request))
    return {"intent": intent, "trace": trace_entry("perception", t0, **spend)}
