"""A fake Ollama server: /api/chat (NDJSON stream or not), /api/tags, /api/show, /api/embed."""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any, cast

from wireless_agent.testing import FakeHandler, FakeServer, Reply

CHAT_PATH = "/api/chat"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


def fake_embedding(text: str, dim: int) -> list[float]:
    """A deterministic unit vector for `text` (same text, same vector)."""
    values: list[float] = []
    counter = 0
    while len(values) < dim:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend(b / 127.5 - 1.0 for b in digest)
        counter += 1
    values = values[:dim]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


class OllamaHandler(FakeHandler):
    """Speaks the parts of the Ollama API that langchain-ollama and ollama-python use."""

    @property
    def fake(self) -> FakeOllamaServer:
        """The FakeOllamaServer this request belongs to."""
        return cast(FakeOllamaServer, self.server.owner)

    def do_GET(self) -> None:
        """GET /api/tags (and /api/version)."""
        self.read_body()
        path = self.path.split("?", 1)[0]
        if path == "/api/tags":
            self.send_json(200, {"models": [self._tag(m) for m in self.fake.models]})
        elif path == "/api/version":
            self.send_json(200, {"version": "0.6.0-fake"})
        else:
            self.send_json(404, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:
        """POST /api/chat, /api/show, /api/embed."""
        body = self.read_body() or {}
        path = self.path.split("?", 1)[0]
        model = str(body.get("model", ""))
        known = not self.fake.models or self.fake.knows(model)
        if path not in (CHAT_PATH, "/api/show", "/api/embed"):
            self.send_json(404, {"error": f"no route {self.path}"})
        elif not known:
            self.send_json(404, {"error": f"model '{model}' not found"})
        elif path == "/api/show":
            self.send_json(200, self._show(model))
        elif path == "/api/embed":
            self._embed(body)
        else:
            reply = self.fake.next_reply(body)
            self.wait(reply)
            if reply.status != 200:
                self.send_json(reply.status, {"error": reply.error}, reply.headers)
            elif body.get("stream", True):
                self._stream(reply, body)
            else:
                self.send_json(200, self._final(reply, body, reply.content, reply.tool_calls))

    @staticmethod
    def _tag(name: str) -> dict[str, Any]:
        return {"name": name, "model": name, "modified_at": _now(), "size": 1_900_000_000,
                "digest": hashlib.sha256(name.encode()).hexdigest(),
                "details": {"format": "gguf", "family": "fake", "parameter_size": "3B",
                            "quantization_level": "Q4_K_M"}}

    def _show(self, model: str) -> dict[str, Any]:
        return {"modelfile": f"FROM {model}", "parameters": "", "template": "{{ .Prompt }}",
                "details": self._tag(model)["details"], "model_info": {},
                "capabilities": ["completion", "tools"], "modified_at": _now()}

    def _embed(self, body: dict[str, Any]) -> None:
        inputs = body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        dim = self.fake.embed_dim
        self.send_json(200, {"model": body.get("model", ""),
                             "embeddings": [fake_embedding(str(t), dim) for t in texts],
                             "total_duration": 1000, "load_duration": 0,
                             "prompt_eval_count": sum(len(str(t)) // 4 + 1 for t in texts)})

    @staticmethod
    def _message(content: str, tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = [
                {"function": {"name": c["name"], "arguments": c.get("arguments", {})}}
                for c in tool_calls
            ]
        return message

    def _final(self, reply: Reply, body: dict[str, Any], content: str,
               tool_calls: list[dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"model": body.get("model", ""), "created_at": _now(),
                               "message": self._message(content, tool_calls), "done": True,
                               "done_reason": "stop", "total_duration": 1_000_000,
                               "load_duration": 0}
        if reply.send_usage:
            prompt, completion = reply.token_usage(body)
            out.update(prompt_eval_count=prompt, prompt_eval_duration=500_000,
                       eval_count=completion, eval_duration=500_000)
        return out

    def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
        self.start_stream("application/x-ndjson")

        def send(obj: dict[str, Any]) -> None:
            self.send_bytes(json.dumps(obj).encode() + b"\n", reply)

        for piece in reply.pieces():
            send({"model": body.get("model", ""), "created_at": _now(),
                  "message": self._message(piece, []), "done": False})
        if reply.tool_calls:
            send({"model": body.get("model", ""), "created_at": _now(),
                  "message": self._message("", reply.tool_calls), "done": False})
        send(self._final(reply, body, "", []))


class FakeOllamaServer(FakeServer):
    """An Ollama fake; point OLLAMA_HOST at `url`."""

    handler = OllamaHandler

    def __init__(self, models: list[str] | None = None, embed_dim: int = 16,
                 **kwargs: Any) -> None:
        super().__init__(models=models if models is not None else ["qwen2.5:3b"], **kwargs)
        self.embed_dim = embed_dim

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chats received, oldest first."""
        return [r.body for r in self.received(CHAT_PATH)]
