"""Small real models served on 127.0.0.1: llama-server per model, with an Ollama front on each.

Used by the real-model tests (a session fixture) and by `wireless-agent models compare --local`.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from wireless_agent.testing.llama_server import RunningServer, find_binary, find_model, serve
from wireless_agent.testing.ollama_front import OllamaFront

REQUIRE_ENV = "WIRELESS_AGENT_REAL_MODELS"  # "required": missing server or model is an error
LOCAL_KEY = "sk-local-llama-server"  # llama-server runs without a key; clients want one


class LocalModelsMissing(RuntimeError):
    """The llama-server binary or a model package is not installed (one line says how)."""


@dataclass
class LocalModel:
    """One model served both ways: OpenAI-compatible (`openai_url`) and Ollama (`ollama_url`)."""

    name: str
    server: RunningServer
    front: OllamaFront

    @property
    def openai_url(self) -> str:
        """For OPENAI_BASE_URL."""
        return self.server.base_url

    @property
    def ollama_url(self) -> str:
        """For OLLAMA_HOST."""
        return self.front.url

    def spec(self, protocol: str) -> str:
        """The model spec through `protocol` (openai or ollama)."""
        return f"{protocol}:{self.name}"

    def environ(self) -> dict[str, str]:
        """The environment that points both backends at this model."""
        return {"OPENAI_BASE_URL": self.openai_url, "OPENAI_API_KEY": LOCAL_KEY,
                "OLLAMA_HOST": self.ollama_url, "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost"}


def missing(name: str) -> str | None:
    """Why `name` cannot be served here (None when it can)."""
    if find_binary() is None:
        return ("no llama-server: run `python -m wireless_agent.testing.llama_server setup "
                f"--models {name}` (builds once, about 6-10 min on 2 cores)")
    if find_model(name) is None:
        return (f"model {name} is not installed: run `python -m "
                f"wireless_agent.testing.llama_server setup --models {name}`")
    return None


class LocalModels:
    """Start each model's server on first use, keep it until `close()`."""

    def __init__(self, log_dir: Path | None = None) -> None:
        self._stack = ExitStack()
        self._running: dict[str, LocalModel] = {}
        self.log_dir = log_dir

    def get(self, name: str) -> LocalModel:
        """The running model `name` (smollm2 or gemma3), started now if needed."""
        if name not in self._running:
            why = missing(name)
            if why:
                raise LocalModelsMissing(why)
            path = find_model(name)
            assert path is not None
            log = self.log_dir / f"llama-server-{name}.log" if self.log_dir else None
            server = self._stack.enter_context(serve(path, alias=name, log=log))
            front = self._stack.enter_context(OllamaFront(server.base_url))
            self._running[name] = LocalModel(name, server, front)
        return self._running[name]

    def close(self) -> None:
        """Stop every server started."""
        self._stack.close()
        self._running.clear()


def required() -> bool:
    """Whether a run must fail, not skip, when a model cannot be served ($REQUIRE_ENV)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "required", "yes")
