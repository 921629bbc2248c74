"""What the chat prints: the welcome, a decision's four stages, tables, notes and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from wireless_agent.chat import tools
from wireless_agent.chat.questions import recalled_names

if TYPE_CHECKING:
    from wireless_agent.chat.session import ChatSession

EXAMPLES = (
    "I need to control a robot arm on the factory floor",
    "stream a 4K football match at cqi 9",
    "how loaded is URLLC?",
)
HELP = (
    ("/help", "this list"),
    ("/status", "slice loads and users per slice"),
    ("/users", "every user: request, slice, MHz, rate"),
    ("/explain ID", "why user ID was admitted or rejected (no ID: the latest)"),
    ("/model SPEC", "switch the model: offline, ollama:MODEL, openai:MODEL"),
    ("/reset", "start a new, empty network (memory and conversation stay)"),
    ("/save [NAME]", "keep this session on disk (resume with --session NAME)"),
    ("/quit", "leave (Ctrl-D too); Ctrl-C stops a slow answer"),
)


def _line(console: Console, *parts: tuple[str, str] | str) -> None:
    """One line built from (text, style) parts; user text never passes through markup."""
    console.print(Text.assemble(*parts), soft_wrap=True, highlight=False)


def note(console: Console, text: str) -> None:
    """A dim one-line note."""
    _line(console, (text, "dim"))


def error(console: Console, text: str) -> None:
    """A one-line problem the chat survives."""
    _line(console, ("! ", "bold red"), text)


def answer(console: Console, text: str) -> None:
    """An answer to an operator question."""
    for row in text.splitlines() or [""]:
        _line(console, row)


def welcome(console: Console, session: ChatSession) -> None:
    """Who the chat is, what network it runs, and what to type."""
    net = session.network
    _line(console, ("wireless-agent chat", "bold"),
          f": {net.scenario} scenario, model {session.model_label}, room for {net.slots} arrivals "
          "(eMBB 90 MHz, URLLC 30 MHz).")
    _line(console, "Type what a subscriber needs, or ask about the network. For example:")
    for ex in EXAMPLES:
        _line(console, "  ", (ex, "cyan"))
    note(console, "Add 'at cqi N' to set the channel. /help lists commands; /quit leaves.")


def help_table(console: Console) -> None:
    """The slash commands."""
    for cmd, what in HELP:
        _line(console, (f"{cmd:<14}", "bold"), what)
    note(console, "Anything else is a subscriber request, or a question if it asks about the "
         "network (start a line with ? to force a question).")


def _users(n: int) -> str:
    return f"{n} user" if n == 1 else f"{n} users"


def _loads(result: dict[str, Any]) -> str:
    users = result["users"]
    return (f"eMBB {result['embb_utilization']:.0%} ({_users(users['eMBB'])}), "
            f"URLLC {result['urllc_utilization']:.0%} ({_users(users['URLLC'])}), "
            f"{result['throughput_mbps']:.1f} Mbps in all")


def privacy_summary(pv: dict[str, Any]) -> str:
    """What the privacy filter did for the planning role, in one clause."""
    if not pv["filter"]:
        return f"privacy filter off: {pv['documents']} passed"
    # Withheld profile fields are left to /explain: the chat's requests carry no subscriber id.
    parts = [f"privacy: {pv['documents']} passed"]
    parts.append(f"redacted {', '.join(pv['removed'])}" if pv["removed"] else "nothing redacted")
    if pv["injection"]:
        parts.append(f"injection suspected in {', '.join(pv['injection'])}")
    return ", ".join(parts)


def requirements_line(req: dict[str, Any]) -> str:
    """The stated QoS figures in a few words, with the 5QI and the slice they imply."""
    parts = [f"{name} {req[key]:g}{unit}" for key, name, unit in (
        ("latency_ms", "latency", " ms"), ("cycle_ms", "cycle", " ms"),
        ("jitter_ms", "jitter", " ms"), ("rate_down_mbps", "down", " Mbps"),
        ("rate_up_mbps", "up", " Mbps"), ("rate_mbps", "rate", " Mbps"),
        ("payload_bytes", "payload", " B"), ("update_hz", "update", " Hz")) if key in req]
    if "reliability" in req:
        parts.append(f"reliability {req['reliability'] * 100:.6g} %")
    parts += [flag.replace("_", " ") for flag in ("best_effort", "tolerant", "critical")
              if req.get(flag)]
    qi = req.get("5qi")
    if qi:
        parts.append(f"5QI {qi['value']} ({qi['resource_type']}, {qi['pdb_ms']:g} ms, "
                     f"PER {qi['per']:.0e})")
    if req.get("conflict"):
        parts.append("figures conflict")
    elif req.get("slice"):
        parts.append(f"-> {req['slice']}")
    return ", ".join(parts) or "none"


def decision(console: Console, rec: dict[str, Any]) -> None:
    """A decision's four stages: intent, recall after privacy, plan, result and slice loads."""
    i, p, r, pv = rec["intent"], rec["plan"], rec["result"], rec["privacy"]
    _line(console, (f"user {rec['user']}", "bold"), f" \"{rec['request']}\" (CQI {rec['cqi']})")
    source = i["source"] if i["source"] != "model" else rec.get("model_label", rec["model"])
    _line(console, ("  intent    ", "dim"), (i["slice"], "bold"),
          f" {i['application']}, confidence {i['confidence']:.2f} ({source})")
    # -- intent (issue 13): stated figures, and the clarifying question for an unclear request
    if i.get("requirements"):
        _line(console, ("  figures   ", "dim"), requirements_line(i["requirements"]))
    if i.get("unclear"):
        _line(console, ("  unclear   ", "dim"), ("not admitted; ", "bold"), i.get("question") or "")
    # --
    knowledge = [x["id"] for x in rec["recalled"] if x["kind"] == "knowledge"]
    past = [x for x in rec["recalled"] if x["kind"] == "episode"]
    recalled = ", ".join(knowledge) or "no knowledge"
    if past:
        recalled += f" + {len(past)} past decision(s), nearest {recalled_names(past, 28)[0]}"
    _line(console, ("  recalled  ", "dim"), recalled, (f"  [{privacy_summary(pv)}]", "dim"))
    if p["admit"]:
        shifts = [f"user {u} {a:.2f}->{b:.2f}" for u, (a, b) in rec["changed"].items()]
        more = f" and {len(shifts) - 3} more" if len(shifts) > 3 else ""
        moved = f"; re-split {', '.join(shifts[:3])}{more} MHz" if shifts else ""
        replan = f" after {p['replans']} re-plan(s)" if p["replans"] else ""
        _line(console, ("  plan      ", "dim"),
              f"{p['slice']} {p['bandwidth']:.2f} MHz (floor {p['min_bandwidth']:.2f}) -> "
              f"{p['expected_rate_mbps']:.1f} Mbps{moved}{replan}")
    else:
        _line(console, ("  plan      ", "dim"), f"reject: {p['reason']}")
    outcome = (("admitted", "bold green") if r["admitted"]
               else ("rejected", "bold red"))
    got = (f" at {r['bandwidth']:.2f} MHz, {r['rate_mbps']:.1f} Mbps" if r["admitted"]
           else (f" ({r['reason']})" if r["reason"] and p["admit"] else ""))
    _line(console, ("  result    ", "dim"), outcome, f"{got}. Now {_loads(r)}.")


def status(console: Console, session: ChatSession) -> None:
    """Slice loads and users per slice as a table, then the network totals."""
    data = tools.slice_status(session)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in ("slice", "users", "used MHz", "free MHz", "load"):
        table.add_column(col, justify="left" if col == "slice" else "right")
    for name, s in data["slices"].items():
        table.add_row(name, str(s["users"]), f"{s['used_mhz']:.2f}", f"{s['free_mhz']:.2f}",
                      f"{s['utilization']:.0%}")
    console.print(table)
    _line(console, f"{data['arrived']} arrived, {data['admitted']} admitted, "
          f"{data['rejected']} rejected, {data['min_rate_violations']} below minimum rate; "
          f"throughput {data['throughput_mbps']:.1f} Mbps; {data['slots_left']} slots left.")


def users(console: Console, session: ChatSession) -> None:
    """Every user so far as a table."""
    rows = tools.list_users(session)
    if not rows:
        note(console, "no users yet; type a subscriber request")
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for col in ("user", "request", "CQI", "slice", "MHz", "Mbps"):
        table.add_column(col, justify="left" if col in ("request", "slice") else "right")
    for u in rows:
        req = u["request"] if len(u["request"]) <= 40 else u["request"][:39] + "…"
        if u["served"]:
            table.add_row(str(u["user"]), Text(req), str(u["cqi"]), u["slice"],
                          f"{u['bandwidth_mhz']:.2f}", f"{u['rate_mbps']:.1f}")
        else:
            table.add_row(str(u["user"]), Text(req), str(u["cqi"]), "rejected", "-", "-")
    console.print(table)


def history(console: Console, session: ChatSession, last: int = 3) -> None:
    """The last turns of a resumed session."""
    turns = session.conversation(last)
    if not turns:
        return
    note(console, f"session {session.name} resumed: {len(session.records)} user(s) on the "
         "network; the last turns were")
    for e in turns:
        said = e["output"] if e["kind"] == "question" else e["decision"]["explanation"]
        _line(console, ("> ", "bold"), e["input"])
        _line(console, "  ", said.splitlines()[0] if said else "")
