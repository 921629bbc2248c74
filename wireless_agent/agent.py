"""The agent as a slicing method: runs the graph once per arriving user."""

from __future__ import annotations

import time
from typing import Any

from baselines.base import Decision
from env.slicing_env import SlicingEnv
from wireless_agent.config import AgentConfig
from wireless_agent.context import AgentContext
from wireless_agent.graph import default_graph
from wireless_agent.memory.store import AgentMemory


class SlicingAgent:
    """Perceive, recall, filter, plan and act for each user; online (never sees the future)."""

    name = "agent"
    offline = False

    def __init__(
        self,
        config: AgentConfig | None = None,
        memory: AgentMemory | None = None,
        classifier: Any = None,
        backend: Any = None,
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

    def decide(self, request: str | None = None, subscriber_id: str | None = None) -> dict:
        """Run the graph for the arriving user and return its final state."""
        if self.context is None:
            raise RuntimeError("call reset(env) before deciding")
        state: dict[str, Any] = {"subscriber_id": subscriber_id}
        if request is not None:
            state["request"] = request
        return self.graph.invoke(state, context=self.context)

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """One decision for `env.current`; the action node has already stepped `env`."""
        t0 = time.perf_counter()
        out = self.decide()
        ms = (time.perf_counter() - t0) * 1000.0
        plan, intent, result = out["plan"], out["intent"], out["result"]
        spend = {k: sum(t.get(k, 0) or 0 for t in out["trace"])
                 for k in ("calls", "prompt_tokens", "completion_tokens")}
        unclear = bool(intent.get("unclear"))
        record = {
            "intent": "unclear" if unclear else intent["slice"],
            "confidence": round(float(intent["confidence"]), 4),
            "application": intent["application"], "source": intent["source"],
            "slice": intent["slice"] if plan["admit"] else None,
            "bandwidth": round(plan["bandwidth"], 4) if plan["admit"] else 0.0,
            "reallocations": len(plan["reallocate"]), "replans": plan["replans"],
            # --planner model: who planned (model or fallback), its calls and rejections
            "planner": plan.get("planner") or {"mode": "tools", "source": "tools"},
            "model_calls": spend["calls"], "prompt_tokens": spend["prompt_tokens"],
            "completion_tokens": spend["completion_tokens"], "latency_ms": round(ms, 3),
            "fallback": intent["source"] == "fallback",
            "tier": intent.get("tier") or ("offline" if intent["source"] != "model"
                                           else self.config.model),
            "node_ms": {t["node"]: round(t["ms"], 3) for t in out["trace"]},
            "explanation": out["explanation"],
        }
        if unclear:
            record.update(unclear=True, reason=plan["reason"], question=intent.get("question"))
        if intent.get("requirements"):
            record["requirements"] = intent["requirements"]
        errors = [t["error"] for t in out["trace"] if t.get("error")]
        if errors:
            record["error"] = errors[0]
        r = result
        return Decision(r["action"], record, (r["obs"], r["reward"], r["terminated"],
                                              r["truncated"], r["info"]))

    def end_episode(self) -> None:
        """Write what this episode taught to the memory."""
        self.memory.flush()
