"""Per-call accounting of model use: calls, tokens, latency and the last error."""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPENAI_PREFIX = re.compile(r"^Error code: \d+ - ")


@dataclass
class CallStats:
    """What one or more model calls cost; add them up with `+`."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    error: str | None = None
    retried: bool = False

    def __add__(self, other: CallStats) -> CallStats:
        if not isinstance(other, CallStats):
            return NotImplemented
        return CallStats(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            latency_ms=self.latency_ms + other.latency_ms,
            # The later error is the one that decided the outcome.
            error=other.error if other.error is not None else self.error,
            retried=self.retried or other.retried,
        )

    def as_record(self) -> dict[str, object]:
        """The Decision-record keys of these stats."""
        return {
            "model_calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_ms": round(self.latency_ms, 3),
            "error": self.error,
        }


def describe_error(exc: BaseException, timeout_s: float | None = None) -> str:
    """One line saying what went wrong in a client call, without any secret in it."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    status = getattr(exc, "status_code", None)
    if "BackendError" in names:
        return str(exc)
    if any("Timeout" in n for n in names):
        return f"timeout after {timeout_s:g} s" if timeout_s else "timeout"
    if isinstance(status, int):
        detail = str(getattr(exc, "error", "") or getattr(exc, "message", "") or "")
        detail = _OPENAI_PREFIX.sub("", detail.splitlines()[0] if detail else "")[:160]
        return f"HTTP {status}: {detail or 'server error'}"
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "OSError"}:
        return "connection failed: " + (str(exc).splitlines() or [""])[0][:160]
    text = (str(exc).splitlines() or [""])[0][:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
