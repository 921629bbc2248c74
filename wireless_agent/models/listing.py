"""Checking and listing model backends: fast, one-line answers about what can be used."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from wireless_agent.models.endpoints import ollama_host, openai_base_url, openai_key
from wireless_agent.models.errors import BackendError
from wireless_agent.models.spec import ModelSpec, parse_spec

__all__ = ["BackendError", "check_backend", "list_backends", "ollama_models", "scripted_label",
           "scripted_tiers"]

# Sent by the loopback fakes in `wireless_agent.testing` on every answer: a run against one
# is labelled scripted wherever it names its model, so a fake never passes for a real model.
SCRIPTED_HEADER = "X-Wireless-Agent-Scripted"


def _get_json(url: str, timeout_s: float, headers: dict[str, str] | None = None) -> Any:
    """GET `url` and decode its JSON body (urllib keeps this path free of heavy imports)."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.loads(response.read().decode("utf-8"))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, TimeoutError):
        return "timed out"
    return (str(exc).splitlines() or [type(exc).__name__])[0][:120]


def ollama_models(timeout_s: float = 3.0) -> list[dict[str, Any]]:
    """The models the Ollama server at OLLAMA_HOST has (raises BackendError if unreachable)."""
    host = ollama_host()
    try:
        data = _get_json(f"{host}/api/tags", timeout_s)
    except (OSError, ValueError) as exc:
        raise BackendError(
            f"no Ollama server answers at {host} ({_reason(exc)}); start `ollama serve` "
            "or set OLLAMA_HOST"
        ) from None
    return [m for m in data.get("models", []) if isinstance(m, dict)]


def _ollama_names(model: dict[str, Any]) -> set[str]:
    names = {str(model.get("name", "")), str(model.get("model", ""))} - {""}
    # `llama3` and `llama3:latest` are the same model to Ollama.
    return names | {n.removesuffix(":latest") for n in names}


def _check_ollama(spec: ModelSpec, timeout_s: float) -> None:
    models = ollama_models(timeout_s)
    if any(spec.model in _ollama_names(m) for m in models):
        return
    have = ", ".join(sorted(str(m.get("name", "")) for m in models)) or "none"
    raise BackendError(
        f"Ollama at {ollama_host()} has no model {spec.model!r} (has: {have}); "
        f"run `ollama pull {spec.model}`"
    )


def _openai_models(timeout_s: float) -> list[str] | None:
    """Model ids at OPENAI_BASE_URL, or None when the server does not list models."""
    base, key = openai_base_url(), openai_key()
    try:
        data = _get_json(f"{base}/models", timeout_s, {"Authorization": f"Bearer {key}"})
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise BackendError(
                f"the server at {base} rejected OPENAI_API_KEY (HTTP {exc.code})"
            ) from None
        return None  # some compatible servers do not implement /models
    except (OSError, ValueError) as exc:
        raise BackendError(
            f"no OpenAI-compatible server answers at {base} ({_reason(exc)}); "
            "check OPENAI_BASE_URL and the network"
        ) from None
    return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]


def _check_openai(spec: ModelSpec, timeout_s: float) -> None:
    if openai_key() is None:
        raise BackendError(f"{spec} needs OPENAI_API_KEY in the environment")
    ids = _openai_models(timeout_s)
    if ids is not None and spec.model not in ids:
        shown = ", ".join(sorted(ids)[:8]) or "none"
        raise BackendError(
            f"the server at {openai_base_url()} does not list model {spec.model!r} "
            f"(lists: {shown})"
        )


def check_backend(spec: str, timeout_s: float = 5.0) -> None:
    """Raise BackendError unless `spec` can answer: server up, model known, key present."""
    parsed = parse_spec(spec)
    for single in parsed.tiers or (parsed,):
        if single.provider == "ollama":
            _check_ollama(single, timeout_s)
        elif single.provider == "openai":
            _check_openai(single, timeout_s)


SCRIPTED_DETAIL = "scripted fake server, not a real model"


def list_backends(timeout_s: float = 3.0) -> list[dict[str, str]]:
    """Rows {backend, model, status, detail} for offline, local Ollama models and OpenAI."""
    rows = [{"backend": "offline", "model": "", "status": "ready",
             "detail": "built-in intent classifier and tool-based planner, no model server"}]
    try:
        models = ollama_models(timeout_s)
    except BackendError as exc:
        rows.append({"backend": "ollama", "model": "", "status": "unreachable",
                     "detail": str(exc)})
    else:
        fake = _says_scripted(f"{ollama_host()}/api/tags", timeout_s)
        for m in models:
            details = m.get("details") or {}
            detail = " ".join(str(details[k]) for k in ("parameter_size", "quantization_level")
                              if details.get(k)) or f"at {ollama_host()}"
            if fake:  # a scripted fake never passes for a real model, here either
                detail = f"{SCRIPTED_DETAIL}; {detail}"
            rows.append({"backend": "ollama", "model": str(m.get("name", "")),
                         "status": "available", "detail": detail})
        if not models:
            rows.append({"backend": "ollama", "model": "", "status": "no models",
                         "detail": f"server at {ollama_host()} has no models; run `ollama pull`"})
    rows.extend(_openai_rows(timeout_s))
    return rows


def _openai_rows(timeout_s: float) -> list[dict[str, str]]:
    base = openai_base_url()
    if openai_key() is None:
        return [{"backend": "openai", "model": "", "status": "not configured",
                 "detail": "set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server)"}]
    if base.startswith("https://api.openai.com"):
        # Listing the public API's catalogue is not worth a network call here.
        return [{"backend": "openai", "model": "", "status": "configured",
                 "detail": f"key set; {base}"}]
    try:
        ids = _openai_models(timeout_s)
    except BackendError as exc:
        return [{"backend": "openai", "model": "", "status": "unreachable", "detail": str(exc)}]
    if not ids:
        return [{"backend": "openai", "model": "", "status": "configured",
                 "detail": f"key set; {base} does not list models"}]
    fake = _says_scripted(f"{base}/models", timeout_s,
                          {"Authorization": f"Bearer {openai_key()}"})
    detail = f"{SCRIPTED_DETAIL}; {base}" if fake else base
    return [{"backend": "openai", "model": i, "status": "available", "detail": detail}
            for i in ids]


def _says_scripted(url: str, timeout_s: float, headers: dict[str, str] | None = None) -> bool:
    """Whether the server at `url` says it is a scripted fake (any failure: it does not)."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return bool(response.headers.get(SCRIPTED_HEADER))
    except urllib.error.HTTPError as exc:
        return bool(exc.headers.get(SCRIPTED_HEADER))
    except (OSError, ValueError):
        return False


def scripted_tiers(spec: str, timeout_s: float = 3.0) -> list[str]:
    """The tiers of `spec` answered by a scripted fake server (asks each server once)."""
    out = []
    for single in parse_spec(spec).tiers or (parse_spec(spec),):
        if single.provider == "ollama":
            scripted = _says_scripted(f"{ollama_host()}/api/tags", timeout_s)
        elif single.provider == "openai" and openai_key() is not None:
            scripted = _says_scripted(f"{openai_base_url()}/models", timeout_s,
                                      {"Authorization": f"Bearer {openai_key()}"})
        else:
            scripted = False
        if scripted:
            out.append(str(single))
    return out


def scripted_label(spec: str, scripted: list[str]) -> str:
    """`spec` as tables, figures and files name it: marked when a scripted fake answered."""
    if not scripted:
        return spec
    return f"{spec} (scripted fake{'' if scripted == [spec] else ': ' + ', '.join(scripted)})"
