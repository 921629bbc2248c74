"""`models compare`: every model and planner scored by the same eval code into one table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.compare import CompareConfig, kind, run_compare
from evals.results import read_csv
from wireless_agent.testing import Reply, environ
from wireless_agent.testing.openai_server import FakeOpenAIServer


def _answer(body: dict[str, Any]) -> Reply:
    text = json.dumps(body.get("messages", ""))
    if body.get("tools"):
        return Reply(content="no tools")
    if "plan one admission" in text:  # 1 MHz is under any eMBB floor: always rejected
        return Reply.json({"slice": "eMBB", "admit": True, "bandwidth_mhz": 1.0,
                           "reallocate": [], "reason": "scripted"})
    return Reply.json({"slice": "eMBB", "application": "scripted", "latency_ms": 20.0,
                       "min_rate_mbps": 100.0, "confidence": 0.9})


def test_compare_scores_each_model_and_planner_in_one_table(tmp_path: Path) -> None:
    with FakeOpenAIServer(models=["scripted-agent"], responder=_answer) as fake, environ(
            OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-scripted-not-a-key"):
        cfg = CompareConfig(models=["offline", "openai:scripted-agent"],
                            planners=["tools", "model"], scenario="north", users=3,
                            timeout_s=5.0, warmup=0)
        rows, notes = run_compare(cfg, tmp_path / "cmp")
    assert [(r["model"], r["planner"]) for r in rows] == [
        ("offline", "tools"), ("openai:scripted-agent", "tools"),
        ("openai:scripted-agent", "model")]
    assert notes == ["offline with --planner model: no model to plan; left out"]
    offline, tools, model = rows
    assert offline["parse_rate"] is None and offline["calls_per_request"] == 0
    assert tools["kind"] == "scripted" and tools["parse_rate"] == 1.0
    assert tools["calls_per_request"] == 1.0 and tools["fallbacks"] == 0
    # Every plan parsed and was rejected by the checks: the deterministic planner decided.
    assert model["plan_parse_rate"] == 1.0 and model["planner_fallbacks"] == 3
    assert model["violations"] == 0
    # Scored against the optimum of the true labels (a user misfiled into eMBB can add rate).
    assert offline["throughput_vs_optimal"] > 0 and tools["throughput_vs_optimal"] > 0
    written = read_csv(tmp_path / "cmp" / "compare.csv")
    assert [w["kind"] for w in written] == ["offline classifier", "scripted", "scripted"]
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "| openai:scripted-agent | scripted | model |" in md
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 0


def test_kinds_label_scripted_fakes() -> None:
    assert kind("openai:scripted-cloud") == "scripted"
    assert kind("offline") == "offline classifier"
    assert kind("ollama:smollm2") == "real model"
