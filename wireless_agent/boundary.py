"""The model boundary: every prompt bound for any model, offline included, passes here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CapturedPrompt:
    """One prompt as it would leave for a model."""

    role: str  # graph role that assembled it: perception, memory, planning, action, explain
    backend: str  # "offline", "ollama:MODEL", "openai:MODEL", ...
    remote: bool
    text: str


_recorder: ContextVar[list[CapturedPrompt] | None] = ContextVar("prompt_recorder", default=None)


@contextmanager
def recording() -> Iterator[list[CapturedPrompt]]:
    """Record every prompt that crosses the boundary inside the block."""
    captured: list[CapturedPrompt] = []
    token = _recorder.set(captured)
    try:
        yield captured
    finally:
        _recorder.reset(token)


def is_remote(backend: str) -> bool:
    """Whether a backend sends data off this machine's process (any model server)."""
    return backend.split(":", 1)[0] not in ("offline", "scripted")


def cross(role: str, backend: str, messages: list[str]) -> list[str]:
    """Pass the texts of one prompt through the boundary, recording them if asked to."""
    captured = _recorder.get()
    if captured is not None:
        captured.append(CapturedPrompt(role, backend, is_remote(backend), "\n".join(messages)))
    return messages
