"""Fakes of model servers for tests: real HTTP servers on 127.0.0.1 with scripted replies."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from wireless_agent.models.listing import SCRIPTED_HEADER


@dataclass
class Reply:
    """One scripted answer of a fake model server."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # {"name", "arguments": {}}
    status: int = 200  # anything but 200 answers with an error body
    error: str = "internal server error"
    delay_s: float | None = None  # None: the server's delay_s
    usage: tuple[int, int] | None = None  # (prompt, completion); None: estimated from text
    send_usage: bool = True  # False: no token counts in the answer
    chunk_chars: int = 8  # size of the streamed pieces
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (Retry-After)
    trickle_s: float = 0.0  # > 0: stream the answer one byte every trickle_s seconds

    @classmethod
    def json(cls, obj: Any, **knobs: Any) -> Reply:
        """A reply whose content is `obj` as JSON."""
        return cls(content=json.dumps(obj), **knobs)

    @classmethod
    def malformed(cls, **knobs: Any) -> Reply:
        """A reply that starts like JSON and breaks off."""
        return cls(content='{"slice": "eMBB", "bandwidth": 1', **knobs)

    @classmethod
    def http_error(cls, status: int = 500, message: str = "internal server error",
                   **knobs: Any) -> Reply:
        """An HTTP error answer."""
        return cls(status=status, error=message, **knobs)

    @classmethod
    def tool_call(cls, name: str, arguments: dict[str, Any], **knobs: Any) -> Reply:
        """A reply that calls one tool."""
        return cls(tool_calls=[{"name": name, "arguments": arguments}], **knobs)

    def token_usage(self, body: dict[str, Any]) -> tuple[int, int]:
        """(prompt, completion) tokens: the scripted ones, else about 4 characters a token."""
        if self.usage is not None:
            return self.usage
        sent = json.dumps(body.get("messages", ""))
        said = self.content + json.dumps(self.tool_calls) if self.tool_calls else self.content
        return max(1, len(sent) // 4), max(1, len(said) // 4)

    def pieces(self) -> list[str]:
        """The content cut into streamed pieces."""
        n = max(1, self.chunk_chars)
        return [self.content[i : i + n] for i in range(0, len(self.content), n)]


Answer = Reply | str | dict[str, Any]
Responder = Callable[[dict[str, Any]], "Answer | None"]


def as_reply(answer: Answer) -> Reply:
    """A Reply from a Reply, a content string, or a dict sent as JSON content."""
    if isinstance(answer, Reply):
        return answer
    if isinstance(answer, str):
        return Reply(content=answer)
    return Reply.json(answer)


@dataclass
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]  # names lower-cased


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    owner: FakeServer


class FakeHandler(BaseHTTPRequestHandler):
    """Shared plumbing: JSON bodies, recording, quiet logs, clients that hang up."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        """Send small answers at once (Nagle plus delayed ACKs would add 40 ms per call)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def end_headers(self) -> None:
        """Say on every answer that this is a scripted fake (results are labelled so)."""
        self.send_header(SCRIPTED_HEADER, "1")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    @property
    def fake(self) -> FakeServer:
        """The FakeServer this request belongs to."""
        return self.server.owner

    def read_body(self) -> Any:
        """The request's JSON body (None when empty), recorded with the request."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake.record(Recorded(self.command, self.path, body, headers))
        return body

    def send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        """Answer with one JSON document."""
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_bytes(self, data: bytes, reply: Reply) -> None:
        """Write part of a streamed answer: at once, or a byte at a time when it trickles."""
        if reply.trickle_s <= 0:
            self.wfile.write(data)
            self.wfile.flush()
            return
        for i in range(len(data)):
            if self.fake.stopping.wait(reply.trickle_s):
                return
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()

    def start_stream(self, content_type: str) -> None:
        """Begin a streamed answer that ends when the connection closes."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def wait(self, reply: Reply) -> None:
        """Sleep the reply's delay (cut short when the server stops)."""
        delay = self.fake.delay_s if reply.delay_s is None else reply.delay_s
        if delay > 0:
            self.fake.stopping.wait(delay)

    def handle_one_request(self) -> None:
        """Serve a request, ignoring clients that gave up (timeouts) mid-answer."""
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class FakeServer:
    """A threaded HTTP server on 127.0.0.1 (ephemeral port) with a queue of scripted replies.

    Replies are taken from the queue first, then from `responder(body)` when it returns
    something, then `default`. With no `default` (the norm) a model call past the script is
    answered with HTTP 500 and fails the test when the server stops: a test must script every
    answer it relies on. Every request is kept in `requests`.
    """

    handler: type[FakeHandler] = FakeHandler

    def __init__(
        self,
        models: list[str] | None = None,
        default: Answer | None = None,
        responder: Responder | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.models = list(models or [])
        self.default = default
        self.responder = responder
        self.delay_s = delay_s
        self.requests: list[Recorded] = []
        self.unscripted: list[Any] = []  # bodies of model calls past the script
        self.stopping = threading.Event()
        self._queue: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        """Listen on an ephemeral loopback port and serve in a daemon thread."""
        self._httpd = _Server(("127.0.0.1", 0), self.handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.stop()
        if exc_type is None:  # an error already failing the block is the one to see
            self.check_script()

    def check_script(self) -> None:
        """Fail (AssertionError) if a model call came after the script ran out."""
        with self._lock:
            late = list(self.unscripted)
        if late:
            raise AssertionError(
                f"scripted fake: {len(late)} model call(s) after the script ran out (first: "
                f"{str(late[0])[:200]}); script() more answers or give responder= or default=")

    @property
    def port(self) -> int:
        """The port it listens on."""
        if self._httpd is None:
            raise RuntimeError("the fake server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    # -- scripting ------------------------------------------------------------------------

    def script(self, *answers: Answer) -> Self:
        """Queue answers for the next model calls, in order."""
        with self._lock:
            self._queue.extend(answers)
        return self

    @property
    def pending(self) -> int:
        """How many scripted answers are still queued."""
        with self._lock:
            return len(self._queue)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        """The reply to a model call with this request body."""
        with self._lock:
            if self._queue:
                return as_reply(self._queue.popleft())
        if self.responder is not None:
            answer = self.responder(body)
            if answer is not None:
                return as_reply(answer)
        if self.default is not None:
            return as_reply(self.default)
        with self._lock:
            self.unscripted.append(body)
        return Reply.http_error(500, "scripted fake: the script is exhausted")

    def record(self, request: Recorded) -> None:
        """Keep a received request."""
        with self._lock:
            self.requests.append(request)

    def received(self, path: str) -> list[Recorded]:
        """The requests received on `path`."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def knows(self, model: str) -> bool:
        """Whether `model` is one of this server's models."""
        names = {m.removesuffix(":latest") for m in self.models}
        return model.removesuffix(":latest") in names


@contextmanager
def environ(**values: str) -> Iterator[None]:
    """Set environment variables for the block (pointing clients at fakes), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
