"""A per-node trace entry: how long the node took and what it spent on models."""

from __future__ import annotations

import time
from typing import Any


def trace_entry(node: str, started: float, **extra: Any) -> list[dict[str, Any]]:
    """One-element trace list for the state's `trace` reducer."""
    return [{"node": node, "ms": (time.perf_counter() - started) * 1000.0, **extra}]
