"""The agent's decision record: what the eval, the report and the chat read about a decision."""

from __future__ import annotations

from typing import Any, NotRequired

from typing_extensions import TypedDict  # not typing's: pydantic validates these on 3.11

from wireless_agent.state import AgentState, PlannerLog


class Spend(TypedDict):
    """What a decision cost, as every method logs it (evals.records.DecisionRow has it too)."""

    reallocations: int  # admitted users moved to make room
    model_calls: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    fallback: bool  # the model's answer was unusable: the offline classifier decided


class AgentRecord(Spend):
    """One decision of the agent as logged in decisions.jsonl (Decision.record)."""

    intent: str  # eMBB, URLLC or unclear
    confidence: float
    application: str
    source: str  # offline, model or fallback
    slice: str | None  # the slice admitted to, None if rejected
    bandwidth: float  # MHz
    replans: int
    planner: PlannerLog
    tier: str
    node_ms: dict[str, float]
    explanation: str
    unclear: NotRequired[bool]
    reason: NotRequired[str]
    question: NotRequired[str | None]
    requirements: NotRequired[dict[str, Any]]
    error: NotRequired[str]


def agent_record(out: AgentState, ms: float, model: str) -> AgentRecord:
    """The record of one graph run `out` that took `ms`, on backend spec `model`."""
    plan, intent = out["plan"], out["intent"]
    trace = out["trace"]
    spend = {"calls": sum(t.get("calls", 0) for t in trace),
             "prompt_tokens": sum(t.get("prompt_tokens", 0) for t in trace),
             "completion_tokens": sum(t.get("completion_tokens", 0) for t in trace)}
    unclear = bool(intent.get("unclear"))
    record: AgentRecord = {
        "intent": "unclear" if unclear else intent["slice"],
        "confidence": round(float(intent["confidence"]), 4),
        "application": intent["application"], "source": intent["source"],
        "slice": intent["slice"] if plan["admit"] else None,
        "bandwidth": round(plan["bandwidth"], 4) if plan["admit"] else 0.0,
        "reallocations": len(plan["reallocate"]), "replans": plan["replans"],
        # --planner model: who planned (model or fallback), its calls and rejections
        "planner": plan.get("planner") or {"mode": "tools", "source": "tools"},
        "model_calls": spend["calls"], "prompt_tokens": spend["prompt_tokens"],
        "completion_tokens": spend["completion_tokens"], "latency_ms": round(ms, 3),
        "fallback": intent["source"] == "fallback",
        "tier": intent.get("tier") or ("offline" if intent["source"] != "model" else model),
        "node_ms": {t["node"]: round(t["ms"], 3) for t in out["trace"]},
        "explanation": out["explanation"],
    }
    if unclear:
        record["unclear"] = True
        record["reason"] = plan["reason"]
        record["question"] = intent.get("question")
    requirements = intent.get("requirements")
    if requirements:
        record["requirements"] = requirements
    errors = [t.get("error") for t in trace if t.get("error")]
    if errors:
        record["error"] = str(errors[0])
    return record
