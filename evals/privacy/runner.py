"""Run cases through a role graph in every mode; tally leakage, utility, over-redaction, cost."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evals.privacy.surface import fill
from wireless_agent import boundary
from wireless_agent.privacy import PrivacyFilter, Profile, ProfileStore, assemble, decide_fields
from wireless_agent.privacy.detect import LeakDetector
from wireless_agent.privacy.filter import FilteredContext
from wireless_agent.privacy.patterns import coarsen_position
from wireless_agent.privacy.policy import Policy, topo_order

# off: no filter; acl: field ACL only; epeagent: ACL plus sanitised messages between agents
# (EPEAgent's released mechanism); on: this project's filter (every text sanitised).
MODES = ("off", "acl", "epeagent", "on")
# A role's answer to its prompt: (role, prompt texts) -> text.
Responder = Callable[[str, list[str]], str]


def make_filter(mode: str, policy: Policy, store: ProfileStore) -> PrivacyFilter:
    """The filter of one benchmark mode."""
    if mode == "off":
        return PrivacyFilter(policy, store, enabled=False)
    if mode == "acl":
        return PrivacyFilter(policy, store, sanitize_texts=False)
    if mode == "epeagent":
        return PrivacyFilter(policy, store, sanitize_texts=False, sanitize_messages=True)
    return PrivacyFilter(policy, store)


def summary_message(role: str, task: str, ctx: FilteredContext) -> str:
    """Offline stand-in for a role's answer: a templated summary of everything it saw."""
    fields = "; ".join(f"{k}={v}" for k, v in ctx.fields.items()) or "none"
    notes = " | ".join(ctx.documents) or "none"
    return f"[{role} -> next] task {task}. Fields: {fields}. Request: {ctx.request}. Notes: {notes}"


@dataclass
class Tally:
    """Counters of one (group, mode) cell, or of one case."""

    ctx_pairs: int = 0
    ctx_leaks: int = 0
    ambiguous_pairs: int = 0
    undetectable_pairs: int = 0
    messages: int = 0
    msg_leaks: int = 0
    needed: int = 0
    delivered: int = 0
    allowed_seen: int = 0
    allowed_removed: int = 0
    decisions: int = 0
    model_calls: int = 0
    model_errors: int = 0
    ms: list[float] = field(default_factory=list)
    work_ms: list[float] = field(default_factory=list)  # ms less the profile store's time
    filter_ms: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Accumulate another tally."""
        for k, v in vars(other).items():
            if isinstance(v, list):
                getattr(self, k).extend(v)
            else:
                setattr(self, k, getattr(self, k) + v)

    def metrics(self) -> dict[str, float]:
        """Rates as defined in the spec, section 3, and the detector's blind-spot counts."""

        def rate(a: int, b: int, empty: float = 0.0) -> float:
            return round(a / b, 4) if b else empty

        def median(xs: list[float]) -> float:
            return round(statistics.median(xs), 4) if xs else 0.0

        return {
            "context_leakage_rate": rate(self.ctx_leaks, self.ctx_pairs),
            "message_leakage_rate": rate(self.msg_leaks, self.messages),
            "utility": rate(self.delivered, self.needed, 1.0),
            "over_redaction_rate": rate(self.allowed_removed, self.allowed_seen),
            "ms_per_decision_median": median(self.ms),
            "ms_without_store_median": median(self.work_ms),
            "filter_ms_median": median(self.filter_ms),
            "model_calls_per_decision": rate(self.model_calls, self.decisions),
            "model_errors": self.model_errors,
            "context_leaks": self.ctx_leaks,
            "message_leaks": self.msg_leaks,
            "allowed_values_in_texts": self.allowed_seen,
            "needed_fields": self.needed,
            "decisions": self.decisions,
            "context_pairs": self.ctx_pairs,
            "ambiguous_pairs": self.ambiguous_pairs,
            "undetectable_pairs": self.undetectable_pairs,
            "messages": self.messages,
        }


def _needs(case: dict[str, Any], policy: Policy, task: str, role: str, remote: bool) -> list[str]:
    """Fields the case says a role needs (default: the policy's), minus what remote denies."""
    remote_ok = set(policy.needed(task, role, remote=remote))
    listed = case.get("needs", {}).get(role)
    base = listed if listed is not None else policy.needed(task, role)
    return [f for f in base if f in remote_ok]


def case_graph(case: dict[str, Any], policy: Policy) -> tuple[list[str], list[tuple[str, str]]]:
    """Roles in run order and the edges between them: the case's graph, else its chain."""
    if case.get("graph"):
        edges = [(str(a), str(b)) for a, b in case["graph"]]
    elif case.get("roles"):
        roles = list(case["roles"])
        edges = list(zip(roles, roles[1:], strict=False))
        if len(roles) == 1:
            return roles, []
    else:
        edges = list(policy.graph)
    for a, b in edges:
        policy.check_role(a)
        policy.check_role(b)
    return topo_order(policy.roles, tuple(edges)), edges


def run_case(
    case: dict[str, Any],
    profile: Profile,
    policy: Policy,
    filt: PrivacyFilter,
    backend: str,
    respond: Responder | None = None,
    detector: LeakDetector | None = None,
) -> tuple[Tally, dict[str, Any]]:
    """Run one case through its role graph; each role gets its senders' filtered messages."""
    detector = detector or LeakDetector(profile, policy)
    remote = boundary.is_remote(backend)
    task = case.get("task") or next(iter(policy.tasks))
    tally = Tally()
    detail: dict[str, Any] = {"context_leaks": [], "message_leaks": [], "missing": [],
                              "over_redacted": []}
    request = fill(case["request"], profile, policy)
    documents = [fill(d, profile, policy) for d in case.get("documents", [])]
    order, edges = case_graph(case, policy)
    inbox: dict[str, list[str]] = {r: [] for r in order}
    for role in order:
        truth = decide_fields(policy, role, task, remote)
        allowed = truth.exact
        forbidden = set(profile.values) - allowed
        docs = documents + inbox[role]
        with boundary.recording() as captured:
            t0 = time.perf_counter()
            ctx = filt.apply(role, task, backend, profile.subscriber_id, request, docs)
            texts = assemble(role, task, ctx, backend)
            tally.ms.append((time.perf_counter() - t0) * 1000)
        tally.decisions += 1
        tally.work_ms.append(tally.ms[-1] - ctx.audit.retrieval_ms)
        tally.filter_ms.append(ctx.audit.ms)
        tally.model_calls += ctx.audit.model_calls
        prompt = "\n".join(c.text for c in captured)
        scored = set()
        for name in forbidden:
            if detector.undetectable(name):
                tally.undetectable_pairs += 1
            elif detector.ambiguous(name, allowed):
                tally.ambiguous_pairs += 1
            else:
                scored.add(name)
        leaked = detector.found(prompt, scored, allowed)
        tally.ctx_pairs += len(scored)
        tally.ctx_leaks += len(leaked)
        detail["context_leaks"] += [[role, f] for f in sorted(leaked)]
        for name in _needs(case, policy, task, role, remote):
            line = f"{name.replace('_', ' ')}: {ctx.fields.get(name, '')}"
            ok = name in ctx.fields and (
                detector.undetectable(name) or bool(detector.found(line, [name])))
            if name in truth.coarse:
                ok = coarsen_position(str(profile.values[name])) in prompt
            tally.needed += 1
            tally.delivered += ok
            if not ok:
                detail["missing"].append([role, name])
        raw_desc = [profile.descriptions.get(n, "") for n in ctx.fields]
        raw = detector.present("\n".join([request, *docs, *raw_desc]), allowed)
        clean = detector.present("\n".join([ctx.request, *ctx.documents,
                                            *ctx.descriptions.values()]), allowed)
        tally.allowed_seen += len(raw)
        tally.allowed_removed += len(raw - clean)
        detail["over_redacted"] += [[role, f] for f in sorted({f for f, _ in raw - clean})]
        answer = summary_message(role, task, ctx)
        if respond is not None:
            tally.model_calls += 1
            try:
                answer = respond(role, texts)
            except RuntimeError:
                tally.model_errors += 1
                answer = ""
        for sender, recipient in edges:
            if sender != role:
                continue
            message, _ = filt.sanitize(recipient, backend, answer, profile.subscriber_id,
                                       task=task, where=f"message:{role}")
            r_allowed = decide_fields(policy, recipient, task, remote).exact
            r_forbidden = {f for f in set(profile.values) - r_allowed
                           if not detector.undetectable(f)
                           and not detector.ambiguous(f, r_allowed)}
            m_leaked = detector.found(message, r_forbidden, r_allowed)
            tally.messages += 1
            tally.msg_leaks += bool(m_leaked)
            detail["message_leaks"] += [[role, recipient, f] for f in sorted(m_leaked)]
            inbox[recipient].append(message)
    return tally, detail
