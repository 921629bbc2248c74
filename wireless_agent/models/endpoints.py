"""Where the model servers are: hosts and keys read from the environment, never stored."""

from __future__ import annotations

from urllib.parse import urlsplit

from wireless_agent.config import env_text

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"


def ollama_host() -> str:
    """The Ollama base URL from OLLAMA_HOST (scheme and port filled in as ollama does)."""
    given = env_text("OLLAMA_HOST")
    if given is None:
        return DEFAULT_OLLAMA_HOST
    raw = given
    if "://" not in raw:
        raw = "http://" + raw
    parts = urlsplit(raw)
    try:
        given_port = parts.port
    except ValueError:
        from wireless_agent.models.errors import BackendError

        raise BackendError(f"OLLAMA_HOST={given!r} has no valid port; "
                           "write HOST:PORT with a port of 1-65535, e.g. 127.0.0.1:11434") from None
    host = parts.hostname or "127.0.0.1"
    if host == "0.0.0.0":  # a bind-all address is reached through loopback
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = given_port or (443 if parts.scheme == "https" else 11434)
    return f"{parts.scheme}://{host}:{port}{parts.path.rstrip('/')}"


def openai_base_url() -> str:
    """The OpenAI-compatible base URL from OPENAI_BASE_URL, else the public API."""
    return (env_text("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL).rstrip("/")


def openai_key() -> str | None:
    """The OpenAI key from OPENAI_API_KEY, or None; callers must never log it."""
    return env_text("OPENAI_API_KEY")
