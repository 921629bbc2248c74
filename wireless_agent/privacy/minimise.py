"""Field decisions per (role, task, backend): ACL, task minimisation, remote rules, model choice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wireless_agent.privacy.policy import Policy

FieldSelector = Callable[[list[str]], list[str]]


@dataclass(frozen=True)
class FieldDecision:
    """Which fields reach a role, which in coarse form, and why each other field does not."""

    reached: tuple[str, ...]
    coarse: frozenset[str]
    denied: dict[str, str] = field(default_factory=dict)  # field -> acl | minimisation | remote...
    model_calls: int = 0

    @property
    def exact(self) -> frozenset[str]:
        """Fields whose exact value may appear in the role's prompt."""
        return frozenset(self.reached) - self.coarse


def decide_fields(
    policy: Policy,
    role: str,
    task: str | None,
    remote: bool,
    select_fields: FieldSelector | None = None,
) -> FieldDecision:
    """Apply ACL, then the task's needs (or a model's pick from names), then the remote rule.

    A selector sees field NAMES only and its answer is intersected with what the ACL allows:
    a model can narrow the set, never widen it.
    """
    denied: dict[str, str] = {}
    candidates: list[str] = []
    coarse: set[str] = set()
    for name, rule in policy.fields.items():
        if role not in rule.roles:
            denied[name] = "acl"
            continue
        if remote and rule.remote_rule() == "deny":
            denied[name] = "remote"
            continue
        if task is not None and select_fields is None and task not in rule.tasks:
            denied[name] = "minimisation"
            continue
        candidates.append(name)
        if remote and rule.remote_rule() == "coarsen":
            coarse.add(name)
    calls = 0
    if select_fields is not None and candidates:
        calls = 1
        picked = set(select_fields(list(candidates)))
        for name in candidates:
            if name not in picked:
                denied[name] = "not_selected"
        candidates = [n for n in candidates if n in picked]
        coarse &= set(candidates)
    # Precise forms of a coarsened field stay forbidden in text; the coarse value is delivered.
    for name in coarse:
        denied[name] = "remote_precision"
    return FieldDecision(tuple(candidates), frozenset(coarse), denied, calls)
