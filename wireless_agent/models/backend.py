"""Model backends: one object per spec that sends prompts and returns parsed answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from wireless_agent import boundary
from wireless_agent.models.endpoints import ollama_host, openai_base_url, openai_key
from wireless_agent.models.errors import BackendError
from wireless_agent.models.parsing import Validator, parse_reply
from wireless_agent.models.spec import ModelSpec, ModelSpecError, parse_spec
from wireless_agent.models.stats import CallStats, describe_error

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage

Prompt = str | Sequence[tuple[str, str]]
RETRY_NOTE = (
    "Your previous answer was rejected: {problem}. Reply again with only one JSON object "
    "that follows the requested schema, with this fixed."
)


def _to_messages(prompt: Any) -> list[BaseMessage]:
    """LangChain messages from a string, (role, text) pairs or messages."""
    from langchain_core.messages import HumanMessage, convert_to_messages

    if isinstance(prompt, str):
        return [HumanMessage(prompt)]
    return list(convert_to_messages(list(prompt)))


def _strict_schema(node: Any) -> Any:
    """A copy of a JSON schema in the subset OpenAI's strict mode accepts."""
    if isinstance(node, dict):
        out = {k: _strict_schema(v) for k, v in node.items()
               if k not in ("minLength", "maxLength", "default")}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict_schema(v) for v in node]
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

    def __init__(self, spec: ModelSpec, timeout_s: float = 30.0) -> None:
        self.spec = spec
        self.name = str(spec)
        self.timeout_s = float(timeout_s)
        self._model: BaseChatModel | None = None
        self._lock = threading.Lock()

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
                model=self.spec.model, api_key=key, base_url=openai_base_url(),
                timeout=self.timeout_s, max_retries=0, temperature=0.0,
                use_responses_api=False, stream_usage=True,
            )
        if self.spec.provider == "ollama":
            from langchain_ollama import ChatOllama

            # The ollama client waits forever unless given a timeout.
            return ChatOllama(
                model=self.spec.model, base_url=ollama_host(), temperature=0.0,
                client_kwargs={"timeout": self.timeout_s},
            )
        raise ModelSpecError(f"no chat model for provider {self.spec.provider!r}")

    def model(self) -> BaseChatModel:
        """The chat model (built once, thread-safely)."""
        with self._lock:
            if self._model is None:
                self._model = self._build()
            return self._model

    def _format_kwargs(self, schema: type[BaseModel]) -> dict[str, Any]:
        if self.spec.provider == "openai":
            return {"response_format": openai_response_format(schema)}
        return {"format": schema.model_json_schema()}

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

    def _invoke(
        self, role: str, messages: list[BaseMessage], **kwargs: Any
    ) -> tuple[AIMessage | None, CallStats]:
        """One model call: the reply, or None with the error in the stats."""
        stats = CallStats(calls=1)
        start = time.perf_counter()
        try:
            model = self.model()
            sent = self._cross(role, messages)
            reply = model.invoke(sent, **kwargs)
        except Exception as exc:  # a failed call is data for the caller, not a crash
            stats.latency_ms = (time.perf_counter() - start) * 1000.0
            stats.error = self._error(exc)
            return None, stats
        stats.latency_ms = (time.perf_counter() - start) * 1000.0
        self._usage(sent, reply, stats)
        return reply, stats

    def structured(
        self,
        role: str,
        prompt: Prompt,
        schema: type[BaseModel],
        validate: Validator | None = None,
        retries: int = 1,
    ) -> tuple[BaseModel | None, CallStats]:
        """Ask for one `schema` object; retry with the reason on a bad answer; None on failure."""
        from langchain_core.messages import AIMessage, HumanMessage

        messages = _to_messages(prompt)
        kwargs = self._format_kwargs(schema)
        total = CallStats()
        for attempt in range(max(0, retries) + 1):
            reply, stats = self._invoke(role, messages, **kwargs)
            total = total + stats
            if reply is None:
                return None, total  # transport failures are not retried: the caller falls back
            refusal = reply.additional_kwargs.get("refusal")
            text = reply.text
            obj, problem = (None, f"model refused: {refusal}") if refusal else parse_reply(
                text, schema, validate)
            if obj is not None:
                total.error = None
                return obj, total
            total.error = problem
            if attempt < retries:
                total.retried = True
                messages = [*messages, AIMessage(text),
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
            for chunk in runnable.stream(sent):
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
        reply = message_chunk_to_message(merged)
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


def make_backend(spec: str, *, timeout_s: float = 30.0) -> ModelBackend:
    """The backend for `spec` (no client is built and nothing is contacted yet)."""
    parsed = parse_spec(spec)
    if parsed.provider == "offline":
        return OfflineBackend(parsed, timeout_s)
    if parsed.provider == "tiered":
        from wireless_agent.models.tiered import make_tiered  # lazy: tiered imports this module

        return make_tiered(parsed, timeout_s=timeout_s)
    return ModelBackend(parsed, timeout_s)
