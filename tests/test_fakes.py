"""The scripted model fakes fail a test that calls them past their script."""

from __future__ import annotations

import httpx
import pytest

from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer


def _chat(server: FakeOpenAIServer) -> httpx.Response:
    body = {"model": "gpt-fake", "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=5.0)


def test_a_call_past_the_script_is_an_error_and_fails_the_block() -> None:
    with pytest.raises(AssertionError, match="after the script ran out"), \
            FakeOpenAIServer() as server:
        server.script(Reply(content="first"))
        first = _chat(server)
        assert first.json()["choices"][0]["message"]["content"] == "first"
        late = _chat(server)
        assert late.status_code == 500
        assert "exhausted" in late.text
    assert len(server.unscripted) == 1


def test_a_scripted_run_ends_cleanly_and_defaults_still_answer() -> None:
    with FakeOpenAIServer(default="fallback") as server:
        server.script(Reply(content="first"))
        assert _chat(server).json()["choices"][0]["message"]["content"] == "first"
        assert _chat(server).json()["choices"][0]["message"]["content"] == "fallback"
    assert server.unscripted == []


def test_the_ollama_fake_is_strict_too() -> None:
    with pytest.raises(AssertionError, match="scripted fake"), FakeOllamaServer() as server:
        reply = httpx.post(f"{server.url}/api/chat", json={
            "model": "qwen2.5:3b", "messages": [{"role": "user", "content": "hi"}],
            "stream": False}, timeout=5.0)
        assert reply.status_code == 500
