"""Privacy filters between retrieval and context assembly (EPEAgent-style, with sanitisation)."""

from wireless_agent.privacy.audit import AuditLog, AuditRecord, Removal
from wireless_agent.privacy.context import assemble
from wireless_agent.privacy.filter import FilteredContext, PrivacyFilter
from wireless_agent.privacy.minimise import FieldDecision, decide_fields
from wireless_agent.privacy.policy import (
    FieldPolicy,
    Policy,
    PolicyError,
    available_domains,
    load_policy,
)
from wireless_agent.privacy.profiles import Profile, render_value
from wireless_agent.privacy.store import FieldRecord, ProfileStore, Retrieval


def default_filter(client: object | None = None, audit_log: AuditLog | None = None,
                   enabled: bool = True) -> PrivacyFilter:
    """The wireless-domain filter of the agent graph; profiles live in `client` (Chroma)."""
    policy = load_policy("wireless")
    store = ProfileStore(client, policies={"wireless": policy}) if client is not None else None
    return PrivacyFilter(policy, store, enabled=enabled, audit_log=audit_log)


__all__ = [
    "default_filter",
    "AuditLog",
    "AuditRecord",
    "FieldDecision",
    "FieldPolicy",
    "FieldRecord",
    "FilteredContext",
    "Policy",
    "PolicyError",
    "PrivacyFilter",
    "Profile",
    "ProfileStore",
    "Removal",
    "Retrieval",
    "assemble",
    "available_domains",
    "decide_fields",
    "load_policy",
    "render_value",
]
