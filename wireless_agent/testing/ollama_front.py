"""An Ollama API in front of an OpenAI-compatible server (llama.cpp's `llama-server`), for tests.

There is no Ollama here, so the `ollama:` backend reaches a real model through this front:
`/api/chat` (NDJSON stream or one answer, `format` as a schema or "json", `options.num_predict`,
tools and tool calls), `/api/tags`, `/api/show` and `/api/version`, each translated to the
OpenAI endpoint of the same server. Upstream errors keep their status and message.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from wireless_agent.models.wire import sse_events

# Ollama option -> OpenAI chat-completions field.
_OPTIONS = {"temperature": "temperature", "top_p": "top_p", "seed": "seed", "stop": "stop",
            "num_predict": "max_tokens", "top_k": "top_k", "repeat_penalty": "repeat_penalty"}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ollama chat messages as OpenAI ones (tool calls get ids; tool results point back)."""
    out: list[dict[str, Any]] = []
    pending: list[str] = []  # ids of tool calls not answered yet, oldest first
    for i, m in enumerate(messages):
        role = m.get("role", "user")
        msg: dict[str, Any] = {"role": role, "content": m.get("content") or ""}
        if role == "assistant" and m.get("tool_calls"):
            calls = []
            for j, call in enumerate(m["tool_calls"]):
                fn = call.get("function") or {}
                args = fn.get("arguments", {})
                call_id = f"call_{i}_{j}"
                pending.append(call_id)
                calls.append({"id": call_id, "type": "function",
                              "function": {"name": fn.get("name", ""),
                                           "arguments": args if isinstance(args, str)
                                           else json.dumps(args)}})
            msg["tool_calls"] = calls
        elif role == "tool":
            msg["tool_call_id"] = pending.pop(0) if pending else f"call_{i}"
        out.append(msg)
    return out


def openai_body(body: dict[str, Any]) -> dict[str, Any]:
    """An Ollama /api/chat body as an OpenAI chat-completions body."""
    req: dict[str, Any] = {"model": body.get("model", ""),
                           "messages": openai_messages(list(body.get("messages") or [])),
                           "stream": bool(body.get("stream", True))}
    if req["stream"]:
        req["stream_options"] = {"include_usage": True}
    for key, target in _OPTIONS.items():
        value = (body.get("options") or {}).get(key)
        if value is not None and not (key == "num_predict" and int(value) < 0):
            req[target] = value
    fmt = body.get("format")
    if isinstance(fmt, dict):
        req["response_format"] = {"type": "json_schema",
                                  "json_schema": {"name": "answer", "schema": fmt,
                                                  "strict": False}}
    elif fmt == "json":
        req["response_format"] = {"type": "json_object"}
    if body.get("tools"):
        req["tools"] = body["tools"]
    return req


def _ollama_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenAI tool calls (arguments a JSON string) as Ollama's (arguments an object)."""
    out = []
    for call in calls:
        fn = call.get("function") or {}
        raw = fn.get("arguments") or "{}"
        try:
            args = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            args = {}
        out.append({"function": {"name": fn.get("name", ""),
                                 "arguments": args if isinstance(args, dict) else {}}})
    return out


def _done(model: str, reason: str | None, usage: dict[str, Any] | None,
          message: dict[str, Any]) -> dict[str, Any]:
    usage = usage or {}
    return {"model": model, "created_at": _now(), "message": message, "done": True,
            "done_reason": {"length": "length"}.get(reason or "", "stop"),
            "total_duration": 0, "load_duration": 0,
            "prompt_eval_count": int(usage.get("prompt_tokens") or 0),
            "eval_count": int(usage.get("completion_tokens") or 0)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            data = {}
        return data if isinstance(data, dict) else {}

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _models(self) -> list[str]:
        reply = httpx.get(f"{self.server.upstream}/models", timeout=10.0, trust_env=False)
        reply.raise_for_status()
        return [str(m.get("id")) for m in reply.json().get("data", [])]

    def _tag(self, name: str) -> dict[str, Any]:
        return {"name": name, "model": name, "modified_at": _now(), "size": 0, "digest": "",
                "details": {"format": "gguf", "family": "llama.cpp", "parameter_size": "",
                            "quantization_level": ""}}

    def do_GET(self) -> None:
        """GET /api/tags, /api/version."""
        path = self.path.split("?", 1)[0]
        if path == "/api/tags":
            self._json(200, {"models": [self._tag(m) for m in self._models()]})
        elif path == "/api/version":
            self._json(200, {"version": "0.6.0-llama-server-front"})
        else:
            self._json(404, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:
        """POST /api/chat, /api/show."""
        path = self.path.split("?", 1)[0]
        body = self._body()
        self.server.count(path, body)
        if path == "/api/show":
            model = str(body.get("model") or body.get("name") or "")
            if model.removesuffix(":latest") not in self._models():
                self._json(404, {"error": f"model '{model}' not found"})
                return
            self._json(200, {"modelfile": f"FROM {model}", "parameters": "", "template": "",
                             "details": self._tag(model)["details"], "model_info": {},
                             "capabilities": ["completion", "tools"], "modified_at": _now()})
        elif path == "/api/chat":
            self._chat(body)
        else:
            self._json(404, {"error": f"no route {self.path}"})

    def _chat(self, body: dict[str, Any]) -> None:
        req = openai_body(body)
        model = str(body.get("model", ""))
        url = f"{self.server.upstream}/chat/completions"
        timeout = httpx.Timeout(self.server.timeout_s, connect=10.0)
        with httpx.Client(trust_env=False, timeout=timeout) as client, \
                client.stream("POST", url, json=req) as resp:
            if resp.status_code != 200:
                raw = resp.read().decode("utf-8", "replace")
                try:
                    err = json.loads(raw).get("error", raw)
                except (json.JSONDecodeError, AttributeError):
                    err = raw
                message = err.get("message", json.dumps(err)) if isinstance(err, dict) else err
                self._json(resp.status_code, {"error": str(message)})
                return
            if not req["stream"]:
                data = json.loads(resp.read())
                choice = (data.get("choices") or [{}])[0]
                msg = choice.get("message") or {}
                out = {"role": "assistant", "content": msg.get("content") or ""}
                if msg.get("tool_calls"):
                    out["tool_calls"] = _ollama_calls(msg["tool_calls"])
                self._json(200, _done(model, choice.get("finish_reason"), data.get("usage"),
                                      out))
                return
            self._relay(resp, model)

    def _relay(self, resp: httpx.Response, model: str) -> None:
        """Server-sent events from upstream as Ollama's NDJSON chunks."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        calls: dict[int, dict[str, Any]] = {}  # streamed tool calls come in pieces
        usage: dict[str, Any] | None = None
        reason: str | None = None

        def send(obj: dict[str, Any]) -> None:
            self.wfile.write(json.dumps(obj).encode() + b"\n")
            self.wfile.flush()

        for event in sse_events(resp.iter_lines()):
            if "error" in event:
                send({"error": str(event["error"])})
                return
            usage = event.get("usage") or usage
            for choice in event.get("choices") or ():
                reason = choice.get("finish_reason") or reason
                delta = choice.get("delta") or {}
                for piece in delta.get("tool_calls") or ():
                    slot = calls.setdefault(int(piece.get("index", 0)),
                                            {"function": {"name": "", "arguments": ""}})
                    fn = piece.get("function") or {}
                    slot["function"]["name"] += fn.get("name") or ""
                    slot["function"]["arguments"] += fn.get("arguments") or ""
                if delta.get("content"):
                    send({"model": model, "created_at": _now(), "done": False,
                          "message": {"role": "assistant", "content": delta["content"]}})
        if calls:
            send({"model": model, "created_at": _now(), "done": False,
                  "message": {"role": "assistant", "content": "",
                              "tool_calls": _ollama_calls([calls[k] for k in sorted(calls)])}})
        send(_done(model, reason, usage, {"role": "assistant", "content": ""}))

    def handle_one_request(self) -> None:
        """Serve a request, ignoring clients that gave up mid-answer."""
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except httpx.HTTPError as exc:  # upstream gone: say so the way Ollama would
            with contextlib.suppress(OSError):
                self._json(502, {"error": f"upstream: {exc}"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    upstream: str
    timeout_s: float
    counts: dict[str, int]
    bodies: list[dict[str, Any]]
    lock: threading.Lock

    def count(self, path: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            if path == "/api/chat":
                self.bodies.append(body)  # what reached the model, for privacy tests


class OllamaFront:
    """Serve the Ollama API on 127.0.0.1, answered by the OpenAI endpoint at `upstream` (/v1)."""

    def __init__(self, upstream: str, timeout_s: float = 300.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.timeout_s = timeout_s
        self._httpd: _Server | None = None

    def __enter__(self) -> OllamaFront:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.upstream, httpd.timeout_s = self.upstream, self.timeout_s
        httpd.counts, httpd.bodies, httpd.lock = {}, [], threading.Lock()
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self._httpd = httpd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, for OLLAMA_HOST."""
        if self._httpd is None:
            raise RuntimeError("the Ollama front is not running")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """Every /api/chat request body received, in order."""
        if self._httpd is None:
            return []
        with self._httpd.lock:
            return list(self._httpd.bodies)

    @property
    def counts(self) -> dict[str, int]:
        """POST requests received per path."""
        if self._httpd is None:
            return {}
        with self._httpd.lock:
            return dict(self._httpd.counts)
