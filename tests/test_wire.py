"""The wire under faults: slow servers, rate limits, refused formats, and --timeout everywhere."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from evals.slicing_eval import MODEL_METHODS, EvalConfig, Evaluation, Unit, UnitRunner
from wireless_agent.models import IntentDecision, make_backend
from wireless_agent.models.wire import MAX_429_RETRIES
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

GOOD = {"slice": "URLLC", "application": "remote surgery", "latency_ms": 5,
        "min_rate_mbps": 10, "confidence": 0.9}
BOTH = {**GOOD, "intent": "remote surgery", "bandwidth": 8, "rate": 40.0,
        "can_accommodate": True}


# -- the whole call is bounded, not each read --------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_a_server_trickling_one_byte_a_second_does_not_hold_the_call(
        provider: str, openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer) -> None:
    fake = openai_fake if provider == "openai" else ollama_fake
    model = "gpt-fake" if provider == "openai" else "qwen2.5:3b"
    # Every byte arrives well within any per-read timeout; only a whole-call bound ends it.
    fake.script(Reply.json(GOOD, trickle_s=1.0, chunk_chars=200))
    backend = make_backend(f"{provider}:{model}", timeout_s=2.0)
    start = time.monotonic()
    answer, stats = backend.structured("classify", "remote surgery", IntentDecision)
    took = time.monotonic() - start
    assert answer is None
    assert stats.error == "timeout after 2 s"
    assert took < 3.0, f"the call took {took:.1f} s with --timeout 2"


@pytest.mark.slow
def test_a_trickled_chat_turn_ends_by_the_timeout(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply(content="a long and slow answer", trickle_s=1.0, chunk_chars=200))
    backend = make_backend("openai:gpt-fake", timeout_s=2.0)
    backend.model()  # the client library's import is not the server's time
    start = time.monotonic()
    reply, stats = backend.chat("explain", "how full is eMBB?")
    took = time.monotonic() - start
    assert reply is None and stats.error is not None and "timeout" in stats.error
    assert took < 3.0, f"the chat turn took {took:.1f} s with --timeout 2"


# -- HTTP 429 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_429_retry_after_is_honoured_then_the_call_succeeds(
        provider: str, openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer) -> None:
    fake = openai_fake if provider == "openai" else ollama_fake
    model = "gpt-fake" if provider == "openai" else "qwen2.5:3b"
    fake.script(Reply.http_error(429, "rate limited", headers={"Retry-After": "1"}),
                Reply.json(GOOD))
    backend = make_backend(f"{provider}:{model}", timeout_s=10.0)
    start = time.monotonic()
    answer, stats = backend.structured("classify", "remote surgery", IntentDecision)
    took = time.monotonic() - start
    assert isinstance(answer, IntentDecision) and stats.error is None
    assert len(fake.chat_requests) == 2
    assert 0.9 <= took < 5.0, f"waited {took:.2f} s for Retry-After: 1"


def test_a_retry_after_past_the_timeout_fails_at_once(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.http_error(429, "slow down", headers={"Retry-After": "3600"}))
    backend = make_backend("openai:gpt-fake", timeout_s=3.0)
    start = time.monotonic()
    answer, stats = backend.structured("classify", "remote surgery", IntentDecision)
    assert answer is None and time.monotonic() - start < 1.5
    assert stats.error is not None and "HTTP 429" in stats.error
    assert "past the timeout" in stats.error
    assert len(openai_fake.chat_requests) == 1


def test_429_retries_are_bounded(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.default = Reply.http_error(429, "busy", headers={"Retry-After": "0"})
    backend = make_backend("openai:gpt-fake", timeout_s=10.0)
    answer, stats = backend.structured("classify", "remote surgery", IntentDecision)
    assert answer is None and stats.error is not None and "HTTP 429" in stats.error
    assert len(openai_fake.chat_requests) == MAX_429_RETRIES + 1


@pytest.mark.slow
def test_429_without_retry_after_backs_off_exponentially(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.http_error(429, "busy"), Reply.http_error(429, "busy"),
                       Reply.json(GOOD))
    backend = make_backend("openai:gpt-fake", timeout_s=10.0)
    start = time.monotonic()
    answer, _ = backend.structured("classify", "remote surgery", IntentDecision)
    took = time.monotonic() - start
    assert isinstance(answer, IntentDecision)
    assert 2.9 <= took < 6.0  # 1 s, then 2 s


# -- the structured-output form falls back, and says so once -----------------------------------


def _refusing(refused: set[str]) -> Any:
    """A responder that rejects the structured-output forms in `refused` like real servers do."""

    def answer(body: dict[str, Any]) -> Reply | None:
        fmt = body.get("response_format") or {}
        form = fmt.get("type")
        if form == "json_object" and "schema" in fmt:
            form = "json_object+schema"
        if body.get("format") is not None:  # Ollama
            form = "schema" if isinstance(body["format"], dict) else "json"
        if form in refused:
            return Reply.http_error(400, f"response_format {form} is not supported")
        return Reply.json(GOOD)

    return answer


def _forms(fake: FakeOpenAIServer | FakeOllamaServer) -> list[str]:
    out = []
    for body in fake.chat_requests:
        if "format" in body:
            out.append("schema" if isinstance(body["format"], dict) else "json")
            continue
        fmt = body["response_format"]
        out.append("json_object+schema" if fmt["type"] == "json_object" and "schema" in fmt
                   else fmt["type"])
    return out


def test_openai_format_falls_back_and_warns_once(
        openai_fake: FakeOpenAIServer, caplog: pytest.LogCaptureFixture) -> None:
    openai_fake.responder = _refusing({"json_schema", "json_object+schema"})
    backend = make_backend("openai:gpt-fake", timeout_s=5.0)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            answer, stats = backend.structured("classify", "remote surgery", IntentDecision)
            assert isinstance(answer, IntentDecision) and stats.error is None
    # Each form is tried once; later calls go straight to the one the server takes.
    assert _forms(openai_fake) == ["json_schema", "json_object+schema", "json_object",
                                   "json_object", "json_object"]
    said = [r.getMessage() for r in caplog.records if "rejected structured output" in
            r.getMessage()]
    assert len(said) == 2  # once per refused form, not once per call
    assert "json_schema" in said[0] and "json_object+schema" in said[1]


def test_ollama_format_falls_back_to_json(
        ollama_fake: FakeOllamaServer, caplog: pytest.LogCaptureFixture) -> None:
    ollama_fake.responder = _refusing({"schema"})
    backend = make_backend("ollama:qwen2.5:3b", timeout_s=5.0)
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            answer, _ = backend.structured("classify", "remote surgery", IntentDecision)
            assert isinstance(answer, IntentDecision)
    assert _forms(ollama_fake) == ["schema", "json", "json"]
    assert sum("rejected structured output" in r.getMessage() for r in caplog.records) == 1


def test_a_server_down_is_not_taken_for_a_refused_format(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.http_error(500, "out of memory"))
    backend = make_backend("openai:gpt-fake", timeout_s=5.0)
    answer, stats = backend.structured("classify", "remote surgery", IntentDecision)
    assert answer is None and stats.error is not None and "out of memory" in stats.error
    assert _forms(openai_fake) == ["json_schema"]


# -- --timeout reaches every method ------------------------------------------------------------


def test_timeout_reaches_every_model_method(tmp_path: Path, openai_fake: FakeOpenAIServer) -> None:
    methods = ["agent", *MODEL_METHODS]
    cfg = EvalConfig(scenarios=["north"], methods=methods, users=[1],
                     model="openai:gpt-fake", warmup=0, timeout_s=0.75)
    runner = UnitRunner(cfg, tmp_path / "memory")
    try:
        for method in methods:
            policy = runner.policy(Unit("north", method, 0, 1, (1,)))
            assert policy.backend.timeout_s == 0.75, method
    finally:
        runner.close()


@pytest.mark.slow
def test_the_prompt_baseline_gives_up_at_the_eval_timeout(tmp_path: Path,
                                                          openai_fake: FakeOpenAIServer) -> None:
    openai_fake.default = BOTH
    openai_fake.delay_s = 3.0  # slower than --timeout, faster than the 30 s default
    cfg = EvalConfig(scenarios=["north"], methods=["prompt"], users=[1], model="openai:gpt-fake",
                     warmup=0, timeout_s=0.5)
    start = time.monotonic()
    rows = Evaluation(cfg, tmp_path / "run").run()
    assert time.monotonic() - start < 2.5
    assert rows and rows[0]["method"] == "prompt"
    logged = [json.loads(line) for line in (tmp_path / "run" / "decisions.jsonl").read_text()
              .splitlines()]
    assert logged[0]["fallback"] is True and logged[0]["error"] == "timeout after 0.5 s"
    assert logged[0]["model_calls"] == 1
