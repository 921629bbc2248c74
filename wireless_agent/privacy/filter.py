"""The privacy filter between retrieval and context assembly: ACL, minimisation, sanitisation."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from wireless_agent import boundary
from wireless_agent.privacy.audit import AuditLog, AuditRecord, Removal
from wireless_agent.privacy.minimise import FieldDecision, FieldSelector, decide_fields
from wireless_agent.privacy.patterns import coarsen_position
from wireless_agent.privacy.policy import Policy, load_policy
from wireless_agent.privacy.profiles import render_value
from wireless_agent.privacy.sanitize import ValuePatterns, sanitize_many, sanitize_text
from wireless_agent.privacy.store import ProfileStore

# Imperatives aimed at the model inside retrieved data; flagged for the audit, never obeyed.
INJECTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier) (?:instructions|rules)"
    r"|disregard (?:the |your |all )?(?:policy|instructions|rules)"
    r"|(?:include|reveal|add|append|forward|send|print|output|repeat|disclose)\b[^.\n]{0,40}"
    r"\b(?:subscriber|client|patient|user|customer)'?s?\b"
    r"|system prompt|new instructions|you are now|as the administrator",
    re.IGNORECASE,
)


# Words every INJECTION match contains: a substring test is 20x cheaper than the regex.
_INJECTION_WORDS = ("ignore", "disregard", "system prompt", "instructions", "you are now",
                    "administrator", "include", "reveal", "add", "append", "forward", "send",
                    "print", "output", "repeat", "disclose")


def injection_suspected(text: str) -> bool:
    """Whether a retrieved text carries instructions aimed at the model."""
    low = text.lower()
    return any(w in low for w in _INJECTION_WORDS) and bool(INJECTION.search(text))


@dataclass(frozen=True)
class FilteredContext:
    """What one role may use: the fields that reached it and the sanitised texts."""

    role: str
    task: str
    backend: str
    subscriber_id: str | None
    fields: dict[str, str]  # field -> rendered value (coarsened for remote where the policy says)
    descriptions: dict[str, str]
    request: str
    documents: list[str]
    audit: AuditRecord
    enabled: bool = True

    @property
    def remote(self) -> bool:
        """Whether the context was filtered for a remote backend."""
        return boundary.is_remote(self.backend)


class PrivacyFilter:
    """Trusted intermediary: holds the full profile, hands each role only what it may see."""

    def __init__(
        self,
        policy: Policy | str,
        store: ProfileStore | None = None,
        enabled: bool = True,
        *,
        select_fields: FieldSelector | None = None,
        sanitize_texts: bool = True,
        sanitize_messages: bool | None = None,
        audit_log: AuditLog | None = None,
    ) -> None:
        self.policy = load_policy(policy) if isinstance(policy, str) else policy
        self.store = store
        self.enabled = enabled
        self.select_fields = select_fields
        # False gives field-level ACL only; with sanitize_messages=True it is EPEAgent's
        # released mechanism (ACL on fields, sanitised messages between agents).
        self.sanitize_texts = sanitize_texts
        self.sanitize_messages = sanitize_texts if sanitize_messages is None else sanitize_messages
        self.audit_log = audit_log
        self._patterns: dict[str, tuple[int, ValuePatterns | None]] = {}

    def patterns(self, subscriber_id: str | None) -> ValuePatterns | None:
        """Compiled value patterns of a subscriber, cached until the store changes."""
        if subscriber_id is None or self.store is None:
            return None
        cached = self._patterns.get(subscriber_id)
        if cached is not None and cached[0] == self.store.version:
            return cached[1]
        profile = self.store.profile(subscriber_id)
        compiled = None
        if profile is not None and profile.domain == self.policy.domain:
            compiled = ValuePatterns(profile, self.policy)
        self._patterns[subscriber_id] = (self.store.version, compiled)
        return compiled

    def decide(self, role: str, task: str | None, backend: str) -> FieldDecision:
        """The field decision for a role, task and backend (no data involved)."""
        self.policy.check_role(role)
        if task is not None:
            self.policy.check_task(task)
        remote = boundary.is_remote(backend)
        return decide_fields(self.policy, role, task, remote, self.select_fields)

    def apply(
        self,
        role: str,
        task: str,
        backend: str,
        subscriber_id: str | None,
        request: str,
        documents: list[str],
    ) -> FilteredContext:
        """Retrieve what the role may read for this task and sanitise every text it will see."""
        t0 = time.perf_counter()
        remote = boundary.is_remote(backend)
        audit = AuditRecord(role, task, backend, remote, subscriber_id, self.enabled)
        descriptions = {n: r.description for n, r in self.policy.fields.items()}
        fields: dict[str, str] = {}
        if not self.enabled:
            if self.store is not None and subscriber_id is not None:
                t1 = time.perf_counter()
                got = self.store.retrieve(subscriber_id, None)
                audit.retrieval_ms = (time.perf_counter() - t1) * 1000
                fields = {r.field: render_value(r.value) for r in got.records}
                descriptions.update({r.field: r.description for r in got.records
                                     if r.description})
            audit.retrieved = audit.reached = list(fields)
            audit.ms = (time.perf_counter() - t0) * 1000
            self._log(audit)
            return FilteredContext(
                role,
                task,
                backend,
                subscriber_id,
                fields,
                {n: descriptions[n] for n in fields if n in descriptions},
                request,
                list(documents),
                audit,
                enabled=False,
            )

        decision = self.decide(role, task, backend)
        audit.model_calls = decision.model_calls
        if self.store is not None and subscriber_id is not None and decision.reached:
            t1 = time.perf_counter()
            got = self.store.retrieve(subscriber_id, role, list(decision.reached))
            audit.retrieval_ms = (time.perf_counter() - t1) * 1000
            audit.retrieved = [r.field for r in got.records] + [f for f, _ in got.dropped]
            for name, reason in got.dropped:
                audit.removed.append(Removal(name, reason, "", "retrieval"))
            for rec in got.records:
                # Second check against this filter's own policy, whatever the store believes.
                if rec.domain != self.policy.domain or rec.field not in decision.reached:
                    audit.removed.append(Removal(rec.field, "tampered:recheck", "", "retrieval"))
                    continue
                text = render_value(rec.value)
                if rec.description:
                    descriptions[rec.field] = rec.description
                if rec.field in decision.coarse:
                    text = coarsen_position(text)
                    audit.coarsened.append(rec.field)
                fields[rec.field] = text
        for name, reason in decision.denied.items():
            if reason != "remote_precision":
                audit.removed.append(Removal(name, reason, "", "retrieval"))

        removed: list[dict[str, str]] = []
        if self.sanitize_texts:
            # Field values, descriptions (data too: EPEAgent's restate values of other
            # fields), the request and the documents, in one pass.
            names = list(fields)
            descs = [n for n in names if n in descriptions]
            texts = ([fields[n] for n in names] + [descriptions[n] for n in descs]
                     + [request, *documents])
            wheres = ([f"field:{n}" for n in names] + [f"description:{n}" for n in descs]
                      + ["request"] + [f"document[{i}]" for i in range(len(documents))])
            clean = sanitize_many(texts, self.patterns(subscriber_id), decision.denied,
                                  decision.exact, wheres, removed)
            k = len(names)
            fields = dict(zip(names, clean[:k], strict=True))
            descriptions = dict(zip(descs, clean[k : k + len(descs)], strict=True))
            request = clean[k + len(descs)]
            documents = clean[k + len(descs) + 1 :]
        audit.removed.extend(Removal(**r) for r in removed)
        audit.injection_suspected = [
            f"document[{i}]" for i, d in enumerate(documents) if injection_suspected(d)
        ]
        audit.reached = list(fields)
        audit.ms = (time.perf_counter() - t0) * 1000
        self._log(audit)
        return FilteredContext(
            role,
            task,
            backend,
            subscriber_id,
            fields,
            {n: descriptions[n] for n in fields if n in descriptions},
            request,
            list(documents),
            audit,
        )

    def sanitize(
        self,
        role: str,
        backend: str,
        text: str,
        subscriber_id: str | None = None,
        *,
        task: str | None = None,
        where: str = "text",
    ) -> tuple[str, list[dict]]:
        """Sanitise a text assembled outside retrieval (a request, a model's rewrite, a message).

        Without a task only the ACL and the remote rules apply; with one, minimisation too.
        """
        if not self.enabled or not self.sanitize_messages:
            return text, []
        decision = self.decide(role, task, backend)
        removed: list[dict[str, str]] = []
        out = sanitize_text(
            text, self.patterns(subscriber_id), decision.denied, decision.exact, where, removed
        )
        return out, removed

    def _log(self, audit: AuditRecord) -> None:
        if self.audit_log is not None:
            self.audit_log.append(audit)
