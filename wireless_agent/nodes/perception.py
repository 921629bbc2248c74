"""Perception: understand the request (slice, application, QoS) and observe the network."""

from __future__ import annotations

import time
from typing import Any

from langgraph.runtime import Runtime

from prompts import render
from wireless_agent.context import AgentContext
from wireless_agent.intent import clarifying_question, stated_requirements
from wireless_agent.nodes.timing import trace_entry
from wireless_agent.state import AgentState
from wireless_agent.tools import observe_network


def _offline_intent(ctx: AgentContext, request: str) -> dict[str, Any]:
    p = ctx.classifier.predict(request)
    out = {"slice": p.slice, "application": p.application, "confidence": p.confidence,
           "latency_ms": p.latency_ms, "min_rate_mbps": p.min_rate_mbps, "source": "offline",
           "unclear": p.unclear, "requirements": p.requirements}
    if p.unclear:
        out["reason"] = p.reason
        out["question"] = clarifying_question(request)
    return out


def perception(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Classify the arriving user's request and read its CQI and the slice loads."""
    t0 = time.perf_counter()
    ctx = runtime.context
    env = ctx.env
    arrival = env.current
    if arrival is None:
        raise RuntimeError("perception needs an arriving user; the episode is over")
    user = arrival.user
    request = state.get("request") or user.request
    spend: dict[str, Any] = {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
    if ctx.backend is None:
        intent = _offline_intent(ctx, request)
    else:
        from wireless_agent.models.schemas import IntentDecision

        shown = request
        if ctx.privacy is not None:
            shown, _ = ctx.privacy.sanitize("perception", ctx.backend_name, request,
                                            state.get("subscriber_id"), task="slicing_request")
        answer, stats = ctx.backend.structured(
            "perception", render("perception", request=shown), IntentDecision)
        spend = {"calls": stats.calls, "prompt_tokens": stats.prompt_tokens,
                 "completion_tokens": stats.completion_tokens, "error": stats.error}
        if answer is None:
            intent = {**_offline_intent(ctx, request), "source": "fallback"}
        else:
            tier = getattr(answer, "tier", None)
            source = ("fallback" if getattr(answer, "fallback", False)
                      else "offline" if tier == "offline" else "model")
            intent = {**answer.model_dump(), "source": source}
            # The model names the slice; the stated figures are read offline all the same.
            intent.setdefault("requirements", stated_requirements(request))
    return {
        "request": request,
        "user": {"slot": env.t, "uid": user.uid, "cqi": user.cqi,
                 "per_mhz": env.rate_model.per_mhz(user.cqi),
                 "position": [user.x, user.y, user.z]},
        "network": observe_network(env),
        "intent": intent,
        "trace": trace_entry("perception", t0, **spend),
    }
