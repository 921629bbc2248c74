"""The one configuration surface: environment fallbacks, typed modes, each validated once."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from env.arrivals import ArrivalMode
from env.rates import RateModelName

APP_NAME = "wireless-agent"
DEFAULT_MODEL = "offline"
DEFAULT_TIMEOUT_S = 30.0
RATE_MODELS: tuple[RateModelName, ...] = get_args(RateModelName)
MODES: tuple[ArrivalMode, ...] = get_args(ArrivalMode)

# Every environment variable the project reads, and what it sets. A flag given on the command
# line wins; an unset or empty variable means the default. (README: "Configuration".)
ENVIRONMENT: dict[str, str] = {
    "WIRELESS_AGENT_MODEL": "model backend when --model is not given (default: offline)",
    "WIRELESS_AGENT_TIMEOUT": "seconds per model call when --timeout is not given (default: 30)",
    "WIRELESS_AGENT_PLANNER": "the agent's planner when --planner is not given: tools or model",
    "WIRELESS_AGENT_MEMORY": "folder of the embedded Chroma memory (default: the per-user data "
                             "folder, e.g. ~/.local/share/wireless-agent/memory)",
    "WIRELESS_AGENT_CHROMA_URL": "a Chroma server (HOST:PORT or URL) instead of the folder",
    "WIRELESS_AGENT_MAX_TOKENS": "largest answer of a structured model call (default: 256)",
    "WIRELESS_AGENT_TIER_THRESHOLDS": "confidence each tier must reach, e.g. 0.97,0.8",
    "WIRELESS_AGENT_TIER_COOLDOWN_S": "seconds a tier that is down is skipped (default: 30)",
    "OLLAMA_HOST": "Ollama server, HOST:PORT (default: 127.0.0.1:11434)",
    "OPENAI_BASE_URL": "OpenAI-compatible server (default: https://api.openai.com/v1)",
    "OPENAI_API_KEY": "key of the OpenAI-compatible server (never logged or stored)",
}


class ConfigError(ValueError):
    """A setting no run can use; the message names the flag or variable and what to write."""


def env_text(name: str) -> str | None:
    """The stripped value of environment variable `name`, None when unset or empty."""
    if name not in ENVIRONMENT:  # one list of what we read: document a variable before using it
        raise KeyError(f"{name} is not in wireless_agent.config.ENVIRONMENT")
    value = os.environ.get(name, "").strip()
    return value or None


def environment() -> dict[str, str]:
    """A copy of the whole environment, to hand on to a process started elsewhere (a worker)."""
    return dict(os.environ)


def default_model() -> str:
    """The model backend: WIRELESS_AGENT_MODEL, else offline."""
    return env_text("WIRELESS_AGENT_MODEL") or DEFAULT_MODEL


def default_timeout() -> float:
    """Seconds per model call: WIRELESS_AGENT_TIMEOUT, else 30."""
    raw = env_text("WIRELESS_AGENT_TIMEOUT")
    return DEFAULT_TIMEOUT_S if raw is None else positive_seconds(raw, "WIRELESS_AGENT_TIMEOUT")


def positive_seconds(value: str | float, what: str) -> float:
    """`value` as a number of seconds above 0, else ConfigError naming `what`."""
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{what}={value!r} is not a number of seconds; write e.g. 30") from None
    if not 0 < seconds < math.inf:
        raise ConfigError(f"{what}={value!r} must be a finite number of seconds above 0; "
                          "write e.g. 30")
    return seconds


def default_memory_path() -> Path:
    """The per-user data folder of the embedded memory (never inside the installed package)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "memory"


def memory_path(given: str | Path | None = None) -> Path:
    """The memory folder: `given`, else WIRELESS_AGENT_MEMORY, else the per-user data folder."""
    if given is not None and str(given).strip():
        return Path(given)
    raw = env_text("WIRELESS_AGENT_MEMORY")
    return Path(raw) if raw is not None else default_memory_path()


def chroma_url(given: str | None = None) -> str | None:
    """The Chroma server: `given`, else WIRELESS_AGENT_CHROMA_URL, else None (embedded)."""
    return (given or "").strip() or env_text("WIRELESS_AGENT_CHROMA_URL")


def parse_rate_model(value: str, what: str = "--rate-model") -> RateModelName:
    """`value` as a rate model name, else ConfigError naming `what`."""
    for name in RATE_MODELS:
        if value == name:
            return name
    raise ConfigError(f"{what} {value!r} is unknown; use {' or '.join(RATE_MODELS)}")


def parse_mode(value: str, what: str = "--mode") -> ArrivalMode:
    """`value` as an episode mode, else ConfigError naming `what`."""
    for name in MODES:
        if value == name:
            return name
    raise ConfigError(f"{what} {value!r} is unknown; use {' or '.join(MODES)}")


PlannerMode = Literal["tools", "model"]
PLANNERS: tuple[PlannerMode, ...] = ("tools", "model")


def parse_planner(value: str, what: str = "--planner") -> PlannerMode:
    """`value` as a planner mode, else ConfigError naming `what`."""
    for name in PLANNERS:
        if value.strip() == name:
            return name
    raise ConfigError(f"{what} {value!r} is unknown; use tools (deterministic) or model (the "
                      "model proposes, the tools check)")


def default_planner() -> PlannerMode:
    """The agent's planner: WIRELESS_AGENT_PLANNER, else tools."""
    return parse_planner(env_text("WIRELESS_AGENT_PLANNER") or "tools", "WIRELESS_AGENT_PLANNER")


S = TypeVar("S", bound="RunSettings")


@dataclass
class RunSettings:
    """What every run shares: the model backend, seconds per model call, the privacy filter.

    AgentConfig, EvalConfig (evals/slicing_eval.py) and ChatOptions (chat/session.py) are these
    plus their own knobs. Unset, the model and the timeout fall back to WIRELESS_AGENT_MODEL
    and WIRELESS_AGENT_TIMEOUT (read here, once per config built).
    """

    model: str = field(default_factory=default_model)  # offline, ollama:M, openai:M, tiered:A,B
    timeout_s: float = field(default_factory=default_timeout)  # per model call, all included
    privacy: bool = True  # the privacy filter in the agent graph

    def validate(self) -> None:
        """Refuse, in one line (ConfigError), shared settings no run can use.

        The model spec is checked where it is parsed (wireless_agent.models.parse_spec), once.
        """
        if not 0 < self.timeout_s < math.inf:
            raise ConfigError(f"--timeout {self.timeout_s:g} must be a finite number of seconds "
                              "above 0")

    def shared(self) -> dict[str, Any]:
        """The shared settings by name (what another config built from this one takes)."""
        return {f.name: getattr(self, f.name) for f in fields(RunSettings)}

    def into(self, kind: type[S], **knobs: Any) -> S:
        """A `kind` config with these shared settings, and `knobs` for its own fields."""
        return kind(**{**self.shared(), **knobs})


@dataclass
class AgentConfig(RunSettings):
    """How the agent runs: the shared settings, memory location and planning knobs."""

    memory_path: str | None = field(default_factory=lambda: env_text("WIRELESS_AGENT_MEMORY"))
    chroma_url: str | None = field(default_factory=chroma_url)
    anticipate: bool = True
    k_examples: int = 4
    k_knowledge: int = 2
    k_episodes: int = 3
    max_replans: int = 2
    # tools: the deterministic planner; model: the model proposes, the tools check
    planner: PlannerMode = field(default_factory=default_planner)
