"""The prompt-based baseline plays episodes against model fakes; the env does the scoring."""

from __future__ import annotations

import math
from typing import Any

import pytest

from baselines.prompt import PromptBaseline
from env import SlicingEnv
from env.policy import Decision
from wireless_agent import boundary
from wireless_agent.testing import Reply
from wireless_agent.testing.ollama_server import FakeOllamaServer
from wireless_agent.testing.openai_server import FakeOpenAIServer

RECORD_KEYS = {"intent", "slice", "bandwidth", "model_calls", "prompt_tokens",
               "completion_tokens", "latency_ms", "error", "rate_claim_mbps", "fallback"}


def paper_rate(mhz: float, cqi: int) -> float:
    """The paper's rate formula, written out independently of env.rates."""
    return 10 * mhz * math.log10(1 + 10 ** (cqi / 10))


def answer(slice_: str, bandwidth: int, fits: bool = True, rate: float = 9999.0) -> Reply:
    """A well-formed answer in the paper's JSON fields."""
    return Reply.json({"intent": "some intent", "slice": slice_, "bandwidth": bandwidth,
                       "rate": rate, "latency": 5, "can_accommodate": fits})


def play(policy: PromptBaseline, env: SlicingEnv) -> tuple[dict[str, Any], list[Decision]]:
    """One episode; the final info and every decision."""
    obs, _ = env.reset(seed=0)
    policy.reset(env)
    decisions, done, info = [], False, {}
    while not done:
        decision = policy.act(env, obs)
        decisions.append(decision)
        obs, _, done, _, info = env.step(decision.action)
    return info, decisions


def test_offline_spec_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"needs a model backend \(ollama:MODEL or openai:MODEL\)"):
        PromptBaseline("offline")
    policy = PromptBaseline("openai:gpt-fake")  # building it contacts nothing and needs no key
    assert (policy.name, policy.offline) == ("prompt", False)


def test_episode_scores_what_the_env_allows(openai_fake: FakeOpenAIServer) -> None:
    # north, users 1-5: eMBB CQI 13, eMBB CQI 15, URLLC CQI 13, URLLC CQI 13, eMBB CQI 15.
    openai_fake.script(
        answer("eMBB", 10),  # admitted at 10 MHz; the 9999 Mbps claim is ignored
        Reply.malformed(),  # rejected, never retried
        answer("URLLC", 35),  # out of range: the env clips it to 5 MHz
        Reply.http_error(500),  # rejected
        answer("URLLC", 3, fits=False),  # wrong slice, declined by the model itself
    )
    with boundary.recording() as rec:
        info, decisions = play(PromptBaseline("openai:gpt-fake"), SlicingEnv("north", users=5))

    assert info["admitted"] == 2 and info["rejected"] == 3
    assert info["throughput_mbps"] == pytest.approx(paper_rate(10, 13) + paper_rate(5, 13))
    assert info["bandwidth_utilization"] == pytest.approx(15 / 120)
    assert info["intent_accuracy"] == pytest.approx(2 / 3)  # failed answers classify nothing
    assert info["min_rate_violations"] == 0

    records = [d.record for d in decisions]
    assert all(r.keys() >= RECORD_KEYS for r in records)
    assert [r["fallback"] for r in records] == [False, True, False, True, False]
    assert [r["model_calls"] for r in records] == [1, 1, 1, 1, 1]
    assert records[0]["rate_claim_mbps"] == 9999.0 and records[0]["bandwidth"] == 10
    assert "not valid JSON" in records[1]["error"] and "500" in records[3]["error"]
    assert records[2]["bandwidth"] == 35  # logged as the model said it
    assert records[4]["slice"] == "URLLC" and records[4]["bandwidth"] == 0.0
    assert records[0]["prompt_tokens"] > 0 and records[0]["latency_ms"] > 0

    prompts = [m[-1]["content"] for m in (b["messages"] for b in openai_fake.chat_requests)]
    assert len(prompts) == 5 and openai_fake.pending == 0
    assert "CQI 13" in prompts[0] and "real-time traffic updates" in prompts[0]
    assert "eMBB 90 MHz of 90 MHz" in prompts[0]
    assert "eMBB 80 MHz of 90 MHz, URLLC 30 MHz of 30 MHz" in prompts[1]
    assert "URLLC 25 MHz of 30 MHz" in prompts[3]
    assert "CQI 11-15 gives 15 Mbps/MHz" in prompts[0]
    assert [(r.role, r.remote) for r in rec] == [("baseline", True)] * 5


def test_timeout_rejects_the_user(openai_fake: FakeOpenAIServer) -> None:
    openai_fake.script(Reply.json({}, delay_s=3))
    policy = PromptBaseline("openai:gpt-fake", timeout_s=0.3)
    info, decisions = play(policy, SlicingEnv("north", users=1))
    assert info["admitted"] == 0 and info["rejected"] == 1
    assert "timeout" in decisions[0].record["error"] and decisions[0].record["fallback"]


def test_episode_against_ollama(ollama_fake: FakeOllamaServer) -> None:
    ollama_fake.script(answer("eMBB", 20), answer("eMBB", 0))
    info, decisions = play(PromptBaseline("ollama:qwen2.5:3b"), SlicingEnv("north", users=2))
    # A 0 MHz eMBB grant is clipped up to the 6 MHz floor by the env.
    assert info["throughput_mbps"] == pytest.approx(paper_rate(20, 13) + paper_rate(6, 15))
    assert info["intent_accuracy"] == 1.0
    assert decisions[1].record["error"] is None


def test_slice_numbers_in_prompts_come_from_env_slices() -> None:
    from pathlib import Path

    from env.slices import EMBB, URLLC, prompt_values
    from wireless_agent.chat import assistant

    root = Path(__file__).resolve().parent.parent
    template = (root / "prompts" / "prompt_baseline.md").read_text(encoding="utf-8")
    for key in ("embb_latency", "embb_bw", "embb_rate", "urllc_latency", "urllc_bw", "urllc_rate",
                "embb_capacity", "urllc_capacity"):
        assert f"${key}" in template
    values = prompt_values()
    assert values["embb_bw"] == f"{EMBB.bw_min_mhz:g}-{EMBB.bw_max_mhz:g}" == "6-20"
    assert f"URLLC ({URLLC.capacity_mhz:g} MHz, {values['urllc_bw']} MHz" in assistant.SYSTEM
    source = Path(assistant.__file__).read_text(encoding="utf-8")
    assert "90 MHz" not in source and "6-20" not in source
