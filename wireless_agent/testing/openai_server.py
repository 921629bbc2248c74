"""A fake OpenAI-compatible server: /v1/chat/completions (plain and SSE) and /v1/models."""

from __future__ import annotations

import json
import time
from typing import Any

from wireless_agent.testing import FakeHandler, FakeServer, Reply

CHAT_PATH = "/v1/chat/completions"


def _tool_calls(reply: Reply) -> list[dict[str, Any]]:
    return [
        {"id": f"call_{i}", "type": "function",
         "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}))}}
        for i, c in enumerate(reply.tool_calls)
    ]


def _usage(reply: Reply, body: dict[str, Any]) -> dict[str, int]:
    prompt, completion = reply.token_usage(body)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


class OpenAIHandler(FakeHandler):
    """Speaks the parts of the OpenAI API that langchain-openai uses for chat."""

    def do_GET(self) -> None:
        """GET /v1/models."""
        self.read_body()
        if self.path.split("?", 1)[0] == "/v1/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in self.fake.models]
            self.send_json(200, {"object": "list", "data": data})
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        """POST /v1/chat/completions."""
        body = self.read_body() or {}
        if self.path.split("?", 1)[0] != CHAT_PATH:
            self._error(404, f"no route {self.path}", "not_found")
            return
        model = str(body.get("model", ""))
        if self.fake.models and not self.fake.knows(model):
            self._error(404, f"The model `{model}` does not exist", "model_not_found")
            return
        reply = self.fake.next_reply(body)
        self.wait(reply)
        if reply.status != 200:
            self._error(reply.status, reply.error, "server_error", reply.headers)
        elif body.get("stream"):
            self._stream(reply, body)
        else:
            self._complete(reply, body)

    def _error(self, status: int, message: str, code: str,
               headers: dict[str, str] | None = None) -> None:
        self.send_json(status, {"error": {"message": message, "type": "invalid_request_error"
                                          if status < 500 else "server_error",
                                          "param": None, "code": code}}, headers)

    def _complete(self, reply: Reply, body: dict[str, Any]) -> None:
        message: dict[str, Any] = {"role": "assistant", "content": reply.content or None,
                                   "refusal": None}
        if reply.tool_calls:
            message["tool_calls"] = _tool_calls(reply)
        out: dict[str, Any] = {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
        }
        if reply.send_usage:
            out["usage"] = _usage(reply, body)
        self.send_json(200, out)

    def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
        self.start_stream("text/event-stream")
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": body.get("model", "")}

        def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            chunk = {**base, "choices": choices, **extra}
            self.send_bytes(f"data: {json.dumps(chunk)}\n\n".encode(), reply)

        def delta(d: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
            return [{"index": 0, "delta": d, "logprobs": None, "finish_reason": finish}]

        send(delta({"role": "assistant", "content": ""}))
        for piece in reply.pieces():
            send(delta({"content": piece}))
        for i, call in enumerate(_tool_calls(reply)):
            send(delta({"tool_calls": [{"index": i, **call}]}))
        send(delta({}, "tool_calls" if reply.tool_calls else "stop"))
        if reply.send_usage and (body.get("stream_options") or {}).get("include_usage"):
            send([], usage=_usage(reply, body))
        self.send_bytes(b"data: [DONE]\n\n", reply)


class FakeOpenAIServer(FakeServer):
    """An OpenAI-compatible fake; point OPENAI_BASE_URL at `base_url`."""

    handler = OpenAIHandler

    def __init__(self, models: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(models=models if models is not None else ["gpt-fake"], **kwargs)

    @property
    def base_url(self) -> str:
        """The value for OPENAI_BASE_URL."""
        return f"{self.url}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat completions received, oldest first."""
        return [r.body for r in self.received(CHAT_PATH)]
