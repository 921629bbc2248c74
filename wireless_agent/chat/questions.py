"""Operator questions: tell them from subscriber requests; answer them from the tools offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wireless_agent.chat import tools
from wireless_agent.chat.network import Arriving, parse_arrival

if TYPE_CHECKING:
    from wireless_agent.chat.session import ChatSession

_USER = re.compile(r"\b(?:user|subscriber|ue)\s*(?:no\.?|number|#)?\s*(\d+)\b|#(\d+)\b", re.I)
_WHAT_IF = re.compile(r"\bwhat if\b|\bif (?:i|we|you) (?:admit|add|let in|accept|take)\b"
                      r"|\bwould (?:lose|gain|happen|change)\b|\bwho would\b", re.I)
_ADMITTED = re.compile(r"\b(?:admit|add|let in|accept|take)\s+(.+?)\s*\??\s*$", re.I)
_ASKING = re.compile(r"^\s*(?:how|what|what's|whats|which|who|why|is|are|was|were|does|did|"
                     r"show|list|tell me|explain|give me)\b", re.I)
_NETWORK = re.compile(r"\b(?:urllc|embb|slices?|load(?:ed)?|busy|full|utili[sz]ation|"
                      r"capacity|free|headroom|room|status|throughput|network|users?|"
                      r"rejected|admitted|bandwidth|mhz|rate|why)\b", re.I)
_SUBSCRIBER = re.compile(r"\b(?:i|we)\s+(?:need|want|would like|'d like|am|have to|must)\b"
                         r"|\b(?:my|our)\b", re.I)
_WHY = re.compile(r"\bwhy\b|\bexplain\b|\breject|\badmit|\bdecid|\bdecision\b", re.I)
_LOAD = re.compile(r"\b(?:load(?:ed)?|busy|full|utili[sz]ation|capacity|free|headroom|room|"
                   r"status|throughput|how many)\b", re.I)
_LIST = re.compile(r"\b(?:which|who|list|show)\b.*\busers\b|\bwho(?:'s| is) (?:on|in)\b", re.I)
_MEMORY = re.compile(r"\b(?:what do you (?:remember|know|recall)|remember|recall|memory|"
                     r"seen (?:this |that |it )?before|similar requests?|past decisions?)\b"
                     r"(?:\s+(?:about|on|of|for))?\s*(.*?)\s*\??\s*$", re.I)
_SLICE = re.compile(r"\b(urllc|embb)\b", re.I)
_CQI = re.compile(r"\bcqi\s*(?:=|:|of|is)?\s*(\d{1,2})\b", re.I)


@dataclass(frozen=True)
class Route:
    """What a line of free text is: a subscriber request, or which question it asks."""

    kind: str  # request | status | users | user | explain | what_if | memory | other
    user_id: int | None = None
    slice: str | None = None
    request: str | None = None
    cqi: int | None = None

    @property
    def question(self) -> bool:
        """Whether the line is an operator question rather than a subscriber request."""
        return self.kind != "request"


def route(text: str) -> Route:
    """Classify a line deterministically; a leading '?' forces a question."""
    forced = text.lstrip().startswith("?")
    line = text.lstrip().lstrip("?").strip()
    sl = _SLICE.search(line)
    slice_name = {"urllc": "URLLC", "embb": "eMBB"}[sl.group(1).lower()] if sl else None
    if _WHAT_IF.search(line):
        m = _ADMITTED.search(line)
        try:
            arriving = parse_arrival(m.group(1) if m else line)
        except ValueError:  # an impossible CQI is reported by the what-if tool
            arriving = Arriving(m.group(1) if m else line)
        cqi = _CQI.search(line)
        return Route("what_if", slice=slice_name, request=arriving.request,
                     cqi=int(cqi.group(1)) if cqi else None)
    mem = _MEMORY.search(line)
    if mem and _ASKING.search(line):
        return Route("memory", request=mem.group(1) or line)
    user = _USER.search(line)
    if user:
        uid = int(user.group(1) or user.group(2))
        return Route("explain" if _WHY.search(line) else "user", user_id=uid)
    # Questions about the network, or any question not in a subscriber's own voice.
    asking = forced or (bool(_ASKING.search(line))
                        and (bool(_NETWORK.search(line)) or line.endswith("?"))
                        and not _SUBSCRIBER.search(line))
    if not asking:
        return Route("request")
    if _LIST.search(line):
        return Route("users", slice=slice_name)
    if _LOAD.search(line) or (slice_name and not _WHY.search(line)):
        return Route("status", slice=slice_name)
    if _WHY.search(line):
        return Route("explain")
    return Route("other")


# -- offline answers ----------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _status_text(data: dict[str, Any]) -> str:
    parts = [f"{name} {_pct(s['utilization'])} loaded: {s['users']} user(s), "
             f"{s['used_mhz']:.1f} of {s['capacity_mhz']:g} MHz used, {s['free_mhz']:.1f} free"
             for name, s in data["slices"].items()]
    return ("; ".join(parts) + f". Throughput {data['throughput_mbps']:.1f} Mbps; "
            f"{data['admitted']} admitted, {data['rejected']} rejected, "
            f"{data['min_rate_violations']} below their minimum rate.")


def _user_text(u: dict[str, Any]) -> str:
    head = f"User {u['user']} (\"{u['request']}\", CQI {u['cqi']})"
    if not u["served"]:
        return f"{head} is not served: rejected because {u['rejected_because']}."
    ok = "meets" if u["meets_min_rate"] else "is BELOW"
    return (f"{head} is on {u['slice']} with {u['bandwidth_mhz']:.2f} MHz: "
            f"{u['rate_mbps']:.1f} Mbps, which {ok} the {u['min_rate_mbps']:g} Mbps minimum.")


def recalled_names(items: list[dict[str, Any]], width: int = 40) -> list[str]:
    """Knowledge by id, labelled examples and past decisions by their request and slice."""
    out = []
    for x in items:
        text = x["text"] if len(x["text"]) <= width else x["text"][: width - 1] + "…"
        if x["kind"] == "knowledge":
            out.append(x["id"])
        elif x["kind"] == "example":
            out.append(f"example \"{text}\" ({x.get('slice')})")
        else:
            outcome = "admitted" if x.get("admitted") else "rejected"
            out.append(f"past \"{text}\" ({x.get('slice')}, {outcome})")
    return out


def explain_text(data: dict[str, Any]) -> str:
    """A decision record told in words: intent, recall, privacy, plan, outcome."""
    i, p, r, pv = data["intent"], data["plan"], data["result"], data["privacy"]
    recalled = ", ".join(recalled_names(data["recalled"])) or "nothing"
    removed = "; redacted " + ", ".join(pv["removed"]) if pv["removed"] else "; nothing redacted"
    if pv["withheld"]:
        removed += f"; withheld the profile fields {', '.join(pv['withheld'])}"
    lines = [
        f"User {data['user']} asked \"{data['request']}\" at CQI {data['cqi']}.",
        f"Intent: {i['slice']} ({i['application']}), confidence {i['confidence']:.2f}, "
        f"from {i['source']}.",
        f"Recalled: {recalled}; the privacy filter let {pv['documents']} document(s) through"
        f"{removed}.",
    ]
    if p["admit"]:
        lines.append(f"Plan: admit to {p['slice']} at {p['bandwidth']:.2f} MHz (its floor is "
                     f"{p['min_bandwidth']:.2f} MHz), {p['expected_rate_mbps']:.1f} Mbps expected"
                     + (f", after {p['replans']} re-plan(s): {'; '.join(p['problems'])}"
                        if p["replans"] else "") + ".")
    else:
        lines.append(f"Plan: reject, because {p['reason']}.")
    if data["changed"]:
        moved = ", ".join(f"user {u} {a:.2f}->{b:.2f} MHz" for u, (a, b) in
                          data["changed"].items())
        lines.append(f"Re-split: {moved}.")
    lines.append(f"Result: {'admitted' if r['admitted'] else 'rejected'}; "
                 f"{data['explanation']}")
    return "\n".join(lines)


def _what_if_text(w: dict[str, Any]) -> str:
    head = (f"\"{w['request']}\" reads as {w['slice']} ({w['application']}, confidence "
            f"{w['confidence']:.2f}) at CQI {w['cqi']}")
    if not w["admit"]:
        return f"{head}: it would be rejected, because {w['reason']}. Nobody would lose anything."
    text = (f"{head}: it would be admitted at {w['bandwidth_mhz']:.2f} MHz "
            f"({w['rate_mbps']:.1f} Mbps); {w['slice']} would go from "
            f"{_pct(w['slice_utilization_now'])} to {_pct(w['slice_utilization_after'])}.")
    if not w["would_lose"]:
        return text + " No user would lose bandwidth."
    lost = "; ".join(f"user {x['user']} {x['mhz_now']:.2f}->{x['mhz_after']:.2f} MHz "
                     f"({x['rate_now_mbps']:.1f}->{x['rate_after_mbps']:.1f} Mbps)"
                     for x in w["would_lose"])
    return text + f" {len(w['would_lose'])} user(s) would lose bandwidth: {lost}."


def _memory_text(m: dict[str, Any]) -> str:
    lines = [f"On \"{m['topic']}\" the memory holds:"]
    lines += [f"- {k['id']}: {k['text']}" for k in m["knowledge"]]
    for p in m["past_decisions"]:
        outcome = (f"admitted at {p['bandwidth_mhz']:.2f} MHz" if p["admitted"]
                   else "rejected")
        lines.append(f"- past: \"{p['request']}\" at CQI {p['cqi']}: {p['slice']}, {outcome}")
    if not m["past_decisions"]:
        lines.append("- no past decisions on similar requests yet")
    return "\n".join(lines)


OFFLINE_HELP = ("Offline I can answer: how loaded a slice is, who is on a slice, a user's "
                "rate, why a user was admitted or rejected, what the memory holds on a topic, "
                "and what admitting a request would do. For example: how loaded is URLLC? / "
                "what is user 3's rate? / why was user 2 rejected? / which users would lose "
                "bandwidth if I admit a 4K stream? "
                "Start --model (or /model) for anything else.")


def answer_offline(session: ChatSession, r: Route) -> str:
    """The answer to a routed question from the network tools, without any model."""
    if r.kind == "status":
        return _status_text(tools.slice_status(session, r.slice))
    if r.kind == "users":
        rows = tools.list_users(session, r.slice)
        where = f" on {r.slice}" if r.slice else ""
        if not rows:
            return f"No users{where} yet."
        return "\n".join(_user_text(u) for u in rows)
    if r.kind == "user":
        data = tools.user_info(session, r.user_id or 0)
        return data["error"] if "error" in data else _user_text(data)
    if r.kind == "explain":
        data = tools.explain_decision(session, r.user_id)
        return data["error"] if "error" in data else explain_text(data)
    if r.kind == "memory":
        return _memory_text(tools.recall_memory(session, r.request or ""))
    if r.kind == "what_if":
        data = tools.what_if_admit(session, r.request or "", r.cqi)
        return data["error"] if "error" in data else _what_if_text(data)
    return OFFLINE_HELP
