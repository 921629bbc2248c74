"""Replies parsed leniently where models are sloppy, strictly where the schema says."""

from __future__ import annotations

from wireless_agent.models import IntentDecision, make_backend
from wireless_agent.models.parsing import parse_reply
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer

# A raw newline and a tab inside a JSON string: invalid for json.loads' strict default.
RAW = ('{"slice": "URLLC", "application": "remote surgery\nwith\thaptics", "latency_ms": 5, '
       '"min_rate_mbps": 10, "confidence": 0.9}')


def test_raw_newlines_inside_strings_are_accepted() -> None:
    obj, problem = parse_reply(RAW, IntentDecision)
    assert problem is None and isinstance(obj, IntentDecision)
    assert obj.application == "remote surgery\nwith\thaptics"


def test_raw_newlines_inside_a_fenced_object_with_prose() -> None:
    obj, problem = parse_reply(f"Here it is:\n```json\n{RAW}\n```\nDone.", IntentDecision)
    assert problem is None and isinstance(obj, IntentDecision)


def test_broken_json_is_still_refused_with_the_reason() -> None:
    obj, problem = parse_reply('{"slice": "URLLC", "application": "x', IntentDecision)
    assert obj is None and problem is not None and "not valid JSON" in problem


def test_a_model_writing_raw_newlines_is_not_retried(ollama_fake: FakeOllamaServer) -> None:
    ollama_fake.script(Reply(RAW))
    answer, stats = make_backend("ollama:qwen2.5:3b", timeout_s=5).structured(
        "classify", "remote surgery", IntentDecision)
    assert isinstance(answer, IntentDecision) and not stats.retried
    assert len(ollama_fake.chat_requests) == 1
