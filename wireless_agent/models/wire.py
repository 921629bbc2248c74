"""One structured chat request on the wire (OpenAI-compatible or Ollama), bounded in time and size.

The whole call, retries on HTTP 429 included, ends by its deadline however slowly the server
sends; the reply is read up to a cap; the server's error is kept whole. Replies are streamed so
the deadline and the cap are checked as bytes arrive.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, cast

import httpx

MAX_REPLY_CHARS = 64_000  # a structured answer is a few hundred characters; stop reading past it
MAX_ERROR_CHARS = 2_000  # a server's error is kept, whitespace collapsed, up to this
MAX_429_RETRIES = 3
MAX_BACKOFF_S = 10.0  # never wait longer than this for one Retry-After


class WireError(Exception):
    """A call that failed: `message` is one line; `status` the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


class CallTimeout(WireError):
    """The call ran past its deadline."""


@dataclass
class WireReply:
    """A streamed reply put back together."""

    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    refusal: str | None = None
    cut: bool = False  # read up to MAX_REPLY_CHARS and no further
    finish: str | None = None  # "length" when the token bound stopped the model


def one_line(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """`text` on one line, whitespace collapsed, at most `limit` characters."""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), None if absent or bad."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_text(raw: bytes) -> str:
    """The message in an error body (OpenAI `error.message`, Ollama `error`), else the body."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return one_line(text) or "no error body"
    err = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(err, dict):
        err = err.get("message") or json.dumps(err)
    return one_line(str(err))


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise CallTimeout("deadline passed")
    return left


def _lines(client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str],
           deadline: float) -> Iterator[str]:
    """The reply's lines as they arrive; raises WireError on an HTTP error, CallTimeout late."""
    left = _remaining(deadline)
    timeout = httpx.Timeout(left, connect=min(left, 10.0))
    with client.stream("POST", url, json=body, headers=headers, timeout=timeout) as resp:
        if resp.status_code != 200:
            raw = b""
            for piece in resp.iter_bytes():
                raw += piece
                if len(raw) > 4 * MAX_ERROR_CHARS or time.monotonic() > deadline:
                    break
            raise WireError(f"HTTP {resp.status_code}: {_error_text(raw)}", resp.status_code,
                            _retry_after(resp.headers.get("retry-after")))
        buffer = ""
        for text in resp.iter_text():
            _remaining(deadline)
            buffer += text
            while "\n" in buffer:
                line, buffer = buffer.split("\n", 1)
                yield line
        if buffer:
            yield buffer


_END = object()


def bounded_iter(make: Callable[[], Iterator[Any]], deadline: float) -> Iterator[Any]:
    """The items of `make()`, produced in a worker thread, ending with CallTimeout at the deadline.

    A client that checks its timeout per read never notices a server sending one byte a second;
    this bounds the whole stream whatever the socket does.
    """
    out: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue()

    def work() -> None:
        try:
            for item in make():
                out.put((item, None))
        except BaseException as exc:  # handed to the caller, never lost in the thread
            out.put((None, exc))
        else:
            out.put((_END, None))

    threading.Thread(target=work, daemon=True, name="model-stream").start()
    while True:
        try:
            item, exc = out.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise CallTimeout("deadline passed") from None
        if exc is not None:
            raise exc
        if item is _END:
            return
        yield item


def _bounded(call: Callable[[], WireReply], deadline: float) -> WireReply:
    """Run `call` in a worker thread and give up at the deadline, whatever the socket does."""
    for reply in bounded_iter(lambda: iter((call(),)), deadline):  # call() runs in the worker
        return cast(WireReply, reply)
    raise AssertionError("a bounded call yields its reply")  # unreachable: one item, or raise


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """The JSON events of an OpenAI-style server-sent event stream, up to `[DONE]`."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            yield event


def post(url: str, body: dict[str, Any], headers: dict[str, str], timeout_s: float,
         read: Callable[[Iterator[str]], WireReply],
         sleep: Callable[[float], None] = time.sleep) -> WireReply:
    """POST `body`, retrying HTTP 429 as its Retry-After says (bounded), all within `timeout_s`."""
    deadline = time.monotonic() + timeout_s

    def attempt() -> WireReply:
        with httpx.Client(trust_env=False) as client:
            return read(_lines(client, url, body, headers, deadline))

    for tries in range(MAX_429_RETRIES + 1):
        try:
            return _bounded(attempt, deadline)
        except httpx.TimeoutException:
            raise CallTimeout("deadline passed") from None
        except httpx.HTTPError as exc:
            raise WireError(f"connection failed: {one_line(str(exc), 200) or type(exc).__name__}"
                            ) from None
        except WireError as exc:
            if exc.status != 429 or tries == MAX_429_RETRIES:
                raise
            wait = min(exc.retry_after if exc.retry_after is not None else 2.0 ** tries,
                       MAX_BACKOFF_S)
            if time.monotonic() + wait >= deadline:
                raise WireError(f"{exc.message} (Retry-After {wait:g} s is past the timeout)",
                                429) from None
            sleep(wait)
    raise AssertionError("unreachable")


# -- OpenAI-compatible ----------------------------------------------------------------------

# The ways a server may accept a JSON schema, most exact first (llama-cpp-python's server only
# takes the second; some servers only the third, with the schema left to the prompt).
OPENAI_FORMS = ("json_schema", "json_object+schema", "json_object")


def openai_format(form: str, name: str, schema: dict[str, Any], strict: bool) -> dict[str, Any]:
    """The `response_format` of `form` for a schema."""
    if form == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": strict}}
    if form == "json_object+schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_object"}


def read_sse(lines: Iterator[str]) -> WireReply:
    """Collect an OpenAI chat-completions event stream."""
    reply = WireReply()
    parts: list[str] = []
    size = 0
    for event in sse_events(lines):
        if "error" in event:
            raise WireError(f"server error in stream: {_error_text(json.dumps(event).encode())}")
        if usage := event.get("usage"):
            reply.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            reply.completion_tokens = int(usage.get("completion_tokens") or 0)
        for choice in event.get("choices") or ():
            delta = choice.get("delta") or choice.get("message") or {}
            if delta.get("refusal"):
                reply.refusal = (reply.refusal or "") + str(delta["refusal"])
            if piece := delta.get("content"):
                parts.append(piece)
                size += len(piece)
            reply.finish = choice.get("finish_reason") or reply.finish
        if size > MAX_REPLY_CHARS:
            reply.cut = True
            break
    reply.text = "".join(parts)[:MAX_REPLY_CHARS]
    return reply


# -- Ollama ---------------------------------------------------------------------------------

OLLAMA_FORMS = ("schema", "json")


def read_ndjson(lines: Iterator[str]) -> WireReply:
    """Collect an Ollama /api/chat NDJSON stream."""
    reply = WireReply()
    parts: list[str] = []
    size = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "error" in event:
            raise WireError(f"server error in stream: {one_line(str(event['error']))}")
        piece = (event.get("message") or {}).get("content") or ""
        parts.append(piece)
        size += len(piece)
        if event.get("done"):
            reply.prompt_tokens = int(event.get("prompt_eval_count") or 0)
            reply.completion_tokens = int(event.get("eval_count") or 0)
            reply.finish = event.get("done_reason")
            break
        if size > MAX_REPLY_CHARS:
            reply.cut = True
            break
    reply.text = "".join(parts)[:MAX_REPLY_CHARS]
    return reply
