"""The agent as a slicing method: runs the graph once per arriving user."""

from __future__ import annotations

import time
from typing import Any

from env.policy import Decision
from env.slicing_env import SlicingEnv
from wireless_agent.config import AgentConfig
from wireless_agent.context import AgentContext
from wireless_agent.graph import default_graph
from wireless_agent.memory.store import AgentMemory
from wireless_agent.models import Backend
from wireless_agent.record import agent_record
from wireless_agent.state import AgentInput, AgentState


class SlicingAgent:
    """Perceive, recall, filter, plan and act for each user; online (never sees the future)."""

    name = "agent"
    offline = False

    def __init__(
        self,
        config: AgentConfig | None = None,
        memory: AgentMemory | None = None,
        classifier: Any = None,
        backend: Backend | None = None,
        privacy: Any = None,
        learn: bool = True,
    ) -> None:
        self.config = config or AgentConfig()
        self.memory = memory or AgentMemory.open(self.config.memory_path, self.config.chroma_url)
        if classifier is None:
            from wireless_agent.intent import IntentClassifier

            classifier = IntentClassifier.default()
        self.classifier = classifier
        if backend is None and self.config.model != "offline":
            from wireless_agent.models import make_backend

            backend = make_backend(self.config.model, timeout_s=self.config.timeout_s)
        self.backend = backend
        if privacy is None and self.config.privacy:
            from wireless_agent.privacy import default_filter

            privacy = default_filter(self.memory.client)
        self.privacy = privacy
        self.learn = learn
        self.graph = default_graph()
        self.context: AgentContext | None = None

    def reset(self, env: SlicingEnv, episode_id: str | None = None) -> None:
        """Start an episode: flush what the last one taught, read the scenario's traffic."""
        self.memory.flush()
        scenario = env.scenario.name
        self.context = AgentContext(
            env=env, classifier=self.classifier, config=self.config,
            memory=self.memory, backend=self.backend, privacy=self.privacy,
            profile=self.memory.traffic_profile(scenario), scenario=scenario,
            episode_id=episode_id or f"{scenario}-{time.time_ns()}", learn=self.learn,
        )

    def decide(self, request: str | None = None,
               subscriber_id: str | None = None) -> AgentState:
        """Run the graph for the arriving user and return its final state."""
        if self.context is None:
            raise RuntimeError("call reset(env) before deciding")
        state: AgentInput = {"subscriber_id": subscriber_id}
        if request is not None:
            state["request"] = request
        return self.graph.invoke(state, context=self.context)

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """One decision for `env.current`; the action node has already stepped `env`."""
        t0 = time.perf_counter()
        out = self.decide()
        ms = (time.perf_counter() - t0) * 1000.0
        record = agent_record(out, ms, self.config.model)
        r = out["result"]
        return Decision(r["action"], dict(record), (r["obs"], r["reward"], r["terminated"],
                                                    r["truncated"], r["info"]))

    def end_episode(self) -> None:
        """Write what this episode taught to the memory."""
        self.memory.flush()
