"""Per-domain privacy policies loaded from JSON: which role may read which field for which task."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

POLICY_DIR = Path(__file__).with_name("policies")
KINDS = frozenset(
    {
        "identifier",
        "contact",
        "location",
        "financial",
        "health",
        "technical",
        "commercial",
        "behavioural",
        "preference",
    }
)
FORMATS = frozenset(
    {
        "name",
        "digits",
        "phone",
        "email",
        "iban",
        "code",
        "address",
        "position",
        "date",
        "money",
        "short",
        "text",
        "list",
        "dict",
        "transactions",
        "number",
        "records",
    }
)
REMOTE_RULES = frozenset({"allow", "deny", "coarsen"})
# Kinds that a remote model never receives, whatever a field's own rule says.
DIRECT_IDENTIFIER_KINDS = frozenset({"identifier", "contact"})
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
# A description restating a value usually shows up as a run of digits or an e-mail address.
_VALUE_LIKE = re.compile(r"\d{2,}|@|\b[A-Z]{2}\d{2}")
# A scale such as "1 to 15" describes the field, not a subscriber's value.
_SCALE = re.compile(r"\b\d+ to \d+\b")


class PolicyError(ValueError):
    """A policy file that breaks the schema documented in POLICY.md."""


@dataclass(frozen=True)
class FieldPolicy:
    """Access rule of one profile field."""

    name: str
    description: str
    kind: str
    format: str
    roles: frozenset[str]
    tasks: frozenset[str]
    remote: str
    aliases: tuple[str, ...] = ()

    def remote_rule(self) -> str:
        """The effective rule for remote backends: direct identifiers are always denied."""
        return "deny" if self.kind in DIRECT_IDENTIFIER_KINDS else self.remote


@dataclass(frozen=True)
class Policy:
    """A domain's roles, tasks and field rules; anything not granted is denied."""

    domain: str
    roles: tuple[str, ...]
    tasks: dict[str, str]
    fields: dict[str, FieldPolicy]
    # Who sends to whom (fan-in allowed); empty: the roles form a chain in their order.
    graph: tuple[tuple[str, str], ...] = ()

    def may_read(self, role: str, field: str) -> bool:
        """Whether the ACL lets a role read a field at all (default deny)."""
        rule = self.fields.get(field)
        return rule is not None and role in rule.roles

    def acl(self, role: str) -> list[str]:
        """Fields the role may read, in policy order."""
        return [f for f, rule in self.fields.items() if role in rule.roles]

    def needed(self, task: str, role: str, remote: bool = False) -> list[str]:
        """Fields a task needs from a role's point of view, after the remote rule."""
        out = []
        for name, rule in self.fields.items():
            if role not in rule.roles or task not in rule.tasks:
                continue
            if remote and rule.remote_rule() == "deny":
                continue
            out.append(name)
        return out

    def check_role(self, role: str) -> None:
        """Raise on a role the policy does not define (a typo must not read as deny-all)."""
        if role not in self.roles:
            raise PolicyError(f"role {role!r} is not defined in the {self.domain} policy")

    def check_task(self, task: str) -> None:
        """Raise on a task the policy does not define."""
        if task not in self.tasks:
            raise PolicyError(f"task {task!r} is not defined in the {self.domain} policy")


def parse_policy(data: dict) -> Policy:
    """Validate a policy document and build a Policy from it."""
    domain = str(data.get("domain", ""))
    roles = tuple(data.get("roles", ()))
    tasks = dict(data.get("tasks", {}))
    if not domain or not roles or not tasks:
        raise PolicyError("a policy needs a domain, roles and tasks")
    for role in roles:
        if not _ROLE_NAME.match(role):
            raise PolicyError(f"role name {role!r} must match {_ROLE_NAME.pattern}")
    fields: dict[str, FieldPolicy] = {}
    for raw in data.get("fields", ()):
        rule = FieldPolicy(
            name=raw["name"],
            description=raw["description"],
            kind=raw["kind"],
            format=raw.get("format", "text"),
            roles=frozenset(raw.get("roles", ())),
            tasks=frozenset(raw.get("tasks", ())),
            remote=raw.get("remote", "deny"),
            aliases=tuple(raw.get("aliases", ())),
        )
        _check_field(rule, roles, tasks)
        if rule.name in fields:
            raise PolicyError(f"field {rule.name!r} is defined twice")
        fields[rule.name] = rule
    graph = parse_graph(data.get("graph", ()), roles)
    return Policy(domain=domain, roles=roles, tasks=tasks, fields=fields, graph=graph)


def parse_graph(edges: object, roles: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Validate a role graph given as [[sender, recipient], ...]: known roles, no cycle."""
    if not isinstance(edges, list | tuple):
        raise PolicyError("graph must be a list of [sender, recipient] pairs")
    out: list[tuple[str, str]] = []
    for edge in edges:
        if not (isinstance(edge, list | tuple) and len(edge) == 2):
            raise PolicyError(f"graph edge {edge!r} must be a [sender, recipient] pair")
        a, b = str(edge[0]), str(edge[1])
        if a not in roles or b not in roles:
            raise PolicyError(f"graph edge {a!r} -> {b!r} names a role not in {list(roles)}")
        out.append((a, b))
    topo_order(roles, tuple(out))
    return tuple(out)


def topo_order(roles: tuple[str, ...], graph: tuple[tuple[str, str], ...]) -> list[str]:
    """Roles in an order where every sender comes before its recipients (roles that appear)."""
    nodes = [r for r in roles if any(r in e for e in graph)] if graph else list(roles)
    order, done = [], set()
    pending = list(nodes)
    while pending:
        ready = [r for r in pending if all(a in done for a, b in graph if b == r)]
        if not ready:
            raise PolicyError(f"the role graph has a cycle among {pending}")
        for r in ready:
            order.append(r)
            done.add(r)
            pending.remove(r)
    return order


def _check_field(rule: FieldPolicy, roles: tuple[str, ...], tasks: dict[str, str]) -> None:
    """Reject a field rule that refers to unknown roles or tasks or restates a value."""
    if rule.kind not in KINDS:
        raise PolicyError(f"{rule.name}: unknown kind {rule.kind!r}")
    if rule.format not in FORMATS:
        raise PolicyError(f"{rule.name}: unknown format {rule.format!r}")
    if rule.remote not in REMOTE_RULES:
        raise PolicyError(f"{rule.name}: remote must be one of {sorted(REMOTE_RULES)}")
    if unknown := rule.roles - set(roles):
        raise PolicyError(f"{rule.name}: unknown roles {sorted(unknown)}")
    if unknown := rule.tasks - set(tasks):
        raise PolicyError(f"{rule.name}: unknown tasks {sorted(unknown)}")
    # Descriptions reach prompts next to values; one that restates a value leaks it (EPEAgent).
    if _VALUE_LIKE.search(_SCALE.sub("", rule.description)):
        raise PolicyError(f"{rule.name}: the description looks like it restates a value")


def available_domains() -> list[str]:
    """Domains that have a bundled policy file."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.json"))


@cache
def load_policy(domain: str) -> Policy:
    """Load the bundled policy of a domain, or a policy file if a path is given."""
    path = Path(domain) if domain.endswith(".json") else POLICY_DIR / f"{domain}.json"
    if not path.is_file():
        raise PolicyError(f"no policy for {domain!r} (have {available_domains()})")
    return parse_policy(json.loads(path.read_text(encoding="utf-8")))
