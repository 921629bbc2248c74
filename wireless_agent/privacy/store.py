"""Chroma store of profiles: one record per (subscriber, field), the role ACL carried as flags."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wireless_agent.memory.embedding import HashingEmbedding
from wireless_agent.privacy.checks import check_descriptions
from wireless_agent.privacy.policy import Policy, load_policy
from wireless_agent.privacy.profiles import Profile, Value, render_value


@dataclass(frozen=True)
class FieldRecord:
    """One retrieved field of one subscriber."""

    subscriber_id: str
    domain: str
    field: str
    value: Value
    description: str = ""  # the profile's own description of the field, if it has one


@dataclass
class Retrieval:
    """What a query returned after the re-check: kept records and dropped field names."""

    records: list[FieldRecord] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (field, reason)


def role_flag(role: str) -> str:
    """Metadata key of a role's read flag."""
    return f"role_{role}"


class ProfileStore:
    """Subscriber profiles in a Chroma collection; retrieval filtered by the role's ACL."""

    def __init__(
        self,
        client: Any,
        collection: str = "subscriber_profiles",
        policies: Mapping[str, Policy] | None = None,
    ) -> None:
        self.collection = client.get_or_create_collection(
            collection, embedding_function=HashingEmbedding(), metadata={"hnsw:space": "cosine"}
        )
        self.policies: dict[str, Policy] = dict(policies or {})
        # Bumped on every write so that caches of compiled value patterns know to refresh.
        self.version = 0

    def policy_for(self, domain: str) -> Policy | None:
        """The policy records of a domain are checked against (bundled one if none was given)."""
        if domain not in self.policies:
            try:
                self.policies[domain] = load_policy(domain)
            except ValueError:
                return None
        return self.policies[domain]

    def add(self, profiles: Iterable[Profile], policy: Policy | None = None) -> int:
        """Upsert profiles, one record per field with the policy's role flags; returns count.

        Raises PolicyError if a policy description restates one of the values (checks.py).
        """
        ids, docs, metas = [], [], []
        profiles = list(profiles)
        for profile in profiles:
            pol = policy or self.policy_for(profile.domain)
            if pol is None or pol.domain != profile.domain:
                raise ValueError(f"no policy for domain {profile.domain!r}")
            check_descriptions(pol, [profile])
            self.policies[pol.domain] = pol
            for name, value in profile.values.items():
                rule = pol.fields.get(name)
                meta: dict[str, Any] = {
                    "subscriber_id": profile.subscriber_id,
                    "domain": profile.domain,
                    "field": name,
                    "kind": rule.kind if rule else "unknown",
                    "value_json": json.dumps(value),
                    "description": profile.descriptions.get(name, ""),
                }
                for role in pol.roles:
                    meta[role_flag(role)] = bool(rule and role in rule.roles)
                ids.append(f"{profile.subscriber_id}:{name}")
                docs.append(f"{name}: {render_value(value)}")
                metas.append(meta)
        for start in range(0, len(ids), 2000):
            end = start + 2000
            self.collection.upsert(
                ids=ids[start:end], documents=docs[start:end], metadatas=metas[start:end]
            )
        self.version += 1
        return len(ids)

    def retrieve(
        self, subscriber_id: str, role: str | None, fields: list[str] | None = None
    ) -> Retrieval:
        """A subscriber's fields that a role may read: ACL in the query, re-checked in code.

        role=None reads every field: only the trusted filter itself (and the benchmark's
        unfiltered mode) may do that.
        """
        clauses: list[dict[str, Any]] = [{"subscriber_id": subscriber_id}]
        if role is not None:
            clauses.append({role_flag(role): True})
        if fields is not None:
            if not fields:
                return Retrieval()
            clauses.append({"field": {"$in": list(fields)}})
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
        got = self.collection.get(where=where, include=["metadatas"])
        out = Retrieval()
        for rid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
            name = str(meta.get("field", "?"))
            reason = self._recheck(rid, meta, subscriber_id, role, fields)
            if reason:
                out.dropped.append((name, reason))
                continue
            value = json.loads(str(meta["value_json"]))
            out.records.append(FieldRecord(subscriber_id, str(meta["domain"]), name, value,
                                           str(meta.get("description") or "")))
        return out

    def _recheck(
        self,
        rid: str,
        meta: Mapping[str, Any],
        subscriber_id: str,
        role: str | None,
        fields: list[str] | None,
    ) -> str | None:
        """Why a returned record must not be used (tampered metadata), or None if it is fine."""
        if meta.get("subscriber_id") != subscriber_id:
            return "tampered:subscriber_id"
        if rid != f"{subscriber_id}:{meta.get('field')}":
            # A record relabelled as another field would smuggle that field's value.
            return "tampered:id"
        policy = self.policy_for(str(meta.get("domain")))
        name = str(meta.get("field"))
        if policy is None or name not in policy.fields:
            return "tampered:unknown_field"
        if fields is not None and name not in fields:
            return "tampered:field"
        if role is not None and not policy.may_read(role, name):
            return "tampered:acl_flag"
        if "value_json" not in meta:
            return "tampered:no_value"
        return None

    def profile(self, subscriber_id: str) -> Profile | None:
        """The full profile (trusted read for the filter's own value patterns)."""
        got = self.retrieve(subscriber_id, None)
        if not got.records:
            return None
        values = {r.field: r.value for r in got.records}
        descriptions = {r.field: r.description for r in got.records if r.description}
        return Profile(subscriber_id, got.records[0].domain, values, descriptions)
