"""Audit records of filter decisions (field names and reasons, never values) and a JSONL log."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Removal:
    """One thing the filter kept from a role: a field or an identifier type, never its value."""

    field: str  # profile field name, or an identifier type such as "phone"
    reason: str  # acl, minimisation, remote, not_selected, identifier, tampered:...
    placeholder: str  # what replaced it in text, or "" when it was never retrieved
    where: str  # retrieval, request, document[2], text, field:cqi


@dataclass
class AuditRecord:
    """What one role retrieved, what reached its prompt, and what was removed and why."""

    role: str
    task: str
    backend: str
    remote: bool
    subscriber_id: str | None
    enabled: bool
    retrieved: list[str] = field(default_factory=list)
    reached: list[str] = field(default_factory=list)
    coarsened: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    injection_suspected: list[str] = field(default_factory=list)
    model_calls: int = 0
    ms: float = 0.0
    retrieval_ms: float = 0.0  # of ms, the time spent in the profile store
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the record."""
        return asdict(self)


class AuditLog:
    """Append-only JSONL audit log, one line per decision, flushed as it is written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def append(self, record: AuditRecord) -> None:
        """Write one record as a line."""
        line = json.dumps(record.to_dict(), ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def read(self) -> list[dict[str, Any]]:
        """All records written so far."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
