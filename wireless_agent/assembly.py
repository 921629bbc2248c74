"""Context assembly: what passed the privacy filter, turned into the perception prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from env.slices import BY_INDEX, SLICES, SliceSpec
from prompts import render
from wireless_agent.state import NetworkView, RetrievedItem, RoleContext

# Knowledge topics that help classify a request; the others restate limits the rules below
# already give from env/slices.py, or are about planning.
PERCEPTION_TOPICS = frozenset({"intent"})
MAX_EXAMPLES = 4
MAX_DECISIONS = 3


def _n(x: float) -> str:
    """A number as a person writes it: 90 not 90.0."""
    return f"{x:g}"


def slice_rule(spec: SliceSpec) -> str:
    """One slice's limits, every number read from its SliceSpec."""
    lo, hi = spec.latency_ms
    return (f"- {spec.name}: latency {_n(lo)} to {_n(hi)} ms; {_n(spec.rate_min_mbps)} to "
            f"{_n(spec.rate_max_mbps)} Mbps per user on {_n(spec.bw_min_mhz)} to "
            f"{_n(spec.bw_max_mhz)} MHz each; {_n(spec.capacity_mhz)} MHz in all.")


def slice_rules() -> str:
    """The slicing rules of the case study, from env/slices.py."""
    return "\n".join(slice_rule(s) for s in SLICES)


@dataclass(frozen=True)
class PromptContext:
    """What one prompt may show besides the request: all of it already filtered."""

    network: str = ""  # the network view from the tools, one line
    channel: str = ""  # the arriving user's channel, only where the policy lets the role see it
    fields: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def network_line(network: NetworkView) -> str:
    """Per-slice free MHz and users now, and the arrivals still to come."""
    parts = []
    for s in SLICES:
        load = network.get(s.name)
        if load:
            parts.append(f"{s.name} {_n(load['free_mhz'])} of {_n(load['capacity_mhz'])} MHz "
                         f"free ({load['users']} users)")
    return "; ".join(parts) + f"; {network.get('remaining', 0)} more arrivals expected."


def example_line(item: RetrievedItem) -> str:
    """A labelled request in the answer's own format (a few-shot example)."""
    m = item["metadata"]
    answer = {"slice": m.get("slice"), "application": m.get("application"),
              "latency_ms": m.get("latency_ms"), "min_rate_mbps": m.get("min_rate_mbps")}
    return f"{json.dumps(item['text'], ensure_ascii=False)} -> {json.dumps(answer)}"


def decision_line(item: RetrievedItem) -> str:
    """A past decision on a similar request and how it ended."""
    m = item["metadata"]
    spec = BY_INDEX.get(int(m.get("slice_index", 0) or 0))
    name = spec.name if spec is not None else "no slice"
    app = m.get("application") or "unknown application"
    outcome = (f"admitted with {_n(float(m.get('bandwidth', 0.0)))} MHz" if m.get("admitted")
               else "rejected")
    return f"{json.dumps(item['text'], ensure_ascii=False)} -> {name} ({app}), {outcome}"


def prompt_context(role: RoleContext, network: NetworkView, channel: str = "") -> PromptContext:
    """The parts of a prompt, from one role's filtered context and the tools' network view."""
    items = role["items"]
    return PromptContext(
        network=network_line(network), channel=channel, fields=dict(role["fields"]),
        descriptions=dict(role["descriptions"]),
        examples=tuple(example_line(i) for i in items if i["kind"] == "example")[:MAX_EXAMPLES],
        decisions=tuple(decision_line(i) for i in items if i["kind"] == "episode")[
            :MAX_DECISIONS],
        notes=tuple(i["text"] for i in items if i["kind"] == "knowledge"
                    and i["metadata"].get("topic") in PERCEPTION_TOPICS),
    )


def context_message(ctx: PromptContext, request: str) -> str:
    """The user message: the filtered context, section by section, then the marked request."""
    parts = []
    if ctx.network:
        parts.append(f"Network now (from the network tools): {ctx.network}")
    if ctx.channel:
        parts.append(f"This user's channel: {ctx.channel}")
    if ctx.fields:
        lines = [f"- {k}: {v}" + (f" ({ctx.descriptions[k]})" if k in ctx.descriptions else "")
                 for k, v in ctx.fields.items()]
        parts.append("Subscriber data the privacy policy lets you read:\n" + "\n".join(lines))
    if ctx.examples:
        parts.append("Labelled examples of similar requests:\n"
                     + "\n".join(f"- {e}" for e in ctx.examples))
    if ctx.decisions:
        parts.append("Past decisions on similar requests and their outcome:\n"
                     + "\n".join(f"- {d}" for d in ctx.decisions))
    if ctx.notes:
        parts.append("Notes from memory:\n" + "\n".join(f"- {n}" for n in ctx.notes))
    parts.append(f"The request:\n<<<REQUEST\n{request}\nREQUEST>>>")
    return "\n\n".join(parts)


def perception_prompt(request: str, ctx: PromptContext | None = None) -> list[tuple[str, str]]:
    """The perception prompt: fixed instructions with the slice rules, then context and request."""
    system = render("perception", slices=slice_rules())
    return [("system", system), ("user", context_message(ctx or PromptContext(), request))]
