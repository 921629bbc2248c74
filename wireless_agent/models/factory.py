"""The one place a spec string becomes a backend: plain, offline or tiered."""

from __future__ import annotations

from wireless_agent.models.backend import ModelBackend, OfflineBackend
from wireless_agent.models.protocol import Backend
from wireless_agent.models.spec import parse_spec
from wireless_agent.models.tiered import make_tiered


def make_backend(spec: str, *, timeout_s: float = 30.0) -> Backend:
    """The backend for `spec` (no client is built and nothing is contacted yet)."""
    parsed = parse_spec(spec)
    if parsed.provider == "offline":
        return OfflineBackend(parsed, timeout_s)
    if parsed.provider == "tiered":
        return make_tiered(parsed, timeout_s=timeout_s)
    return ModelBackend(parsed, timeout_s)
