"""`--planner model`: proposals checked by the tools, re-planned, then the deterministic fallback.

The model's answers here come from the scripted OpenAI fake on 127.0.0.1 (labelled scripted);
the same paths run against real small models in tests/test_real_models.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.results import read_jsonl
from evals.slicing_eval import EvalConfig, EvalError, Evaluation
from wireless_agent.testing import Reply
from wireless_agent.testing.openai_server import FakeOpenAIServer


def _is_plan(body: dict[str, Any]) -> bool:
    return "plan one admission" in json.dumps(body.get("messages", ""))


def _perceive(body: dict[str, Any]) -> Reply:
    return Reply.json({"slice": "eMBB", "application": "scripted", "latency_ms": 20.0,
                       "min_rate_mbps": 100.0, "confidence": 0.9})


def _run(tmp_path: Path, users: int = 2) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    # north's first two users ask for eMBB.
    cfg = EvalConfig(scenarios=["north"], methods=["agent"], users=[users],
                     model="openai:gpt-fake", warmup=0, timeout_s=5.0, planner="model")
    rows = Evaluation(cfg, tmp_path / "r").run()
    return rows[0], read_jsonl(tmp_path / "r" / "decisions.jsonl")


def test_a_checked_model_plan_is_acted_on(tmp_path: Path, openai_fake: FakeOpenAIServer
                                          ) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        if body.get("tools"):  # offered tools, this scripted server answers in text: no calls
            return Reply(content="I cannot call tools.")
        if _is_plan(body):
            return Reply.json({"slice": "eMBB", "admit": True, "bandwidth_mhz": 12.5,
                               "reallocate": [], "reason": "scripted"})
        return _perceive(body)

    openai_fake.responder = answer
    row, lines = _run(tmp_path)
    assert [x["planner"] for x in lines] == ["model", "model"]
    assert [x["bandwidth"] for x in lines] == [12.5, 12.5]  # the model's figure, not the fill
    assert row["planner"] == "model" and row["planner_fallbacks"] == 0
    assert row["min_rate_violations"] == 0
    # The first decision offered tools once; a server that made no call is not offered again.
    offered = [r for r in openai_fake.requests if r.body and r.body.get("tools")]
    assert len(offered) == 1
    assert lines[0]["planner_calls"] == 2 and lines[1]["planner_calls"] == 1


def test_a_plan_that_breaks_a_limit_is_replanned_then_falls_back(
        tmp_path: Path, openai_fake: FakeOpenAIServer) -> None:
    def answer(body: dict[str, Any]) -> Reply:
        if body.get("tools"):
            return Reply(content="no tools here")
        if _is_plan(body):  # 4 MHz is under eMBB's 6 MHz floor every time
            return Reply.json({"slice": "eMBB", "admit": True, "bandwidth_mhz": 4.0,
                               "reallocate": [], "reason": "scripted"})
        return _perceive(body)

    openai_fake.responder = answer
    row, lines = _run(tmp_path, users=1)
    line = lines[0]
    assert line["planner"] == "fallback"
    assert line["planner_proposals"] == 3 and line["planner_rejected"] == 3  # 1 + 2 re-plans
    assert line["error"].startswith("planner: no model plan passed the checks")
    assert line["admitted"] and line["bandwidth"] >= 6.0  # the deterministic planner's plan
    assert row["planner_fallbacks"] == 1 and row["min_rate_violations"] == 0
    replans = [r for r in openai_fake.requests if r.body and _is_plan(r.body)
               and "rejected by the checks" in json.dumps(r.body["messages"])]
    assert len(replans) == 2 and "outside 6-20 MHz" in json.dumps(replans[0].body)


def test_tool_calls_are_run_and_their_results_sent_back(
        tmp_path: Path, openai_fake: FakeOpenAIServer) -> None:
    plan = {"slice": "eMBB", "admit": True, "bandwidth_mhz": 10.0, "reallocate": [],
            "reason": "scripted"}

    def answer(body: dict[str, Any]) -> Reply:
        if body.get("tools"):
            if body["messages"][-1]["role"] == "tool":
                return Reply.json(plan)
            return Reply.tool_call("min_bandwidth", {"slice": "eMBB"})
        return _perceive(body)

    openai_fake.responder = answer
    row, lines = _run(tmp_path, users=1)
    assert lines[0]["planner"] == "model" and lines[0]["bandwidth"] == 10.0
    back = [r.body for r in openai_fake.requests if r.body and r.body.get("tools")][-1]
    tool_result = json.loads(back["messages"][-1]["content"])
    assert tool_result["slice"] == "eMBB" and tool_result["min_bandwidth_mhz"] >= 6.0


def test_planner_model_needs_a_model() -> None:
    with pytest.raises(EvalError, match="--planner model needs a model backend"):
        EvalConfig(model="offline", planner="model").validate()
    with pytest.raises(ValueError, match="--planner 'llm' is unknown"):  # one line either way
        EvalConfig(model="openai:x", planner="llm").validate()


def test_the_optimisers_figures_pass_the_checks_when_copied() -> None:
    """What `optimise` reports is safe to copy verbatim: rounding never breaks a capacity."""
    import numpy as np

    from env.scenarios import load_scenario
    from env.slicing_env import SlicingEnv
    from wireless_agent.model_planner import PlanningTools, PlanProposal, check_proposal, to_plan

    env = SlicingEnv(load_scenario("center", users=30), users=30)
    env.reset(seed=0)
    checked = 0
    for _ in range(30):
        user = env.current.user
        pm = float(env.rate_model.per_mhz(user.cqi))
        tools = PlanningTools(env, 1, pm, user.cqi, env.t)
        best = tools.optimise("eMBB")
        if best["admit"]:
            plan = to_plan(PlanProposal.model_validate({**best, "slice": "eMBB"}), env, pm)
            assert check_proposal(plan, env, pm) is None, best
            checked += 1
            realloc = np.full(env.length, -1.0)
            for slot, mhz in plan.reallocate.items():
                realloc[slot] = mhz
            env.step({"intent": 1, "admit": 1, "bandwidth": np.array([plan.bandwidth]),
                      "reallocate": realloc})
        else:
            env.step({"intent": 1, "admit": 0, "bandwidth": np.array([0.0]),
                      "reallocate": np.full(env.length, -1.0)})
    assert checked >= 5  # the slice filled up: capacities were in play


def test_a_plan_outside_the_limits_parses_and_is_rejected_by_the_checks(
        tmp_path: Path, openai_fake: FakeOpenAIServer) -> None:
    # A grammar cannot bound a float: a real model proposed 25 MHz for a user; that reply is
    # well formed (it parses), and it is the checks that refuse it, then the re-plan holds.
    plans = iter([25.0, 12.0, 12.0])

    def answer(body: dict[str, Any]) -> Reply:
        if body.get("tools"):
            return Reply(content="I cannot call tools.")
        if _is_plan(body):
            return Reply.json({"slice": "eMBB", "admit": True, "bandwidth_mhz": next(plans),
                               "reallocate": [], "reason": "scripted"})
        return _perceive(body)

    openai_fake.responder = answer
    row, lines = _run(tmp_path, users=1)
    first = lines[0]
    assert first["planner"] == "model" and first["bandwidth"] == 12.0
    assert first["planner_replies"] == first["planner_proposals"] == 2  # both parsed
    assert first["planner_rejected"] == 1  # 25 MHz refused by check_plan, not by the parser
    assert row["planner_fallbacks"] == 0
