"""The interface every method (baselines and the agent) implements to act on the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from env.slicing_env import SlicingEnv


@dataclass
class Decision:
    """One decision for the arriving user: the action and what to log about it."""

    action: dict[str, Any]
    record: dict[str, Any] = field(default_factory=dict)
    # Set by policies that step the environment themselves (the agent's action node does):
    # (obs, reward, terminated, truncated, info) of that env.step.
    step: tuple | None = None
    # record keys used by the eval when present: intent, confidence, slice, bandwidth,
    # reallocations, model_calls, prompt_tokens, completion_tokens, latency_ms, fallback,
    # error, rate_claim_mbps, tier, explanation


class Policy(Protocol):
    """A slicing method. `offline` methods see the whole episode (oracle) at reset."""

    name: str
    offline: bool

    def reset(self, env: SlicingEnv) -> None:
        """Prepare for the episode `env` has just been reset to."""

    def act(self, env: SlicingEnv, obs: dict[str, Any]) -> Decision:
        """The decision for the user arriving now (`env.current`)."""


def make_action(
    env: SlicingEnv,
    intent: int,
    admit: bool,
    bandwidth: float = 0.0,
    reallocate: np.ndarray | None = None,
) -> dict[str, Any]:
    """A well-formed action dict for `env` (reallocate: per-slot MHz, < 0 keeps the slot)."""
    if reallocate is None:
        reallocate = np.full(env.length, -1.0, dtype=np.float64)
    return {
        "intent": int(intent),
        "admit": int(bool(admit)),
        "bandwidth": np.array([bandwidth], dtype=np.float64),
        "reallocate": np.asarray(reallocate, dtype=np.float64),
    }
