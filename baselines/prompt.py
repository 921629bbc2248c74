"""The paper's prompt-based baseline: one model call per user, taken at its word."""

from __future__ import annotations

from typing import Any

from env.policy import Decision, make_action
from env.slices import EMBB, URLLC, prompt_values, slice_by_name
from env.slicing_env import SlicingEnv
from prompts import render
from wireless_agent.models import Backend, make_backend
from wireless_agent.models.schemas import PromptAnswer
from wireless_agent.models.spec import parse_spec

ROLE = "baseline"
_BW_BOX = (0.0, 20.0)  # the action space's bandwidth box; the env clips further per slice


class PromptBaseline:
    """One chat call per arriving user; no retry, no re-allocation, model bandwidth as given."""

    name = "prompt"
    offline = False

    def __init__(self, backend_spec: str, timeout_s: float = 30.0) -> None:
        if parse_spec(backend_spec).offline:
            raise ValueError(
                "the prompt-based baseline needs a model backend (ollama:MODEL or openai:MODEL)"
            )
        self.backend_spec = backend_spec
        self.timeout_s = timeout_s
        self._backend: Backend | None = None

    @property
    def backend(self) -> Backend:
        """The model backend, made on first use (so building the policy contacts nothing)."""
        if self._backend is None:
            self._backend = make_backend(self.backend_spec, timeout_s=self.timeout_s)
        return self._backend

    def reset(self, env: SlicingEnv) -> None:
        """Nothing to prepare: every user is decided from the observation alone."""

    def prompt(self, obs: dict[str, Any]) -> str:
        """The paper-style prompt for the arriving user."""
        used = obs["slice_used_mhz"]
        return render(
            "prompt_baseline",
            **prompt_values(),  # the slices' limits and capacities, from env/slices.py
            request=obs["request"],
            cqi=int(obs["cqi"]),
            embb_free=f"{max(0.0, EMBB.capacity_mhz - float(used[0])):g}",
            urllc_free=f"{max(0.0, URLLC.capacity_mhz - float(used[1])):g}",
        )

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """Ask the model once; admit as it says, or reject the user if the answer is unusable."""
        answer, stats = self.backend.structured(ROLE, self.prompt(obs), PromptAnswer, retries=0)
        record: dict[str, Any] = {
            "intent": None, "intent_text": None, "slice": None, "bandwidth": 0.0,
            "rate_claim_mbps": None, "can_accommodate": None,
            "fallback": answer is None, **stats.as_record(),
        }
        if not isinstance(answer, PromptAnswer):
            return Decision(make_action(env, 0, False), record)
        intent = slice_by_name(answer.slice).index
        admit = bool(answer.can_accommodate)
        bandwidth = float(answer.bandwidth)
        record.update(
            intent=answer.slice, intent_text=answer.intent, slice=answer.slice,
            bandwidth=bandwidth if admit else 0.0, rate_claim_mbps=float(answer.rate),
            can_accommodate=admit,
        )
        # Clipping to the action box changes nothing the env would not clip to anyway.
        action_bw = min(max(bandwidth, _BW_BOX[0]), _BW_BOX[1]) if admit else 0.0
        return Decision(make_action(env, intent, admit, action_bw), record)
