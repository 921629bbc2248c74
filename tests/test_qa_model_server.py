"""QA: a model server that goes away mid-eval stops the run, and --resume finishes it cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.slicing_eval import EvalConfig, Evaluation
from wireless_agent.models import BackendError
from wireless_agent.testing.openai_server import FakeOpenAIServer

# Both answer shapes at once: the agent's intent schema and the paper prompt's fields.
BOTH = {"slice": "eMBB", "application": "video", "latency_ms": 50.0, "min_rate_mbps": 100.0,
        "confidence": 0.9, "intent": "video", "bandwidth": 10, "rate": 500.0, "latency": 50,
        "can_accommodate": True}


def _cfg() -> EvalConfig:
    return EvalConfig(scenarios=["north"], methods=["agent", "prompt"], users=[6], warmup=1,
                      model="openai:gpt-fake", concurrency=2)


@pytest.mark.slow  # stops a server mid-run
def test_a_model_server_that_dies_mid_run_stops_it_and_resume_finishes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: every later decision was logged as a 'connection failed' fallback (the prompt
    baseline rejected everyone) and the run exited 0 as finished, so --resume could not help."""
    out = tmp_path / "run"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    server = FakeOpenAIServer(default=BOTH).start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    made = 0

    def kill_after_three() -> None:
        nonlocal made
        made += 1
        if made == 3:
            server.stop()

    evaluation = Evaluation(_cfg(), out)
    with pytest.raises(BackendError) as err:
        evaluation.run(on_decision=kill_after_three)
    message = str(err.value)
    assert "\n" not in message and "--resume" in message and str(out) in message
    assert not (out / "summary.csv").exists()
    logged = [json.loads(x) for x in (out / "decisions.jsonl").read_text().splitlines()]
    assert 3 <= len(logged) < 12
    assert not any(r["error"] for r in logged)  # no decision made without its model is kept

    with FakeOpenAIServer(default=BOTH) as again:
        monkeypatch.setenv("OPENAI_BASE_URL", again.base_url)
        Evaluation(_cfg(), out, resume=True).run()
    rows = [json.loads(x) for x in (out / "decisions.jsonl").read_text().splitlines()]
    assert len({(r["unit"], r["step"]) for r in rows}) == len(rows) == 12
    assert not any(r["error"] for r in rows)
    assert all(r["model_calls"] >= 1 for r in rows)
