"""Subscriber profiles: the record of one subscriber and the canonical text of its values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Value = Any  # str | int | float | list[str] | dict[str, str] | list[dict[str, Any]]


@dataclass(frozen=True)
class Profile:
    """One subscriber's (or client's, or patient's) record: field name -> value."""

    subscriber_id: str
    domain: str
    values: dict[str, Value] = field(default_factory=dict)
    # Per-profile descriptions (EPEAgent keeps one per field and user); data, sanitised as such.
    descriptions: dict[str, str] = field(default_factory=dict)

    def render(self, name: str) -> str:
        """The canonical text of one field's value."""
        return render_value(self.values[name])


def render_value(value: Value) -> str:
    """Canonical text of a value: lists joined by '; ', dicts as 'key value' pairs."""
    if isinstance(value, list):
        return "; ".join(render_value(v) for v in value)
    if isinstance(value, dict):
        if {"date", "amount", "payee"} <= value.keys():
            return f"{value['date']} {value['amount']:.2f} EUR to {value['payee']}"
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
