"""Model backends: one object per spec that sends prompts and returns parsed answers."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, SecretStr

from wireless_agent import boundary
from wireless_agent.config import env_text
from wireless_agent.models import wire
from wireless_agent.models.endpoints import (
    DEFAULT_OPENAI_BASE_URL,
    ollama_host,
    openai_base_url,
    openai_key,
)
from wireless_agent.models.errors import BackendError
from wireless_agent.models.once import warn_once
from wireless_agent.models.parsing import Validator, parse_reply
from wireless_agent.models.protocol import Prompt
from wireless_agent.models.spec import ModelSpec, ModelSpecError
from wireless_agent.models.stats import CallStats, describe_error

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage

log = logging.getLogger(__name__)

MAX_TOKENS_ENV = "WIRELESS_AGENT_MAX_TOKENS"
# Every answer is bounded: a structured answer needs under 100 tokens, a chat turn a few hundred.
MAX_TOKENS = 256
CHAT_MAX_TOKENS = 768
MAX_ECHO_CHARS = 2_000  # how much of a rejected reply goes back in the retry message
# An error that says the request's format was refused (not that the server is down).
_FORMAT_REJECTED = re.compile(r"response_format|json_schema|schema|format|grammar|validation",
                              re.IGNORECASE)
RETRY_NOTE = (
    "Your previous answer was rejected: {problem}. Reply again with only one JSON object "
    "that follows the requested schema, with this fixed."
)


def max_tokens_from_env() -> int:
    """The answer bound from WIRELESS_AGENT_MAX_TOKENS, else MAX_TOKENS."""
    raw = env_text(MAX_TOKENS_ENV)
    try:
        value = int(raw) if raw else MAX_TOKENS
    except ValueError:
        raise ModelSpecError(f"{MAX_TOKENS_ENV}={raw!r}: write a whole number of tokens") from None
    if value < 1:
        raise ModelSpecError(f"{MAX_TOKENS_ENV}={raw!r}: must be at least 1")
    return value


def rejects_format(exc: wire.WireError) -> bool:
    """Whether a failed call was the server refusing the structured-output form we asked for."""
    return exc.status in (400, 422, 500) and bool(_FORMAT_REJECTED.search(exc.message))


def excerpt(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """At most `limit` characters of `text`, saying how much was cut."""
    return text if len(text) <= limit else f"{text[:limit]} [... {len(text) - limit} chars cut]"


def _wire_messages(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Plain {role, content} dicts for the wire."""
    roles = {"human": "user", "ai": "assistant", "system": "system"}
    return [{"role": roles.get(m.type, "user"), "content": m.text} for m in messages]


def _to_messages(prompt: Any) -> list[BaseMessage]:
    """LangChain messages from a string, (role, text) pairs or messages."""
    from langchain_core.messages import HumanMessage, convert_to_messages

    if isinstance(prompt, str):
        return [HumanMessage(prompt)]
    return list(convert_to_messages(list(prompt)))


def _strict_schema(node: Any, lengths: bool = False) -> Any:
    """A copy of a JSON schema in the subset OpenAI's strict mode accepts (with `lengths`,
    string length bounds kept, for servers whose grammar enforces them)."""
    drop = ("default",) if lengths else ("minLength", "maxLength", "default")
    if isinstance(node, dict):
        out = {k: _strict_schema(v, lengths) for k, v in node.items() if k not in drop}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict_schema(v, lengths) for v in node]
    return node


def openai_response_format(schema: type[BaseModel]) -> dict[str, Any]:
    """The `response_format` for `schema`: strict when every field is required."""
    js = schema.model_json_schema()
    strict = set(js.get("required", ())) == set(js.get("properties", {})) and "$defs" not in js
    return {
        "type": "json_schema",
        "json_schema": {
            "name": schema.__name__,
            "schema": _strict_schema(js) if strict else js,
            "strict": strict,
        },
    }


class ModelBackend:
    """A chat model behind a spec, built on first use, that never raises on a failed call."""

    def __init__(self, spec: ModelSpec, timeout_s: float = 30.0,
                 max_tokens: int | None = None) -> None:
        self.spec = spec
        self.name = str(spec)
        self.timeout_s = float(timeout_s)
        self.max_tokens = int(max_tokens or max_tokens_from_env())
        self._model: BaseChatModel | None = None
        self._lock = threading.Lock()
        self._form = 0  # the structured-output form this server takes (see wire.*_FORMS)

    @property
    def remote(self) -> bool:
        """Whether prompts leave this process."""
        return boundary.is_remote(self.name)

    def __repr__(self) -> str:
        return f"ModelBackend({self.name!r}, timeout_s={self.timeout_s:g})"

    # -- construction --------------------------------------------------------------------

    def _build(self) -> BaseChatModel:
        """The LangChain chat model, imported and constructed only now (imports cost seconds)."""
        if self.spec.provider == "openai":
            key = openai_key()
            if key is None:
                raise BackendError(f"{self.name} needs OPENAI_API_KEY in the environment")
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(
                model=self.spec.model, api_key=SecretStr(key), base_url=openai_base_url(),
                timeout=self.timeout_s, max_retries=0, temperature=0.0,
                use_responses_api=False, stream_usage=True,
                # `max_tokens` here would be sent as max_completion_tokens, which some
                # OpenAI-compatible servers ignore; the plain field is honoured by all.
                extra_body={"max_tokens": max(self.max_tokens, CHAT_MAX_TOKENS)},
            )
        if self.spec.provider == "ollama":
            from langchain_ollama import ChatOllama

            # The ollama client waits forever unless given a timeout.
            return ChatOllama(
                model=self.spec.model, base_url=ollama_host(), temperature=0.0,
                num_predict=max(self.max_tokens, CHAT_MAX_TOKENS),
                client_kwargs={"timeout": self.timeout_s},
            )
        raise ModelSpecError(f"no chat model for provider {self.spec.provider!r}")

    def model(self) -> BaseChatModel:
        """The chat model (built once, thread-safely)."""
        with self._lock:
            if self._model is None:
                self._model = self._build()
            return self._model

    # -- calls ---------------------------------------------------------------------------

    def _cross(self, role: str, messages: list[BaseMessage]) -> list[BaseMessage]:
        """Pass the messages through the model boundary, keeping whatever it hands back."""
        texts = boundary.cross(role, self.name, [m.text for m in messages])
        out = []
        for message, text in zip(messages, texts, strict=True):
            if isinstance(message.content, str) and text != message.content:
                message = message.model_copy(update={"content": text})
            out.append(message)
        return out

    @property
    def endpoint(self) -> str:
        """The server this backend talks to (read from the environment on each call)."""
        return openai_base_url() if self.spec.provider == "openai" else ollama_host()

    def _error(self, exc: BaseException) -> str:
        if isinstance(exc, wire.CallTimeout):
            text = f"timeout after {self.timeout_s:g} s"
        elif isinstance(exc, wire.WireError):
            text = exc.message
        else:
            text = describe_error(exc, self.timeout_s)
        if text.startswith("connection failed"):
            text = f"{text} ({self.endpoint})"
        key = openai_key()
        return text.replace(key, "***") if key else text

    def _usage(self, sent: list[BaseMessage], reply: BaseMessage, stats: CallStats) -> None:
        usage = getattr(reply, "usage_metadata", None)
        if usage:
            stats.prompt_tokens = int(usage.get("input_tokens", 0))
            stats.completion_tokens = int(usage.get("output_tokens", 0))
            return
        from langchain_core.messages.utils import count_tokens_approximately

        stats.prompt_tokens = count_tokens_approximately(sent)
        stats.completion_tokens = count_tokens_approximately([reply])

    # -- structured output on the wire ---------------------------------------------------

    def _request(self, form: str, messages: list[dict[str, str]],
                 schema: type[BaseModel]) -> tuple[str, dict[str, Any], dict[str, str]]:
        """URL, body and headers asking for one `schema` object in the given format form."""
        js = schema.model_json_schema()
        if self.spec.provider == "openai":
            key = openai_key()
            if key is None:
                raise BackendError(f"{self.name} needs OPENAI_API_KEY in the environment")
            fmt = openai_response_format(schema)["json_schema"]
            if fmt["strict"] and not openai_base_url().startswith(DEFAULT_OPENAI_BASE_URL):
                # Only OpenAI's own strict mode refuses length bounds. A local server's
                # grammar enforces them, and that is what ends a small model's string that
                # would otherwise run to the token bound (SmolLM2 on llama-server did).
                fmt = {**fmt, "schema": _strict_schema(js, lengths=True)}
            body = {"model": self.spec.model, "messages": messages, "temperature": 0.0,
                    "max_tokens": self.max_tokens, "stream": True,
                    "stream_options": {"include_usage": True},
                    "response_format": wire.openai_format(form, fmt["name"], fmt["schema"],
                                                          fmt["strict"])}
            return (f"{openai_base_url()}/chat/completions", body,
                    {"Authorization": f"Bearer {key}"})
        body = {"model": self.spec.model, "messages": messages, "stream": True,
                "format": js if form == "schema" else "json",
                "options": {"temperature": 0.0, "num_predict": self.max_tokens}}
        return f"{ollama_host()}/api/chat", body, {}

    def _send(self, messages: list[dict[str, str]], schema: type[BaseModel],
              stats: CallStats) -> wire.WireReply:
        """One structured call; a server that rejects the format form is asked in the next."""
        openai = self.spec.provider == "openai"
        forms = wire.OPENAI_FORMS if openai else wire.OLLAMA_FORMS
        read = wire.read_sse if openai else wire.read_ndjson
        while True:
            i = self._form
            url, body, headers = self._request(forms[i], messages, schema)
            stats.calls += 1
            try:
                return wire.post(url, body, headers, self.timeout_s, read)
            except wire.WireError as exc:
                if i + 1 >= len(forms) or not rejects_format(exc):
                    raise
                with self._lock:
                    self._form = max(self._form, i + 1)
                warn_once(log, f"{self.name}@{self.endpoint}:{forms[i]}",
                           "%s rejected structured output as %s (%s); asking as %s from now on",
                           self.name, forms[i], exc.message, forms[i + 1])

    def _call(self, role: str, messages: list[BaseMessage],
              schema: type[BaseModel]) -> tuple[wire.WireReply | None, CallStats]:
        """One model call: the reply, or None with the error in the stats."""
        stats = CallStats()
        start = time.perf_counter()
        try:
            sent = self._cross(role, messages)
            reply = self._send(_wire_messages(sent), schema, stats)
        except Exception as exc:  # a failed call is data for the caller, not a crash
            stats.calls = max(stats.calls, 1)
            stats.latency_ms = (time.perf_counter() - start) * 1000.0
            stats.error = self._error(exc)
            return None, stats
        stats.latency_ms = (time.perf_counter() - start) * 1000.0
        stats.prompt_tokens = reply.prompt_tokens or sum(len(m["content"]) // 4 for m in
                                                         _wire_messages(sent))
        stats.completion_tokens = reply.completion_tokens or len(reply.text) // 4
        return reply, stats

    def structured(
        self,
        role: str,
        prompt: Prompt,
        schema: type[BaseModel],
        validate: Validator | None = None,
        retries: int = 1,
        *,
        request: str | None = None,
    ) -> tuple[BaseModel | None, CallStats]:
        """Ask for one `schema` object; retry with the reason on a bad answer; None on failure.

        `request` is unused here: the prompt already carries it (tiers route on it).
        """
        from langchain_core.messages import AIMessage, HumanMessage

        messages = _to_messages(prompt)
        total = CallStats()
        for attempt in range(max(0, retries) + 1):
            reply, stats = self._call(role, messages, schema)
            total = total + stats
            if reply is None:
                return None, total  # transport failures are not retried: the caller falls back
            problem: str | None
            if reply.refusal:
                obj, problem = None, f"model refused: {wire.one_line(reply.refusal, 200)}"
            elif reply.cut:
                obj, problem = None, f"reply longer than {wire.MAX_REPLY_CHARS} characters"
            else:
                obj, problem = parse_reply(reply.text, schema, validate)
                if obj is None and reply.finish == "length":
                    problem = f"{problem}; the reply hit the {self.max_tokens}-token bound"
            if obj is not None:
                total.error = None
                return obj, total
            total.error = problem
            if attempt < retries:
                total.retried = True
                # Only an excerpt goes back: a runaway reply must not grow the next request.
                messages = [*messages, AIMessage(excerpt(reply.text)),
                            HumanMessage(RETRY_NOTE.format(problem=problem))]
        return None, total

    def chat(
        self,
        role: str,
        messages: Prompt | Sequence[BaseMessage],
        tools: Sequence[Any] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> tuple[AIMessage | None, CallStats]:
        """Stream one chat turn (tokens to `on_token`), tools bound if given; None on failure."""
        from langchain_core.messages import message_chunk_to_message

        msgs = _to_messages(messages)
        stats = CallStats(calls=1)
        start = time.perf_counter()
        try:
            model = self.model()
            runnable = model.bind_tools(list(tools)) if tools else model
            sent = self._cross(role, msgs)
            merged = None
            # The whole turn is bounded, not each read (see wire.bounded_iter).
            deadline = time.monotonic() + self.timeout_s
            for chunk in wire.bounded_iter(lambda: runnable.stream(sent), deadline):
                merged = chunk if merged is None else merged + chunk
                if on_token is not None and chunk.text:
                    on_token(chunk.text)
            if merged is None:
                raise RuntimeError("the server sent an empty stream")
        except Exception as exc:  # a failed call is data for the caller, not a crash
            stats.latency_ms = (time.perf_counter() - start) * 1000.0
            stats.error = self._error(exc)
            return None, stats
        stats.latency_ms = (time.perf_counter() - start) * 1000.0
        reply = cast("AIMessage", message_chunk_to_message(merged))
        self._usage(sent, reply, stats)
        return reply, stats


class OfflineBackend(ModelBackend):
    """The `offline` spec: prompts still cross the boundary, but no model answers."""

    def structured(
        self,
        role: str,
        prompt: Prompt,
        schema: type[BaseModel],
        validate: Validator | None = None,
        retries: int = 1,
        *,
        request: str | None = None,
    ) -> tuple[BaseModel | None, CallStats]:
        """Record the prompt and answer None: the caller's offline rule decides."""
        boundary.cross(role, self.name, [m.text for m in _to_messages(prompt)])
        return None, CallStats(error="offline: no model backend")

    def chat(
        self,
        role: str,
        messages: Prompt | Sequence[BaseMessage],
        tools: Sequence[Any] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> tuple[AIMessage | None, CallStats]:
        """Record the prompt and answer None: there is no model to chat with."""
        boundary.cross(role, self.name, [m.text for m in _to_messages(messages)])
        return None, CallStats(error="offline: no model backend")

