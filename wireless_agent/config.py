"""Agent configuration: one dataclass, every field with an environment-variable fallback."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass
class AgentConfig:
    """How the agent runs: model backend, memory location, privacy and planning knobs."""

    model: str = field(default_factory=lambda: _env("WIRELESS_AGENT_MODEL", "offline") or "offline")
    memory_path: str | None = field(default_factory=lambda: _env("WIRELESS_AGENT_MEMORY"))
    chroma_url: str | None = field(default_factory=lambda: _env("WIRELESS_AGENT_CHROMA_URL"))
    privacy: bool = True
    anticipate: bool = True
    k_knowledge: int = 2
    k_episodes: int = 3
    max_replans: int = 2
    # "tools": the deterministic planner; "model": the model proposes, the tools check
    planner: str = field(
        default_factory=lambda: _env("WIRELESS_AGENT_PLANNER", "tools") or "tools")
    timeout_s: float = field(
        default_factory=lambda: float(_env("WIRELESS_AGENT_TIMEOUT", "30") or 30))
