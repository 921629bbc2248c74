"""Run-scoped context handed to every graph node: environment, memory, models, filter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from env.slicing_env import SlicingEnv
from wireless_agent.config import AgentConfig
from wireless_agent.memory.store import AgentMemory
from wireless_agent.planner import TrafficProfile

if TYPE_CHECKING:
    from wireless_agent.models.protocol import Backend


@dataclass
class AgentContext:
    """What the nodes act on; the graph itself stays stateless and is built once."""

    env: SlicingEnv
    classifier: Any  # wireless_agent.intent.IntentClassifier
    config: AgentConfig = field(default_factory=AgentConfig)
    memory: AgentMemory | None = None
    backend: Backend | None = None  # None for the offline path
    privacy: Any = None  # wireless_agent.privacy.PrivacyFilter, None passes items through
    profile: TrafficProfile | None = None
    scenario: str = ""
    episode_id: str = "episode"
    learn: bool = True  # store decisions as episodes (off for scored, reproducible runs)

    @property
    def backend_name(self) -> str:
        """The model spec prompts are sent to ('offline' without a model)."""
        return self.config.model if self.backend is not None else "offline"
