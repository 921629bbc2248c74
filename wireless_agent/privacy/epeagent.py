"""Profiles from a file: EPEAgent's `user_profiles` JSON as published, or this project's format.

EPEAgent (arXiv 2503.08175) stores one record per user, field -> {value, description,
label}, where `label` lists the numbered agents allowed to see the field. Read as published,
the labels become a policy (roles, per-field allowed lists, EPEAgent's role graph with fan-in)
and each user's descriptions stay with that user's profile, as data to be sanitised.

This project's format: {"domain": D, "profiles": [{"id": ..., "values": {...},
"descriptions": {...}}]}; its policy is the bundled one of D or the one given with --policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wireless_agent.privacy.policy import (
    FieldPolicy,
    Policy,
    PolicyError,
    load_policy,
    parse_graph,
)
from wireless_agent.privacy.profiles import Profile

# EPEAgent's agents by label: three financial, three medical.
EPEAGENT_ROLES = {
    1: "market_data",
    2: "risk_assessment",
    3: "transaction_execution",
    4: "diagnosis",
    5: "treatment",
    6: "medication",
}
# Two specialists feed the final agent of each domain, as in EPEAgent's pipeline.
EPEAGENT_GRAPH = (
    ("market_data", "transaction_execution"),
    ("risk_assessment", "transaction_execution"),
    ("diagnosis", "medication"),
    ("treatment", "medication"),
)
TASK = "user_question"


@dataclass(frozen=True)
class ProfileSet:
    """Profiles read from one file and the policy they are checked against."""

    source: str
    policy: Policy
    profiles: list[Profile]
    published: bool  # True: EPEAgent's format, labels taken as the ACL


class ProfileFileError(ValueError):
    """A profiles file in neither supported format."""


def _format_of(values: list[Any], name: str) -> str:
    """The sanitiser format a field's values need, inferred from their JSON shape."""
    present = [v for v in values if v not in (None, [], {})]
    if name == "name" and all(isinstance(v, str) for v in present):
        return "name"
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    if present and all(isinstance(v, list) for v in present):
        items = [i for v in present for i in v]
        return "records" if items and all(isinstance(i, dict) for i in items) else "list"
    if present and all(isinstance(v, dict) for v in present):
        return "dict"
    return "list" if values and all(isinstance(v, list) for v in values) else "text"


def _kind_of(name: str, labels: set[int]) -> str:
    if name == "name":
        return "identifier"
    if name in ("age", "gender"):
        return "behavioural"
    return "health" if labels and min(labels) >= 4 else "financial"


def _role(label: object) -> str:
    if not isinstance(label, int) or label not in EPEAGENT_ROLES:
        raise ProfileFileError(f"label {label!r} is not one of EPEAgent's agents 1 to 6")
    return EPEAGENT_ROLES[label]


def from_published(data: list[Any], source: str, policy: Policy | None = None) -> ProfileSet:
    """Profiles and (unless given) a policy from EPEAgent's published records."""
    stem = Path(source).stem
    domain = policy.domain if policy is not None else f"epeagent_{stem}"
    fields: dict[str, dict[str, Any]] = {}
    profiles = []
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise ProfileFileError(f"record {i} is not an object of fields")
        values, descriptions = {}, {}
        for name, entry in record.items():
            if not (isinstance(entry, dict) and "value" in entry):
                raise ProfileFileError(f"record {i}, field {name!r}: expected "
                                       "{value, description, label}")
            values[name] = entry["value"]
            if entry.get("description"):
                descriptions[name] = str(entry["description"])
            info = fields.setdefault(name, {"values": [], "labels": None})
            info["values"].append(entry["value"])
            labels = frozenset(_role(x) for x in entry.get("label", []))
            if info["labels"] is not None and info["labels"] != labels and policy is None:
                raise ProfileFileError(f"field {name!r} has different labels in different "
                                       "records; give the ACL with --policy")
            info["labels"] = labels
        profiles.append(Profile(f"{stem}-{i:03d}", domain, values, descriptions))
    if policy is None:
        roles = tuple(r for r in EPEAGENT_ROLES.values()
                      if any(r in f["labels"] for f in fields.values()))
        label_no = {v: k for k, v in EPEAGENT_ROLES.items()}
        policy = Policy(
            domain=domain,
            roles=roles,
            tasks={TASK: "The user asks the agents a question (EPEAgent: relevance per role)."},
            fields={
                name: FieldPolicy(
                    name=name,
                    description=name.replace("_", " "),
                    kind=_kind_of(name, {label_no[r] for r in f["labels"]}),
                    format=_format_of(f["values"], name),
                    roles=f["labels"],
                    tasks=frozenset({TASK}),
                    remote="allow",
                )
                for name, f in fields.items()
            },
            graph=parse_graph([e for e in EPEAGENT_GRAPH if e[0] in roles and e[1] in roles],
                              roles),
        )
    else:
        _check_fields(policy, fields, source)
    return ProfileSet(source, policy, profiles, published=True)


def from_own(data: dict[str, Any], source: str, policy: Policy | None = None) -> ProfileSet:
    """Profiles in this project's format, checked against the given or bundled policy."""
    domain = str(data.get("domain", ""))
    if policy is None:
        if not domain:
            raise ProfileFileError("a profiles file in our format needs a \"domain\"")
        policy = load_policy(domain)
    profiles = []
    for i, raw in enumerate(data.get("profiles", [])):
        if not isinstance(raw, dict) or not isinstance(raw.get("values"), dict):
            raise ProfileFileError(f"profile {i} needs \"values\": {{field: value}}")
        pid = str(raw.get("id") or f"{Path(source).stem}-{i:03d}")
        profiles.append(Profile(pid, policy.domain, dict(raw["values"]),
                                {k: str(v) for k, v in (raw.get("descriptions") or {}).items()}))
    if not profiles:
        raise ProfileFileError("no profiles in the file (\"profiles\": [...])")
    _check_fields(policy, {n: {} for p in profiles for n in p.values}, source)
    return ProfileSet(source, policy, profiles, published=False)


def _check_fields(policy: Policy, fields: dict[str, Any], source: str) -> None:
    if unknown := sorted(set(fields) - set(policy.fields)):
        raise PolicyError(f"{source}: fields {unknown} are not in the {policy.domain} policy "
                          "(default deny would hide them from every role; add them)")


def load_profiles(path: str | Path, policy: Policy | None = None) -> ProfileSet:
    """Read a profiles file in EPEAgent's published format or ours."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileFileError(f"cannot read {p}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ProfileFileError(f"{p} is not JSON: {exc}") from exc
    if isinstance(data, list):
        return from_published(data, str(p), policy)
    if isinstance(data, dict):
        return from_own(data, str(p), policy)
    raise ProfileFileError(f"{p}: expected a list of EPEAgent records or an object with "
                           "\"profiles\"")
