"""Device-edge-cloud tiers against the real classifier and loopback fakes of both servers."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest

from evals.tier_sweep import label_responder, largest_only, plot_sweep, sweep_thresholds
from prompts import marked_request
from wireless_agent import boundary
from wireless_agent.assembly import PromptContext, perception_prompt
from wireless_agent.intent import IntentClassifier
from wireless_agent.models import IntentDecision, ModelSpecError
from wireless_agent.models.tiered import (
    DEVICE_THRESHOLD,
    THRESHOLDS_ENV,
    TieredBackend,
    TieredDecision,
    make_tiered,
)
from wireless_agent.privacy import PrivacyFilter
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

SPEC = "tiered:offline,ollama:qwen2.5:3b,openai:gpt-fake"
EASY = "I want to use remote surgery equipment"
UNSURE = "online polling and surveys"  # the classifier is unsure of it (0.69)
EDGE_SURE = {"slice": "URLLC", "application": "navigation", "latency_ms": 10,
             "min_rate_mbps": 5, "confidence": 0.95}
EDGE_UNSURE = {**EDGE_SURE, "slice": "eMBB", "confidence": 0.4}
CLOUD = {**EDGE_SURE, "application": "traffic updates", "confidence": 0.9}


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def backend(ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer) -> TieredBackend:
    """Three tiers with both fakes up (edge 20 ms, cloud 40 ms) and default thresholds."""
    ollama_fake.delay_s, openai_fake.delay_s = 0.02, 0.04
    return make_tiered(SPEC, timeout_s=5)


def contents(prompt: list[tuple[str, str]]) -> list[str]:
    """The message texts of a prompt as they go on the wire."""
    return [text for _, text in prompt]


def ask(b: TieredBackend, request: str) -> tuple[TieredDecision, object]:
    """One perception decision as the perception node asks for it."""
    answer, stats = b.structured("perception", perception_prompt(request), IntentDecision,
                                 request=request)
    assert isinstance(answer, TieredDecision)
    return answer, stats


def test_unsure_request_really_is_below_the_device_threshold() -> None:
    clf = IntentClassifier.default()
    assert clf.predict(UNSURE).confidence < DEVICE_THRESHOLD <= clf.predict(EASY).confidence


def test_easy_requests_stay_on_the_device(backend: TieredBackend, ollama_fake: FakeOllamaServer,
                                          openai_fake: FakeOpenAIServer) -> None:
    for _ in range(3):
        answer, stats = ask(backend, EASY)
        assert (answer.tier, answer.slice, answer.fallback) == ("offline", "URLLC", False)
        assert stats.calls == 0 and stats.prompt_tokens == 0 and stats.error is None
    assert ollama_fake.requests == [] and openai_fake.requests == []
    s = backend.stats()
    assert (s["decisions"], s["escalated"], s["fallbacks"]) == (3, 0, 0)
    assert s["tiers"]["offline"]["decisions"] == 3
    assert s["tiers"]["ollama:qwen2.5:3b"]["asked"] == 0


def test_unsure_request_escalates_to_the_edge_with_the_assembled_prompt(
    backend: TieredBackend, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    ollama_fake.script(Reply.json(EDGE_SURE, usage=(300, 20)))
    # The device reads the request it is handed; the model tier gets the caller's prompt as
    # it is (nothing re-parsed out of it, nothing dropped).
    prompt = perception_prompt(UNSURE, PromptContext(notes=("subscriber history ...",)))
    with boundary.recording() as rec:
        answer, stats = backend.structured("perception", prompt, IntentDecision,
                                           request=UNSURE)
    assert [(r.backend, r.text) for r in rec][0] == ("offline", UNSURE)
    assert isinstance(answer, TieredDecision)
    assert (answer.tier, answer.application, answer.fallback) == ("ollama:qwen2.5:3b",
                                                                  "navigation", False)
    assert (stats.calls, stats.prompt_tokens, stats.completion_tokens) == (1, 300, 20)
    [body] = ollama_fake.chat_requests
    assert [m["content"] for m in body["messages"]] == contents(prompt)
    assert openai_fake.requests == []
    s = backend.stats()
    assert s["escalated"] == 1 and s["tiers"]["ollama:qwen2.5:3b"]["prompt_tokens"] == 300


def test_unsure_edge_answer_climbs_to_the_cloud(
    backend: TieredBackend, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    ollama_fake.script(Reply.json(EDGE_UNSURE, usage=(300, 20)))
    openai_fake.script(Reply.json(CLOUD, usage=(310, 25)))
    answer, stats = ask(backend, UNSURE)
    assert (answer.tier, answer.application, answer.slice) == ("openai:gpt-fake",
                                                               "traffic updates", "URLLC")
    assert (stats.calls, stats.prompt_tokens, stats.completion_tokens) == (2, 610, 45)
    assert stats.latency_ms >= 60  # both servers' delays were paid
    [body] = openai_fake.chat_requests
    assert [m["content"] for m in body["messages"]] == contents(perception_prompt(UNSURE))
    tiers = backend.stats()["tiers"]
    assert tiers["openai:gpt-fake"]["decisions"] == 1
    assert tiers["ollama:qwen2.5:3b"]["decisions"] == 0
    assert tiers["openai:gpt-fake"]["prompt_tokens"] == 310


def test_last_tier_stands_when_unsure_but_surer_than_the_rest(
    backend: TieredBackend, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    device = IntentClassifier.default().predict(UNSURE).confidence
    cloud = round((device + DEVICE_THRESHOLD) / 2, 3)  # above the device, below its threshold
    ollama_fake.script(Reply.json({**EDGE_UNSURE, "confidence": device / 2}))
    openai_fake.script(Reply.json({**CLOUD, "confidence": cloud}))
    answer, _ = ask(backend, UNSURE)
    assert answer.tier == "openai:gpt-fake" and answer.confidence == cloud


def test_a_less_sure_tier_never_overrides_a_surer_smaller_one(
    backend: TieredBackend, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    expected = IntentClassifier.default().predict(UNSURE)
    ollama_fake.script(Reply.json({**EDGE_UNSURE, "confidence": 0.0}))
    openai_fake.script(Reply.json({**CLOUD, "confidence": expected.confidence / 2}))
    answer, stats = ask(backend, UNSURE)
    assert (answer.tier, answer.fallback, answer.slice) == ("offline", False, expected.slice)
    assert stats.calls == 2 and stats.error is None


def test_a_500_naming_a_bad_request_is_not_an_outage(
    backend: TieredBackend, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    ollama_fake.script(Reply.http_error(500, "1 validation error: format: unsupported value"),
                       Reply.http_error(500, "1 validation error: format: unsupported value"))
    ollama_fake.responder = lambda body: Reply.json(EDGE_SURE)
    openai_fake.responder = lambda body: Reply.json(CLOUD)
    ask(backend, UNSURE)
    assert ask(backend, UNSURE)[0].tier == "ollama:qwen2.5:3b"  # asked again: not cooled down
    assert backend.stats()["tiers"]["ollama:qwen2.5:3b"]["skipped"] == 0


def test_dead_edge_is_skipped_with_one_warning_and_the_cloud_answers(
    monkeypatch: pytest.MonkeyPatch, openai_fake: FakeOpenAIServer, closed_port: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    openai_fake.responder = lambda body: Reply.json(CLOUD)
    b = make_tiered(SPEC, timeout_s=2)
    with caplog.at_level(logging.WARNING, logger="wireless_agent.models.tiered"):
        answers = [ask(b, UNSURE)[0] for _ in range(3)]
    assert [a.tier for a in answers] == ["openai:gpt-fake"] * 3
    assert not any(a.fallback for a in answers)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "ollama:qwen2.5:3b" in warnings[0].getMessage()
    assert "connection failed" in warnings[0].getMessage()
    edge = b.stats()["tiers"]["ollama:qwen2.5:3b"]
    # Tried once, then left alone for the cool-down instead of on every decision.
    assert (edge["calls"], edge["failures"], edge["skipped"]) == (1, 1, 2)


def test_edge_comes_back_after_the_cool_down(
    monkeypatch: pytest.MonkeyPatch, ollama_fake: FakeOllamaServer,
    openai_fake: FakeOpenAIServer,
) -> None:
    ollama_fake.script(Reply.http_error(503, "loading model"))
    ollama_fake.responder = lambda body: Reply.json(EDGE_SURE)
    openai_fake.responder = lambda body: Reply.json(CLOUD)
    now = [1000.0]  # an injected clock: no race with a loaded machine's scheduler
    b = make_tiered(SPEC, timeout_s=2, cooldown_s=30.0, clock=lambda: now[0])
    assert ask(b, UNSURE)[0].tier == "openai:gpt-fake"  # 5xx: down, the cloud answers
    now[0] += 29.9
    assert ask(b, UNSURE)[0].tier == "openai:gpt-fake"  # still cooling down
    now[0] += 0.2
    assert ask(b, UNSURE)[0].tier == "ollama:qwen2.5:3b"
    assert len(ollama_fake.chat_requests) == 2


def test_all_tiers_dead_falls_back_to_the_classifier(
    monkeypatch: pytest.MonkeyPatch, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"127.0.0.1:{closed_port}")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port}/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    b = make_tiered(SPEC, timeout_s=2)
    with caplog.at_level(logging.WARNING, logger="wireless_agent.models.tiered"):
        answer, stats = ask(b, UNSURE)
        again, _ = ask(b, UNSURE)
    expected = IntentClassifier.default().predict(UNSURE)
    assert (answer.tier, answer.fallback, answer.slice) == ("offline", True, expected.slice)
    assert answer.confidence == pytest.approx(expected.confidence)
    assert stats.calls == 2 and "all model tiers failed" in (stats.error or "")
    assert again.fallback and again.tier == "offline"
    s = b.stats()
    assert (s["fallbacks"], s["escalated"]) == (2, 2)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_remote_tiers_never_see_forbidden_subscriber_fields(
    backend: TieredBackend, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    ollama_fake.script(Reply.json(EDGE_UNSURE))
    openai_fake.script(Reply.json({**CLOUD, "confidence": 0.99}))  # surer than the device
    phone, imsi = "+1 415 555 0134", "310150123456789"
    request = f"Call me on {phone} about my SIM {imsi}: {UNSURE}"
    shown, removed = PrivacyFilter("wireless").sanitize("perception", backend.name, request)
    assert {r["field"] for r in removed} >= {"phone", "imsi"}
    with boundary.recording() as rec:
        answer, _ = ask(backend, shown)
    assert answer.tier == "openai:gpt-fake"
    bodies = ollama_fake.chat_requests + openai_fake.chat_requests
    assert len(bodies) == 2
    for body in bodies:
        system, message = body["messages"]
        assert [system["content"], message["content"]] == contents(perception_prompt(shown))
        assert "555" not in message["content"] and imsi not in message["content"]
        assert "[PHONE]" in message["content"] and "[IMSI]" in message["content"]
    remote = [r for r in rec if r.remote]
    assert [r.backend for r in remote] == ["ollama:qwen2.5:3b", "openai:gpt-fake"]
    assert all(marked_request(r.text) == shown for r in remote)


def test_thresholds_from_argument_env_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert make_tiered(SPEC).thresholds == [DEVICE_THRESHOLD, 0.8, 0.8]
    assert make_tiered(SPEC, [0.5]).thresholds == [0.5, 0.8, 0.8]
    monkeypatch.setenv(THRESHOLDS_ENV, "0.9, 0.7")
    assert make_tiered(SPEC).thresholds == [0.9, 0.7, 0.8]
    assert make_tiered(SPEC, [0.95, 0.6, 0.5]).thresholds == [0.95, 0.6, 0.5]
    for bad in ("0.9,x", "1.5"):
        monkeypatch.setenv(THRESHOLDS_ENV, bad)
        with pytest.raises(ModelSpecError):
            make_tiered(SPEC)
    with pytest.raises(ModelSpecError):
        make_tiered(SPEC, [0.9, 0.8, 0.7, 0.6])
    for spec in ("openai:gpt-fake", "tiered:ollama:a,offline"):
        with pytest.raises(ModelSpecError):
            make_tiered(spec)


def test_threshold_zero_keeps_everything_on_the_device(
    ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    b = make_tiered(SPEC, [0.0], timeout_s=5)
    assert ask(b, UNSURE)[0].tier == "offline"
    assert ollama_fake.requests == [] and openai_fake.requests == []


def test_counters_add_up_under_concurrent_decisions(
    ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    ollama_fake.responder = lambda body: Reply.json(EDGE_SURE, usage=(100, 10))
    b = make_tiered(SPEC, timeout_s=5)
    requests = [EASY, UNSURE] * 8
    threads = [threading.Thread(target=ask, args=(b, r)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    s = b.stats()
    assert s["decisions"] == 16 and s["escalated"] == 8
    assert s["tiers"]["offline"]["decisions"] == 8
    edge = s["tiers"]["ollama:qwen2.5:3b"]
    assert (edge["decisions"], edge["calls"], edge["prompt_tokens"]) == (8, 8, 800)
    assert len(ollama_fake.chat_requests) == 8 and openai_fake.requests == []


def test_sweep_traces_accuracy_against_escalation(
    tmp_path: Path, ollama_fake: FakeOllamaServer, openai_fake: FakeOpenAIServer
) -> None:
    requests = [(EASY, "URLLC"), (UNSURE, "URLLC"), ("I want to stream 4K movies", "eMBB")]
    ollama_fake.responder = label_responder(requests, unsure_share=1.0)  # always unsure
    openai_fake.responder = label_responder(requests)
    rows = sweep_thresholds(requests, SPEC, [0.0, DEVICE_THRESHOLD], workers=2, timeout_s=5)
    low, chosen = rows
    assert (low["device_share"], low["cloud_tokens"]) == (1.0, 0)
    assert chosen["device_share"] == pytest.approx(2 / 3) and chosen["cloud_share"] == (
        pytest.approx(1 / 3))
    assert chosen["accuracy"] == 1.0 and chosen["cloud_tokens"] > 0
    assert chosen["calls"] == {"offline": 0, "ollama:qwen2.5:3b": 1, "openai:gpt-fake": 1}
    largest = largest_only(requests, SPEC, workers=2, timeout_s=5)
    assert largest["calls"] == 3 and largest["accuracy"] == 1.0
    assert largest["prompt_tokens"] > 2 * chosen["cloud_tokens"]
    out = plot_sweep(rows, tmp_path / "fig" / "sweep.png", largest)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in out.parent.iterdir()] == ["sweep.png"]
