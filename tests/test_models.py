"""Model backends through the real client libraries against loopback fakes of the servers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from wireless_agent import boundary
from wireless_agent.models import (
    BackendError,
    CallStats,
    IntentDecision,
    ModelSpec,
    ModelSpecError,
    check_backend,
    list_backends,
    make_backend,
    parse_spec,
)
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"slice": "URLLC", "application": "remote surgery", "latency_ms": 5,
        "min_rate_mbps": 10, "confidence": 0.9}
KEY = "sk-test-not-a-real-key"


class Alloc(BaseModel):
    """A bandwidth answer, checked by `in_range` like the planner will check it."""

    bandwidth: int


def in_range(obj: BaseModel) -> str | None:
    """The validator the retry tests use."""
    bw = obj.bandwidth  # type: ignore[attr-defined]
    return None if 6 <= bw <= 20 else f"bandwidth {bw} out of range 6..20"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


# -- specs ---------------------------------------------------------------------------------


def test_parse_spec_accepts_the_documented_forms() -> None:
    assert parse_spec("offline") == ModelSpec("offline")
    assert parse_spec("ollama:qwen2.5:3b") == ModelSpec("ollama", "qwen2.5:3b")
    assert parse_spec(" openai:gpt-4o-mini ") == ModelSpec("openai", "gpt-4o-mini")
    tiered = parse_spec("tiered:ollama:qwen2.5:3b,openai:gpt-4o-mini")
    assert tiered.provider == "tiered"
    assert [str(t) for t in tiered.tiers] == ["ollama:qwen2.5:3b", "openai:gpt-4o-mini"]
    assert str(tiered) == "tiered:ollama:qwen2.5:3b,openai:gpt-4o-mini"


@pytest.mark.parametrize("bad", ["", "ollama", "ollama:", "gpt-4o", "anthropic:claude",
                                 "openai:gpt 4", "tiered:ollama:a", "tiered:tiered:x,offline"])
def test_parse_spec_rejects_bad_strings_in_one_line(bad: str) -> None:
    with pytest.raises(ModelSpecError) as err:
        parse_spec(bad)
    assert isinstance(err.value, ValueError)
    assert "\n" not in str(err.value)
    assert any(w in str(err.value) for w in ("write", "e.g.", "may not"))


def test_make_backend_builds_tiers_in_order() -> None:
    from wireless_agent.models.tiered import TieredBackend

    backend = make_backend("tiered:offline,ollama:a,openai:b")
    assert isinstance(backend, TieredBackend)
    assert backend.tier_names == ["offline", "ollama:a", "openai:b"]


@pytest.mark.slow  # a fresh interpreter: what the offline path imports
def test_offline_path_imports_no_provider_and_records_the_prompt() -> None:
    code = (
        "import sys\n"
        "from wireless_agent import boundary\n"
        "from wireless_agent.models import make_backend, IntentDecision\n"
        "with boundary.recording() as rec:\n"
        "    obj, st = make_backend('offline').structured('perception', 'hi', IntentDecision)\n"
        "assert obj is None and st.calls == 0 and st.error and rec[0].remote is False\n"
        "bad = [m for m in ('langchain_openai', 'langchain_ollama', 'openai', 'ollama')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=30)


def test_call_stats_add_up() -> None:
    a = CallStats(1, 10, 5, 100.0, "bad json", False)
    b = CallStats(1, 12, 6, 50.0, None, True)
    assert a + b == CallStats(2, 22, 11, 150.0, "bad json", True)
    assert b + a == CallStats(2, 22, 11, 150.0, "bad json", True)
    assert sum([a, b], CallStats()).calls == 2


# -- structured calls, OpenAI --------------------------------------------------------------


def test_openai_good_answer_with_server_usage(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.json(GOOD, usage=(42, 7)))
    backend = make_backend("openai:gpt-fake", timeout_s=5)
    with boundary.recording() as rec:
        obj, stats = backend.structured("perception", [("system", "be brief"),
                                                      ("user", "surgery")], IntentDecision)
    assert obj == IntentDecision(**GOOD)
    assert (stats.calls, stats.prompt_tokens, stats.completion_tokens) == (1, 42, 7)
    assert stats.error is None and not stats.retried and stats.latency_ms > 0
    body = openai_fake.chat_requests[0]
    assert body["model"] == "gpt-fake" and body["temperature"] == 0
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["additionalProperties"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert [(r.role, r.backend, r.remote) for r in rec] == [("perception", "openai:gpt-fake",
                                                            True)]
    assert rec[0].text == "be brief\nsurgery"
    assert openai_fake.received("/v1/chat/completions")[0].headers["authorization"] == (
        f"Bearer {KEY}")


def test_openai_malformed_json_is_retried_once_then_none(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.malformed(), Reply.json(GOOD))
    backend = make_backend("openai:gpt-fake", timeout_s=5)
    obj, stats = backend.structured("perception", "surgery", IntentDecision)
    assert obj == IntentDecision(**GOOD) and stats.calls == 2 and stats.retried
    assert stats.error is None
    retry = openai_fake.chat_requests[1]["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "user"]
    assert "not valid JSON" in retry[2]["content"]

    openai_fake.script(Reply.malformed(), "still not json")
    with boundary.recording() as rec:
        obj, stats = backend.structured("perception", "surgery", IntentDecision)
    assert obj is None and stats.calls == 2 and stats.retried
    assert "not valid JSON" in (stats.error or "")
    assert len(rec) == 2  # the retry crossed the boundary too


def test_schema_and_validate_errors_are_retried_with_the_reason(
    openai_fake: FakeOpenAIServer,
) -> None:
    backend = make_backend("openai:gpt-fake", timeout_s=5)
    openai_fake.script(Reply.json({"bandwidth": 35}), Reply.json({"bandwidth": 12}))
    obj, stats = backend.structured("planning", "how much?", Alloc, validate=in_range)
    assert obj == Alloc(bandwidth=12) and stats.calls == 2 and stats.retried
    assert "bandwidth 35 out of range 6..20" in openai_fake.chat_requests[1]["messages"][-1][
        "content"]

    openai_fake.script({**GOOD, "confidence": 1.5}, {**GOOD, "slice": "mMTC"})
    obj, stats = backend.structured("perception", "x", IntentDecision)
    assert obj is None and stats.calls == 2
    assert "slice" in (stats.error or "")
    assert "confidence" in openai_fake.chat_requests[-1]["messages"][-1]["content"]


def test_retries_zero_means_one_call(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.malformed(), Reply.json(GOOD))
    obj, stats = make_backend("openai:gpt-fake").structured("p", "x", IntentDecision, retries=0)
    assert obj is None and stats.calls == 1 and not stats.retried
    assert openai_fake.pending == 1


def test_openai_timeout_returns_none_quickly(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.json(GOOD, delay_s=3))
    backend = make_backend("openai:gpt-fake", timeout_s=0.3)
    backend.model()  # build outside the stopwatch: the first import costs seconds
    start = time.perf_counter()
    obj, stats = backend.structured("perception", "x", IntentDecision)
    assert obj is None and "timeout" in (stats.error or "")
    assert time.perf_counter() - start < 1.5 and stats.calls == 1


def test_openai_http_500_is_not_retried(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.http_error(500, "boom"), Reply.json(GOOD))
    obj, stats = make_backend("openai:gpt-fake").structured("perception", "x", IntentDecision)
    assert obj is None and stats.error is not None and "500" in stats.error
    assert len(openai_fake.chat_requests) == 1


def test_key_never_appears_in_errors(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.http_error(401, f"Incorrect API key provided: {KEY}"))
    obj, stats = make_backend("openai:gpt-fake").structured("perception", "x", IntentDecision)
    assert obj is None and "401" in (stats.error or "") and KEY not in (stats.error or "")


def test_missing_key_fails_without_contacting_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend("openai:gpt-4o-mini")  # constructing must not need the key
    obj, stats = backend.structured("perception", "x", IntentDecision)
    assert obj is None and "OPENAI_API_KEY" in (stats.error or "")
    start = time.perf_counter()
    with pytest.raises(BackendError, match="OPENAI_API_KEY"):
        check_backend("openai:gpt-4o-mini")
    assert time.perf_counter() - start < 1.0


def test_unreachable_server_gives_none_and_backend_error(
    monkeypatch: pytest.MonkeyPatch, closed_port: int
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port}/v1")
    obj, stats = make_backend("openai:m", timeout_s=2).structured("p", "x", IntentDecision)
    assert obj is None and stats.error and "connection" in stats.error.lower()
    with pytest.raises(BackendError, match="no OpenAI-compatible server"):
        check_backend("openai:m")
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    with pytest.raises(BackendError, match="no Ollama server"):
        check_backend("ollama:qwen2.5:3b")
    obj, stats = make_backend("ollama:qwen2.5:3b", timeout_s=2).structured("p", "x", Alloc)
    assert obj is None and stats.error


def test_silent_server_is_reported_within_the_timeout(
    monkeypatch: pytest.MonkeyPatch, silent_port: int
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{silent_port}")
    start = time.perf_counter()
    with pytest.raises(BackendError, match="timed out"):
        check_backend("ollama:qwen2.5:3b", timeout_s=0.5)
    assert time.perf_counter() - start < 2.0


def test_check_backend_knows_the_models(
    openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer
) -> None:
    check_backend("openai:gpt-fake")
    check_backend("ollama:qwen2.5:3b")
    check_backend("tiered:ollama:qwen2.5:3b,openai:gpt-fake")
    with pytest.raises(BackendError, match=r"no model 'llama3'.*ollama pull llama3"):
        check_backend("ollama:llama3")
    with pytest.raises(BackendError, match="does not list model 'gpt-9'"):
        check_backend("openai:gpt-9")
    ollama_fake.models.append("llama3:latest")
    check_backend("ollama:llama3")


def test_list_backends_rows(openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer,
                            monkeypatch: pytest.MonkeyPatch, closed_port: int) -> None:
    rows = list_backends()
    assert rows[0]["backend"] == "offline"
    assert {"backend": "ollama", "model": "qwen2.5:3b", "status": "available",
            "detail": "scripted fake server, not a real model; 3B Q4_K_M"} in rows
    assert any(r["backend"] == "openai" and r["model"] == "gpt-fake"
               and r["detail"].startswith("scripted fake server") for r in rows)
    assert all(KEY not in str(r) for r in rows)

    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    rows = list_backends(timeout_s=1)
    by_backend = {r["backend"]: r for r in rows}
    assert by_backend["ollama"]["status"] == "unreachable"
    assert by_backend["openai"]["status"] == "not configured"


# -- structured calls, Ollama --------------------------------------------------------------


def test_ollama_good_answer_sends_the_schema(ollama_fake: FakeOllamaServer) -> None:
    ollama_fake.script(Reply.json(GOOD, usage=(30, 9)))
    with boundary.recording() as rec:
        obj, stats = make_backend("ollama:qwen2.5:3b", timeout_s=5).structured(
            "perception", "surgery", IntentDecision)
    assert obj == IntentDecision(**GOOD)
    assert (stats.prompt_tokens, stats.completion_tokens) == (30, 9)
    body = ollama_fake.chat_requests[0]
    assert body["model"] == "qwen2.5:3b" and body["options"]["temperature"] == 0
    assert body["format"]["required"] == list(IntentDecision.model_fields)
    assert rec[0].backend == "ollama:qwen2.5:3b" and rec[0].remote


def test_ollama_counts_tokens_when_the_server_does_not(ollama_fake: FakeOllamaServer) -> None:
    ollama_fake.script(Reply.json(GOOD, send_usage=False))
    obj, stats = make_backend("ollama:qwen2.5:3b").structured("p", "surgery", IntentDecision)
    assert obj is not None and stats.prompt_tokens > 0 and stats.completion_tokens > 0


def test_ollama_retry_timeout_and_500(ollama_fake: FakeOllamaServer) -> None:
    backend = make_backend("ollama:qwen2.5:3b", timeout_s=0.3)
    ollama_fake.script(Reply.json({"bandwidth": 2}), Reply.json({"bandwidth": 8}))
    obj, stats = backend.structured("planning", "x", Alloc, validate=in_range)
    assert obj == Alloc(bandwidth=8) and stats.retried and stats.calls == 2

    ollama_fake.script(Reply.json(GOOD, delay_s=3))
    start = time.perf_counter()
    obj, stats = backend.structured("perception", "x", IntentDecision)
    assert obj is None and "timeout" in (stats.error or "")
    assert time.perf_counter() - start < 1.5

    ollama_fake.script(Reply.http_error(500, "model crashed"))
    obj, stats = backend.structured("perception", "x", IntentDecision)
    assert obj is None and "500" in (stats.error or "")


def test_ollama_unknown_model_in_a_call(ollama_fake: FakeOllamaServer) -> None:
    obj, stats = make_backend("ollama:nope").structured("p", "x", IntentDecision)
    assert obj is None and "404" in (stats.error or "")


def test_responder_scripts_answers_by_content(ollama_fake: FakeOllamaServer) -> None:
    def answer(body: dict) -> dict:
        text = body["messages"][-1]["content"]
        return {**GOOD, "slice": "URLLC" if "surgery" in text else "eMBB"}

    ollama_fake.responder = answer
    backend = make_backend("ollama:qwen2.5:3b")
    slices = [backend.structured("p", t, IntentDecision)[0].slice  # type: ignore[union-attr]
              for t in ("remote surgery", "watch 4K video")]
    assert slices == ["URLLC", "eMBB"]


# -- chat: streaming and tools -------------------------------------------------------------


def get_slice_state(slice_name: str) -> str:
    """Current usage of a slice."""
    return f"{slice_name}: 40 MHz used"


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_chat_streams_tokens_and_returns_tool_calls(
    provider: str, openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer
) -> None:
    fake = openai_fake if provider == "openai" else ollama_fake
    spec = "openai:gpt-fake" if provider == "openai" else "ollama:qwen2.5:3b"
    backend = make_backend(spec, timeout_s=5)
    fake.script(Reply("The eMBB slice is half full.", chunk_chars=5, usage=(20, 8)))
    tokens: list[str] = []
    with boundary.recording() as rec:
        reply, stats = backend.chat("explain", [("user", "how full?")], on_token=tokens.append)
    assert reply is not None and reply.content == "The eMBB slice is half full."
    assert len(tokens) >= 5 and "".join(tokens) == reply.content
    assert (stats.prompt_tokens, stats.completion_tokens) == (20, 8)
    assert rec[0].role == "explain"
    assert fake.chat_requests[0]["stream"] is True

    fake.script(Reply.tool_call("get_slice_state", {"slice_name": "eMBB"}))
    reply, stats = backend.chat("explain", "how full?", tools=[get_slice_state])
    assert reply is not None and stats.error is None
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [
        ("get_slice_state", {"slice_name": "eMBB"})]
    assert fake.chat_requests[-1]["tools"][0]["function"]["name"] == "get_slice_state"

    fake.script(Reply.http_error(500))
    reply, stats = backend.chat("explain", "again")
    assert reply is None and "500" in (stats.error or "")


@pytest.mark.parametrize("error,outage", [
    ("HTTP 429: rate limit reached", True), ("HTTP 503: overloaded", True),
    ("HTTP 500: 1 validation error: format: unsupported value", False),
    ("HTTP 500: internal server error", True), ("HTTP 400: bad request", False),
    ("connection failed: refused", True), ("timeout after 30 s", True),
    ("openai:gpt-x needs OPENAI_API_KEY in the environment", True),
    ("the answer was not JSON", False), (None, False), ("", False),
])
def test_one_outage_rule_for_the_tiers_and_the_chat(error: str | None, outage: bool) -> None:
    from wireless_agent.chat import repl, session
    from wireless_agent.models.errors import is_outage

    assert is_outage(error) is outage
    assert session.is_outage is is_outage and repl.is_outage is is_outage
