"""Tools for operator questions: slice loads, users, past decisions, memory, what-if admissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from env.slices import BY_INDEX, SLICES, slice_by_name
from wireless_agent.planner import check_plan, plan_admission
from wireless_agent.tools import observe_network

if TYPE_CHECKING:
    from wireless_agent.chat.session import ChatSession


def slice_status(session: ChatSession, slice: str | None = None) -> dict[str, Any]:
    """Per-slice users, MHz used and free, utilisation; network throughput and counts."""
    env = session.network.env
    seen = observe_network(env)
    metrics = env.metrics()
    slices = {}
    for s in SLICES:
        if slice and s.name.lower() != slice.strip().lower():
            continue
        row = seen[s.name]
        slices[s.name] = {**{k: row[k] for k in ("users", "used_mhz", "free_mhz",
                                                 "capacity_mhz")},
                          "utilization": round(row["used_mhz"] / s.capacity_mhz, 4)}
    if not slices:
        return {"error": f"no slice called {slice!r}; ask about eMBB or URLLC"}
    return {"slices": slices, "throughput_mbps": round(metrics["throughput_mbps"], 3),
            "arrived": env.t, "admitted": int(metrics["admitted"]),
            "rejected": int(metrics["rejected"]), "slots_left": env.length - env.t,
            "min_rate_violations": int(metrics["min_rate_violations"])}


def _missing(session: ChatSession, user_id: int) -> dict[str, Any]:
    n = len(session.records)
    have = f"users 1-{n} have" if n > 1 else ("only user 1 has" if n == 1 else "nobody has yet")
    return {"error": f"user {user_id} has not arrived; {have}"}


def user_info(session: ChatSession, user_id: int) -> dict[str, Any]:
    """One user as the network holds it now: request, CQI, slice, MHz, rate, minimum met."""
    rec = session.record_of(user_id)
    if rec is None:
        return _missing(session, user_id)
    env = session.network.env
    slot = rec["slot"]
    s = int(env.slice_of[slot])
    bw = float(env.bandwidth[slot])
    rate = bw * float(env.per_mhz[slot])
    out: dict[str, Any] = {"user": user_id, "request": rec["request"], "cqi": rec["cqi"],
                           "asked_for": rec["intent"]["slice"], "served": s > 0}
    if s > 0:
        spec = BY_INDEX[s]
        out.update(slice=spec.name, bandwidth_mhz=round(bw, 3), rate_mbps=round(rate, 3),
                   min_rate_mbps=spec.rate_min_mbps,
                   meets_min_rate=rate >= spec.rate_min_mbps - 1e-6,
                   admitted_with_mhz=round(rec["result"]["bandwidth"], 3))
    else:
        out["rejected_because"] = rec["plan"]["reason"] if not rec["plan"]["admit"] \
            else rec["result"]["reason"]
    return out


def list_users(session: ChatSession, slice: str | None = None) -> list[dict[str, Any]]:
    """Every user that has arrived, as `user_info` sees it (only one slice's if given)."""
    rows = [user_info(session, r["user"]) for r in session.records]
    if slice:
        rows = [r for r in rows if (r.get("slice") or "").lower() == slice.strip().lower()]
    return rows


def explain_decision(session: ChatSession, user_id: int | None = None) -> dict[str, Any]:
    """Why a user was admitted or rejected: intent, recall, privacy audit, plan and result."""
    if user_id is None:
        if not session.records:
            return {"error": "no decision yet; type a subscriber request first"}
        user_id = len(session.records)
    rec = session.record_of(user_id)
    if rec is None:
        return _missing(session, user_id)
    keep = ("user", "request", "cqi", "intent", "recalled", "privacy", "plan", "result",
            "changed", "explanation", "model", "model_error")
    return {k: rec[k] for k in keep}


def what_if_admit(session: ChatSession, request: str, cqi: int | None = None) -> dict[str, Any]:
    """What admitting `request` now would do, without doing it: slice, MHz, who loses bandwidth."""
    net = session.network
    if net.full:
        return {"error": f"the network has taken all its {net.slots} arrivals"}
    env = net.env
    cqi = int(cqi) if cqi is not None else net.next_template().cqi
    if not 1 <= cqi <= 15:
        return {"error": f"CQI {cqi} is out of 1-15"}
    pred = session.agent.classifier.predict(request)
    spec = slice_by_name(pred.slice)
    per_mhz = float(env.rate_model.per_mhz(cqi))
    plan = plan_admission(spec.index, per_mhz, env.t, env.slice_of, env.per_mhz)
    problem = check_plan(plan, env.slice_of, env.bandwidth, env.per_mhz, per_mhz)
    out: dict[str, Any] = {"request": request, "slice": spec.name,
                           "application": pred.application,
                           "confidence": round(float(pred.confidence), 3), "cqi": cqi,
                           "admit": bool(plan.admit and problem is None),
                           "min_bandwidth_mhz": round(plan.min_bandwidth, 3)}
    if not out["admit"]:
        out["reason"] = problem or plan.reason
        return out
    losers, gainers = [], []
    for slot, new in sorted(plan.reallocate.items()):
        old = float(env.bandwidth[slot])
        row = {"user": slot + 1, "mhz_now": round(old, 3), "mhz_after": round(new, 3),
               "rate_now_mbps": round(old * float(env.per_mhz[slot]), 3),
               "rate_after_mbps": round(new * float(env.per_mhz[slot]), 3)}
        if new < old - 1e-9:
            losers.append(row)
        elif new > old + 1e-9:
            gainers.append(row)
    used = float(np.sum(env.bandwidth[env.slice_of == spec.index]))
    out.update(bandwidth_mhz=round(plan.bandwidth, 3),
               rate_mbps=round(plan.expected_rate_mbps, 3), would_lose=losers,
               would_gain=gainers,
               slice_utilization_now=round(used / spec.capacity_mhz, 4),
               slice_utilization_after=round(
                   (used + plan.bandwidth + sum(r["mhz_after"] - r["mhz_now"]
                                                for r in losers + gainers)) / spec.capacity_mhz,
                   4))
    return out


def recall_memory(session: ChatSession, topic: str, k: int = 3) -> dict[str, Any]:
    """What the agent's memory holds on a topic: slicing knowledge and similar past decisions."""
    memory = session.agent.memory
    knowledge = list(memory.recall_knowledge(topic, key=f"chat:{topic}", k=2))
    episodes = memory.recall_episodes(topic, k=k)
    past = []
    for m in episodes:
        spec = BY_INDEX.get(int(m.metadata.get("slice_index", 0)))
        past.append({"request": m.text, "slice": spec.name if spec else None,
                     "admitted": bool(m.metadata.get("admitted")),
                     "bandwidth_mhz": m.metadata.get("bandwidth"),
                     "cqi": m.metadata.get("cqi")})
    return {"topic": topic, "knowledge": [{"id": m.id, "text": m.text} for m in knowledge],
            "past_decisions": past}
