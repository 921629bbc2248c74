"""The agent with a model backend, end to end through the real clients against loopback fakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.slicing_eval import EvalConfig, Evaluation
from prompts import marked_request
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer


def decision(slice_: str, confidence: float = 0.9) -> Reply:
    """A well-formed perception answer."""
    return Reply.json({"slice": slice_, "application": "scripted", "latency_ms": 5.0,
                       "min_rate_mbps": 1.0, "confidence": confidence})


def run(tmp_path: Path, model: str, timeout_s: float = 5.0) -> tuple[dict, list[dict]]:
    """The agent on north's first 5 users; its summary row and decision lines."""
    from evals.results import read_jsonl

    cfg = EvalConfig(scenarios=["north"], methods=["agent"], users=[5], model=model,
                     warmup=0, timeout_s=timeout_s)
    out = tmp_path / "r"
    rows = Evaluation(cfg, out).run()
    return rows[0], read_jsonl(out / "decisions.jsonl")


# north, users 1-5 are labelled eMBB, eMBB, URLLC, URLLC, eMBB.
@pytest.mark.parametrize("server", ["openai", "ollama"])
def test_agent_survives_every_kind_of_bad_answer(
    tmp_path: Path, server: str, openai_fake: FakeOpenAIServer, ollama_fake: FakeOllamaServer
) -> None:
    fake = openai_fake if server == "openai" else ollama_fake
    fake.script(
        decision("eMBB"),  # good
        Reply.malformed(), decision("eMBB"),  # malformed, retried once, then good
        decision("URLLC", confidence=1.7), decision("URLLC", confidence=3.0),  # out of range x2
        Reply.http_error(500),  # server error: no retry, offline fallback
        Reply(content="{}", delay_s=3.0),  # timeout: offline fallback
    )
    model = "openai:gpt-fake" if server == "openai" else "ollama:qwen2.5:3b"
    row, lines = run(tmp_path, model, timeout_s=1.0)
    assert [x["fallback"] for x in lines] == [False, False, True, True, True]
    assert row["fallbacks"] == 3 and row["errors"] == 3
    assert row["llm_calls"] == 7  # one per user, plus the two retries
    assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
    assert row["min_rate_violations"] == 0
    assert row["intent_accuracy"] == 1.0  # the fallbacks decided with the offline classifier
    # the request reached the model, inside the perception prompt
    assert "stream a live sports event" in str(fake.requests[2].body)


def test_one_model_call_per_request_when_answers_are_good(
    tmp_path: Path, openai_fake: FakeOpenAIServer
) -> None:
    labels = {"traffic updates": "eMBB", "live sports": "eMBB"}
    def answer(body: dict) -> Reply:
        # By the request alone: the few-shot examples around it name other applications.
        text = marked_request(body["messages"][-1]["content"])
        slice_ = next((v for k, v in labels.items() if k in text), "URLLC")
        return decision(slice_)
    openai_fake.responder = answer
    row, lines = run(tmp_path, "openai:gpt-fake")
    assert row["llm_calls"] == 5 and row["fallbacks"] == 0
    assert all(x["model_calls"] == 1 for x in lines)
    assert row["admitted"] == 5 and row["min_rate_violations"] == 0
